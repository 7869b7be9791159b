"""What a finished executor's results cost: the final run's history and the processes' memory.

    python -m bench.executor_memory                                # 100,000 and 1,000,000 Offset items, this tree
    python -m bench.executor_memory --sizes 100000 --before /tmp/fanflow-main   # and the same with another tree's code

The main example's Offset executor (examples/executors_100k.py: `process_item` returning a
~40-byte dict, groups of 100, 50 in flight) on a fresh `fanflow dev` process; the workflow
checks every result while iterating them (no expected list built) and returns their count.
Each measurement runs in a fresh process (worker + driver) of its own, so its peak RSS is its
own; with `--before DIR` the same measurement runs with DIR's `worker_sdk` / `fanflow` (e.g.
`git archive main | tar -x -C DIR`), then this tree's, and the ratios are printed.

Reported: the final run's history (events, bytes: the sum of its events' sizes), the runs,
items/s, and the peak RSS (VmHWM) of the cluster process and of the worker process.
Not a test: figures depend on the machine; compare runs made together.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = "bench-executor-memory"


def _child(n: int, out: str) -> None:
    """One measurement, in this process (its code from whatever tree PYTHONPATH names)."""
    import worker_sdk as workflows
    from bench.procs import start_fanflow
    from fanflow.logging import configure_logging

    configure_logging("WARNING")

    @workflows.activity(name="bem_process_item")
    async def process_item(item_id: int, value: str) -> dict:
        return {"processed_value": f"processed_{value}"}

    @workflows.activity(name="bem_get_item_by_index")
    async def get_item_by_index(params: workflows.GetItemFromIndexParams) -> dict:
        return {"item_id": params.idx, "value": f"item_{params.idx}", "extra_data": params.extra_params}

    @workflows.workflow.define(name="bench_executor_memory_offset")
    class OffsetMemory:
        @workflows.workflow.entrypoint
        async def run(self, n_items: int) -> int:
            results = await workflows.execute_activities_in_parallel(
                activity=process_item, get_item_from_index_activity=get_item_by_index, n_items=n_items,
                max_concurrent_executions_per_worker=100, max_concurrent_scheduled_tasks=50,
            )
            count = 0
            for i, r in enumerate(results):  # checked one by one: no expected list
                if r != {"processed_value": f"processed_item_{i}"}:
                    raise workflows.ApplicationError(f"result {i} is {r!r}", non_retryable=True)
                count += 1
            return count

    async def measure() -> dict:
        with tempfile.TemporaryDirectory(prefix="bench-executor-memory-") as tmp:
            server = start_fanflow(Path(tmp), "NORMAL")
            client = await workflows.Client.connect(server.address)
            try:
                async with workflows.Worker(client, task_queue=TASK_QUEUE, workflows=[OffsetMemory],
                                            activities=[process_item, get_item_by_index], max_concurrent_activities=100):
                    started = time.monotonic()
                    handle = await client.start_workflow(OffsetMemory, n, task_queue=TASK_QUEUE)
                    assert await handle.result(timeout=7200) == n
                    seconds = time.monotonic() - started
                runs, run_id = 0, handle.run_id
                while run_id:
                    events = await handle.history(run_id)
                    runs += 1
                    last = events[-1]
                    run_id = last.workflow_execution_continued_as_new.new_execution_run_id if last.HasField("workflow_execution_continued_as_new") else ""
                return {
                    "n": n, "seconds": round(seconds, 1), "items_per_s": round(n / seconds), "runs": runs,
                    "final_run_events": len(events), "final_run_bytes": sum(e.ByteSize() for e in events),
                    "read_results_activities": sum(1 for e in events if e.activity_task_scheduled.activity_type.name == "fanflow.read_results"),
                    "cluster_peak_rss_mib": round(server.peak_rss_mib(), 1),
                    "worker_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                }
            finally:
                await client.close()
                server.stop()

    Path(out).write_text(json.dumps(asyncio.run(measure())))


def run_one(n: int, code: Path) -> dict:
    """A fresh process measuring ``n`` items with the code of the tree ``code``."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "PYTHONPATH": str(code)}
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(n), out.name], cwd=code, env=env, check=True)
        return json.loads(Path(out.name).read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated item counts")
    parser.add_argument("--before", default=None, help="a tree whose code to measure first (e.g. main extracted to a folder)")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    parser.add_argument("--child", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(int(args.child[0]), args.child[1])
        return 0
    trees = ([("before", Path(args.before).resolve())] if args.before else []) + [("after", ROOT)]
    rows = []
    header = f"{'code':6} {'N':>9} {'items/s':>8} {'runs':>4} {'final run: events':>17} {'bytes':>12} {'cluster RSS':>11} {'worker RSS':>10}"
    print(header, flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        by_code = {}
        for label, tree in trees:
            row = {"code": label, "tree": str(tree), **run_one(n, tree)}
            rows.append(row)
            by_code[label] = row
            print(f"{label:6} {n:>9,} {row['items_per_s']:>8,} {row['runs']:>4} {row['final_run_events']:>17,} {row['final_run_bytes']:>12,} "
                  f"{row['cluster_peak_rss_mib']:>7.0f} MiB {row['worker_peak_rss_mib']:>6.0f} MiB", flush=True)
        if len(by_code) == 2:
            b, a = by_code["before"], by_code["after"]
            print(f"{'ratio':6} {n:>9,}  final-run bytes {b['final_run_bytes'] / a['final_run_bytes']:.1f}x smaller, "
                  f"events {b['final_run_events'] / a['final_run_events']:.1f}x, worker peak RSS {b['worker_peak_rss_mib'] / a['worker_peak_rss_mib']:.1f}x, "
                  f"cluster peak RSS {b['cluster_peak_rss_mib'] / a['cluster_peak_rss_mib']:.1f}x", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
