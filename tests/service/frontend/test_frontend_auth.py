"""Access control on a real cluster: API keys per namespace, admin keys,
namespace isolation, the internal secret on history/matching, signed task
tokens, and TLS on the frontend."""
from __future__ import annotations

import asyncio
import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import worker_sdk as workflows
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from fanflow.channels import insecure_channel
from protos import (
    admin_service_pb2 as adm,
    admin_service_pb2_grpc,
    common_pb2,
    history_service_pb2,
    history_service_pb2_grpc,
    internal_pb2,
    workflow_service_pb2 as ws,
    workflow_service_pb2_grpc,
)
from conftest import backend_overrides
from worker_sdk import Client, Worker

ADMIN = "admin-key-for-tests"
TQ = common_pb2.TaskQueue(name="auth-tq")


def bearer(key: str | None):
    return (("authorization", f"Bearer {key}"),) if key else None


@pytest.fixture
async def secured(tmp_path, backend_env):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0, auth_enabled=True, admin_api_keys=[ADMIN],
                                    **backend_overrides(backend_env))
    process = await embedded(config).start()
    channel = insecure_channel(process.frontend_address)
    yield process, workflow_service_pb2_grpc.WorkflowServiceStub(channel), admin_service_pb2_grpc.AdminServiceStub(channel)
    await channel.close()
    await process.stop()


async def expect(code: grpc.StatusCode, call, *words: str) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == code, (err.value.code(), err.value.details())
    for word in words:
        assert word in err.value.details(), err.value.details()
    return err.value.details()


def start_request(namespace: str, workflow_id: str = "w") -> ws.StartWorkflowExecutionRequest:
    return ws.StartWorkflowExecutionRequest(namespace=namespace, workflow_id=workflow_id, workflow_type=common_pb2.WorkflowType(name="T"), task_queue=TQ)


@pytest.mark.backends("sqlite", "postgres")
async def test_keys_isolate_namespaces(secured):
    process, stub, admin = secured
    # no key, malformed, unknown: UNAUTHENTICATED
    await expect(grpc.StatusCode.UNAUTHENTICATED, stub.StartWorkflowExecution(start_request("default")), "missing API key")
    await expect(grpc.StatusCode.UNAUTHENTICATED, stub.StartWorkflowExecution(start_request("default"), metadata=(("authorization", "Basic x"),)), "Bearer")
    await expect(grpc.StatusCode.UNAUTHENTICATED, stub.StartWorkflowExecution(start_request("default"), metadata=bearer("nope")), "unknown API key")
    await expect(grpc.StatusCode.UNAUTHENTICATED, admin.ListShards(adm.ListShardsRequest()))

    key_a = (await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="ns-a"), metadata=bearer(ADMIN))).api_key
    key_b = (await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="ns-b"), metadata=bearer(ADMIN))).api_key
    assert key_a and key_b and key_a != key_b

    run_a = await stub.StartWorkflowExecution(start_request("ns-a", "wa"), metadata=bearer(key_a))
    await stub.StartWorkflowExecution(start_request("ns-b", "wb"), metadata=bearer(key_b))
    execution_b = common_pb2.WorkflowExecution(workflow_id="wb")
    # key A cannot start, read, poll, signal or terminate anything in B
    denied = [
        stub.StartWorkflowExecution(start_request("ns-b", "x"), metadata=bearer(key_a)),
        stub.DescribeWorkflowExecution(ws.DescribeWorkflowExecutionRequest(namespace="ns-b", execution=execution_b), metadata=bearer(key_a)),
        stub.GetWorkflowExecutionHistory(ws.GetWorkflowExecutionHistoryRequest(namespace="ns-b", execution=execution_b), metadata=bearer(key_a)),
        stub.GetWorkflowResult(ws.GetWorkflowResultRequest(namespace="ns-b", execution=execution_b), metadata=bearer(key_a)),
        stub.ListWorkflowExecutions(ws.ListWorkflowExecutionsRequest(namespace="ns-b"), metadata=bearer(key_a)),
        stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace="ns-b", task_queue=TQ), metadata=bearer(key_a)),
        stub.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(namespace="ns-b", task_queue=TQ), metadata=bearer(key_a)),
        stub.SignalWorkflowExecution(ws.SignalWorkflowExecutionRequest(namespace="ns-b", execution=execution_b, signal_name="s"), metadata=bearer(key_a)),
        stub.TerminateWorkflowExecution(ws.TerminateWorkflowExecutionRequest(namespace="ns-b", execution=execution_b), metadata=bearer(key_a)),
    ]
    for call in denied:
        await expect(grpc.StatusCode.PERMISSION_DENIED, call, "ns-a", "ns-b")
    # a namespace key is not an admin key
    await expect(grpc.StatusCode.PERMISSION_DENIED, admin.ListShards(adm.ListShardsRequest(), metadata=bearer(key_a)), "admin")
    await expect(grpc.StatusCode.PERMISSION_DENIED, admin.CreateApiKey(adm.CreateApiKeyRequest(namespace="ns-b"), metadata=bearer(key_a)))
    # B's workflow is untouched; A's own calls work
    described = await stub.DescribeWorkflowExecution(ws.DescribeWorkflowExecutionRequest(namespace="ns-b", execution=execution_b), metadata=bearer(key_b))
    assert described.info.status == common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
    described = await stub.DescribeWorkflowExecution(
        ws.DescribeWorkflowExecutionRequest(namespace="ns-a", execution=common_pb2.WorkflowExecution(workflow_id="wa")), metadata=bearer(key_a)
    )
    assert described.info.execution.run_id == run_a.run_id
    # a key created later works at once; the admin key works everywhere
    key_a2 = (await admin.CreateApiKey(adm.CreateApiKeyRequest(namespace="ns-a"), metadata=bearer(ADMIN))).api_key
    await stub.StartWorkflowExecution(start_request("ns-a", "wa2"), metadata=bearer(key_a2))
    await stub.TerminateWorkflowExecution(ws.TerminateWorkflowExecutionRequest(namespace="ns-b", execution=execution_b), metadata=bearer(ADMIN))
    await expect(grpc.StatusCode.NOT_FOUND, admin.CreateApiKey(adm.CreateApiKeyRequest(namespace="ghost"), metadata=bearer(ADMIN)), "ghost")


@workflows.activity()
async def greet(name: str) -> str:
    return f"hello {name}"


@workflows.workflow.define(name="auth_greeting")
class Greeting:
    @workflows.workflow.entrypoint
    async def run(self, name: str) -> str:
        return await greet(name)


@pytest.mark.backends("sqlite", "postgres")
async def test_sdk_with_a_namespace_key(secured):
    process, _, admin = secured
    key = (await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="team"), metadata=bearer(ADMIN))).api_key
    client = await Client.connect(process.frontend_address, namespace="team", api_key=key)
    try:
        async with Worker(client, task_queue="auth-sdk", workflows=[Greeting], activities=[greet]):
            assert await client.execute_workflow(Greeting, "ann", task_queue="auth-sdk") == "hello ann"
    finally:
        await client.close()
    outsider = await Client.connect(process.frontend_address, namespace="team", api_key="wrong", retry_timeout=1)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await outsider.start_workflow(Greeting, "x", task_queue="auth-sdk")
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await outsider.close()


async def test_internal_services_need_the_secret(secured):
    process, _, _ = secured
    history_address = process.servers["history"].address
    async with insecure_channel(history_address) as channel:
        stub = history_service_pb2_grpc.HistoryServiceStub(channel)
        await expect(grpc.StatusCode.UNAUTHENTICATED, stub.ListApiKeys(history_service_pb2.ListApiKeysRequest()), "internal secret")
        await expect(grpc.StatusCode.UNAUTHENTICATED, stub.ListApiKeys(history_service_pb2.ListApiKeysRequest(), metadata=(("x-fanflow-internal", "guess"),)))
        ok = await stub.ListApiKeys(history_service_pb2.ListApiKeysRequest(), metadata=(("x-fanflow-internal", process.config.internal_secret),))
        assert ok is not None
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING  # probes stay open
    # reflection stays open too: grpcurl can list an internal service without the secret
    listed = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import sys, grpc; from grpc_reflection.v1alpha import reflection_pb2 as r, reflection_pb2_grpc as g;"
        "ch = grpc.insecure_channel(sys.argv[1]);"
        "resp = next(g.ServerReflectionStub(ch).ServerReflectionInfo(iter([r.ServerReflectionRequest(list_services='')])));"
        "print(' '.join(s.name for s in resp.list_services_response.service))",
        history_address, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await listed.communicate()
    assert listed.returncode == 0, err.decode()
    assert "fanflow.internal.v1.HistoryService" in out.decode()
    async with insecure_channel(process.servers["matching"].address) as channel:
        from protos import matching_service_pb2, matching_service_pb2_grpc

        stub = matching_service_pb2_grpc.MatchingServiceStub(channel)
        await expect(grpc.StatusCode.UNAUTHENTICATED, stub.AddTask(matching_service_pb2.AddTaskRequest()), "internal secret")


async def test_forged_and_stale_task_tokens_change_nothing(secured):
    process, stub, admin = secured
    md = bearer(ADMIN)
    await stub.StartWorkflowExecution(start_request("default", "tok"), metadata=md)
    task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace="default", task_queue=TQ), metadata=md)
    schedule = common_pb2.Command(
        command_type=common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(activity_id="1", activity_type=common_pb2.ActivityType(name="a")),
    )
    await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace="default", task_token=task.task_token, commands=[schedule]), metadata=md)
    activity = await stub.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(namespace="default", task_queue=TQ), metadata=md)
    history_before = await stub.GetWorkflowExecutionHistory(
        ws.GetWorkflowExecutionHistoryRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="tok")), metadata=md
    )
    forged = internal_pb2.TaskToken.FromString(activity.task_token)
    forged.attempt = 2  # altered
    unsigned = internal_pb2.TaskToken.FromString(activity.task_token)
    unsigned.ClearField("mac")  # made up from scratch
    for token in (forged, unsigned):
        await expect(
            grpc.StatusCode.INVALID_ARGUMENT,
            stub.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(namespace="default", task_token=token.SerializeToString()), metadata=md),
            "signature",
        )
    # the stale workflow task token (already completed) is NOT_FOUND
    await expect(grpc.StatusCode.NOT_FOUND, stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace="default", task_token=task.task_token), metadata=md))
    history_after = await stub.GetWorkflowExecutionHistory(
        ws.GetWorkflowExecutionHistoryRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="tok")), metadata=md
    )
    assert history_after == history_before  # no state change
    await stub.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(namespace="default", task_token=activity.task_token), metadata=md)
    await expect(grpc.StatusCode.NOT_FOUND, stub.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(namespace="default", task_token=activity.task_token), metadata=md))


async def test_frontend_over_tls(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    config = ClusterConfig.embedded(tmp_path / "data", tls_cert_file=str(cert), tls_key_file=str(key))
    process = await embedded(config).start()
    try:
        client = await Client.connect(process.frontend_address, tls_ca_file=str(cert))
        try:
            async with Worker(client, task_queue="tls", workflows=[Greeting], activities=[greet]):
                assert await client.execute_workflow(Greeting, "tls", task_queue="tls") == "hello tls"
        finally:
            await client.close()
        async with insecure_channel(process.frontend_address) as plain:
            with pytest.raises(grpc.aio.AioRpcError):
                await admin_service_pb2_grpc.AdminServiceStub(plain).ListNamespaces(adm.ListNamespacesRequest(), timeout=3)
    finally:
        await process.stop()
