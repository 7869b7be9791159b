"""`asyncio.sleep`, `asyncio.wait_for` and `asyncio.timeout` in workflow code are durable
timers (StartTimer / TimerFired / CancelTimer), as on Temporal and the seed system: on a real
cluster, with the sticky cache and with full replay on every task, and across a worker restart."""
from __future__ import annotations

import asyncio

import pytest

import worker_sdk as workflows
from conftest import wait_for_event
from protos import common_pb2 as E
from worker_sdk import Worker

RELEASE: dict[str, asyncio.Event] = {}


@workflows.activity()
async def aslp_echo(text: str) -> str:
    return text


@workflows.activity(start_to_close_timeout=60, heartbeat_timeout=10)
async def aslp_hold(key: str) -> str:
    """Runs until the test releases it (heartbeating, so a cancel request reaches it)."""
    while not RELEASE.setdefault(key, asyncio.Event()).is_set():
        workflows.activity_heartbeat(key)
        await asyncio.sleep(0.05)
    return key


@workflows.workflow.define(name="aslp_sleep_then_act")
class SleepThenAct:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float) -> dict:
        before = workflows.workflow.now()
        await asyncio.sleep(seconds)
        after = workflows.workflow.now()
        return {"slept": (after - before).total_seconds(), "echo": await aslp_echo("awake")}


@workflows.workflow.define(name="aslp_timeouts")
class Timeouts:
    @workflows.workflow.entrypoint
    async def run(self, key: str) -> list[str]:
        out = []
        # 1. the awaited activity outlives the timeout: TimeoutError, the activity is cancelled
        try:
            await asyncio.wait_for(aslp_hold(f"{key}-slow"), timeout=0.5)
            out.append("no timeout")
        except asyncio.TimeoutError:
            out.append("wait_for timed out")
        # 2. the activity finishes first: its result, and the timer is cancelled
        out.append(await asyncio.wait_for(aslp_echo("fast"), timeout=60))
        # 3. asyncio.timeout() around a wait that never ends
        try:
            async with asyncio.timeout(0.5):
                await workflows.workflow.wait_condition(lambda: False)
        except TimeoutError:
            out.append("timeout() fired")
        # 4. asyncio.wait with a timeout: the timer fires first, the activity is still pending
        pending_hold = asyncio.ensure_future(aslp_hold(f"{key}-wait"))
        done, pending = await asyncio.wait([pending_hold], timeout=0.3)
        out.append(f"wait: {len(done)} done, {len(pending)} pending")
        pending_hold.cancel()
        return out


@workflows.workflow.define(name="aslp_same_task_cancel")
class SameTaskCancel:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        async def local_sum() -> int:
            await asyncio.sleep(0)  # yields, no timer
            return sum(range(n))

        # The timer of wait_for is started and cancelled in the same workflow task: it never
        # reaches history.
        return await asyncio.wait_for(local_sum(), timeout=60)


def _types(events) -> list[int]:
    return [e.event_type for e in events]


@pytest.mark.parametrize("cached", [True, False], ids=["sticky-cache", "full-replay"])
async def test_asyncio_sleep_is_a_durable_timer(client, cached):
    queue = f"aslp-sleep-{cached}"
    async with Worker(client, task_queue=queue, workflows=[SleepThenAct], activities=[aslp_echo], max_cached_workflows=1000 if cached else 0):
        handle = await client.start_workflow(SleepThenAct, 1.0, task_queue=queue)
        result = await handle.result(timeout=30)
    assert result["echo"] == "awake" and result["slept"] >= 1.0
    events = await handle.history()
    types = _types(events)
    assert types.count(E.EVENT_TYPE_TIMER_STARTED) == 1 and types.count(E.EVENT_TYPE_TIMER_FIRED) == 1
    started = next(e.timer_started for e in events if e.event_type == E.EVENT_TYPE_TIMER_STARTED)
    assert started.timer_id == "1" and started.start_to_fire_timeout.seconds == 1
    assert E.EVENT_TYPE_WORKFLOW_TASK_FAILED not in types  # replay produced the same commands


@pytest.mark.parametrize("cached", [True, False], ids=["sticky-cache", "full-replay"])
async def test_wait_for_timeout_and_wait_use_durable_timers(client, cached):
    queue = f"aslp-timeouts-{cached}"
    key = f"k{cached}"
    try:
        async with Worker(client, task_queue=queue, workflows=[Timeouts], activities=[aslp_echo, aslp_hold], max_cached_workflows=1000 if cached else 0):
            handle = await client.start_workflow(Timeouts, key, task_queue=queue)
            result = await handle.result(timeout=60)
    finally:
        for k in (f"{key}-slow", f"{key}-wait"):
            RELEASE.setdefault(k, asyncio.Event()).set()
    assert result == ["wait_for timed out", "fast", "timeout() fired", "wait: 0 done, 1 pending"]
    events = await handle.history()
    types = _types(events)
    assert E.EVENT_TYPE_WORKFLOW_TASK_FAILED not in types
    # wait_for #1, wait_for #2 (cancelled), timeout(), asyncio.wait: four timers, three fired
    assert types.count(E.EVENT_TYPE_TIMER_STARTED) == 4
    assert types.count(E.EVENT_TYPE_TIMER_FIRED) == 3
    assert types.count(E.EVENT_TYPE_TIMER_CANCELED) == 1
    # the timed-out activities were asked to cancel (TRY_CANCEL)
    assert types.count(E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) == 2


@pytest.mark.parametrize("cached", [True, False], ids=["sticky-cache", "full-replay"])
async def test_timer_cancelled_in_the_same_task_never_reaches_history(client, cached):
    queue = f"aslp-same-{cached}"
    async with Worker(client, task_queue=queue, workflows=[SameTaskCancel], max_cached_workflows=1000 if cached else 0):
        handle = await client.start_workflow(SameTaskCancel, 10, task_queue=queue)
        assert await handle.result(timeout=30) == 45
    types = _types(await handle.history())
    assert E.EVENT_TYPE_TIMER_STARTED not in types and E.EVENT_TYPE_TIMER_CANCELED not in types


async def test_asyncio_sleep_survives_a_worker_restart(client):
    """The timer is history's: the worker that started it goes away, another one finishes."""
    queue = "aslp-restart"
    first = await Worker(client, task_queue=queue, workflows=[SleepThenAct], activities=[aslp_echo]).start()
    handle = await client.start_workflow(SleepThenAct, 2.0, task_queue=queue)
    await wait_for_event(handle, E.EVENT_TYPE_TIMER_STARTED)
    await first.shutdown()
    async with Worker(client, task_queue=queue, workflows=[SleepThenAct], activities=[aslp_echo], sticky_schedule_to_start_timeout=0.5):
        result = await handle.result(timeout=60)
    assert result["echo"] == "awake" and result["slept"] >= 2.0
    types = _types(await handle.history())
    assert types.count(E.EVENT_TYPE_TIMER_FIRED) == 1
