"""Executor item failures beside history (what the web UI's failed-items view reads):
GetParallelFailures for List and Offset executors (latest failure per item, final or
recovered), its paging and bad input; pending activities report their last heartbeat; history
pages start at any event (first_event_id)."""
from __future__ import annotations

import asyncio

import grpc
import pytest

import worker_sdk as workflows
from protos import common_pb2, workflow_service_pb2 as ws
from worker_sdk import Worker

TQ = "item-failures"


@workflows.activity(retry_policy_max_attempts=2)
async def item_failures_process(n: int) -> int:
    if n % 10 == 4 and workflows.activity.info().attempt == 1:
        raise ValueError(f"first attempt of {n} fails")
    if n == 17:
        raise workflows.ApplicationError("17 never works", type="Seventeen", non_retryable=True)
    return n


@workflows.activity()
async def item_failures_fetch(params: workflows.GetItemFromIndexParams) -> int:
    return params.idx


@workflows.workflow.define(name="item_failures_list")
class ListWithFailures:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        results = await workflows.execute_activities_in_parallel(activity=item_failures_process, items=list(range(n)), max_concurrent_scheduled_tasks=1)
        return len(results)


@workflows.workflow.define(name="item_failures_offset")
class OffsetWithFailures:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        results = await workflows.execute_activities_in_parallel(
            activity=item_failures_process, get_item_from_index_activity=item_failures_fetch, n_items=n,
            max_concurrent_executions_per_worker=5, max_concurrent_scheduled_tasks=2,
        )
        return len(results)


@workflows.activity(heartbeat_timeout=30)
async def item_failures_beat(tag: str) -> str:
    workflows.activity.heartbeat({"step": 3, "tag": tag})
    await asyncio.sleep(60)
    return tag


@workflows.workflow.define(name="item_failures_beating")
class Beating:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        return await item_failures_beat("<tag>")


async def failures(client, workflow_id: str, **options) -> ws.GetParallelFailuresResponse:
    return await client.call("GetParallelFailures", ws.GetParallelFailuresRequest(namespace="default", workflow_id=workflow_id, **options))


@pytest.mark.backends("sqlite", "postgres")
async def test_list_items_keep_their_latest_failure(client):
    async with Worker(client, task_queue=TQ, workflows=[ListWithFailures], activities=[item_failures_process]):
        handle = await client.start_workflow(ListWithFailures, 20, id="list-failures", task_queue=TQ)
        with pytest.raises(workflows.WorkflowFailureError):
            await handle.result(timeout=60)
    page = await failures(client, "list-failures")
    by_index = {f.index: f for f in page.failures}
    assert set(by_index) >= {4, 17}
    assert by_index[4].recovered and not by_index[4].final and by_index[4].attempt == 1
    assert by_index[4].failure.message == "first attempt of 4 fails" and by_index[4].activity_type == "item_failures_process"
    assert by_index[17].final and not by_index[17].recovered and by_index[17].failure.type == "Seventeen"
    assert page.total == len(page.failures) and not page.next_page_token
    first = await failures(client, "list-failures", page_size=1)
    second = await failures(client, "list-failures", page_size=1, next_page_token=first.next_page_token)
    assert [f.index for f in [*first.failures, *second.failures]] == sorted(by_index)[:2] and first.total == page.total
    executor = page.failures[0].executor_id
    assert (await failures(client, "list-failures", executor_id=executor)).total == page.total
    assert (await failures(client, "list-failures", executor_id=executor + "x")).total == 0


@pytest.mark.backends("sqlite", "postgres")
async def test_offset_items_report_their_failures(client):
    async with Worker(client, task_queue=TQ, workflows=[OffsetWithFailures], activities=[item_failures_process, item_failures_fetch]):
        handle = await client.start_workflow(OffsetWithFailures, 16, id="offset-failures", task_queue=TQ)
        assert await handle.result(timeout=60) == 16
    page = await failures(client, "offset-failures")
    assert [(f.index, f.recovered, f.activity_type) for f in page.failures] == [(4, True, "item_failures_process"), (14, True, "item_failures_process")]
    assert page.failures[0].failure.message == "first attempt of 4 fails"


async def test_bad_requests_name_the_field(client):
    for options, word in (({"page_size": 5000}, "page_size"), ({"next_page_token": b"junk"}, "next_page_token")):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await failures(client, "x", **options)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and word in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.call("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(
            namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="x"), first_event_id=-1))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "first_event_id" in err.value.details()
    bad = ws.PutParallelResultsRequest(namespace="default", workflow_id="x", executor_id="e", item_failures=[ws.ExecutorItemFailure(index=-2)])
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.call("PutParallelResults", bad)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "item_failures[0].index" in err.value.details()


async def test_pending_activities_show_their_heartbeat_and_history_pages_start_anywhere(client):
    async with Worker(client, task_queue=TQ, workflows=[Beating], activities=[item_failures_beat]):
        handle = await client.start_workflow(Beating, id="beating", task_queue=TQ)
        for _ in range(100):
            described = await handle.describe()
            if described.pending_activities and described.pending_activities[0].HasField("last_heartbeat_time"):
                break
            await asyncio.sleep(0.1)
        [pending] = described.pending_activities
        assert pending.heartbeat_details.data == b'{"step":3,"tag":"<tag>"}' and pending.started
        assert pending.scheduled_time.ToNanoseconds() <= pending.started_time.ToNanoseconds() <= pending.last_heartbeat_time.ToNanoseconds()
        page = await client.call("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(
            namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="beating"), first_event_id=3, maximum_page_size=2))
        assert [e.event_id for e in page.history.events] == [3, 4]
        await handle.terminate("done")
