"""One history shard on a real store (a SQLite file, and a PostgreSQL database: each test runs
on both), with a real matching service in the same process
for its outbox: the one update path, the run cache (eviction and reload), and durable timers
that fire exactly once, also across a restart."""
from __future__ import annotations

import asyncio
import time

import pytest

from fanflow import local_rpc
from fanflow.clients import HistoryClient, MatchingClient
from fanflow.config import ClusterConfig
from fanflow.errors import ShardOwnershipLost
from history import shard as shard_module
from history.api import respond, start, task_started
from history.limits import Limits
from support.store_backends import history_backend  # noqa: F401  (fixture: each test on SQLite and on PostgreSQL)
from history.shard import Shard
from history.timer_queue import FIRED
from matching.service import MatchingServicer
from protos import common_pb2 as C
from protos import internal_pb2, persistence_pb2
from protos import workflow_service_pb2 as ws

NS = "default"
MATCHING_ADDRESS = "in-process-matching-for-shard-tests:1"  # reached through fanflow.local_rpc only


class Harness:
    def __init__(self, tmp_path, backend):
        self.backend = backend  # the shard's store: a SQLite file or a PostgreSQL database (support/store_backends.py)
        self.config = ClusterConfig.embedded(tmp_path / "data", history_shard_count=1)
        self.config.matching_hosts[0].address = MATCHING_ADDRESS
        self.history_client = HistoryClient(self.config)
        self.matching = MatchingServicer(self.config, "matching-0", self.history_client)
        self.matching_client = MatchingClient(self.config)
        self.shards: list[Shard] = []

    async def start(self) -> "Harness":
        local_rpc.register(MATCHING_ADDRESS, self.matching)
        await self.matching.start()
        return self

    async def shard(self, owner: str = "history-a") -> Shard:
        shard = Shard(0, self.backend.store(0, owner), self.matching_client, Limits())
        await shard.start()
        self.shards.append(shard)
        return shard

    async def stop(self) -> None:
        for shard in self.shards:
            await shard.stop()
        await self.matching.stop()
        local_rpc.unregister(MATCHING_ADDRESS)
        await self.matching_client.close()
        await self.history_client.close()


@pytest.fixture
async def harness(tmp_path, history_backend):
    h = await Harness(tmp_path, history_backend).start()
    yield h
    await h.stop()


async def start_workflow(shard: Shard, workflow_id: str) -> tuple[str, str, str]:
    request = ws.StartWorkflowExecutionRequest(
        namespace=NS, workflow_id=workflow_id, workflow_type=C.WorkflowType(name="T"), task_queue=C.TaskQueue(name="q"), request_id=workflow_id
    )
    return (NS, workflow_id, await start.start_workflow(shard, request))


async def run_workflow_task(shard: Shard, key, commands: list[C.Command]) -> ws.RespondWorkflowTaskCompletedResponse:
    """Start the run's pending workflow task (as matching would) and complete it with `commands`."""
    run = await shard.require(key)
    task = internal_pb2.TaskInfo(
        namespace=NS, workflow_id=key[1], run_id=key[2], scheduled_event_id=run.state.workflow_task.scheduled_event_id,
        shard_id=0, task_type=C.TASK_TYPE_WORKFLOW,
    )
    polled = await task_started.record_workflow_task_started(shard, task, "worker-1", 0)
    token = internal_pb2.TaskToken.FromString(polled.task_token)
    return await respond.complete_workflow_task(shard, token, ws.RespondWorkflowTaskCompletedRequest(commands=commands, identity="worker-1"))


def schedule_activity(activity_id: str, data: bytes) -> C.Command:
    return C.Command(
        command_type=C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task=C.ScheduleActivityTaskCommandAttributes(
            activity_id=activity_id, activity_type=C.ActivityType(name="act"), input=C.Payload(data=data)
        ),
    )


def start_timer(timer_id: str, seconds: float) -> C.Command:
    timeout = C.Command(command_type=C.COMMAND_TYPE_START_TIMER, start_timer=C.StartTimerCommandAttributes(timer_id=timer_id))
    timeout.start_timer.start_to_fire_timeout.FromNanoseconds(int(seconds * 1e9))
    return timeout


async def event_types(shard: Shard, key) -> list[int]:
    return [e.event_type for e in await shard.store.read_events(key, 1)]


async def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


# ------------------------------------------------------------ the update path
async def test_an_update_is_committed_before_it_is_cached_and_a_failed_one_changes_nothing(harness):
    shard = await harness.shard()
    key = await start_workflow(shard, "wf-update")
    execution = C.WorkflowExecution(workflow_id=key[1])  # no run id: the current run

    await shard.update(NS, execution, lambda run, now: run.signal("go", C.Payload(data=b"1"), "client", now))
    stored = await shard.store.load_run(key)
    assert stored.state == (await shard.load(key)).state  # the cache holds exactly what was committed
    assert C.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in await event_types(shard, key)
    events_before = await shard.store.read_events(key, 1)

    def half_done(run, now):
        run.signal("half", C.Payload(data=b"2"), "client", now)  # changes memory, then fails
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await shard.update(NS, execution, half_done)
    assert await shard.store.read_events(key, 1) == events_before  # nothing written
    assert (await shard.load(key)).state == stored.state  # the half-changed state was dropped and reloaded

    # The shard is taken over: the commit fails, nothing is cached from it, the shard knows it lost.
    thief = harness.backend.store(0, "history-b")
    await thief.open()
    try:
        with pytest.raises(ShardOwnershipLost):
            await shard.update(NS, execution, lambda run, now: run.signal("late", C.Payload(), "client", now))
        assert shard.lost
        assert await thief.read_events(key, 1) == events_before
        assert (await shard.load(key)).state == stored.state
    finally:
        await thief.close()


# ------------------------------------------------------------ the run cache
async def test_an_evicted_run_reloads_with_its_pending_activities_and_their_input(harness, monkeypatch):
    monkeypatch.setattr(shard_module, "CACHE_RUNS", 2)
    shard = await harness.shard()
    key = await start_workflow(shard, "wf-evicted")
    await run_workflow_task(shard, key, [schedule_activity("a1", b"input-of-a1")])
    in_memory = await shard.load(key)
    scheduled_id = next(iter(in_memory.activities))
    state_before = persistence_pb2.ExecutionState()
    state_before.CopyFrom(in_memory.state)

    await start_workflow(shard, "wf-other-1")
    await start_workflow(shard, "wf-other-2")  # the cache holds two runs: wf-evicted goes
    assert key not in shard._runs

    reloaded = await shard.load(key)
    assert reloaded is not in_memory and reloaded.state == state_before
    assert list(reloaded.activities) == [scheduled_id]
    assert reloaded.scheduled[scheduled_id].input.data == b"input-of-a1"  # loaded with the activities

    task = internal_pb2.TaskInfo(namespace=NS, workflow_id=key[1], run_id=key[2], scheduled_event_id=scheduled_id, attempt=1,
                                 shard_id=0, task_type=C.TASK_TYPE_ACTIVITY)
    polled = await task_started.record_activity_task_started(shard, task, "worker-2", 1)
    assert polled.input.data == b"input-of-a1" and polled.activity_id == "a1"


# ------------------------------------------------------------ timers
async def _user_timer(shard: Shard, key) -> tuple[int, persistence_pb2.TimerTask]:
    for timer_id, task in await shard.store.due_timers(time.time_ns() + 3_600 * 10**9, 100):
        if task.kind == persistence_pb2.TIMER_TASK_KIND_USER_TIMER and task.workflow_id == key[1]:
            return timer_id, task
    raise AssertionError("no user timer stored")


async def test_a_due_timer_fires_exactly_once_even_when_fired_concurrently(harness):
    shard = await harness.shard()
    key = await start_workflow(shard, "wf-timer")
    await run_workflow_task(shard, key, [start_timer("t1", 0.3)])
    timer_id, task = await _user_timer(shard, key)
    await asyncio.sleep(0.3)
    # The loop may fire it meanwhile too: three tries, one firing.
    outcomes = await asyncio.gather(shard.timers.fire(timer_id, task), shard.timers.fire(timer_id, task))

    async def fired() -> bool:
        return C.EVENT_TYPE_TIMER_FIRED in await event_types(shard, key)

    await wait_for(fired)
    await asyncio.sleep(0.3)  # a second firing would have landed by now
    assert (await event_types(shard, key)).count(C.EVENT_TYPE_TIMER_FIRED) == 1
    assert outcomes.count(FIRED) <= 1
    assert "t1" not in (await shard.load(key)).state.timers
    assert timer_id not in [t.id for t in await shard.store.due_timers(time.time_ns() + 3_600 * 10**9, 100)]


async def test_a_timer_due_while_its_shard_was_down_fires_once_after_the_restart(harness):
    first = await harness.shard("history-a")
    key = await start_workflow(first, "wf-restart")
    await run_workflow_task(first, key, [start_timer("t1", 0.5)])
    await first.stop()
    harness.shards.remove(first)
    await asyncio.sleep(0.6)  # due while nobody owns the shard

    second = await harness.shard("history-b")

    async def fired() -> bool:
        return C.EVENT_TYPE_TIMER_FIRED in await event_types(second, key)

    await wait_for(fired)
    await asyncio.sleep(0.3)
    assert (await event_types(second, key)).count(C.EVENT_TYPE_TIMER_FIRED) == 1
    stored = await second.store.load_run(key)
    assert "t1" not in stored.state.timers and stored.state.workflow_task.scheduled_event_id  # a task to see it
