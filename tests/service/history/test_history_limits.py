"""History's limits at their real defaults (Temporal's), on a real cluster."""
from __future__ import annotations

import asyncio

import grpc
import pytest

import worker_sdk as workflows
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from worker_sdk import Worker, WorkflowFailureError
from worker_sdk.exceptions import WorkflowAlreadyStartedError, WorkflowNotFoundError


@workflows.activity()
async def echo(x: int) -> int:
    return x


@workflows.workflow.define(name="limits_markers")
class Markers:
    """Writes `n` events in one workflow task, then asks whether to continue as new."""

    @workflows.workflow.entrypoint
    async def run(self, n: int) -> bool:
        for i in range(n):
            workflows.workflow.record_marker("step", i)
        await echo(1)
        return workflows.workflow.info().is_continue_as_new_suggested()


async def test_continue_as_new_is_suggested_at_4096_events(client):
    async with Worker(client, task_queue="limits-can", workflows=[Markers], activities=[echo]):
        assert await client.execute_workflow(Markers, 100, task_queue="limits-can") is False
        assert await client.execute_workflow(Markers, 4200, task_queue="limits-can") is True


async def test_run_that_never_continues_as_new_is_failed_at_51200_events(client):
    async with Worker(client, task_queue="limits-count", workflows=[Markers], activities=[echo]):
        handle = await client.start_workflow(Markers, 52_000, task_queue="limits-count")
        with pytest.raises(WorkflowFailureError) as err:
            await handle.result(timeout=120)
    message = str(err.value)
    assert "51200" in message and "continue-as-new" in message, message
    events = await handle.history()
    assert events[-1].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    assert events[-1].workflow_execution_failed.failure.type == "HistoryLimitExceeded"
    assert len(events) >= 51_200


@workflows.workflow.define(name="limits_too_many")
class TooManyActivities:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        return sum(await asyncio.gather(*[echo(i) for i in range(n)]))


@pytest.mark.backends("sqlite", "postgres")
async def test_more_than_2000_pending_activities_fails_the_workflow_task(client):
    async with Worker(client, task_queue="limits-pending", workflows=[TooManyActivities], activities=[echo]):
        handle = await client.start_workflow(TooManyActivities, 2001, task_queue="limits-pending")
        failed = []
        for _ in range(200):
            failed = [e for e in await handle.history() if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            if failed:
                break
            await asyncio.sleep(0.05)
        assert failed, "expected a workflow task failure"
        attrs = failed[0].workflow_task_failed
        assert attrs.cause == E.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED
        assert "2001" in attrs.failure.message and "2000" in attrs.failure.message
        events = await handle.history()
        assert not [e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED], "nothing was scheduled"
        await handle.terminate("test done")
        # 2,000 is fine
        assert await client.execute_workflow(TooManyActivities, 2000, task_queue="limits-pending") == sum(range(2000))


@workflows.activity()
async def huge_result(n: int) -> str:
    return "x" * n


@workflows.workflow.define(name="limits_huge")
class Huge:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> str:
        try:
            return await huge_result(n)
        except workflows.ActivityError as exc:
            return f"failed: {exc}"


async def test_payload_limits(client):
    # workflow input over 2 MiB: refused before anything is stored
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.start_workflow(Huge, "y" * (2 * 1024 * 1024 + 10), task_queue="limits-huge")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "2097152" in err.value.details() or "2 MiB" in err.value.details(), err.value.details()
    # an activity result over 2 MiB becomes a clear, non-retried activity failure
    async with Worker(client, task_queue="limits-huge", workflows=[Huge], activities=[huge_result]):
        result = await client.execute_workflow(Huge, 3 * 1024 * 1024, task_queue="limits-huge")
        assert result.startswith("failed:") and "limit" in result, result
        assert await client.execute_workflow(Huge, 10, task_queue="limits-huge") == "x" * 10


@pytest.mark.backends("sqlite", "postgres")
async def test_ids_namespaces_and_reuse_policy(client):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.start_workflow("anything", id="x" * 1001, task_queue="q")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "1,000" in err.value.details()
    with pytest.raises(WorkflowNotFoundError):
        await client.get_workflow_handle("no-such-workflow").result(timeout=1)
    other = type(client)(client.channel, namespace="no-such-namespace", retry_timeout=1)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await other.start_workflow("anything", task_queue="q")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and "no-such-namespace" in err.value.details()
    async with Worker(client, task_queue="limits-ids", workflows=[TooManyActivities], activities=[echo]):
        handle = await client.start_workflow(TooManyActivities, 3, id="fixed-id", task_queue="limits-ids")
        assert await handle.result(timeout=30) == 3
        # closed: a new run is allowed by default, refused with REJECT_DUPLICATE
        with pytest.raises(WorkflowAlreadyStartedError):
            await client.start_workflow(TooManyActivities, 3, id="fixed-id", task_queue="limits-ids", id_reuse_policy=ws.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
        again = await client.start_workflow(TooManyActivities, 4, id="fixed-id", task_queue="limits-ids")
        assert again.run_id != handle.run_id and await again.result(timeout=30) == 6


@workflows.activity()
async def limits_fetch(params: workflows.GetItemFromIndexParams) -> int:
    return params.idx


@workflows.activity()
async def limits_double(i: int) -> int:
    return 2 * i


@workflows.workflow.define(name="limits_offset_100k")
class Offset100k:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        results = await workflows.execute_activities_in_parallel(
            limits_double, get_item_from_index_activity=limits_fetch, n_items=n,
            max_concurrent_executions_per_worker=100, max_concurrent_scheduled_tasks=50,
        )
        return sum(results)


async def test_offset_executor_on_100000_items_stays_far_below_the_limit(client):
    """At the real defaults; the List executor's continue-as-new is covered at
    lowered thresholds in tests/service/worker_sdk/test_sdk_executors_scale.py."""
    async with Worker(client, task_queue="limits-100k", workflows=[Offset100k], activities=[limits_fetch, limits_double]):
        handle = await client.start_workflow(Offset100k, 100_000, task_queue="limits-100k")
        assert await handle.result(timeout=300) == 2 * sum(range(100_000))
    progress = await handle.progress()
    assert [(e.total, e.done) for e in progress.executors] == [(100_000, 100_000)]
    lengths = [run.history_length for run in await client.list_workflows() if run.execution.workflow_id == handle.workflow_id]
    assert lengths and max(lengths) < 51_200 // 4, lengths
