"""The Temporal side of the workloads (temporalio SDK), the same code shapes as
fanflow_side.py. Worker: one in-process worker in the driver, max_concurrent_activities=100,
4 activity-task polls, 4 workflow-task polls (fanflow: 2 normal + 2 sticky pollers),
cache of 1,000 runs, the default (sandboxed) workflow runner."""
from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow

WINDOW = 100
MAX_CONCURRENT_ACTIVITIES = 100
TIMEOUT = timedelta(seconds=60)


@activity.defn(name="bench_noop")
async def bench_noop(i: int) -> int:
    return i


@activity.defn(name="bench_sized_item")
async def bench_sized_item(index: int, size: int) -> str:
    return "x" * size


@workflow.defn(name="bench_sliding_window")
class SlidingWindow:
    """Workload 1: N activities, at most `window` in flight, refilled as each completes."""

    @workflow.run
    async def run(self, n: int, window: int) -> int:
        total, next_i, pending = 0, 0, []
        while next_i < n or pending:
            while next_i < n and len(pending) < window:
                pending.append(asyncio.ensure_future(workflow.execute_activity(bench_noop, next_i, start_to_close_timeout=TIMEOUT)))
                next_i += 1
            # workflow.wait is Temporal's deterministic asyncio.wait
            done, rest = await workflow.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending = list(rest)
            total += sum(f.result() for f in done)
        return total


@workflow.defn(name="bench_three_steps")
class ThreeSteps:
    """Workload 2: three activities in sequence."""

    @workflow.run
    async def run(self, x: int) -> int:
        for _ in range(3):
            x = await workflow.execute_activity(bench_noop, x, start_to_close_timeout=TIMEOUT)
        return x


@workflow.defn(name="bench_list_executor")
class ListExecutor:
    """Workload 3, hand-written: the same sliding window over items [start, n), continuing
    as new every `batch` items (carrying the count, not the results)."""

    @workflow.run
    async def run(self, n: int, window: int, batch: int, start: int = 0, count: int = 0, result_bytes: int = 0) -> int:
        end = min(n, start + batch)
        next_i, pending = start, []
        while next_i < end or pending:
            while next_i < end and len(pending) < window:
                if result_bytes:
                    call = workflow.execute_activity(bench_sized_item, args=[next_i, result_bytes], start_to_close_timeout=TIMEOUT)
                else:
                    call = workflow.execute_activity(bench_noop, next_i, start_to_close_timeout=TIMEOUT)
                pending.append(asyncio.ensure_future(call))
                next_i += 1
            done, rest = await workflow.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending = list(rest)
            count += len(done)
        if end < n:
            workflow.continue_as_new(args=[n, window, batch, end, count, result_bytes])
        return count


async def connect(address: str, wait: float = 60.0):
    """Connect, waiting while the dev server says its frontend is not healthy yet (its port
    opens before it serves)."""
    import asyncio

    from temporalio.client import Client

    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            return await Client.connect(address)
        except RuntimeError as exc:
            if "not healthy yet" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def make_worker(client, task_queue: str):
    from temporalio.worker import Worker

    return Worker(
        client,
        task_queue=task_queue,
        workflows=[SlidingWindow, ThreeSteps, ListExecutor],
        activities=[bench_noop, bench_sized_item],
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
        max_cached_workflows=1000,
        max_concurrent_workflow_task_polls=4,
        max_concurrent_activity_task_polls=4,
    )


async def fan_out(address: str, n: int) -> dict:
    client = await connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    async with make_worker(client, queue):
        t0 = time.perf_counter()
        total = await client.execute_workflow(SlidingWindow.run, args=[n, WINDOW], id=f"bench-fan-out-{queue}", task_queue=queue)
        elapsed = time.perf_counter() - t0
    assert total == n * (n - 1) // 2, f"wrong sum {total}"
    return {"n": n, "seconds": elapsed, "activities_per_s": n / elapsed}


async def many_workflows(address: str, n: int) -> dict:
    from bench.fanflow_side import latency_summary

    client = await connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    async with make_worker(client, queue):
        latencies: list[float] = []

        async def one(i: int) -> None:
            t = time.perf_counter()
            handle = await client.start_workflow(ThreeSteps.run, i, id=f"bench-3steps-{queue}-{i}", task_queue=queue)
            result = await handle.result()
            latencies.append(time.perf_counter() - t)
            assert result == i, result

        t0 = time.perf_counter()
        await asyncio.gather(*[one(i) for i in range(n)])
        elapsed = time.perf_counter() - t0
    return latency_summary(n, elapsed, latencies)


async def list_executor(address: str, n: int, batch: int = 2000, result_bytes: int = 0) -> dict:
    client = await connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    async with make_worker(client, queue):
        t0 = time.perf_counter()
        count = await client.execute_workflow(ListExecutor.run, args=[n, WINDOW, batch, 0, 0, result_bytes], id=f"bench-list-{queue}", task_queue=queue)
        elapsed = time.perf_counter() - t0
    assert count == n, count
    return {"n": n, "result_bytes": result_bytes, "seconds": elapsed, "items_per_s": n / elapsed, "continue_as_new_every": batch}


async def warmup(address: str) -> None:
    """One short workflow so connections, namespaces and imports are warm before timing."""
    client = await connect(address)
    queue = f"bench-warmup-{uuid.uuid4().hex[:8]}"
    async with make_worker(client, queue):
        await client.execute_workflow(ThreeSteps.run, 1, id=f"bench-warmup-{queue}", task_queue=queue)
