"""The three executors at scale, each on a fresh `fanflow dev` process of its own.

    python -m bench.executors                          # 100,000 items through List and Offset, 10,000 through Chain
    python -m bench.executors --sizes 10000,100000     # the same at two sizes: peak RSS should not grow with N
    python -m bench.executors --patterns offset --sizes 1000000

Prints, per (executor, N): items/s, the number of runs (continue-as-new), the
largest run's history in events, and the peak RSS (VmHWM) of the cluster process.
Not a test: figures depend on the machine; compare runs made together.
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
from bench.procs import start_fanflow

TASK_QUEUE = "bench-executors"


@workflows.activity()
async def bx_process(i: int) -> int:
    return i + 1


@workflows.activity()
async def bx_fetch(params: workflows.GetItemFromIndexParams) -> int:
    return params.idx


CHAIN_LENGTH = {"n": 0}  # set by measure(); the worker runs in this process


@workflows.activity()
async def bx_next(prev: int | None) -> int | None:
    nxt = 0 if prev is None else prev + 1
    return nxt if nxt < CHAIN_LENGTH["n"] else None


@workflows.workflow.define(name="bench_exec_list")
class ListRun:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        results = await workflows.execute_activities_in_parallel(bx_process, items=list(range(n)), max_concurrent_scheduled_tasks=100)
        return len(results)


@workflows.workflow.define(name="bench_exec_offset")
class OffsetRun:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        results = await workflows.execute_activities_in_parallel(
            bx_process, get_item_from_index_activity=bx_fetch, n_items=n,
            max_concurrent_executions_per_worker=100, max_concurrent_scheduled_tasks=50,
        )
        return len(results)


@workflows.workflow.define(name="bench_exec_chain")
class ChainRun:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        results = await workflows.execute_activities_in_parallel(bx_process, get_item_from_prev_item_activity=bx_next)
        return len(results)


WORKFLOWS = {"list": ListRun, "offset": OffsetRun, "chain": ChainRun}


async def _run_lengths(client, workflow_id: str) -> list[int]:
    return [run.history_length for run in await client.list_workflows(page_size=1000) if run.execution.workflow_id == workflow_id]


async def measure(pattern: str, n: int, workdir: Path, synchronous: str) -> dict:
    CHAIN_LENGTH["n"] = n
    server = start_fanflow(workdir, synchronous)
    client = await workflows.Client.connect(server.address)
    try:
        async with workflows.Worker(client, task_queue=TASK_QUEUE, workflows=[WORKFLOWS[pattern]],
                                    activities=[bx_process, bx_fetch, bx_next], max_concurrent_activities=100):
            started = time.monotonic()
            handle = await client.start_workflow(WORKFLOWS[pattern], n, task_queue=TASK_QUEUE)
            assert await handle.result(timeout=7200) == n
            seconds = time.monotonic() - started
        lengths = await _run_lengths(client, handle.workflow_id)
        return {
            "pattern": pattern, "n": n, "seconds": round(seconds, 1), "items_per_s": round(n / seconds, 1),
            "runs": len(lengths), "max_events_per_run": max(lengths), "cluster_peak_rss_mib": round(server.peak_rss_mib(), 1),
            "cluster_cpu_s": round(server.cpu_seconds(), 1), "sqlite_synchronous": synchronous,
        }
    finally:
        await client.close()
        server.stop()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patterns", default="list,offset,chain")
    parser.add_argument("--sizes", default="100000", help="comma-separated item counts")
    parser.add_argument("--chain-max", type=int, default=10_000, help="cap on Chain's N (each fetch is a workflow-task round trip)")
    parser.add_argument("--sqlite-synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    from fanflow.logging import configure_logging

    configure_logging("WARNING")
    rows = []
    print(f"{'executor':8} {'N':>9} {'items/s':>9} {'runs':>5} {'max events/run':>15} {'cluster peak RSS':>17}", flush=True)
    for pattern in args.patterns.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            if pattern == "chain":
                n = min(n, args.chain_max)
            with tempfile.TemporaryDirectory(prefix=f"bench-{pattern}-") as tmp:
                row = await measure(pattern, n, Path(tmp), args.sqlite_synchronous)
            rows.append(row)
            print(f"{pattern:8} {n:>9,} {row['items_per_s']:>9,.0f} {row['runs']:>5} {row['max_events_per_run']:>15,} {row['cluster_peak_rss_mib']:>13.0f} MiB", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
