"""Executors at scale on a real embedded cluster: automatic continue-as-new with results
stored beside history (DESIGN.md, "Parallel executors at scale").

History's continue-as-new suggestion is lowered to SUGGEST events (``HistoryLimits``) so
3,000-item List and Offset runs go through several runs; checked:

* results right and in order;
* every run's history stays below the threshold + a margin (the drain);
* each item processed exactly once (calls counted in the activity);
* peak running executions <= max_concurrent_scheduled_tasks across run boundaries
  (measured in the activity);
* GetWorkflowProgress: total / done / runs > 1;
* two executors in sequence, continued as new in the middle of the second;
* 20,000 Offset items at the real defaults (groups of 100): items/s printed.
"""
from __future__ import annotations

import time

import worker_sdk as workflows
from protos import common_pb2 as E
from support.executor_histories import max_outstanding, run_histories, scheduled_types
from support.executors_at_scale import CALLS, RUNNING, SUGGEST, ScaleTwo, low_limit_client, measured, reset, square  # noqa: F401  (fixture)
from worker_sdk import Worker


@workflows.activity()
async def label(idx: int, tag: str) -> dict:
    await measured("label", idx, 0.001)
    return {"idx": idx, "tag": tag}


@workflows.activity()
async def item_at(params: workflows.GetItemFromIndexParams) -> dict:
    return {"idx": params.idx, "tag": params.extra_params["tag"]}


@workflows.workflow.define(name="scale_list")
class ScaleList:
    @workflows.workflow.entrypoint
    async def run(self, p: dict) -> list[int]:
        n, cap = p["n"], p["cap"]
        return await workflows.execute_activities_in_parallel(square, items=list(range(n)), max_concurrent_scheduled_tasks=cap)


@workflows.workflow.define(name="scale_offset")
class ScaleOffset:
    @workflows.workflow.entrypoint
    async def run(self, p: dict) -> list[dict]:
        n, group, cap = p["n"], p["group"], p.get("cap")
        kwargs = {} if cap is None else {"max_concurrent_scheduled_tasks": cap}
        return await workflows.execute_activities_in_parallel(
            label, get_item_from_index_activity=item_at, n_items=n, max_concurrent_executions_per_worker=group,
            extra_params={"tag": "t"}, **kwargs,
        )


def check_runs(runs: list[list], cap: int) -> int:
    """Every run below the threshold + the drain's margin; no failed workflow task."""
    margin = cap * 4 + 40
    for events in runs:
        assert len(events) < SUGGEST + margin, (len(events), SUGGEST + margin)
        assert not [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        assert max_outstanding(events) <= cap
    return max(len(events) for events in runs)


async def test_list_3000_items_over_several_runs(low_limit_client):
    client, cap, n = low_limit_client, 20, 3000
    reset()
    async with Worker(client, task_queue="scale-list", workflows=[ScaleList], activities=[square]):
        started = time.monotonic()
        handle = await client.start_workflow(ScaleList, {"n": n, "cap": cap}, task_queue="scale-list")
        assert await handle.result(timeout=80) == [i * i for i in range(n)]
        elapsed = time.monotonic() - started
    assert all(CALLS[("square", i)] == 1 for i in range(n)), [k for k, v in CALLS.items() if v != 1][:10]
    assert sum(CALLS.values()) == n
    assert cap // 2 < RUNNING["peak"] <= cap, RUNNING  # the window was full, and never over the cap across runs
    runs = await run_histories(handle)
    assert len(runs) > 2
    longest = check_runs(runs, cap)
    events = [e for r in runs for e in r]
    assert scheduled_types(events)["square"] == n
    assert "fanflow.read_results" not in scheduled_types(events)  # results never ride in history
    # no item list or result in any workflow payload: continue-as-new input stays the original input
    for r in runs[:-1]:
        can = r[-1].workflow_execution_continued_as_new
        assert can.input == runs[0][0].workflow_execution_started.input
    for r in runs:
        for e in r:
            if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                assert len(e.activity_task_completed.result.data) < 1_500_000
    progress = await handle.progress()
    assert progress.runs == len(runs)
    [ex] = progress.executors
    assert (ex.pattern, ex.total, ex.done) == ("list", n, n)
    assert ex.executor_id == f"{handle.run_id}/0"
    print(f"list {n} items: {len(runs)} runs, max {longest} events per run, peak {RUNNING['peak']} (cap {cap}), {n / elapsed:.0f} items/s")


async def test_offset_3000_items_over_several_runs(low_limit_client):
    client, cap, n, group = low_limit_client, 8, 3000, 5
    reset()
    async with Worker(client, task_queue="scale-offset", workflows=[ScaleOffset], activities=[label, item_at]) as worker:
        started = time.monotonic()
        handle = await client.start_workflow(ScaleOffset, {"n": n, "group": group, "cap": cap}, task_queue="scale-offset")
        assert await handle.result(timeout=80) == [{"idx": i, "tag": "t"} for i in range(n)]
        elapsed = time.monotonic() - started
    assert all(CALLS[("label", i)] == 1 for i in range(n))
    assert sum(CALLS.values()) == n
    assert 1 < RUNNING["peak"] <= cap * group, RUNNING
    assert 1 < worker.peak_running_activities <= cap  # group executions
    runs = await run_histories(handle)
    assert len(runs) > 1
    longest = check_runs(runs, cap)
    events = [e for r in runs for e in r]
    assert scheduled_types(events)["fanflow.offset_group"] == n // group
    progress = await handle.progress()
    assert progress.runs == len(runs) and progress.executors[0].done == n and progress.executors[0].total == n
    print(f"offset {n} items: {len(runs)} runs, max {longest} events per run, peak {RUNNING['peak']} items, {worker.peak_running_activities} groups (cap {cap} x {group}), {n / elapsed:.0f} items/s")


async def test_two_executors_continue_as_new_in_the_second(low_limit_client):
    client = low_limit_client
    reset()
    async with Worker(client, task_queue="scale-two", workflows=[ScaleTwo], activities=[square]):
        handle = await client.start_workflow(ScaleTwo, {"first": 150, "second": 900}, task_queue="scale-two")
        first, second = await handle.result(timeout=60)
    assert first == [i * i for i in range(150)]
    assert second == [i * i for i in range(1000, 1900)]
    assert sum(CALLS.values()) == 1050 and set(CALLS.values()) == {1}
    runs = await run_histories(handle)
    assert len(runs) > 1
    check_runs(runs, 10)
    # the first executor finished in the first run; later runs read its results from the store
    first_run_markers = [e.marker_recorded.details.data for e in runs[0] if e.event_type == E.EVENT_TYPE_MARKER_RECORDED]
    assert any(b'"/1"' in m or b'/1"' in m for m in first_run_markers)
    assert scheduled_types(runs[1]).get("square", 0) < 900
    progress = await handle.progress()
    assert [(x.total, x.done) for x in progress.executors] == [(150, 150), (900, 900)]


async def test_offset_20000_items_at_the_defaults(client):
    n = 20_000
    reset()
    async with Worker(client, task_queue="scale-20k", workflows=[ScaleOffset], activities=[label, item_at], max_concurrent_activities=100):
        started = time.monotonic()
        handle = await client.start_workflow(ScaleOffset, {"n": n, "group": 100}, task_queue="scale-20k")
        result = await handle.result(timeout=180)  # a hang guard; speed is measured in bench/
        elapsed = time.monotonic() - started
    assert result == [{"idx": i, "tag": "t"} for i in range(n)]
    assert sum(CALLS.values()) == n
    runs = await run_histories(handle)
    print(f"offset {n} items at the defaults: {elapsed:.1f} s, {n / elapsed:.0f} items/s, {len(runs)} run(s), max {max(len(r) for r in runs)} events")
