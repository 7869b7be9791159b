"""A client asks a workflow to cancel: the code gets CancelledError where it waits, the
activities it waited for are cancelled, and the run ends CANCELED unless the code handles it."""
from __future__ import annotations

import asyncio

import pytest

import worker_sdk as workflows
from protos import common_pb2 as E
from worker_sdk import Worker, WorkflowFailureError

CLEANED: list[str] = []


@workflows.activity(start_to_close_timeout=60, heartbeat_timeout=10)
async def slow_step(n: int) -> int:
    for i in range(600):
        workflows.activity.heartbeat(i)
        await asyncio.sleep(0.05)
    return n


@workflows.activity()
async def clean_up(what: str) -> str:
    CLEANED.append(what)
    return f"cleaned {what}"


@workflows.workflow.define(name="cancel_me")
class CancelMe:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        return sum(await asyncio.gather(*[slow_step(i) for i in range(n)]))


@workflows.workflow.define(name="cancel_me_gracefully")
class CancelMeGracefully:
    @workflows.workflow.entrypoint
    async def run(self, tag: str) -> str:
        try:
            await slow_step(1)
            return "finished"
        except asyncio.CancelledError:
            return await clean_up(tag)  # the code has the last word


@workflows.workflow.define(name="cancel_me_when_released")
class CancelMeWhenReleased:
    """Stays open after its cancellation until a signal releases it, so a test can cancel twice
    while the run is certainly still running."""

    def __init__(self) -> None:
        self.released = False

    @workflows.workflow.signal
    def release(self) -> None:
        self.released = True

    @workflows.workflow.entrypoint
    async def run(self) -> str:
        try:
            await workflows.workflow.wait_condition(lambda: False)
            return "never"
        except asyncio.CancelledError:
            await workflows.workflow.wait_condition(lambda: self.released)
            return "released"


@pytest.mark.parametrize("cached", [True, False], ids=["sticky-cache", "full-replay"])
async def test_a_cancelled_workflow_ends_canceled_and_cancels_its_activities(client, cached):
    queue = f"wf-cancel-{cached}"
    async with Worker(client, task_queue=queue, workflows=[CancelMe], activities=[slow_step], max_cached_workflows=1000 if cached else 0):
        handle = await client.start_workflow(CancelMe, 3, task_queue=queue)
        for _ in range(100):
            if len((await handle.describe()).pending_activities) == 3:
                break
            await asyncio.sleep(0.05)
        await handle.cancel("no longer needed")
        with pytest.raises(WorkflowFailureError, match="cancel"):
            await handle.result(timeout=30)
    assert (await handle.describe()).info.status == E.WORKFLOW_EXECUTION_STATUS_CANCELED
    events = await handle.history()
    types = [e.event_type for e in events]
    assert types.count(E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED) == 1
    assert events[[e.event_type for e in events].index(E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)].workflow_execution_cancel_requested.reason == "no longer needed"
    assert types.count(E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) == 3
    assert types[-1] == E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED


async def test_a_workflow_may_handle_its_cancellation(client):
    async with Worker(client, task_queue="wf-cancel-graceful", workflows=[CancelMeGracefully], activities=[slow_step, clean_up]):
        handle = await client.start_workflow(CancelMeGracefully, "tmp files", task_queue="wf-cancel-graceful")
        for _ in range(100):
            if (await handle.describe()).pending_activities:
                break
            await asyncio.sleep(0.05)
        await handle.cancel()
        assert await handle.result(timeout=30) == "cleaned tmp files"
    assert CLEANED == ["tmp files"]
    assert (await handle.describe()).info.status == E.WORKFLOW_EXECUTION_STATUS_COMPLETED


async def test_cancel_is_idempotent_while_the_run_is_open(client):
    async with Worker(client, task_queue="wf-cancel-twice", workflows=[CancelMeWhenReleased]):
        handle = await client.start_workflow(CancelMeWhenReleased, task_queue="wf-cancel-twice")
        await handle.cancel("first")
        await handle.cancel("second")  # the run is held open by the workflow: this must be OK
        await handle.signal("release")
        assert await handle.result(timeout=30) == "released"
    events = await handle.history()
    requested = [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED]
    assert [e.workflow_execution_cancel_requested.reason for e in requested] == ["first"]


async def test_cancelling_a_closed_workflow_is_not_found(client):
    async with Worker(client, task_queue="wf-cancel-closed", workflows=[CancelMeGracefully], activities=[slow_step, clean_up]):
        handle = await client.start_workflow(CancelMeGracefully, "x", task_queue="wf-cancel-closed")
        await handle.terminate("done with it")
    import grpc

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await handle.cancel()
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and "closed" in err.value.details()
