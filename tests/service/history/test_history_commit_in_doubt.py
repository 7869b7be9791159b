"""A commit whose outcome this process got wrong must not lose work.

A database connection lost after COMMIT was sent leaves a commit that landed although the shard
was told it failed; a shard's cached run can then be behind its store. Two defences
(history/outbox_queue.py `in_doubt`, history/timer_queue.py `_behind`), each shown on a real
embedded cluster whose shard store is made to answer a real, landed write with the error a lost
connection gives (Unavailable), or whose cache is set back to a copy taken before a commit."""
from __future__ import annotations

import asyncio
import copy
import json

import grpc
import pytest

from fanflow.channels import insecure_channel
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from fanflow.errors import Unavailable
from fanflow.routing import shard_for
from protos import common_pb2, workflow_service_pb2 as ws, workflow_service_pb2_grpc
from support.stub_history import stub_history

NS = "default"
TQ = common_pb2.TaskQueue(name="in-doubt-tq")


@pytest.fixture
async def cluster(tmp_path):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0)
    process = await embedded(config).start()
    channel = insecure_channel(process.frontend_address)
    yield workflow_service_pb2_grpc.WorkflowServiceStub(channel), process
    await channel.close()
    await process.stop()


def _shard(process, workflow_id: str):
    shards = process.history.shards
    return shards[shard_for(NS, workflow_id, process.config.history_shard_count)]


async def _start_and_poll(stub, workflow_id: str) -> ws.PollWorkflowTaskQueueResponse:
    await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(
        namespace=NS, workflow_id=workflow_id, workflow_type=common_pb2.WorkflowType(name="InDoubt"), task_queue=TQ, request_id=workflow_id))
    task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
    assert task.task_token
    return task


async def test_tasks_of_a_commit_reported_failed_that_landed_are_delivered(cluster):
    stub, process = cluster
    task = await _start_and_poll(stub, "in-doubt-outbox")
    store = _shard(process, "in-doubt-outbox").store
    real_commit = store.commit

    async def commit_then_lose_the_answer(commit):
        await real_commit(commit)  # the write lands...
        store.commit = real_commit
        raise Unavailable("connection lost after COMMIT was sent")  # ...and the answer is lost

    store.commit = commit_then_lose_the_answer
    schedule = common_pb2.Command(
        command_type=common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(
            activity_id="a", activity_type=common_pb2.ActivityType(name="noop"),
            input=common_pb2.Payload(data=json.dumps(1).encode(), encoding="json/plain"), start_to_close_timeout={"seconds": 60}))
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(
            namespace=NS, task_token=task.task_token, commands=[schedule], identity="w"))
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE

    # The completion landed: the activity is scheduled, and its task reaches a poller although the
    # shard was told the commit failed (without the lookup it would wait for the next shard owner).
    events = await stub_history(stub, "in-doubt-outbox")
    assert common_pb2.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED in [e.event_type for e in events]
    activity = ws.PollActivityTaskQueueResponse()
    for _ in range(5):
        activity = await stub.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=TQ, identity="a"))
        if activity.task_token:
            break
    assert activity.activity_id == "a"
    assert _shard(process, "in-doubt-outbox").outbox.found_in_doubt == 1


async def test_a_timer_is_not_judged_by_a_cached_run_that_is_behind_its_store(cluster):
    stub, process = cluster
    task = await _start_and_poll(stub, "in-doubt-timer")
    shard = _shard(process, "in-doubt-timer")
    [key] = [k for k in shard._runs if k[1] == "in-doubt-timer"]
    before = copy.deepcopy(shard._runs[key])  # the run as cached before the timer was set

    start_timer = common_pb2.Command(
        command_type=common_pb2.COMMAND_TYPE_START_TIMER,
        start_timer=common_pb2.StartTimerCommandAttributes(timer_id="t1", start_to_fire_timeout={"nanos": 300_000_000}))
    await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(
        namespace=NS, task_token=task.task_token, commands=[start_timer], identity="w"))
    shard.cache(before)  # the cache is now behind the store: it has never seen TimerStarted

    # The timer fires all the same (judged by the cached copy it would be deleted as stale).
    fired = ws.PollWorkflowTaskQueueResponse()
    for _ in range(5):
        fired = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
        if fired.task_token:
            break
    assert fired.task_token
    types = [e.event_type for e in await stub_history(stub, "in-doubt-timer")]
    assert types.count(common_pb2.EVENT_TYPE_TIMER_STARTED) == types.count(common_pb2.EVENT_TYPE_TIMER_FIRED) == 1


async def test_a_timer_stuck_behind_its_run_does_not_stop_the_shards_other_timers(cluster, monkeypatch):
    """One run's lock held (as by a write that does not come back): its timer is given up after
    FIRE_TIMEOUT and tried again; the shard's other timers fire meanwhile, and the stuck one fires
    once its run is free."""
    from history import timer_queue

    monkeypatch.setattr(timer_queue, "FIRE_TIMEOUT", 1.0)
    stub, process = cluster
    count = process.config.history_shard_count
    ids = [f"stuck-{i}" for i in range(200) if shard_for(NS, f"stuck-{i}", count) == shard_for(NS, "stuck-0", count)][:2]
    stuck, free = ids
    start_timer = common_pb2.Command(
        command_type=common_pb2.COMMAND_TYPE_START_TIMER,
        start_timer=common_pb2.StartTimerCommandAttributes(timer_id="t1", start_to_fire_timeout={"nanos": 200_000_000}))
    for workflow_id in (stuck, free):
        task = await _start_and_poll(stub, workflow_id)
        assert task.workflow_execution.workflow_id == workflow_id
        await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(
            namespace=NS, task_token=task.task_token, commands=[start_timer], identity="w"))
    shard = _shard(process, stuck)
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_run():
        async with shard.locks.hold((NS, stuck)):
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_run())
    await holding.wait()
    try:
        fired = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
        assert fired.workflow_execution.workflow_id == free  # the other run's timer fired while one was stuck
    finally:
        release.set()
        await holder
    fired = ws.PollWorkflowTaskQueueResponse()
    for _ in range(5):
        fired = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
        if fired.task_token:
            break
    assert fired.workflow_execution.workflow_id == stuck
