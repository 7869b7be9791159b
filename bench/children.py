"""A million activities the way Temporal recommends: a parent fanning out to child workflows,
each running its own share of the items (1,000 children x 1,000 activities).

    python -m bench.children --children 1000 --items 1000     # the full million
    python -m bench.children --children 100 --items 1000      # 100,000 activities

On a fresh `fanflow dev` process (SQLite, `synchronous=NORMAL` by default), the worker in
this process. The parent starts every child at once (`execute_workflow` in workflow code,
gathered); each child runs the List executor (`execute_activities_in_parallel`, at most
`--window` of its items in flight) over its items with a trivial activity, and returns their
sum, which the parent checks. Prints the wall time, items/s, the cluster process's CPU
seconds and peak RSS (VmHWM), the driver's CPU seconds, and the parent's history length.
While it runs, every `--report` seconds it prints the parent's progress (children done, items
done in the open children) as `fanflow workflow progress PARENT_ID` would show it.
Not a test: figures depend on the machine.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import worker_sdk as workflows
from bench.procs import self_cpu_seconds, start_fanflow

TASK_QUEUE = "bench-children"


@workflows.activity()
async def bc_item(i: int) -> int:
    return i + 1


@workflows.workflow.define(name="bench_children_child")
class BenchChild:
    @workflows.workflow.entrypoint
    async def run(self, start: int, items: int, window: int) -> int:
        results = await workflows.execute_activities_in_parallel(
            bc_item, items=list(range(start, start + items)), max_concurrent_scheduled_tasks=window
        )
        return sum(results)


@workflows.workflow.define(name="bench_children_parent")
class BenchParent:
    @workflows.workflow.entrypoint
    async def run(self, children: int, items: int, window: int) -> int:
        me = workflows.get_execution_id()
        sums = await asyncio.gather(*(
            workflows.execute_workflow(
                BenchChild, params={"start": i * items, "items": items, "window": window}, execution_id=f"{me}-{i}"
            )
            for i in range(children)
        ))
        return sum(sums)


def expected_sum(children: int, items: int) -> int:
    n = children * items
    return n * (n + 1) // 2  # sum of i + 1 over 0 .. n-1


async def _report(handle, total_items: int, started: float, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            progress = await handle.progress(max_events=1)
        except Exception as exc:  # noqa: BLE001 - a report is best effort
            print(f"  progress unavailable: {exc}", flush=True)
            continue
        s = progress.children_summary
        open_items = sum(c.done for c in progress.children)
        print(f"  {time.monotonic() - started:7.1f} s  children: {s.completed}/{s.initiated} done, {s.pending} open "
              f"({open_items:,} items done in the open ones)", flush=True)


async def measure(children: int, items: int, window: int, workdir: Path, synchronous: str, report: float,
                  max_concurrent_activities: int) -> dict:
    server = start_fanflow(workdir, synchronous)
    client = await workflows.Client.connect(server.address)
    driver_cpu = self_cpu_seconds()
    try:
        async with workflows.Worker(client, task_queue=TASK_QUEUE, workflows=[BenchParent, BenchChild], activities=[bc_item],
                                    max_concurrent_activities=max_concurrent_activities, max_cached_workflows=max(1000, children + 10)):
            started = time.monotonic()
            handle = await client.start_workflow(BenchParent, args=(children, items, window), id=f"bench-children-{children}x{items}",
                                                 task_queue=TASK_QUEUE, execution_timeout=24 * 3600)
            reporter = asyncio.create_task(_report(handle, children * items, started, report)) if report > 0 else None
            try:
                total = await handle.result(timeout=24 * 3600)
            finally:
                if reporter is not None:
                    reporter.cancel()
            seconds = time.monotonic() - started
        assert total == expected_sum(children, items), f"parent's sum {total} != {expected_sum(children, items)}"
        parent_events = (await handle.describe()).info.history_length
        n = children * items
        return {
            "children": children, "items_per_child": items, "activities": n, "window": window, "seconds": round(seconds, 1),
            "items_per_s": round(n / seconds, 1), "cluster_peak_rss_mib": round(server.peak_rss_mib(), 1),
            "cluster_cpu_s": round(server.cpu_seconds(), 1), "driver_cpu_s": round(self_cpu_seconds() - driver_cpu, 1),
            "parent_events": parent_events, "sqlite_synchronous": synchronous,
        }
    finally:
        await client.close()
        server.stop()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1000, help="activities per child")
    parser.add_argument("--window", type=int, default=20, help="items in flight per child (List executor's max_concurrent_scheduled_tasks)")
    parser.add_argument("--max-concurrent-activities", type=int, default=200, help="the worker's activity slots")
    parser.add_argument("--sqlite-synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--report", type=float, default=15.0, help="seconds between progress lines (0: none)")
    parser.add_argument("--json", default=None, help="also write the result to this file")
    args = parser.parse_args(argv)
    if not (1 <= args.children <= 2000):
        parser.error("--children must be 1..2000 (a run's limit on open child workflows)")
    if args.items < 1 or args.window < 1:
        parser.error("--items and --window must be at least 1")
    from fanflow.logging import configure_logging

    configure_logging("WARNING")
    print(f"{args.children:,} children x {args.items:,} activities = {args.children * args.items:,} activities", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-children-") as tmp:
        row = await measure(args.children, args.items, args.window, Path(tmp), args.sqlite_synchronous, args.report,
                            args.max_concurrent_activities)
    print(f"{row['activities']:,} activities in {row['seconds']:,} s: {row['items_per_s']:,.0f} items/s; "
          f"cluster CPU {row['cluster_cpu_s']} s, peak RSS {row['cluster_peak_rss_mib']:.0f} MiB; driver CPU {row['driver_cpu_s']} s; "
          f"parent history {row['parent_events']:,} events", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
