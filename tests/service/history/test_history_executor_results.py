"""Executor results beside history (by index, idempotent) and the progress API,
through the real frontend and history."""
from __future__ import annotations

import json

import grpc
import pytest

from fanflow.channels import insecure_channel
from protos import common_pb2, workflow_service_pb2 as ws, workflow_service_pb2_grpc

NS = "default"
TQ = common_pb2.TaskQueue(name="store-tq")


def payload(value) -> common_pb2.Payload:
    return common_pb2.Payload(data=json.dumps(value).encode(), encoding="json/plain")


def marker(name: str, details) -> common_pb2.Command:
    return common_pb2.Command(command_type=common_pb2.COMMAND_TYPE_RECORD_MARKER, record_marker=common_pb2.RecordMarkerCommandAttributes(marker_name=name, details=payload(details)))


async def test_results_store_and_progress(embedded_cluster):
    async with insecure_channel(embedded_cluster.frontend_address) as channel:
        stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
        run = await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(namespace=NS, workflow_id="p", workflow_type=common_pb2.WorkflowType(name="P"), task_queue=TQ))
        executor_id = f"{run.run_id}/1"
        task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ))
        await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, commands=[
            marker("fanflow.executor", {"executor_id": executor_id, "total": 10, "pattern": "list"}),
            marker("fanflow.event", {"name": "batch-started", "details": {"batch": 1}}),
        ]))
        put = ws.PutParallelResultsRequest(namespace=NS, workflow_id="p", executor_id=executor_id, failed_attempts=2,
                                           results=[ws.IndexedPayload(index=i, payload=payload(i * 10)) for i in range(5)])
        assert (await stub.PutParallelResults(put)).stored == 5
        # a retried write of the same indexes replaces, never duplicates
        await stub.PutParallelResults(ws.PutParallelResultsRequest(namespace=NS, workflow_id="p", executor_id=executor_id,
                                                                   results=[ws.IndexedPayload(index=i, payload=payload(i * 10)) for i in (2, 3, 4, 5)]))
        page = await stub.GetParallelResults(ws.GetParallelResultsRequest(namespace=NS, workflow_id="p", executor_id=executor_id, start_index=1, limit=3))
        assert [(r.index, json.loads(r.payload.data)) for r in page.results] == [(1, 10), (2, 20), (3, 30)]
        progress = await stub.GetWorkflowProgress(ws.GetWorkflowProgressRequest(namespace=NS, workflow_id="p"))
        assert progress.runs == 1 and progress.current_run_id == run.run_id
        (executor,) = progress.executors
        assert (executor.executor_id, executor.pattern, executor.total, executor.done, executor.failed) == (executor_id, "list", 10, 6, 2)
        assert executor.items_per_second > 0 and executor.eta_seconds > 0
        (event,) = progress.events
        assert event.name == "batch-started" and json.loads(event.details.data) == {"batch": 1}
        # bad input is refused clearly
        for bad, word in [
            (ws.PutParallelResultsRequest(namespace=NS, workflow_id="p", executor_id=""), "executor_id"),
            (ws.PutParallelResultsRequest(namespace=NS, workflow_id="p", executor_id="e", results=[ws.IndexedPayload(index=-1)]), "index"),
            (ws.PutParallelResultsRequest(namespace=NS, workflow_id="p", executor_id="e", results=[ws.IndexedPayload(index=0, payload=common_pb2.Payload(data=b"x" * (2 << 20)))]), "2,097,152"),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.PutParallelResults(bad)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and word in err.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetWorkflowProgress(ws.GetWorkflowProgressRequest(namespace=NS, workflow_id="nobody"))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


import subprocess  # noqa: E402
import sys  # noqa: E402

import worker_sdk as workflows  # noqa: E402
from conftest import ROOT  # noqa: E402
from worker_sdk import Worker  # noqa: E402


@workflows.activity()
async def store_noop(x: int) -> int:
    return x


@workflows.workflow.define(name="store_events")
class WithEvents:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        workflows.record_event("phase", {"name": "start", "n": n})
        total = sum(await __import__("asyncio").gather(*[store_noop(i) for i in range(n)]))
        workflows.record_event("phase", {"name": "done", "total": total})
        return total


async def test_record_event_and_progress_command(embedded_cluster, client):
    async with Worker(client, task_queue="store-events", workflows=[WithEvents], activities=[store_noop]):
        handle = await client.start_workflow(WithEvents, 5, id="with-events", task_queue="store-events")
        assert await handle.result(timeout=30) == 10
    progress = await handle.progress()
    assert [json.loads(e.details.data) for e in progress.events] == [{"name": "done", "total": 10}, {"name": "start", "n": 5}]
    # the cluster lives in this event loop: run the command without blocking it
    proc = await __import__("asyncio").create_subprocess_exec(
        sys.executable, "-m", "fanflow.cli", "workflow", "progress", "with-events", "--once", "--address", embedded_cluster.frontend_address,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    stdout, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    assert "completed" in stdout.decode() and '"total": 10' in stdout.decode()


async def test_results_as_one_json_array(embedded_cluster):
    """GetParallelResults(as_json_array): the page's JSON data in one array, cut out of the stored
    payloads; it stops before a missing index or a payload that is not plain JSON (a blob
    reference, another encoding), and a page that starts with one comes as messages."""
    async with insecure_channel(embedded_cluster.frontend_address) as channel:
        stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
        big = "é" * 300  # a data length of two varint bytes
        stored = [payload(1), payload(None), common_pb2.Payload(encoding="json/plain"), payload(big), payload({"k": [1, 2]}),
                  common_pb2.Payload(data=b"\x00raw", encoding="binary/plain"), payload(7)]
        await stub.PutParallelResults(ws.PutParallelResultsRequest(namespace=NS, workflow_id="j", executor_id="e/0", results=[
            ws.IndexedPayload(index=i, payload=p) for i, p in enumerate(stored)] + [ws.IndexedPayload(index=9, payload=payload(9))]))

        async def page(start: int, limit: int = 100) -> ws.GetParallelResultsResponse:
            return await stub.GetParallelResults(ws.GetParallelResultsRequest(
                namespace=NS, workflow_id="j", executor_id="e/0", start_index=start, limit=limit, as_json_array=True))

        first = await page(0)
        assert first.json_count == 5 and not first.results
        assert json.loads(b"[" + first.json_array + b"]") == [1, None, None, big, {"k": [1, 2]}]
        assert (await page(1, limit=2)).json_count == 2
        binary = await page(5)  # not plain JSON: the messages
        assert binary.json_count == 0 and [r.index for r in binary.results] == [5, 6, 9]
        gap = await page(6)
        assert (gap.json_count, gap.json_array) == (1, b"7")  # stops before the missing 7
        assert (await page(9)).json_array == b"9"
        empty = await page(10)
        assert empty.json_count == 0 and not empty.results
