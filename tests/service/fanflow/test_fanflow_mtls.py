"""Mutual TLS on a real embedded cluster: history and matching accept only callers with a
certificate the cluster's CA signed (and then need no internal secret); the frontend can
require client certificates too; the SDK presents one; what is wrong is said (no
certificate, another CA, expired); a server's certificate rotates without a restart."""
from __future__ import annotations

import os
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import worker_sdk as workflows
from fanflow import tls
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import history_service_pb2, history_service_pb2_grpc, matching_service_pb2, matching_service_pb2_grpc
from support.certs import CertificateAuthority
from worker_sdk import Client, Worker
from worker_sdk.client import tls_channel


@workflows.activity(name="mtls_service_shout")
async def mtls_service_shout(text: str) -> str:
    return text.upper()


@workflows.workflow.define(name="mtls_service_echo")
class MtlsServiceEcho:
    @workflows.workflow.entrypoint
    async def run(self, text: str) -> str:
        return await mtls_service_shout(text)


def _channel(address: str, ca: bytes, issued=None) -> grpc.aio.Channel:
    """A raw channel (no SDK checks), presenting `issued`'s certificate if given, with the
    refusal explainer the services use."""
    credentials = grpc.ssl_channel_credentials(ca, issued.key_pem if issued else None, issued.cert_pem if issued else None)
    pem = tls.Pem(issued.cert_pem, issued.key_pem, None) if issued else None
    explain = tls.ExplainTlsRefusals(lambda: pem, cert_file=issued.cert_file if issued else "", logs=False)
    return grpc.aio.secure_channel(address, credentials, interceptors=[explain])


async def _health(channel) -> int:
    return (await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)).status


@pytest.fixture
def pki(tmp_path):
    ca = CertificateAuthority(tmp_path / "pki")
    return ca, ca.issue("fanflow-services", file_stem="services")


async def test_history_and_matching_accept_only_certificates_of_the_cluster_ca(tmp_path, pki):
    ca, services = pki
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0, tls_cert_file=services.cert_file,
                                    tls_key_file=services.key_file, tls_ca_file=ca.ca_file)
    assert config.mutual_tls
    process = await embedded(config).start()
    stranger = CertificateAuthority(tmp_path / "other", "other CA").issue("stranger")
    expired = ca.issue("expired-caller", expired=True)
    member = ca.issue("frontend-b")
    try:
        for role in ("history", "matching"):
            address = process.servers[role].address
            for caller in (None, stranger, expired):
                async with _channel(address, ca.cert_pem, caller) as channel:
                    with pytest.raises(grpc.aio.AioRpcError) as refused:
                        await _health(channel)
                    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, refused.value.details()
                    if caller is expired:  # the caller is told what is wrong with its certificate
                        assert "certificate has expired" in refused.value.details()
                        assert isinstance(refused.value, tls.TlsRefusedError)
                    if caller is None:
                        assert "set tls_cert_file and tls_key_file" in refused.value.details()
            # a certificate of the cluster's CA is all it takes: no internal secret
            async with _channel(address, ca.cert_pem, member) as channel:
                assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
                if role == "history":
                    await history_service_pb2_grpc.HistoryServiceStub(channel).ListApiKeys(history_service_pb2.ListApiKeysRequest(), timeout=5)
                else:
                    with pytest.raises(grpc.aio.AioRpcError) as invalid:  # past authentication: the request itself is judged
                        await matching_service_pb2_grpc.MatchingServiceStub(channel).AddTask(matching_service_pb2.AddTaskRequest(), timeout=5)
                    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # the frontend asks for no client certificate unless told to
        async with _channel(process.frontend_address, ca.cert_pem) as channel:
            assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
    finally:
        await process.stop()


async def test_a_process_refuses_to_start_with_an_unusable_certificate(tmp_path, pki):
    ca, _ = pki
    expired = ca.issue("old-services", expired=True)
    config = ClusterConfig.embedded(tmp_path / "data", tls_cert_file=expired.cert_file, tls_key_file=expired.key_file, tls_ca_file=ca.ca_file)
    with pytest.raises(tls.TlsFileError, match=r"tls_cert_file .*old-services\.crt: certificate has expired"):
        embedded(config)
    stranger = CertificateAuthority(tmp_path / "other", "other CA").issue("stranger")
    config = ClusterConfig.embedded(tmp_path / "data", tls_cert_file=stranger.cert_file, tls_key_file=stranger.key_file, tls_ca_file=ca.ca_file)
    with pytest.raises(tls.TlsFileError, match="is not signed by a CA in the trusted bundle"):
        embedded(config)


async def test_sdk_presents_a_client_certificate_to_a_frontend_that_requires_one(tmp_path, pki):
    ca, services = pki
    workers_ca = CertificateAuthority(tmp_path / "workers", "workers CA")
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0, tls_cert_file=services.cert_file, tls_key_file=services.key_file,
                                    tls_ca_file=ca.ca_file, frontend_client_auth=True, frontend_client_ca_file=workers_ca.ca_file)
    process = await embedded(config).start()
    worker_cert = workers_ca.issue("worker-1")
    try:
        client = await Client.connect(process.frontend_address, tls_ca_file=ca.ca_file, tls_cert_file=worker_cert.cert_file, tls_key_file=worker_cert.key_file)
        try:
            async with Worker(client, task_queue="mtls-service", workflows=[MtlsServiceEcho], activities=[mtls_service_shout]):
                assert await client.execute_workflow(MtlsServiceEcho, "over mtls", task_queue="mtls-service") == "OVER MTLS"
        finally:
            await client.close()

        # without a certificate: refused, with a hint; the services' own CA is not the workers' one
        for caller in (None, ca.issue("services-ca-member")):
            options = {"tls_cert_file": caller.cert_file, "tls_key_file": caller.key_file} if caller else {}
            bare = await Client.connect(process.frontend_address, tls_ca_file=ca.ca_file, retry_timeout=1.0, **options)
            try:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await bare.list_workflows()
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
                if caller is None:
                    assert "if it requires client certificates, set tls_cert_file and tls_key_file" in refused.value.details()
            finally:
                await bare.close()

        # an expired client certificate is refused before dialling, naming the option
        expired = workers_ca.issue("worker-old", expired=True)
        with pytest.raises(ValueError, match=r"tls_cert_file .*worker-old\.crt: certificate has expired"):
            await Client.connect(process.frontend_address, tls_ca_file=ca.ca_file, tls_cert_file=expired.cert_file, tls_key_file=expired.key_file)
        with pytest.raises(ValueError, match="tls_cert_file is set but tls_key_file is not"):
            await Client.connect(process.frontend_address, tls_ca_file=ca.ca_file, tls_cert_file=worker_cert.cert_file)
    finally:
        await process.stop()


async def test_sdk_takes_tls_options_from_the_environment(tmp_path, pki, monkeypatch):
    ca, services = pki
    config = ClusterConfig.embedded(tmp_path / "data", tls_cert_file=services.cert_file, tls_key_file=services.key_file,
                                    tls_ca_file=ca.ca_file, frontend_client_auth=True)
    process = await embedded(config).start()
    member = ca.issue("env-client")
    try:
        monkeypatch.setenv("FANFLOW_TLS_CA_FILE", ca.ca_file)
        monkeypatch.setenv("FANFLOW_TLS_CERT_FILE", member.cert_file)
        monkeypatch.setenv("FANFLOW_TLS_KEY_FILE", member.key_file)
        client = await Client.connect(process.frontend_address)
        try:
            assert await client.list_workflows() == []
        finally:
            await client.close()
    finally:
        await process.stop()


def _replace(path: str, data: bytes) -> None:
    """Write a file the way a certificate manager does (a new file moved into place)."""
    tmp = f"{path}.new"
    Path(tmp).write_bytes(data)
    os.replace(tmp, path)


async def test_a_server_certificate_rotates_without_a_restart(tmp_path, pki):
    """The process's files are replaced while it serves: new connections get the new
    certificate (a client that trusts only the new CA gets in), the old CA's members are
    refused once the bundle no longer has it."""
    ca, services = pki
    new_ca = CertificateAuthority(tmp_path / "new", "new CA")
    config = ClusterConfig.embedded(tmp_path / "data", tls_cert_file=services.cert_file, tls_key_file=services.key_file, tls_ca_file=ca.ca_file)
    process = await embedded(config).start()
    old_member, new_member = ca.issue("old-member"), new_ca.issue("new-member")
    history = process.servers["history"].address
    try:
        async with _channel(history, new_ca.cert_pem, new_member) as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await _health(channel)  # the server's certificate is still the old CA's

        # step 1: trust both CAs; step 2: the new certificate and key; step 3: drop the old CA
        _replace(ca.ca_file, ca.cert_pem + new_ca.cert_pem)
        rotated = new_ca.issue("fanflow-services", file_stem="services-next")
        _replace(services.key_file, rotated.key_pem)
        _replace(services.cert_file, rotated.cert_pem)
        async with _channel(history, new_ca.cert_pem, new_member) as channel:
            assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
        async with _channel(history, new_ca.cert_pem, old_member) as channel:
            assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING  # both CAs trusted for now

        _replace(ca.ca_file, new_ca.cert_pem)
        async with _channel(history, new_ca.cert_pem, old_member) as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await _health(channel)
        async with tls_channel(history, tls_ca_file=new_ca.ca_file, tls_cert_file=new_member.cert_file, tls_key_file=new_member.key_file) as channel:
            assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
    finally:
        await process.stop()
