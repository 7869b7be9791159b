"""Per-namespace rate limits on the frontend: a runaway client of one namespace is refused
with RESOURCE_EXHAUSTED (and told when to retry) before it reaches history or matching;
other namespaces are not affected; the SDK waits and retries, so work still completes. (The
limiter alone: tests/unit/frontend/test_frontend_ratelimit.py.)"""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest

import worker_sdk as workflows
from fanflow.tokenbucket import RETRY_AFTER_METADATA
from protos import admin_service_pb2 as adm
from protos import admin_service_pb2_grpc, workflow_service_pb2_grpc
from protos import common_pb2 as C
from protos import workflow_service_pb2 as ws
from worker_sdk import Client, Worker


@workflows.activity()
async def rl_echo(x: int) -> int:
    return x


@workflows.workflow.define(name="rl_fan_out")
class FanOut:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        return sum(await asyncio.gather(*[rl_echo(i) for i in range(n)]))


@pytest.fixture
async def limited_cluster(tmp_path, monkeypatch):
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig

    monkeypatch.setenv("FANFLOW_FRONTEND_NAMESPACE_RPS", "20")
    monkeypatch.setenv("FANFLOW_FRONTEND_NAMESPACE_BURST", "20")
    process = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0)).start()
    yield process
    await process.stop()


async def test_a_runaway_namespace_is_refused_others_are_served_and_the_sdk_waits(limited_cluster):
    channel = grpc.aio.insecure_channel(limited_cluster.frontend_address)
    service = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    admin = admin_service_pb2_grpc.AdminServiceStub(channel)
    try:
        await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="quiet"))
        describe = ws.DescribeWorkflowExecutionRequest(namespace="default", execution=C.WorkflowExecution(workflow_id="nobody"))
        codes, trailers, details = [], [], []
        began = time.monotonic()
        for _ in range(60):  # a tight loop, far over 20/s
            try:
                await service.DescribeWorkflowExecution(describe)
            except grpc.aio.AioRpcError as exc:
                codes.append(exc.code())
                trailers.append(dict(exc.trailing_metadata() or ()))
                details.append(exc.details())
        elapsed = time.monotonic() - began
        refused = [i for i, code in enumerate(codes) if code == grpc.StatusCode.RESOURCE_EXHAUSTED]
        admitted_at_most = 20 + 20 * elapsed + 1  # the burst, plus what the rate refilled meanwhile
        assert len(refused) >= 60 - admitted_at_most and refused, (len(refused), elapsed)
        assert set(codes) == {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert all(float(trailers[i][RETRY_AFTER_METADATA]) > 0 for i in refused)
        assert "'default' is over this frontend's limit of 20 requests/s" in details[refused[0]]
        # Another namespace has its own budget; admin calls are not limited.
        other = ws.DescribeWorkflowExecutionRequest(namespace="quiet", execution=C.WorkflowExecution(workflow_id="nobody"))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await service.DescribeWorkflowExecution(other)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        for _ in range(5):
            await admin.ListNamespaces(adm.ListNamespacesRequest())
    finally:
        await channel.close()

    # The SDK waits as told and retries: a 40-activity fan-out completes at about 20 calls/s.
    client = await Client.connect(limited_cluster.frontend_address)
    try:
        async with Worker(client, task_queue="rl", workflows=[FanOut], activities=[rl_echo], max_concurrent_activities=10):
            handle = await client.start_workflow(FanOut, 40, task_queue="rl")
            assert await handle.result(timeout=60) == sum(range(40))
    finally:
        await client.close()
    assert limited_cluster.frontend.workflow_service.rate_limiter.refused >= len(refused)
