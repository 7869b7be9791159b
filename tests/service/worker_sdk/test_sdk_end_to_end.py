"""The whole path on an embedded cluster (real services, SQLite files), driven by the SDK:

* 1,000 activities through asyncio.gather: results in order, and the exact history (every
  activity scheduled by the first workflow task, completed once);
* the sticky cache off (every task replays the full history) gives the same commands and result;
* changed workflow code fails the workflow task as non-determinism, naming both activities, and
  the run goes on once the code is rolled back;
* workflows spread over the shards, activity tasks over several partitions;
* eager activities and returned workflow tasks: after a run's first workflow task nothing goes
  through matching.
"""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from protos import admin_service_pb2, admin_service_pb2_grpc, common_pb2
from worker_sdk import Worker

pytestmark = pytest.mark.backends("sqlite", "postgres")  # the whole cluster on each storage backend

E = common_pb2


# -------------------------------------------------------------- fan-out
class Squares(BaseModel):
    n: int


@workflows.activity()
async def e2e_square(i: int) -> int:
    return i * i


@workflows.workflow.define(name="e2e_fan_out")
class FanOut:
    @workflows.workflow.entrypoint
    async def run(self, params: Squares) -> list[int]:
        return list(await asyncio.gather(*[e2e_square(i) for i in range(params.n)]))


def check_history_shape(events: list[common_pb2.HistoryEvent], n_activities: int) -> Counter:
    types = Counter(e.event_type for e in events)
    assert [e.event_id for e in events] == list(range(1, len(events) + 1))
    assert events[0].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    assert events[-1].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert types[E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] == n_activities
    assert types[E.EVENT_TYPE_ACTIVITY_TASK_STARTED] == n_activities
    assert types[E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED] == n_activities
    wft = types[E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]
    assert types[E.EVENT_TYPE_WORKFLOW_TASK_STARTED] == wft == types[E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
    assert len(events) == 2 + 3 * n_activities + 3 * wft, types
    # every activity completed exactly once, after it was scheduled
    scheduled = {e.event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    completed = [e.activity_task_completed.scheduled_event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
    assert sorted(completed) == sorted(scheduled)
    return types


async def test_thousand_activities_with_gather(client):
    async with Worker(client, task_queue="fan-out", workflows=[FanOut], activities=[e2e_square]):
        handle = await client.start_workflow(FanOut, Squares(n=1000), task_queue="fan-out")
        result = await handle.result(timeout=120)
    assert result == [i * i for i in range(1000)]
    events = await handle.history()
    types = check_history_shape(events, 1000)
    # all 1,000 were scheduled by the first workflow task
    first_completed = next(e.event_id for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    assert all(events[first_completed + k].event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for k in range(1000))
    assert types[E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED] >= 2


# ------------------------------------------- cache off and non-determinism
@workflows.activity()
async def add_one(x: int) -> int:
    return x + 1


@workflows.workflow.define(name="e2e_steps")
class Steps:
    @workflows.workflow.entrypoint
    async def run(self, start: int) -> list[int]:
        seen = [start]
        for _ in range(5):
            seen.append(await add_one(seen[-1]))
        seen.extend(await asyncio.gather(*[add_one(v) for v in seen]))
        return seen


async def test_cache_off_replays_to_the_same_result(client):
    results = {}
    for cache in (1000, 0):
        async with Worker(client, task_queue=f"steps-{cache}", workflows=[Steps], activities=[add_one], max_cached_workflows=cache) as worker:
            handle = await client.start_workflow(Steps, 10, task_queue=f"steps-{cache}")
            results[cache] = await handle.result(timeout=60)
            assert worker.workflow_tasks_completed >= 7
        events = await handle.history()
        # one workflow task per step: the sticky cache and full replay produce the same commands
        assert Counter(e.event_type for e in events)[E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] == 11
        assert not [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert results[1000] == results[0] == [10, 11, 12, 13, 14, 15, 11, 12, 13, 14, 15, 16]


GATE: dict[str, asyncio.Event] = {}
CODE_VERSION = {"changed": False}


@workflows.activity()
async def gated(x: int) -> int:
    await GATE["open"].wait()
    return x


@workflows.activity()
async def other_step(x: int) -> int:
    return -x


@workflows.workflow.define(name="e2e_changing")
class Changing:
    @workflows.workflow.entrypoint
    async def run(self, x: int) -> int:
        if CODE_VERSION["changed"]:
            first = await other_step(x)  # the "new deploy" took a different path
        else:
            first = await gated(x)
        return first + await add_one(first)


async def test_changed_code_is_reported_as_non_determinism(client):
    GATE["open"] = asyncio.Event()
    CODE_VERSION["changed"] = False
    async with Worker(client, task_queue="changing", workflows=[Changing], activities=[gated, other_step, add_one], max_cached_workflows=0):
        handle = await client.start_workflow(Changing, 5, task_queue="changing")
        for _ in range(200):  # wait until history holds the first activity
            if any(e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in await handle.history()):
                break
            await asyncio.sleep(0.05)
        CODE_VERSION["changed"] = True
        GATE["open"].set()
        failed = []
        for _ in range(200):
            failed = [e for e in await handle.history() if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            if failed:
                break
            await asyncio.sleep(0.05)
        assert failed, "the replay with changed code must fail the workflow task"
        attrs = failed[0].workflow_task_failed
        assert attrs.cause == E.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
        assert "gated" in attrs.failure.message and "other_step" in attrs.failure.message
        assert (await handle.describe()).info.status == E.WORKFLOW_EXECUTION_STATUS_RUNNING  # not silently run on
        CODE_VERSION["changed"] = False  # roll back the deploy: the retried task succeeds
        assert await handle.result(timeout=60) == 5 + 6


# ----------------------------------------------------- shards, partitions
@workflows.workflow.define(name="e2e_small")
class Small:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        return sum(await asyncio.gather(*[e2e_square(i) for i in range(n)]))


async def test_workflows_spread_over_shards_and_partitions(embedded_cluster, client):
    # every activity through matching: this test is about matching's partitions
    async with Worker(client, task_queue="spread", workflows=[Small], activities=[e2e_square], disable_eager_activity_execution=True):
        handles = [await client.start_workflow(Small, 10, id=f"spread-{i}", task_queue="spread") for i in range(40)]
        assert await asyncio.gather(*(h.result(timeout=60) for h in handles)) == [285] * 40
    from fanflow.channels import insecure_channel

    async with insecure_channel(embedded_cluster.frontend_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        shards = (await admin.ListShards(admin_service_pb2.ListShardsRequest())).shards
        per_shard = {s.shard_id: s.closed_workflows for s in shards}
        assert len(per_shard) == 16 and sum(per_shard.values()) == 40
        assert sum(1 for c in per_shard.values() if c) >= 8, per_shard
        queue = await admin.DescribeTaskQueue(
            admin_service_pb2.DescribeTaskQueueRequest(namespace="default", task_queue=common_pb2.TaskQueue(name="spread"), task_type=common_pb2.TASK_TYPE_ACTIVITY)
        )
        dispatched = {p.partition: p.tasks_dispatched for p in queue.partitions}
        assert sum(dispatched.values()) == 400
        assert sum(1 for c in dispatched.values() if c) >= 2, dispatched


@workflows.workflow.define(name="e2e_sequence")
class Sequence:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        total = 0
        for i in range(n):
            total += await e2e_square(i)
        return total


async def test_eager_activities_and_returned_workflow_tasks_skip_matching(embedded_cluster, client):
    """A worker with free slots gets its workflow's activities in the reply to the workflow
    task, and the workflow's next task in the reply to the activity completion: after the
    first workflow task, nothing of these runs goes through matching."""
    async with Worker(client, task_queue="eager", workflows=[Small, Sequence], activities=[e2e_square]) as worker:
        assert await client.execute_workflow(Sequence, 5, id="eager-seq", task_queue="eager") == 30
        assert await client.execute_workflow(Small, 20, id="eager-small", task_queue="eager") == sum(i * i for i in range(20))
    from fanflow.channels import insecure_channel

    async with insecure_channel(embedded_cluster.frontend_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)

        async def dispatched(queue: str, task_type: int) -> int:
            described = await admin.DescribeTaskQueue(
                admin_service_pb2.DescribeTaskQueueRequest(namespace="default", task_queue=common_pb2.TaskQueue(name=queue), task_type=task_type)
            )
            return sum(p.tasks_dispatched for p in described.partitions)

        assert await dispatched("eager", common_pb2.TASK_TYPE_ACTIVITY) == 0
        assert await dispatched("eager", common_pb2.TASK_TYPE_WORKFLOW) == 2  # each run's first task
    events = await client.get_workflow_handle("eager-seq").history()
    types = [e.event_type for e in events]
    assert types.count(common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 5
    assert types.count(common_pb2.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == 6
    assert {e.activity_task_started.identity for e in events if e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_STARTED} == {worker.identity}
