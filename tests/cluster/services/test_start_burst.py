"""A burst of workflow starts larger than gRPC's default queue of calls waiting for a handler
(1,000: past it the server dropped calls at random as CANCELLED) all start, against a real
`fanflow dev` process. The calls go through the raw stub, so no client retry hides a drop."""
from __future__ import annotations

import asyncio
import collections

import grpc

from conftest import free_port, wait_for_port
from worker_sdk import Client

BURST = 3000


def test_a_burst_of_3000_starts_from_one_client_all_start(tmp_path, processes):
    port = free_port()
    processes.fanflow("dev", "--data-dir", str(tmp_path / "data"), "--port", str(port), name="dev")
    wait_for_port(port, timeout=60)

    async def burst() -> collections.Counter:
        client = await Client.connect(f"127.0.0.1:{port}")
        outcomes: collections.Counter = collections.Counter()

        async def one(i: int) -> None:
            request = client.start_workflow_request("burst_workflow", i, id=f"burst-{i}", task_queue="burst")
            try:
                await client.service.StartWorkflowExecution(request, metadata=client.metadata, timeout=120)
                outcomes["OK"] += 1
            except grpc.aio.AioRpcError as exc:
                outcomes[exc.code().name] += 1

        try:
            await asyncio.gather(*(one(i) for i in range(BURST)))
        finally:
            await client.close()
        return outcomes

    assert asyncio.run(burst()) == {"OK": BURST}
