"""Cluster-wide activity rate limits (issue 13): `@activity(rate_limit=RateLimit(...))` holds across
every worker (starts read from history: every sliding window checked), a key shares one limit
between activity types, the window survives a restart of matching (its starts are in the backlog
file), and bad limits are refused naming what is wrong, by the SDK and by the services."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re

import grpc
import pytest
from pydantic import ValidationError

import worker_sdk as workflows
from activity_history import busiest_window, starts_of
from conftest import free_port, wait_for_port
from fanflow.channels import insecure_channel
from fanflow.timeutil import duration
from matching.keys import QueueKey
from matching.persistence.sqlite import SqliteBacklog
from matching.rate_limiter import StartMeter
from protos import common_pb2 as E
from protos import internal_pb2, matching_service_pb2, matching_service_pb2_grpc, workflow_service_pb2 as ws, workflow_service_pb2_grpc
from sticky_workflows import RateLimitedBatch, SharedKeyBatch, SlowApiBatch, limited_call, shared_read, shared_write, slow_api_call
from worker_sdk import Client, RateLimit, Worker
from worker_sdk.rate_limits import limited_queue


async def test_a_limit_holds_across_four_workers(client):
    workers = [Worker(client, task_queue="limited", workflows=[RateLimitedBatch], activities=[limited_call]) for _ in range(4)]
    async with contextlib.AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(worker)
        handles = [await client.start_workflow(RateLimitedBatch, {"start": 25 * i, "count": 25}, id=f"batch-{i}", task_queue="limited") for i in range(4)]
        results = await asyncio.gather(*(h.result(timeout=120) for h in handles))
    assert sorted(sum(results, [])) == list(range(100))  # all complete
    started = await starts_of(handles, {"limited_call"})
    assert len(started) == 100
    assert busiest_window([t for t, _ in started], 1.0) <= 20
    assert len({identity for _, identity in started}) >= 2, "the limit is the cluster's, not one worker's"
    # every worker polls the limit's queue, at partition 0
    assert all(w.rate_limited_queues == [E.TaskQueue(name=limited_queue("limited", "limited_call"), kind=E.TASK_QUEUE_KIND_NORMAL)] for w in workers)


async def test_activities_with_the_same_key_share_one_limit(client):
    async with Worker(client, task_queue="shared", workflows=[SharedKeyBatch], activities=[shared_read, shared_write]) as worker, \
            Worker(client, task_queue="shared", workflows=[SharedKeyBatch], activities=[shared_read, shared_write]):
        handle = await client.start_workflow(SharedKeyBatch, 20, id="shared-key", task_queue="shared")
        result = await handle.result(timeout=120)
    assert sorted(result) == sorted([f"read-{i}" for i in range(20)] + [f"write-{i}" for i in range(20)])
    both = await starts_of([handle], {"shared_read", "shared_write"})
    assert len(both) == 40 and busiest_window([t for t, _ in both], 1.0) <= 10  # one pool of 10 per second, not 10 each
    assert [q.name for q in worker.rate_limited_queues] == ["shared/rate-limited/shared-api"]


async def test_the_window_survives_a_matching_restart(tmp_path, processes):
    """6 starts per 8 s. After the first 6, `fanflow dev` (matching with it) is SIGKILLed and
    restarted at once: the restarted matching reads back the 6 starts of its window and starts
    nothing more until it has passed; every 8 s window of history holds at most 6 starts."""
    port = free_port()
    args = ("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    dev = processes.fanflow(*args, name="dev")
    wait_for_port(port, proc=dev)
    client = await Client.connect(f"127.0.0.1:{port}", retry_timeout=120)
    try:
        async with Worker(client, task_queue="slow", workflows=[SlowApiBatch], activities=[slow_api_call]):
            handle = await client.start_workflow(SlowApiBatch, 18, id="slow-batch", task_queue="slow")
            for _ in range(300):  # the first window's 6 starts are done (Started is written with the result)
                if len(await starts_of([handle], {"slow_api_call"})) >= 6:
                    break
                await asyncio.sleep(0.1)
            processes.kill(dev)
            dev = processes.fanflow(*args, name="dev-restarted")
            wait_for_port(port, proc=dev)
            result = await handle.result(timeout=180)
        assert sorted(result) == list(range(18))
        started = [t for t, _ in await starts_of([handle], {"slow_api_call"})]
        assert len(started) == 18 and busiest_window(started, 8.0) <= 6
        held = re.search(rb"rate_limited_starts_held=(\d+)", open(dev.log_path, "rb").read())
        assert held is not None and int(held.group(1)) >= 6, "the restarted matching took back the window's starts"
    finally:
        await client.close()


async def test_start_meter_window_and_restore(tmp_path):
    """The meter itself, on a real backlog file: a full window refuses (saying when a slot frees),
    a refused start gives its slot back, and a reopened file holds the started ones."""
    key = QueueKey("default", "q/rate-limited/k", E.TASK_TYPE_ACTIVITY)
    limit = E.ActivityRateLimit(key="k", max_execution=2, time_window=duration(30))
    backlog = SqliteBacklog(tmp_path / "m.db", "NORMAL")
    await backlog.open()
    meter = StartMeter(backlog)
    first, second = await meter.reserve(key, limit), await meter.reserve(key, limit)
    wait = await meter.reserve(key, limit)
    assert isinstance(wait, float) and 30 < wait <= 42  # full until the first start's window (+ history's margin) passed
    meter.not_started(second)  # history refused it: no start
    third = await meter.reserve(key, limit)
    assert not isinstance(third, float)
    meter.started(first)
    meter.started(third)
    assert meter.held(key) == 2
    await backlog.close()
    reopened = SqliteBacklog(tmp_path / "m.db", "NORMAL")
    await reopened.open()
    try:
        again = StartMeter(reopened)
        assert await again.restore() == 2 and again.held(key) == 2
        assert isinstance(await again.reserve(key, limit), float)
    finally:
        await reopened.close()


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "fields, name",
    [(dict(time_window_in_sec=0, max_execution=5), "time_window_in_sec"), (dict(time_window_in_sec=1, max_execution=0), "max_execution")],
)
def test_bad_limits_name_the_field(fields, name):
    with pytest.raises(ValidationError) as err:
        RateLimit(**fields)
    assert name in str(err.value)


def test_a_key_that_cannot_name_a_queue_is_refused():
    with pytest.raises(ValueError, match="RateLimit.key"):
        workflows.activity(rate_limit=RateLimit(time_window_in_sec=1, max_execution=1, key="k" * 201))(lambda: None)
    with pytest.raises(ValueError, match="RateLimit.key"):
        workflows.activity(rate_limit=RateLimit(time_window_in_sec=1, max_execution=1, key="   "))(lambda: None)


async def test_one_key_two_different_limits_is_refused_naming_both(client):
    # two definitions (not registered in this process's registry, which other tests' workers serve)
    base = workflows.activity.get_definition(limited_call)
    conflict_a, conflict_b = (
        dataclasses.replace(base, name=name, options=dataclasses.replace(base.options, rate_limit=RateLimit(time_window_in_sec=1, max_execution=n, key="api-x")))
        for name, n in (("conflict_a", 5), ("conflict_b", 7))
    )
    with pytest.raises(ValueError) as err:
        Worker(client, task_queue="conflict", activities=[conflict_a, conflict_b])
    assert "conflict_a" in str(err.value) and "conflict_b" in str(err.value) and "api-x" in str(err.value)


def _payload(value) -> E.Payload:
    return E.Payload(data=json.dumps(value).encode(), encoding="json/plain")


@pytest.mark.parametrize(
    "limit, queue, words",
    [
        (E.ActivityRateLimit(key="k", max_execution=0, time_window=duration(1)), "raw/rate-limited/k", ["rate_limit.max_execution", "1..100000"]),
        (E.ActivityRateLimit(key="k", max_execution=5, time_window=duration(0)), "raw/rate-limited/k", ["rate_limit.time_window"]),
        (E.ActivityRateLimit(key="", max_execution=5, time_window=duration(1)), "raw/rate-limited/k", ["rate_limit.key"]),
        (E.ActivityRateLimit(key="k", max_execution=5, time_window=duration(1)), "", ["task_queue of its own"]),
        (E.ActivityRateLimit(key="k", max_execution=5, time_window=duration(1)), "raw/rate-limited/" + "k" * 990, ["task_queue.name is 1,007 characters"]),
    ],
)
async def test_a_bad_rate_limit_command_fails_the_task_naming_the_field(embedded_cluster, limit, queue, words):
    channel = insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    tq = E.TaskQueue(name="raw")
    try:
        await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(namespace="default", workflow_id="bad-limit", workflow_type=E.WorkflowType(name="Raw"), task_queue=tq, request_id="r"))
        task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace="default", task_queue=tq, identity="t"))
        command = E.Command(command_type=E.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, schedule_activity_task=E.ScheduleActivityTaskCommandAttributes(
            activity_id="1", activity_type=E.ActivityType(name="call"), input=_payload(1), task_queue=E.TaskQueue(name=queue), rate_limit=limit))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace="default", task_token=task.task_token, commands=[command], identity="t"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        for word in words:
            assert word in err.value.details(), (word, err.value.details())
        history = await stub.GetWorkflowExecutionHistory(ws.GetWorkflowExecutionHistoryRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="bad-limit")))
        types = [e.event_type for e in history.history.events]
        assert E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in types and E.EVENT_TYPE_WORKFLOW_TASK_FAILED in types  # nothing half-created
    finally:
        await channel.close()


async def test_services_refuse_rate_limited_tasks_and_polls_they_cannot_meter(embedded_cluster):
    channel = insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    matching_channel = insecure_channel(embedded_cluster.servers["matching"].address)
    matching = matching_service_pb2_grpc.MatchingServiceStub(matching_channel)
    secret = (("x-fanflow-internal", embedded_cluster.config.internal_secret),)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(
                namespace="default", task_queue=E.TaskQueue(name="q", kind=E.TASK_QUEUE_KIND_STICKY), identity="w", rate_limited=True))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "rate_limited" in err.value.details()
        task = internal_pb2.TaskInfo(namespace="default", workflow_id="w", run_id="r", scheduled_event_id=5, attempt=1, shard_id=0,
                                     task_type=E.TASK_TYPE_ACTIVITY, task_queue=E.TaskQueue(name="q/rate-limited/k", kind=E.TASK_QUEUE_KIND_NORMAL),
                                     rate_limit=E.ActivityRateLimit(key="k", max_execution=3, time_window=duration(1)))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await matching.AddTask(matching_service_pb2.AddTaskRequest(task=task, partition=1), metadata=secret)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "partition 0" in err.value.details()
        task.rate_limit.max_execution = 0
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await matching.AddTask(matching_service_pb2.AddTaskRequest(task=task, partition=0), metadata=secret)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "max_execution" in err.value.details()
    finally:
        await channel.close()
        await matching_channel.close()
