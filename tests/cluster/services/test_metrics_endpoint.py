"""Prometheus metrics: a real `fanflow dev` process serves /metrics when metrics_address is
set; RPCs are counted by service, method and status code, and timed; the services' own
counters move with the work."""
from __future__ import annotations

import asyncio
import urllib.request

import grpc
import pytest

import worker_sdk as workflows
from conftest import free_port, wait_for_port
from worker_sdk import Client, Worker


@workflows.activity()
async def metered(x: int) -> int:
    return x + 1


@workflows.workflow.define(name="metrics_three")
class Three:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return list(await asyncio.gather(*[metered(i) for i in range(n)]))


def scrape(address: str) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


async def test_a_dev_cluster_serves_rpc_and_work_metrics(tmp_path, processes):
    port, metrics_port = free_port(), free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev",
                            env={"FANFLOW_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}"})
    wait_for_port(port, proc=dev)
    client = await Client.connect(f"127.0.0.1:{port}")
    try:
        async with Worker(client, task_queue="metrics", workflows=[Three], activities=[metered], disable_eager_activity_execution=True):
            handle = await client.start_workflow(Three, 3, task_queue="metrics")
            assert await handle.result(timeout=30) == [1, 2, 3]
        with pytest.raises(grpc.aio.AioRpcError):
            await client.get_workflow_handle("no-such-workflow").describe()
    finally:
        await client.close()
    samples = scrape(f"127.0.0.1:{metrics_port}")

    def value(name: str, **labels: str) -> float:
        """Sum of the series of `name` that carry these labels."""
        return sum(v for key, v in samples.items() if key.startswith(name + "{") and all(f'{k}="{lv}"' in key for k, lv in labels.items()))

    assert value("fanflow_rpc_requests_total", service="frontend", method="StartWorkflowExecution", code="OK") == 1
    assert value("fanflow_rpc_requests_total", service="frontend", method="DescribeWorkflowExecution", code="NOT_FOUND") == 1
    assert value("fanflow_rpc_requests_total", service="history", method="RecordActivityTaskStarted", code="OK") == 3
    assert value("fanflow_rpc_latency_seconds_count", service="frontend", method="RespondActivityTaskCompleted") == 3
    assert value("fanflow_history_tasks_dispatched_total") >= 4  # the first workflow task and the 3 activities
    assert value("fanflow_matching_tasks_started_total", task_type="activity") == 3


