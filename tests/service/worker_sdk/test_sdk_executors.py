"""execute_activities_in_parallel on a real embedded cluster with a real Worker:

1. the seed's List / Chain / Offset examples (examples/executors_seed.py) at 1,000 items;
2. the seed's Troubleshooting errors, bad numbers and per-item type validation;
3. the concurrency cap, measured in the activity and checked on history (List, Offset);
4. an Offset group whose one item fails twice: the group's other items ran exactly once.
"""
from __future__ import annotations

import asyncio
import importlib.util
from collections import Counter
from typing import Any

import pytest

import worker_sdk as workflows
from conftest import ROOT
from protos import common_pb2 as E
from support.executor_activities import fetch_by_index, fetch_next, one_param, two_params
from support.executor_histories import all_events, max_outstanding, run_histories, scheduled_types
from worker_sdk import Worker

_spec = importlib.util.spec_from_file_location("executors_seed", ROOT / "examples" / "executors_seed.py")
seed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed)


# ------------------------------------------------------------- 1. seed
@pytest.mark.backends("sqlite", "postgres")
async def test_seed_examples_thousand_items(client):
    source = (ROOT / "examples" / "executors_seed.py").read_text()
    assert "import worker_sdk as workflows" in source and "mistralai" not in source
    # An explicit activity list: the Worker adds the Offset group activity itself.
    async with Worker(client, task_queue="exec-seed", workflows=[seed.ListExample, seed.ChainExample, seed.OffsetExample],
                      activities=[seed.process_item, seed.get_next_item, seed.get_item_by_index]) as worker:
        assert "fanflow.offset_group" in worker.activities
        handles = [await client.start_workflow(w, task_queue="exec-seed") for w in (seed.ListExample, seed.ChainExample, seed.OffsetExample)]
        results = await asyncio.gather(*(h.result(timeout=150) for h in handles))
    for r in results:
        assert r == seed.EXPECTED
    list_events, chain_events, offset_events = [await all_events(h) for h in handles]
    # List items in groups of 10 (window 100: fanflow.list_group); results never ride in history (no read-back)
    assert scheduled_types(list_events) == {"fanflow.list_group": 100}
    assert max_outstanding(list_events) <= 100 // 10
    assert scheduled_types(chain_events) == {"get_next_item": 1001, "process_item": 1000}
    # Chain: processing overlaps fetching (some process_item scheduled before the last fetch)
    sched = [e.activity_task_scheduled.activity_type.name for e in chain_events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert sched.index("process_item") < len(sched) - 1000
    # Offset: 1,000 items in groups of 50 = 20 group activity executions, nothing else
    assert scheduled_types(offset_events) == {"fanflow.offset_group": 20}


# ------------------------------------------------------------ 2. errors


@workflows.activity()
async def returns_none(n: int) -> None:
    return None


@workflows.activity()
async def with_extra(n: int, batch_id: str = "") -> str:
    return f"{n}@{batch_id}"


@workflows.activity()
async def anything(x: Any) -> Any:
    return x


async def not_an_activity(n: int) -> int:
    return n


CASES = {
    "no_pattern": dict(activity=one_param),
    "two_patterns": dict(activity=one_param, items=[1], get_item_from_prev_item_activity=fetch_next),
    "undecorated": dict(activity=not_an_activity, items=[1]),
    "undecorated_prev": dict(activity=one_param, get_item_from_prev_item_activity=not_an_activity),
    "undecorated_index": dict(activity=one_param, get_item_from_index_activity=not_an_activity, n_items=3),
    "no_n_items": dict(activity=two_params, get_item_from_index_activity=fetch_by_index),
    "negative_n_items": dict(activity=two_params, get_item_from_index_activity=fetch_by_index, n_items=-1),
    "zero_cap": dict(activity=one_param, items=[1], max_concurrent_scheduled_tasks=0),
    "bad_group": dict(activity=one_param, items=[1], max_concurrent_executions_per_worker="10"),
    "bad_type": dict(activity=two_params, items=[{"item_id": 0, "value": "a"}, {"item_id": 1, "value": "b"}, {"item_id": "three", "value": "c"}]),
    "missing_key": dict(activity=two_params, items=[{"item_id": 0, "value": "a"}, {"item_id": 1}]),
    "not_a_dict": dict(activity=two_params, items=[{"item_id": 0, "value": "a"}, 5]),
    "single_bad": dict(activity=one_param, items=[1, 2, 3, 4, [5]]),
    "not_json": dict(activity=anything, items=[1, object()]),
}


@workflows.workflow.define(name="exec_errors")
class Errors:
    @workflows.workflow.entrypoint
    async def run(self, case: str) -> str:
        try:
            await workflows.execute_activities_in_parallel(**CASES[case])
        except ValueError as exc:
            return str(exc)
        return "no error"


@workflows.workflow.define(name="exec_shapes")
class Shapes:
    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        return {
            "single": await workflows.execute_activities_in_parallel(one_param, items=[1, 2, 3], max_concurrent_scheduled_tasks=2),
            "none": await workflows.execute_activities_in_parallel(returns_none, items=[1, 2, 3]),
            "empty": await workflows.execute_activities_in_parallel(one_param, items=[]),
            "extra": await workflows.execute_activities_in_parallel(with_extra, items=[{"n": 1}, {"n": 2, "batch_id": "own"}], extra_params={"batch_id": "b7", "unused": 1}),
            "chain": await workflows.execute_activities_in_parallel(one_param, get_item_from_prev_item_activity=fetch_next),
            "offset_extra": await workflows.execute_activities_in_parallel(
                two_params, get_item_from_index_activity=fetch_by_index, n_items=7, max_concurrent_executions_per_worker=3, extra_params={"batch_id": "x"}
            ),
            "offset_empty": await workflows.execute_activities_in_parallel(two_params, get_item_from_index_activity=fetch_by_index, n_items=0),
        }


async def test_errors_and_validation(client):
    activities = [two_params, one_param, returns_none, with_extra, fetch_by_index, fetch_next, anything]
    async with Worker(client, task_queue="exec-errors", workflows=[Errors, Shapes], activities=activities):
        names = list(CASES)
        handles = [await client.start_workflow(Errors, name, task_queue="exec-errors") for name in names]
        messages = dict(zip(names, await asyncio.gather(*(h.result(timeout=30) for h in handles))))
        shapes = await (await client.start_workflow(Shapes, task_queue="exec-errors")).result(timeout=30)
    pattern = "Must specify one execution pattern: items, get_item_from_prev_item_activity, or get_item_from_index_activity"
    assert messages["no_pattern"] == messages["two_patterns"] == pattern
    assert messages["undecorated"] == "'activity' must be an activity, please decorate it with @workflows.activity"
    assert messages["undecorated_prev"] == "'get_item_from_prev_item_activity' must be an activity, please decorate it with @workflows.activity"
    assert messages["undecorated_index"] == "'get_item_from_index_activity' must be an activity, please decorate it with @workflows.activity"
    assert "'n_items' is required" in messages["no_n_items"]
    assert "'n_items'" in messages["negative_n_items"] and "-1" in messages["negative_n_items"]
    assert "'max_concurrent_scheduled_tasks'" in messages["zero_cap"]
    assert "'max_concurrent_executions_per_worker'" in messages["bad_group"]
    assert "index 2" in messages["bad_type"] and "'item_id'" in messages["bad_type"] and "int" in messages["bad_type"], messages["bad_type"]
    assert "index 1" in messages["missing_key"] and "'value'" in messages["missing_key"] and "str" in messages["missing_key"]
    assert "index 1" in messages["not_a_dict"] and "dict" in messages["not_a_dict"]
    assert "index 4" in messages["single_bad"] and "int" in messages["single_bad"]
    assert "index 1" in messages["not_json"] and "JSON" in messages["not_json"]
    assert shapes == {
        "single": [2, 4, 6],
        "none": None,
        "empty": [],
        "extra": ["1@b7", "2@own"],
        "chain": [0, 2, 4, 6, 8],
        "offset_extra": [f"{i}:v{i}" for i in range(7)],
        "offset_empty": [],
    }


async def test_validation_happens_before_any_work(client):
    """A bad item at the end: nothing was scheduled (checked on history)."""
    async with Worker(client, task_queue="exec-early", workflows=[Errors], activities=[two_params]):
        handle = await client.start_workflow(Errors, "bad_type", task_queue="exec-early")
        assert "index 2" in await handle.result(timeout=30)
    assert not scheduled_types(await handle.history())


# --------------------------------------------------- 3. concurrency cap
RUNNING = {"now": 0, "peak": 0, "calls": 0}


@workflows.activity()
async def counted(n: int) -> int:
    RUNNING["now"] += 1
    RUNNING["calls"] += 1
    RUNNING["peak"] = max(RUNNING["peak"], RUNNING["now"])
    try:
        await asyncio.sleep(0.03)
    finally:
        RUNNING["now"] -= 1
    return n + 1


@workflows.activity()
async def index_item(params: workflows.GetItemFromIndexParams) -> int:
    return params.idx


@workflows.workflow.define(name="exec_capped")
class Capped:
    @workflows.workflow.entrypoint
    async def run(self, mode: str) -> list[int]:
        if mode == "list":
            return await workflows.execute_activities_in_parallel(counted, items=list(range(1000)), max_concurrent_scheduled_tasks=20)
        return await workflows.execute_activities_in_parallel(
            counted, get_item_from_index_activity=index_item, n_items=1000, max_concurrent_executions_per_worker=10, max_concurrent_scheduled_tasks=3
        )


@pytest.mark.parametrize("mode,cap,activity_type,item_cap", [("list", 20, "counted", 20), ("offset", 3, "fanflow.offset_group", 30)])
async def test_cap_on_pending_activities(client, mode, cap, activity_type, item_cap):
    RUNNING.update(now=0, peak=0, calls=0)
    async with Worker(client, task_queue=f"exec-cap-{mode}", workflows=[Capped], activities=[counted, index_item]) as worker:
        handle = await client.start_workflow(Capped, mode, task_queue=f"exec-cap-{mode}")
        assert await handle.result(timeout=60) == [i + 1 for i in range(1000)]
    assert RUNNING["calls"] == 1000
    assert 1 < RUNNING["peak"] <= item_cap, RUNNING  # measured in the activity itself
    assert 1 < worker.peak_running_activities <= cap  # activity executions on the worker
    # A slow machine needs more workflow tasks, so the run may pass the continue-as-new
    # suggestion and go on in a second run: count over every run.
    runs = await run_histories(handle)
    outstanding = max(max_outstanding(events) for events in runs)
    print(f"{mode}: peak in activity {RUNNING['peak']}, on worker {worker.peak_running_activities}, in history {outstanding} (cap {cap}), {len(runs)} run(s)")
    assert 1 < outstanding <= cap
    assert scheduled_types([e for events in runs for e in events]) == {activity_type: 1000 if mode == "list" else 100}


# ------------------------------------------- 4. retried Offset group
CALLS: Counter = Counter()


@workflows.activity()
async def flaky_index(params: workflows.GetItemFromIndexParams) -> int:
    return params.idx


@workflows.activity(retry_policy=workflows.RetryPolicy(initial_interval=0.05, backoff_coefficient=1.0))
async def flaky_item(n: int) -> int:
    CALLS[n] += 1
    if n == 13 and CALLS[n] <= 2:
        raise RuntimeError(f"item {n} fails on call {CALLS[n]}")
    return n * 10


@workflows.workflow.define(name="exec_flaky_offset")
class FlakyOffset:
    @workflows.workflow.entrypoint
    async def run(self) -> list[int]:
        return await workflows.execute_activities_in_parallel(
            flaky_item, get_item_from_index_activity=flaky_index, n_items=40, max_concurrent_executions_per_worker=10, max_concurrent_scheduled_tasks=4
        )


@pytest.mark.backends("sqlite", "postgres")
async def test_retried_offset_group_only_reruns_failed_items(client):
    CALLS.clear()
    async with Worker(client, task_queue="exec-flaky", workflows=[FlakyOffset], activities=[flaky_item, flaky_index]) as worker:
        handle = await client.start_workflow(FlakyOffset, task_queue="exec-flaky")
        assert await handle.result(timeout=30) == [i * 10 for i in range(40)]
    assert CALLS[13] == 3
    assert all(CALLS[i] == 1 for i in range(40) if i != 13), CALLS
    assert worker.activities_failed == 2  # the group [10, 20) failed twice, then succeeded
    events = await handle.history()
    assert scheduled_types(events) == {"fanflow.offset_group": 4}  # retries write no events
    assert not [e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_FAILED]


# ------------------------------------------------ replay determinism
@workflows.workflow.define(name="exec_all_patterns")
class AllPatterns:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list:
        return [
            await workflows.execute_activities_in_parallel(one_param, items=list(range(n)), max_concurrent_scheduled_tasks=4),
            await workflows.execute_activities_in_parallel(one_param, get_item_from_prev_item_activity=fetch_next),
            await workflows.execute_activities_in_parallel(
                two_params, get_item_from_index_activity=fetch_by_index, n_items=n, max_concurrent_executions_per_worker=4, max_concurrent_scheduled_tasks=2
            ),
        ]


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_cache_off_full_replay_gives_the_same_commands(client):
    """Every workflow task replays the whole history (no sticky cache): no non-determinism,
    and dropping an instance mid-run (its lanes suspended) raises nothing."""
    async with Worker(client, task_queue="exec-replay", workflows=[AllPatterns], activities=[one_param, fetch_next, two_params, fetch_by_index], max_cached_workflows=0):
        handle = await client.start_workflow(AllPatterns, 30, task_queue="exec-replay")
        result = await handle.result(timeout=60)
    assert result == [[2 * i for i in range(30)], [0, 2, 4, 6, 8], [f"{i}:v{i}" for i in range(30)]]
    events = await handle.history()
    assert not [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert scheduled_types(events) == {"one_param": 35, "fetch_next": 6, "fanflow.offset_group": 8}


# ------------------------------------------------ a failing List item
@workflows.activity()
async def fails_at_ten(n: int) -> int:
    if n == 10:
        raise workflows.ApplicationError(f"item {n} is broken", type="Broken", non_retryable=True)
    return n


@workflows.workflow.define(name="exec_list_failure")
class ListFailure:
    @workflows.workflow.entrypoint
    async def run(self) -> list[int]:
        return await workflows.execute_activities_in_parallel(fails_at_ten, items=list(range(100)), max_concurrent_scheduled_tasks=5)


async def test_list_failure_fails_the_workflow_and_stops_scheduling(client):
    async with Worker(client, task_queue="exec-fail", workflows=[ListFailure], activities=[fails_at_ten]):
        handle = await client.start_workflow(ListFailure, task_queue="exec-fail")
        with pytest.raises(workflows.WorkflowFailureError, match="item 10 is broken"):
            await handle.result(timeout=30)
    events = await handle.history()
    # nothing is scheduled once the workflow has seen the failure: the first workflow task
    # started after the failed event schedules nothing (and closes the run)
    failed_at = next(e.event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_FAILED)
    seen_at = next(
        e.event_id for e in events
        if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and e.workflow_task_completed.started_event_id > failed_at
    )
    assert not [e for e in events if e.event_id > seen_at and e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert scheduled_types(events)["fails_at_ten"] < 100
    assert max_outstanding(events) <= 5


