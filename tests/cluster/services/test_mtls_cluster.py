"""Mutual TLS across separate processes: frontend, history, matching and a worker each with
their own certificate from the cluster's CA run a fan-out workflow; history and matching
refuse callers with no certificate, another CA's or an expired one, and their logs say
which; the whole cluster moves to a new CA while it runs (no restart)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import time
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import ROOT
from protos import admin_service_pb2 as adm
from protos import admin_service_pb2_grpc
from support import secure_cluster
from support.certs import CertificateAuthority
from worker_sdk import Client
from worker_sdk.client import tls_channel

ROTATION_STEP = 5.0  # seconds between the steps of a CA rotation


def _replace(path: str, data: bytes) -> None:
    """Write a file the way a certificate manager does (a new file moved into place)."""
    Path(f"{path}.new").write_bytes(data)
    os.replace(f"{path}.new", path)


async def _refused(address: str, ca: bytes, issued) -> None:
    credentials = grpc.ssl_channel_credentials(ca, issued.key_pem if issued else None, issued.cert_pem if issued else None)
    async with grpc.aio.secure_channel(address, credentials) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def _wait_for_log(cluster, role: str, text: str, timeout: float = 10.0) -> str:
    for _ in range(int(timeout / 0.1)):
        log = Path(cluster.procs[role].log_path).read_text(errors="replace")
        if text in log:
            return log
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not in the {role} log:\n{log[-3000:]}")


async def _run_workflow(cluster, namespace: str, key: str, workflow_id: str, who: str = "client") -> int:
    client = await Client.connect(cluster.frontend_address, namespace=namespace, api_key=key, retry_timeout=30.0, **cluster.client_options(who))
    try:
        return await client.execute_workflow("secure_cluster_sum_of_squares", 20, id=workflow_id, task_queue=secure_cluster.TASK_QUEUE)
    finally:
        await client.close()


async def test_mutual_tls_cluster_runs_refuses_and_rotates_its_ca(tmp_path, processes):
    cluster = secure_cluster.start(processes, tmp_path, "mtls")
    ca = cluster.ca
    async with tls_channel(cluster.frontend_address, **cluster.client_options()) as channel:
        registered = await admin_service_pb2_grpc.AdminServiceStub(channel).RegisterNamespace(
            adm.RegisterNamespaceRequest(name="team"), metadata=(("authorization", f"Bearer {cluster.admin_key}"),), timeout=30)
    secure_cluster.start_worker(processes, cluster, "team", registered.api_key)
    assert await _run_workflow(cluster, "team", registered.api_key, "before-rotation") == sum(i * i for i in range(20))

    # history and matching (separate processes) refuse what is not a valid certificate of the CA
    stranger = CertificateAuthority(tmp_path / "other", "other CA").issue("stranger")
    expired = ca.issue("expired-caller", expired=True)
    for role in ("history", "matching"):
        for caller in (None, stranger, expired):
            await _refused(cluster.address(role), ca.cert_pem, caller)
        log = await _wait_for_log(cluster, role, "certificate has expired")  # gRPC's handshake line on the refusing side
        assert "unable to get local issuer certificate" in log and "PEER_DID_NOT_RETURN_A_CERTIFICATE" in log

    # `fanflow health` takes the same TLS options as the other client commands
    health = [sys.executable, "-m", "fanflow.cli", "health", cluster.address("history")]
    ok = subprocess.run([*health, *cluster.cli_tls_args("client")], capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert ok.returncode == 0, ok.stderr
    plain = subprocess.run(health, capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert plain.returncode == 1

    # CA rotation with everything running: trust both, move each process to the new CA's
    # certificate, then drop the old CA. Clients re-read their files within a second.
    new_ca = CertificateAuthority(tmp_path / "pki-next", "next CA")
    # Each step waits well past the one-second re-read, as an operator would (the processes
    # must all have taken one step before the next; a loaded machine needs the margin).
    _replace(ca.ca_file, ca.cert_pem + new_ca.cert_pem)
    await asyncio.sleep(ROTATION_STEP)
    for who, issued in cluster.certs.items():
        fresh = new_ca.issue(f"fanflow-{who}", file_stem=f"{who}-next")
        _replace(issued.key_file, fresh.key_pem)
        _replace(issued.cert_file, fresh.cert_pem)
    await asyncio.sleep(ROTATION_STEP)
    _replace(ca.ca_file, new_ca.cert_pem)
    await asyncio.sleep(ROTATION_STEP)
    assert await _run_workflow(cluster, "team", registered.api_key, "after-rotation") == sum(i * i for i in range(20))
    await _wait_for_log(cluster, "frontend", "TLS files changed: new connections use them")
    await _wait_for_log(cluster, "history", "TLS files changed: new connections use them")
    await _wait_for_log(cluster, "worker", "TLS files changed: new connections use them")
    # a certificate of the old CA no longer gets in
    old_member = ca.issue("old-member")
    await _refused(cluster.address("history"), new_ca.cert_pem, old_member)
    for proc in cluster.procs.values():
        assert proc.poll() is None, Path(proc.log_path).read_text()[-3000:]


async def test_a_certificate_that_expires_while_running_is_refused_and_the_caller_is_told(tmp_path, processes):
    """The frontend's certificate expires while it runs; history restarts, so the frontend
    has to connect again: history refuses it ("certificate has expired" in history's log),
    the frontend logs why, and the client whose call needed history is told the same."""
    from cryptography import x509

    cluster = secure_cluster.start(processes, tmp_path, "mtls", frontend_valid_for=40.0)
    not_after = x509.load_pem_x509_certificate(Path(cluster.certs["frontend"].cert_file).read_bytes()).not_valid_after_utc.timestamp()
    client = await Client.connect(cluster.frontend_address, api_key=cluster.admin_key, retry_timeout=30.0, **cluster.client_options())
    try:
        assert await client.list_workflows() == []  # through history, while the certificate is valid
        assert time.time() < not_after, "the cluster took longer to start than the certificate lives"

        processes.kill(cluster.procs["history"])
        await asyncio.sleep(max(0.0, not_after - time.time()) + 1.5)
        secure_cluster.start_role(processes, cluster, "history")
        # long enough for the frontend's channel to history to leave its reconnect back-off (history was
        # down ~40 s) and meet the refusal; the last error the client saw is what it raises
        client.retry_timeout = 30.0
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.list_workflows()
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "the server refused this process's TLS certificate" in refused.value.details()
        assert "certificate has expired" in refused.value.details()
    finally:
        await client.close()
    frontend_log = await _wait_for_log(cluster, "frontend", "TLS connection refused")
    assert "this process's TLS certificate has expired" in frontend_log
    await _wait_for_log(cluster, "history", "CERTIFICATE_VERIFY_FAILED: certificate has expired")
