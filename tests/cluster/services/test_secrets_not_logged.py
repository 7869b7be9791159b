"""No secret in any log line or error message: a whole cluster of separate processes (history,
matching, frontend, a worker; every one at DEBUG) with auth on runs a fan-out workflow, has
bad keys and a wrong internal secret tried on it, and is stopped; then every log is searched
for every secret it was given or shown: API keys (admin, namespace, extra, the wrong ones
tried), the internal secret, the private keys' PEM lines. Both ways a cluster authenticates
its own services: the internal secret (plaintext) and mutual TLS."""
from __future__ import annotations

import os
import signal
import secrets
from pathlib import Path

import grpc
import pytest

from protos import admin_service_pb2 as adm
from protos import admin_service_pb2_grpc, history_service_pb2, history_service_pb2_grpc
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from support import secure_cluster
from worker_sdk import Client
from worker_sdk.client import tls_channel


def _bearer(key: str):
    return (("authorization", f"Bearer {key}"),)


def _private_key_lines(cluster) -> list[str]:
    """The base64 lines of every private key the cluster's processes and clients hold."""
    lines = []
    for path in (cluster.tmp_path / "pki").glob("*.key") if cluster.mode == "mtls" else ():
        lines += [line for line in path.read_text().splitlines() if line and not line.startswith("-----")]
    return lines


async def _refused(call, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    assert refused.value.code() == code, refused.value.details()
    return refused.value.details() or ""


@pytest.mark.parametrize("mode", ["secret", "mtls"])
async def test_no_secret_in_any_log_or_error_message(tmp_path, processes, mode):
    cluster = secure_cluster.start(processes, tmp_path, mode, log_level="DEBUG")
    wrong_keys = [f"wrong-{secrets.token_urlsafe(18)}" for _ in range(3)]
    messages: list[str] = []  # every error message a caller was shown

    async with tls_channel(cluster.frontend_address, **cluster.client_options()) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        service = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
        team_key = (await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="team"), metadata=_bearer(cluster.admin_key), timeout=30)).api_key
        await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="other"), metadata=_bearer(cluster.admin_key), timeout=30)
        extra_key = (await admin.CreateApiKey(adm.CreateApiKeyRequest(namespace="team"), metadata=_bearer(cluster.admin_key), timeout=30)).api_key
        list_team = ws.ListWorkflowExecutionsRequest(namespace="team")

        # bad keys: unknown, malformed, a namespace's key for another namespace or an admin call
        messages.append(await _refused(service.ListWorkflowExecutions(list_team, metadata=_bearer(wrong_keys[0]), timeout=10), grpc.StatusCode.UNAUTHENTICATED))
        messages.append(await _refused(service.ListWorkflowExecutions(list_team, metadata=(("authorization", f"Basic {wrong_keys[1]}"),), timeout=10),
                                       grpc.StatusCode.UNAUTHENTICATED))
        messages.append(await _refused(service.ListWorkflowExecutions(ws.ListWorkflowExecutionsRequest(namespace="other"), metadata=_bearer(team_key), timeout=10),
                                       grpc.StatusCode.PERMISSION_DENIED))
        messages.append(await _refused(admin.ListNamespaces(adm.ListNamespacesRequest(), metadata=_bearer(extra_key), timeout=10), grpc.StatusCode.PERMISSION_DENIED))
        messages.append(await _refused(admin.CreateApiKey(adm.CreateApiKeyRequest(namespace="team"), metadata=_bearer(wrong_keys[2]), timeout=10),
                                       grpc.StatusCode.UNAUTHENTICATED))

    if mode == "secret":  # history called directly with a wrong internal secret, then the right one
        async with grpc.aio.insecure_channel(cluster.address("history")) as channel:
            history = history_service_pb2_grpc.HistoryServiceStub(channel)
            wrong_secret = f"guess-{secrets.token_urlsafe(18)}"
            wrong_keys.append(wrong_secret)
            messages.append(await _refused(history.ListApiKeys(history_service_pb2.ListApiKeysRequest(), metadata=(("x-fanflow-internal", wrong_secret),), timeout=10),
                                           grpc.StatusCode.UNAUTHENTICATED))
            await history.ListApiKeys(history_service_pb2.ListApiKeysRequest(), metadata=(("x-fanflow-internal", cluster.internal_secret),), timeout=10)
    else:  # a client given a key that is not its certificate's: the message names the file only
        with pytest.raises(ValueError) as mismatched:
            await Client.connect(cluster.frontend_address, tls_ca_file=cluster.ca.ca_file, tls_cert_file=cluster.certs["client"].cert_file,
                                 tls_key_file=cluster.certs["worker"].key_file)
        messages.append(str(mismatched.value))
        assert "does not belong to the certificate" in messages[-1]

    secure_cluster.start_worker(processes, cluster, "team", team_key, log_level="DEBUG")
    client = await Client.connect(cluster.frontend_address, namespace="team", api_key=team_key, retry_timeout=30.0, **cluster.client_options())
    try:
        assert await client.execute_workflow("secure_cluster_sum_of_squares", 30, id="secrets-run", task_queue=secure_cluster.TASK_QUEUE) \
            == sum(i * i for i in range(30))
    finally:
        await client.close()

    for proc in cluster.procs.values():  # a graceful stop: shutdown lines are searched too
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in cluster.procs.values():
        proc.wait(30)

    logs = cluster.logs()
    assert set(logs) >= {"history-0.log", "matching-1.log", "frontend-2.log", "worker-3.log"}
    found_secrets = {
        "admin key": cluster.admin_key,
        "namespace key": team_key,
        "extra key": extra_key,
        **{f"wrong key {i}": key for i, key in enumerate(wrong_keys)},
        **({"internal secret": cluster.internal_secret} if cluster.internal_secret else {}),
        **{f"private key line {i}": line for i, line in enumerate(_private_key_lines(cluster))},
    }
    assert len(found_secrets) >= (6 if mode == "secret" else 10)
    leaks = [(what, where) for what, secret in found_secrets.items() for where, text in {**logs, **{f"message {i}": m for i, m in enumerate(messages)}}.items()
             if secret in text]
    assert not leaks, leaks
    assert sum(len(text.splitlines()) for text in logs.values()) > 50  # the search had something to search
