"""The List executor's group dispatch (``worker_sdk/executors/list_group.py``) on a real
embedded cluster: with a window of at least ``GROUP_MIN_WINDOW`` items, items travel in
``fanflow.list_group`` activities, and each item keeps what the seed promises:

* a failing item is retried alone (its neighbours run once), with its own attempt count
  (``activity.info().attempt`` in the item) and the activity's retry policy;
* an item that fails for good fails the workflow naming the item; each item's latest failed
  attempt is listed for that item (executor item failures);
* results in item order, also through a full replay of every workflow task (no cache);
* ``max_concurrent_scheduled_tasks`` bounds the items running at once, across continue-as-new
  (measured in the activity);
* a window below ``GROUP_MIN_WINDOW`` still schedules one activity per item.
"""
from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

import pytest

import worker_sdk as workflows
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from support.executor_histories import max_outstanding, run_histories, scheduled_types
from support.executors_at_scale import CALLS, RUNNING, SUGGEST, low_limit_client, measured, reset  # noqa: F401  (fixture)
from worker_sdk import Worker
from worker_sdk.executors.list_group import GROUP_MIN_WINDOW, LIST_GROUP_ACTIVITY, group_size

ATTEMPTS: dict[int, list[int]] = defaultdict(list)


@workflows.activity(retry_policy=workflows.RetryPolicy(initial_interval=0.05, backoff_coefficient=1.0))
async def lg_flaky(n: int) -> int:
    ATTEMPTS[n].append(workflows.activity.info().attempt)
    if n in (13, 57) and len(ATTEMPTS[n]) <= (2 if n == 13 else 1):
        raise RuntimeError(f"item {n} fails on call {len(ATTEMPTS[n])}")
    return n * 10


@workflows.workflow.define(name="lg_flaky_list")
class FlakyList:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return await workflows.execute_activities_in_parallel(lg_flaky, items=list(range(n)), max_concurrent_scheduled_tasks=100)


async def test_failing_item_is_retried_alone_with_its_own_attempts(client):
    ATTEMPTS.clear()
    n = 200
    async with Worker(client, task_queue="lg-flaky", workflows=[FlakyList], activities=[lg_flaky]):
        handle = await client.start_workflow(FlakyList, n, task_queue="lg-flaky")
        assert await handle.result(timeout=30) == [i * 10 for i in range(n)]  # in item order
    assert ATTEMPTS[13] == [1, 2, 3]  # its own attempt count, retried after its own failures
    assert ATTEMPTS[57] == [1, 2]
    assert all(ATTEMPTS[i] == [1] for i in range(n) if i not in (13, 57)), {i: a for i, a in ATTEMPTS.items() if a != [1]}
    events = await handle.history()
    size = group_size(100)
    assert size > 1
    assert scheduled_types(events) == {LIST_GROUP_ACTIVITY: n // size}  # items travel in groups
    assert max_outstanding(events) <= 100 // size
    # each item's latest failed attempt is reported for that item (web UI), as recovered
    failures = await client.call("GetParallelFailures", ws.GetParallelFailuresRequest(namespace=client.namespace, workflow_id=handle.workflow_id))
    assert sorted((f.index, f.attempt, f.recovered, f.activity_type) for f in failures.failures) == [(13, 2, True, "lg_flaky"), (57, 1, True, "lg_flaky")]


@workflows.activity(retry_policy=workflows.RetryPolicy(initial_interval=0.05, maximum_attempts=2))
async def lg_broken(n: int) -> int:
    ATTEMPTS[n].append(workflows.activity.info().attempt)
    if n == 42:
        raise workflows.ApplicationError(f"item {n} is broken")
    return n


@workflows.workflow.define(name="lg_broken_list")
class BrokenList:
    @workflows.workflow.entrypoint
    async def run(self) -> list[int]:
        return await workflows.execute_activities_in_parallel(lg_broken, items=list(range(100)), max_concurrent_scheduled_tasks=50)


async def test_item_failing_for_good_fails_the_workflow_after_its_own_attempts(client):
    ATTEMPTS.clear()
    async with Worker(client, task_queue="lg-broken", workflows=[BrokenList], activities=[lg_broken]):
        handle = await client.start_workflow(BrokenList, task_queue="lg-broken")
        with pytest.raises(workflows.WorkflowFailureError, match="item 42 is broken"):
            await handle.result(timeout=30)
    assert ATTEMPTS[42] == [1, 2]  # the activity's maximum_attempts, counted for this item
    assert all(ATTEMPTS[i] == [1] for i in range(40, 45) if i != 42)  # its group's others ran once
    events = await handle.history()
    assert LIST_GROUP_ACTIVITY in scheduled_types(events)


@workflows.activity()
async def lg_square(n: int) -> int:
    await measured("lg_square", n, 0.005)
    return n * n


@workflows.workflow.define(name="lg_capped_list")
class CappedList:
    @workflows.workflow.entrypoint
    async def run(self, p: dict) -> list[int]:
        return await workflows.execute_activities_in_parallel(lg_square, items=list(range(p["n"])), max_concurrent_scheduled_tasks=p["cap"])


async def test_cap_holds_across_continue_as_new(low_limit_client):
    client, cap, n = low_limit_client, 60, 4000
    reset()
    async with Worker(client, task_queue="lg-cap", workflows=[CappedList], activities=[lg_square]):
        handle = await client.start_workflow(CappedList, {"n": n, "cap": cap}, task_queue="lg-cap")
        assert await handle.result(timeout=90) == [i * i for i in range(n)]
    assert all(CALLS[("lg_square", i)] == 1 for i in range(n)), [k for k, v in CALLS.items() if v != 1][:10]
    assert cap // 2 < RUNNING["peak"] <= cap, RUNNING  # measured in the activity, across every run
    runs = await run_histories(handle)
    assert len(runs) > 1  # went through continue-as-new
    for events in runs:
        assert max_outstanding(events) <= cap // group_size(cap)
        assert not [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        assert len(events) < SUGGEST + 4 * cap + 40


@workflows.workflow.define(name="lg_two_windows")
class TwoWindows:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list:
        wide = await workflows.execute_activities_in_parallel(lg_square, items=list(range(n)), max_concurrent_scheduled_tasks=GROUP_MIN_WINDOW)
        narrow = await workflows.execute_activities_in_parallel(lg_square, items=list(range(7)), max_concurrent_scheduled_tasks=GROUP_MIN_WINDOW - 1)
        both = await asyncio.gather(
            workflows.execute_activities_in_parallel(lg_square, items=list(range(5, 5 + n)), max_concurrent_scheduled_tasks=100),
            workflows.execute_activities_in_parallel(lg_square, items=[3, 2, 1], max_concurrent_scheduled_tasks=100),
        )
        return [list(wide), list(narrow), [list(r) for r in both]]


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_groups_replay_and_narrow_windows_keep_one_activity_per_item(client):
    """Every workflow task replays the whole history (no cache): the same commands; a narrow
    window schedules one activity per item."""
    reset()
    n = 123
    async with Worker(client, task_queue="lg-replay", workflows=[TwoWindows], activities=[lg_square], max_cached_workflows=0):
        handle = await client.start_workflow(TwoWindows, n, task_queue="lg-replay")
        result = await handle.result(timeout=60)
    assert result == [[i * i for i in range(n)], [i * i for i in range(7)], [[i * i for i in range(5, 5 + n)], [9, 4, 1]]]
    events = await handle.history()
    assert not [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    types = scheduled_types(events)
    groups = -(-n // group_size(GROUP_MIN_WINDOW)) + -(-n // group_size(100)) + 1
    assert types == Counter({LIST_GROUP_ACTIVITY: groups, "lg_square": 7})
