"""Signals reach workflow code: `@workflow.signal` handlers (sync and async) run in history
order on every replay, and `workflow.wait_condition` wakes when a handler made it true."""
from __future__ import annotations

import asyncio

import pytest

import worker_sdk as workflows
from protos import common_pb2 as E
from worker_sdk import Worker, WorkflowFailureError


@workflows.activity()
async def shout(text: str) -> str:
    return text.upper()


@workflows.workflow.define(name="signals_approval")
class Approval:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.approved_by: str | None = None

    @workflows.workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflows.workflow.signal(name="add-loud")
    async def add_loud(self, item: str) -> None:
        self.items.append(await shout(item))  # an async handler may run activities

    @workflows.workflow.signal
    def approve(self, who: str) -> None:
        self.approved_by = who

    @workflows.workflow.entrypoint
    async def run(self, wanted: int) -> dict:
        await workflows.workflow.wait_condition(lambda: self.approved_by is not None and len(self.items) >= wanted)
        return {"items": self.items, "approved_by": self.approved_by}


@pytest.mark.parametrize("cached", [True, False], ids=["sticky-cache", "full-replay"])
async def test_signal_handlers_and_wait_condition(client, cached):
    queue = f"signals-{cached}"
    async with Worker(client, task_queue=queue, workflows=[Approval], activities=[shout], max_cached_workflows=1000 if cached else 0):
        handle = await client.start_workflow(Approval, 3, task_queue=queue)
        await handle.signal("add", "a")
        await handle.signal("approve", "ops")  # approved, but only 1 of 3 items: keeps waiting
        await asyncio.sleep(0.3)
        assert (await handle.describe()).info.status == E.WORKFLOW_EXECUTION_STATUS_RUNNING
        await handle.signal("add-loud", "b")
        await handle.signal("add", "c")
        result = await handle.result(timeout=30)
    # "B" comes from an activity the async handler awaited: "c" may land before it
    assert result["approved_by"] == "ops" and result["items"][0] == "a" and sorted(result["items"]) == ["B", "a", "c"]
    events = await handle.history()
    assert [e.workflow_execution_signaled.signal_name for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED] == ["add", "approve", "add-loud", "add"]


@workflows.workflow.define(name="signals_timeout")
class WaitWithTimeout:
    def __init__(self) -> None:
        self.go = False

    @workflows.workflow.signal
    def start(self) -> None:
        self.go = True

    @workflows.workflow.entrypoint
    async def run(self) -> str:
        try:
            await workflows.workflow.wait_condition(lambda: self.go, timeout=0.5)
        except asyncio.TimeoutError:
            return "timed out"
        return "signalled"


async def test_wait_condition_timeout_is_a_durable_timer(client):
    async with Worker(client, task_queue="signals-timeout", workflows=[WaitWithTimeout]):
        assert await client.execute_workflow(WaitWithTimeout, task_queue="signals-timeout") == "timed out"
        handle = await client.start_workflow(WaitWithTimeout, task_queue="signals-timeout")
        await handle.signal("start")
        assert await handle.result(timeout=30) == "signalled"
    events = await handle.history()
    types = [e.event_type for e in events]
    assert E.EVENT_TYPE_TIMER_STARTED in types and E.EVENT_TYPE_TIMER_FIRED not in types  # the timer was cancelled


@workflows.workflow.define(name="signals_failing")
class FailingHandler:
    @workflows.workflow.signal
    async def stop(self, reason: str) -> None:
        raise workflows.ApplicationError(f"stopped: {reason}", non_retryable=True)

    @workflows.workflow.entrypoint
    async def run(self) -> None:
        await workflows.workflow.wait_condition(lambda: False)


async def test_an_application_error_in_a_signal_handler_fails_the_workflow(client):
    async with Worker(client, task_queue="signals-fail", workflows=[FailingHandler]):
        handle = await client.start_workflow(FailingHandler, task_queue="signals-fail")
        await handle.signal("unknown-signal", 1)  # no handler: dropped, the run goes on
        await handle.signal("stop", "enough")
        with pytest.raises(WorkflowFailureError, match="stopped: enough"):
            await handle.result(timeout=30)


