"""worker_sdk.Client sends a call again when the server dropped it as CANCELLED (gRPC's
overload protection, a stopping server), as it does for UNAVAILABLE: a real gRPC server that
drops the first calls it gets, in front of a real embedded cluster."""
from __future__ import annotations

import asyncio

import grpc

from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import workflow_service_pb2_grpc
from worker_sdk import Client


class _DropsTheFirstCalls(workflow_service_pb2_grpc.WorkflowServiceServicer):
    """Answers CANCELLED to the first `drops` StartWorkflowExecution calls, then forwards them."""

    def __init__(self, upstream: Client, drops: int):
        self.upstream = upstream
        self.drops = drops
        self.calls = 0

    async def StartWorkflowExecution(self, request, context):
        self.calls += 1
        if self.calls <= self.drops:
            await context.abort(grpc.StatusCode.CANCELLED, "CANCELLED")
        return await self.upstream.service.StartWorkflowExecution(request, metadata=self.upstream.metadata)


async def test_a_start_the_server_dropped_as_cancelled_is_sent_again_and_starts_once(tmp_path):
    cluster = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0)).start()
    upstream = await Client.connect(cluster.frontend_address)
    front = _DropsTheFirstCalls(upstream, drops=2)
    server = grpc.aio.server()
    workflow_service_pb2_grpc.add_WorkflowServiceServicer_to_server(front, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    client = await Client.connect(f"127.0.0.1:{port}")
    try:
        handle = await client.start_workflow("dropped_calls_workflow", 1, id="dropped-1", task_queue="dropped")
        assert front.calls == 3  # two dropped, the third went through
        described = await upstream.get_workflow_handle("dropped-1").describe()
        assert described.info.execution.run_id == handle.run_id
        # a call the client itself cancels is not sent again
        front.drops, front.calls = 10**6, 0
        call = asyncio.ensure_future(client.start_workflow("dropped_calls_workflow", 2, id="dropped-2", task_queue="dropped"))
        await asyncio.sleep(0.5)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        calls_at_cancel = front.calls
        await asyncio.sleep(1.0)
        assert front.calls == calls_at_cancel
    finally:
        await client.close()
        await server.stop(None)
        await upstream.close()
        await cluster.stop()
