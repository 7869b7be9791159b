"""A workflow that stops waiting for an activity cancels it: not started yet, it is cancelled at
once; running, its worker learns it from the next heartbeat's reply, the activity's task is
cancelled and it reports ActivityTaskCanceled. Replays give the same commands."""
from __future__ import annotations

import asyncio

import pytest

import worker_sdk as workflows
from protos import common_pb2 as E
from conftest import wait_for_event
from worker_sdk import Worker

SEEN: list[str] = []


@workflows.activity(start_to_close_timeout=60, heartbeat_timeout=10)
async def long_running(tag: str) -> str:
    try:
        for i in range(400):
            workflows.activity.heartbeat(i)
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        SEEN.append(f"{tag}: cancelled")
        raise
    return "finished"


@workflows.activity(task_queue="cancel-nobody-polls")
async def never_started(tag: str) -> str:
    return tag


@workflows.workflow.define(name="cancel_running")
class CancelRunning:
    def __init__(self) -> None:
        self.may_close = False

    @workflows.workflow.signal
    def close(self) -> None:
        self.may_close = True

    @workflows.workflow.entrypoint
    async def run(self, tag: str) -> str:
        running = asyncio.ensure_future(long_running(tag))
        await workflows.workflow.sleep(1.0)
        running.cancel()
        try:
            await running
        except asyncio.CancelledError:
            # stay open until the test saw the worker's report land in this run
            await workflows.workflow.wait_condition(lambda: self.may_close)
            return "cancelled"
        return "not cancelled"


@workflows.workflow.define(name="cancel_unstarted")
class CancelUnstarted:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        waiting = asyncio.ensure_future(never_started("x"))
        await workflows.workflow.sleep(0.2)
        waiting.cancel()
        withdrawn = asyncio.ensure_future(never_started("y"))
        await asyncio.sleep(0)
        withdrawn.cancel()  # cancelled before its command left the worker: never scheduled
        for t in (waiting, withdrawn):
            try:
                await t
            except asyncio.CancelledError:
                pass
        return "done"


def _types(events):
    return [e.event_type for e in events]


@pytest.mark.parametrize("cached", [True, False], ids=["sticky-cache", "full-replay"])
async def test_a_running_activity_is_cancelled_through_its_heartbeat(client, cached):
    tag = f"running-{cached}"
    queue = f"cancel-{cached}"
    async with Worker(client, task_queue=queue, workflows=[CancelRunning], activities=[long_running], max_cached_workflows=1000 if cached else 0):
        handle = await client.start_workflow(CancelRunning, tag, task_queue=queue)
        await wait_for_event(handle, E.EVENT_TYPE_ACTIVITY_TASK_CANCELED)
        await handle.signal("close")
        assert await handle.result(timeout=30) == "cancelled"
        assert f"{tag}: cancelled" in SEEN, "the activity's task was cancelled (while the worker runs)"
    events = await handle.history()
    types = _types(events)
    assert types.index(E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) < types.index(E.EVENT_TYPE_ACTIVITY_TASK_CANCELED)
    canceled = next(e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_CANCELED).activity_task_canceled
    assert canceled.started_event_id and canceled.details.data, "reported by the worker, with its last heartbeat details"
    assert E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in types


async def test_an_activity_not_started_is_cancelled_at_once_and_an_unsent_one_is_withdrawn(client):
    async with Worker(client, task_queue="cancel-unstarted", workflows=[CancelUnstarted]):
        handle = await client.start_workflow(CancelUnstarted, task_queue="cancel-unstarted")
        assert await handle.result(timeout=30) == "done"
    events = await handle.history()
    scheduled = [e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert len(scheduled) == 1, "the second activity was withdrawn before it was sent"
    canceled = [e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_CANCELED]
    assert len(canceled) == 1 and canceled[0].activity_task_canceled.scheduled_event_id == scheduled[0].event_id
    assert canceled[0].activity_task_canceled.started_event_id == 0
    assert (await handle.describe()).pending_activities == []
