"""Cluster-wide activity rate limits on an embedded cluster (issue 13): RateLimit(1 s, 20) holds
across 4 workers (starts read from history, every sliding window checked) and every activity
completes; a key shares one limit between two activity types; one key with two limits is refused
naming both activities."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import pytest

import worker_sdk as workflows
from protos import common_pb2 as E
from support.activity_history import busiest_window, starts_of
from support.sticky_workflows import RateLimitedBatch, SharedKeyBatch, limited_call, shared_read, shared_write
from worker_sdk import RateLimit, Worker
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
