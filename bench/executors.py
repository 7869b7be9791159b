"""The three executors at scale, each on a fresh `fanflow dev` process of its own.

    python -m bench.executors                          # 100,000 items through List and Offset, 10,000 through Chain
    python -m bench.executors --sizes 10000,100000     # the same at two sizes: peak RSS should not grow with N
    python -m bench.executors --patterns offset --sizes 1000000
    python -m bench.executors --patterns list --sizes 1000000 --result-bytes 1024   # results of 1 KB each

Prints, per (executor, N): items/s, the number of runs (continue-as-new), the
largest run's history in events and bytes, the peak RSS (VmHWM) of the cluster process and the
size of its data folder (the result store is in it). The workflow reads every result back
(lazily, from the store) and returns a checksum of them, which the driver checks.
Not a test: figures depend on the machine; compare runs made together.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

import worker_sdk as workflows
from bench.procs import start_fanflow

TASK_QUEUE = "bench-executors"


RESULT_BYTES = {"n": 0}  # set by measure(): 0 = an int result, else a string of about that many bytes


def result_of(i: int):
    if not RESULT_BYTES["n"]:
        return i + 1
    head = f"{i}:"
    return head + "x" * max(0, RESULT_BYTES["n"] - len(head))


def checksum(results) -> list[int]:
    """[count, a running hash of every result]: the workflow's answer (every result read back)."""
    count, digest = 0, 0
    for result in results:
        count += 1
        digest = (digest * 31 + zlib.crc32(str(result).encode())) % (1 << 61)
    return [count, digest]


@workflows.activity()
async def bx_process(i: int) -> int | str:
    return result_of(i)


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
    async def run(self, n: int) -> list[int]:
        results = await workflows.execute_activities_in_parallel(bx_process, items=list(range(n)), max_concurrent_scheduled_tasks=100)
        return checksum(results)


@workflows.workflow.define(name="bench_exec_offset")
class OffsetRun:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        results = await workflows.execute_activities_in_parallel(
            bx_process, get_item_from_index_activity=bx_fetch, n_items=n,
            max_concurrent_executions_per_worker=100, max_concurrent_scheduled_tasks=50,
        )
        return checksum(results)


@workflows.workflow.define(name="bench_exec_chain")
class ChainRun:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        results = await workflows.execute_activities_in_parallel(bx_process, get_item_from_prev_item_activity=bx_next)
        return checksum(results)


WORKFLOWS = {"list": ListRun, "offset": OffsetRun, "chain": ChainRun}


async def _runs(client, workflow_id: str) -> list[tuple[int, int]]:
    """(events, bytes) of each run of the workflow."""
    return [(run.history_length, run.history_size_bytes) for run in await client.list_workflows(page_size=1000)
            if run.execution.workflow_id == workflow_id]


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


async def measure(pattern: str, n: int, workdir: Path, synchronous: str, result_bytes: int = 0) -> dict:
    CHAIN_LENGTH["n"] = n
    RESULT_BYTES["n"] = result_bytes
    server = start_fanflow(workdir, synchronous)
    client = await workflows.Client.connect(server.address)
    try:
        async with workflows.Worker(client, task_queue=TASK_QUEUE, workflows=[WORKFLOWS[pattern]],
                                    activities=[bx_process, bx_fetch, bx_next], max_concurrent_activities=100):
            started = time.monotonic()
            handle = await client.start_workflow(WORKFLOWS[pattern], n, task_queue=TASK_QUEUE)
            answer = await handle.result(timeout=14400)
            seconds = time.monotonic() - started
        expected = checksum(result_of(i) for i in range(n))
        assert answer == expected, f"checksum {answer} != expected {expected}"
        runs = await _runs(client, handle.workflow_id)
        return {
            "pattern": pattern, "n": n, "result_bytes": result_bytes, "seconds": round(seconds, 1), "items_per_s": round(n / seconds, 1),
            "runs": len(runs), "max_events_per_run": max(e for e, _ in runs), "max_history_bytes_per_run": max(b for _, b in runs),
            "checksum_ok": True, "cluster_peak_rss_mib": round(server.peak_rss_mib(), 1),
            "cluster_cpu_s": round(server.cpu_seconds(), 1), "data_folder_mib": round(_folder_bytes(workdir / "fanflow-data") / 2**20, 1),
            "sqlite_synchronous": synchronous,
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
    parser.add_argument("--result-bytes", type=int, default=0, help="each item's result: a string of about this many bytes (0: an int)")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    from fanflow.logging import configure_logging

    configure_logging("WARNING")
    rows = []
    print(f"{'executor':8} {'N':>9} {'items/s':>9} {'runs':>5} {'max events/run':>15} {'max bytes/run':>14} {'cluster peak RSS':>17} {'data':>9}", flush=True)
    for pattern in args.patterns.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            if pattern == "chain":
                n = min(n, args.chain_max)
            with tempfile.TemporaryDirectory(prefix=f"bench-{pattern}-") as tmp:
                row = await measure(pattern, n, Path(tmp), args.sqlite_synchronous, args.result_bytes)
            rows.append(row)
            print(f"{pattern:8} {n:>9,} {row['items_per_s']:>9,.0f} {row['runs']:>5} {row['max_events_per_run']:>15,} "
                  f"{row['max_history_bytes_per_run']:>14,} {row['cluster_peak_rss_mib']:>13.0f} MiB {row['data_folder_mib']:>5.0f} MiB", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
