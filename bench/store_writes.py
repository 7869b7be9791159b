"""Micro-benchmark of a history shard store's write path: `python -m bench.store_writes`.

C concurrent writers each commit a typical workflow-task completion (new state, 3 events,
an activity, a timer, an outbox task) for a workflow of their own, one after another, for a
fixed time, on a real file (synchronous NORMAL, as `fanflow dev`). Reported per C: writes/s,
transactions (writes per transaction), process CPU per write (every thread) and event-loop
thread CPU per write (what the loop, fanflow's bottleneck, spends on it).

It speaks only `SqliteHistoryStore`'s public methods, so the same file measures any version
of the store: run it from each checkout (the current directory comes first on sys.path).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

import structlog

from fanflow.sqlite import SqliteSettings
from history.persistence.sqlite import SqliteHistoryStore
from history.persistence.store import ExecutionCommit, RunWrite
from protos import common_pb2, internal_pb2, persistence_pb2

NS = "default"


def _commit(workflow_id: str, n: int) -> ExecutionCommit:
    state = persistence_pb2.ExecutionState(
        namespace=NS, workflow_id=workflow_id, run_id="r1", first_run_id="r1", workflow_type="bench",
        status=common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING, next_event_id=3 * n + 4, request_id="req",
    )
    events = [
        common_pb2.HistoryEvent(event_id=3 * n + i + 1, event_type=common_pb2.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        for i in range(3)
    ]
    activity = persistence_pb2.ActivityInfo(scheduled_event_id=3 * n + 1, activity_id=str(n))
    timer = persistence_pb2.TimerTask(kind=persistence_pb2.TIMER_TASK_KIND_USER_TIMER, namespace=NS, workflow_id=workflow_id, run_id="r1")
    task = internal_pb2.TaskInfo(namespace=NS, workflow_id=workflow_id, run_id="r1", scheduled_event_id=3 * n + 1,
                                 task_type=common_pb2.TASK_TYPE_ACTIVITY)
    return ExecutionCommit(
        runs=[RunWrite(state=state, events=events, activities_upserted={3 * n + 1: activity}, timers=[(time.time_ns(), timer)], outbox=[task])],
        current_changed=n == 0,
    )


async def _measure(path: Path, writers: int, seconds: float) -> dict:
    store = SqliteHistoryStore(path, 0, "bench", SqliteSettings("NORMAL"))
    await store.open()
    counts = [0] * writers
    stop = False

    async def writer(w: int) -> None:
        n = 0
        while not stop:
            await store.commit(_commit(f"wf-{writers}-{w}", n))
            n += 1
        counts[w] = n

    try:
        for w in range(writers):  # warm-up: one write each
            await store.commit(_commit(f"warm-{writers}-{w}", 0))
        commits_before = store.commits
        wall0, cpu0, loop0 = time.perf_counter(), time.process_time(), time.thread_time()
        tasks = [asyncio.create_task(writer(w)) for w in range(writers)]
        await asyncio.sleep(seconds)
        stop = True
        await asyncio.gather(*tasks)
        wall, cpu, loop = time.perf_counter() - wall0, time.process_time() - cpu0, time.thread_time() - loop0
        transactions = store.commits - commits_before
    finally:
        await store.close()
    writes = sum(counts)
    return {
        "writes_per_s": writes / wall,
        "writes_per_tx": writes / max(transactions, 1),
        "cpu_us_per_write": cpu / writes * 1e6,
        "loop_cpu_us_per_write": loop / writes * 1e6,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", default="1,64", help="comma-separated concurrent writer counts")
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per writer count (the median is shown)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))  # no "shard acquired" lines
    with tempfile.TemporaryDirectory(prefix="fanflow-store-bench-") as tmp:
        for writers in (int(w) for w in args.writers.split(",")):
            runs = [await _measure(Path(tmp) / f"shard-{writers}-{r}.db", writers, args.seconds) for r in range(args.rounds)]
            median = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            print(
                f"writers={writers:<3} writes/s={median['writes_per_s']:8.0f}  writes/tx={median['writes_per_tx']:5.1f}  "
                f"CPU/write={median['cpu_us_per_write']:6.0f} us  loop CPU/write={median['loop_cpu_us_per_write']:6.0f} us"
                f"   (runs: {', '.join(format(run['writes_per_s'], '.0f') for run in runs)} writes/s)",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
