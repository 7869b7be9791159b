"""Executors stop early enough that no run's history reaches history's continue-as-new
suggestion, drain and continue-as-new included (checkpoint.py ``ExecutorRun.should_stop``):
each WorkflowTaskStarted records the cluster's thresholds and the executors reserve room for
the units in flight. A cluster with a small suggestion (events, or bytes) runs List (groups
and one activity per item), Offset and Chain executors over several runs; every run stays
under it, and the results are right.
"""
from __future__ import annotations

import pytest

import worker_sdk as workflows
from protos import common_pb2 as E
from support.executor_histories import run_histories
from worker_sdk import Worker

SUGGEST_EVENTS = 300
CHAIN_LENGTH = 120


@workflows.activity()
async def under_square(n: int) -> int:
    return n * n


@workflows.activity()
async def under_padded(s: str) -> int:
    return len(s)


@workflows.activity()
async def under_item_at(params: workflows.GetItemFromIndexParams) -> int:
    return params.idx


@workflows.activity()
async def under_next(prev: int | None) -> int | None:
    nxt = 0 if prev is None else prev + 1
    return nxt if nxt < CHAIN_LENGTH else None


@workflows.workflow.define(name="under_suggestion_list")
class UnderList:
    @workflows.workflow.entrypoint
    async def run(self, p: dict) -> list[int]:
        return await workflows.execute_activities_in_parallel(under_square, items=list(range(p["n"])), max_concurrent_scheduled_tasks=p["cap"])


@workflows.workflow.define(name="under_suggestion_padded")
class UnderPadded:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        # Items of about 1 KB each: the bytes threshold is the one that binds.
        results = await workflows.execute_activities_in_parallel(under_padded, items=[f"{i}:" + "x" * 1000 for i in range(n)], max_concurrent_scheduled_tasks=50)
        return sum(results)


@workflows.workflow.define(name="under_suggestion_two")
class UnderTwo:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        # Two executors at once in one run: the room reserved counts both one's units in flight.
        import asyncio

        a, b = await asyncio.gather(
            workflows.execute_activities_in_parallel(under_square, items=list(range(n)), max_concurrent_scheduled_tasks=8),
            workflows.execute_activities_in_parallel(
                under_square, get_item_from_index_activity=under_item_at, n_items=n, max_concurrent_executions_per_worker=10, max_concurrent_scheduled_tasks=4,
            ),
        )
        return [sum(a), sum(b)]


@workflows.workflow.define(name="under_suggestion_offset")
class UnderOffset:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return await workflows.execute_activities_in_parallel(
            under_square, get_item_from_index_activity=under_item_at, n_items=n, max_concurrent_executions_per_worker=10, max_concurrent_scheduled_tasks=5,
        )


@workflows.workflow.define(name="under_suggestion_chain")
class UnderChain:
    @workflows.workflow.entrypoint
    async def run(self) -> list[int]:
        return await workflows.execute_activities_in_parallel(under_square, get_item_from_prev_item_activity=under_next)


async def _cluster(tmp_path, **limits):
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig, HistoryLimits

    cluster = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, limits=HistoryLimits(**limits))).start()
    client = await workflows.Client.connect(cluster.frontend_address)
    return cluster, client


@pytest.fixture
async def small_events_client(tmp_path):
    cluster, client = await _cluster(tmp_path, suggest_continue_as_new_events=SUGGEST_EVENTS)
    yield client
    await client.close()
    await cluster.stop()


async def _run(client, workflow, arg, queue: str, timeout: float = 60):
    async with Worker(client, task_queue=queue, workflows=[workflow], activities=[under_square, under_padded, under_item_at, under_next]):
        handle = await client.start_workflow(workflow, arg, task_queue=queue) if arg is not None else await client.start_workflow(workflow, task_queue=queue)
        result = await handle.result(timeout=timeout)
    return handle, result


async def _run_sizes(client, handle) -> list[tuple[int, int]]:
    """(events, history bytes) of each run, as history counts them; no workflow task failed or timed out."""
    runs = await run_histories(handle)
    for events in runs:
        bad = [e for e in events if e.event_type in (E.EVENT_TYPE_WORKFLOW_TASK_FAILED, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)]
        assert not bad, bad[0]
    listed = {r.execution.run_id: (r.history_length, r.history_size_bytes) for r in await client.list_workflows(page_size=1000)
              if r.execution.workflow_id == handle.workflow_id}
    assert len(listed) == len(runs)
    return list(listed.values())


async def test_list_one_activity_per_item_stays_under_the_suggestion(small_events_client):
    handle, result = await _run(small_events_client, UnderList, {"n": 400, "cap": 10}, "under-list")
    assert result == [i * i for i in range(400)]
    sizes = await _run_sizes(small_events_client, handle)
    assert len(sizes) >= 4
    assert max(e for e, _ in sizes) < SUGGEST_EVENTS, sizes
    assert max(e for e, _ in sizes[:-1]) > SUGGEST_EVENTS // 2, sizes  # runs still do real work


async def test_list_groups_stay_under_the_suggestion(small_events_client):
    handle, result = await _run(small_events_client, UnderList, {"n": 2000, "cap": 50}, "under-groups")
    assert result == [i * i for i in range(2000)]
    sizes = await _run_sizes(small_events_client, handle)
    assert len(sizes) >= 3
    assert max(e for e, _ in sizes) < SUGGEST_EVENTS, sizes


async def test_offset_and_two_executors_at_once_stay_under_the_suggestion(small_events_client):
    handle, result = await _run(small_events_client, UnderOffset, 2000, "under-offset")
    assert result == [i * i for i in range(2000)]
    sizes = await _run_sizes(small_events_client, handle)
    assert len(sizes) >= 3
    assert max(e for e, _ in sizes) < SUGGEST_EVENTS, sizes

    handle, result = await _run(small_events_client, UnderTwo, 300, "under-two")
    assert result == [sum(i * i for i in range(300))] * 2
    sizes = await _run_sizes(small_events_client, handle)
    assert len(sizes) >= 3
    assert max(e for e, _ in sizes) < SUGGEST_EVENTS, sizes


async def test_chain_stays_under_the_suggestion(small_events_client):
    handle, result = await _run(small_events_client, UnderChain, None, "under-chain")
    assert result == [i * i for i in range(CHAIN_LENGTH)]
    sizes = await _run_sizes(small_events_client, handle)
    assert len(sizes) >= 3
    assert max(e for e, _ in sizes) < SUGGEST_EVENTS, sizes


async def test_list_stays_under_a_bytes_suggestion(tmp_path):
    limit = 120_000
    cluster, client = await _cluster(tmp_path, suggest_continue_as_new_bytes=limit)
    try:
        handle, result = await _run(client, UnderPadded, 600, "under-bytes")
        assert result == sum(len(f"{i}:") + 1000 for i in range(600))
        sizes = await _run_sizes(client, handle)
    finally:
        await client.close()
        await cluster.stop()
    assert len(sizes) >= 3
    assert max(b for _, b in sizes) < limit, sizes
