"""The fanflow side of the workloads: workflows, activities and drivers.

Worker settings mirror temporal_side.py: one in-process worker in the driver,
max_concurrent_activities=100, 4 activity pollers, 2 workflow pollers on the normal
queue + 2 on the sticky queue (Temporal: 4 workflow-task polls), cache of 1,000 runs.
"""
from __future__ import annotations

import asyncio
import time
import uuid

import worker_sdk as workflows
from worker_sdk import Client, Worker

WINDOW = 100
MAX_CONCURRENT_ACTIVITIES = 100


@workflows.activity(name="bench_noop", start_to_close_timeout=60)
async def bench_noop(i: int) -> int:
    return i


@workflows.workflow.define(name="bench_sliding_window")
class SlidingWindow:
    """Workload 1: N activities, at most `window` in flight, refilled as each completes."""

    @workflows.workflow.entrypoint
    async def run(self, n: int, window: int) -> int:
        total, next_i, pending = 0, 0, []
        while next_i < n or pending:
            while next_i < n and len(pending) < window:
                pending.append(asyncio.ensure_future(bench_noop(next_i)))
                next_i += 1
            done, rest = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending = list(rest)
            total += sum(f.result() for f in done)
        return total


@workflows.workflow.define(name="bench_three_steps")
class ThreeSteps:
    """Workload 2: three activities in sequence."""

    @workflows.workflow.entrypoint
    async def run(self, x: int) -> int:
        for _ in range(3):
            x = await bench_noop(x)
        return x


def executor_available() -> tuple[bool, str]:
    try:
        from worker_sdk import execute_activities_in_parallel  # noqa: F401
    except ImportError as exc:
        return False, f"worker_sdk.execute_activities_in_parallel is not importable yet ({exc})"
    return True, ""


@workflows.activity(name="bench_process_item", start_to_close_timeout=60)
async def bench_process_item(item_id: int) -> int:
    return item_id


@workflows.activity(name="bench_sized_item", start_to_close_timeout=60)
async def bench_sized_item(index: int, size: int) -> str:
    return "x" * size


@workflows.workflow.define(name="bench_list_executor")
class ListExecutor:
    """Workloads 3 and 5: the List executor over n items (it continues-as-new by itself);
    with result_bytes, each item returns a string of that many bytes."""

    @workflows.workflow.entrypoint
    async def run(self, n: int, window: int, result_bytes: int = 0) -> int:
        from worker_sdk import execute_activities_in_parallel

        if result_bytes:
            items = [{"index": i, "size": result_bytes} for i in range(n)]
            results = await execute_activities_in_parallel(activity=bench_sized_item, items=items, max_concurrent_scheduled_tasks=window)
        else:
            # one-parameter activity: each item is that parameter's value
            results = await execute_activities_in_parallel(activity=bench_process_item, items=list(range(n)), max_concurrent_scheduled_tasks=window)
        return len(results or [])


def make_worker(client: Client, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[SlidingWindow, ThreeSteps, ListExecutor],
        activities=[bench_noop, bench_process_item, bench_sized_item],
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
        max_cached_workflows=1000,
        workflow_pollers=2,
        activity_pollers=4,
    )


async def fan_out(address: str, n: int) -> dict:
    client = await Client.connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        async with make_worker(client, queue) as worker:
            t0 = time.perf_counter()
            handle = await client.start_workflow(SlidingWindow, args=(n, WINDOW), task_queue=queue)
            total = await handle.result(timeout=3600)
            elapsed = time.perf_counter() - t0
            peak = worker.peak_running_activities
    finally:
        await client.close()
    assert total == n * (n - 1) // 2, f"wrong sum {total}"
    return {"n": n, "seconds": elapsed, "activities_per_s": n / elapsed, "peak_running_activities": peak}


async def many_workflows(address: str, n: int) -> dict:
    client = await Client.connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        async with make_worker(client, queue):
            latencies: list[float] = []

            async def one(i: int) -> None:
                t = time.perf_counter()
                handle = await client.start_workflow(ThreeSteps, i, task_queue=queue, id=f"bench-3steps-{queue}-{i}")
                result = await handle.result(timeout=3600)
                latencies.append(time.perf_counter() - t)
                assert result == i, result

            t0 = time.perf_counter()
            await asyncio.gather(*[one(i) for i in range(n)])
            elapsed = time.perf_counter() - t0
    finally:
        await client.close()
    return latency_summary(n, elapsed, latencies)


async def list_executor(address: str, n: int, result_bytes: int = 0) -> dict:
    client = await Client.connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        async with make_worker(client, queue) as worker:
            t0 = time.perf_counter()
            handle = await client.start_workflow(ListExecutor, args=(n, WINDOW, result_bytes), task_queue=queue)
            try:
                count = await handle.result(timeout=7200)
            except workflows.WorkflowFailureError as exc:
                # e.g. the run hit the history limit: report how far it got, and how fast
                elapsed = time.perf_counter() - t0
                done = worker.activities_completed
                return {"n": n, "seconds": elapsed, "error": str(exc), "items_done": done, "items_per_s_until_failure": done / elapsed}
            elapsed = time.perf_counter() - t0
    finally:
        await client.close()
    assert count == n, count
    return {"n": n, "result_bytes": result_bytes, "seconds": elapsed, "items_per_s": n / elapsed}


def latency_summary(n: int, elapsed: float, latencies: list[float]) -> dict:
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]

    return {"n": n, "seconds": elapsed, "workflows_per_s": n / elapsed, "p50_s": pct(50), "p99_s": pct(99), "max_s": lat[-1]}


async def warmup(address: str) -> None:
    """One short workflow so connections, namespaces and imports are warm before timing."""
    client = await Client.connect(address)
    queue = f"bench-warmup-{uuid.uuid4().hex[:8]}"
    try:
        async with make_worker(client, queue):
            await (await client.start_workflow(ThreeSteps, 1, task_queue=queue)).result(timeout=120)
    finally:
        await client.close()
