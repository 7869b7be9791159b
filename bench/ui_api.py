"""Latency of the web UI's HTTP API (not a test: the figures depend on the machine).

    python -m bench.ui_api                       # 10,000 stored workflows, a ~50,000-event run
    python -m bench.ui_api --workflows 2000 --events 10000 --repeat 20     # quicker
    python -m bench.ui_api --items 1000000       # also a run of 1,000,000 Offset items

On a fresh `fanflow dev` process (SQLite `synchronous=NORMAL`, 4 shards) serving its web UI,
this process stores `--workflows` workflows (started, no worker for their type: two events
each) and runs one workflow whose history grows to about `--events` events (waves of
activities, the worker in this process). Then it times each request `--repeat` times with a
plain HTTP client, one at a time, and prints p50 / p95 / max in milliseconds: list pages
(with and without filters), counts by status, describe, history pages at the start, middle
and end of the long run, a filtered history request (it looks at up to 10,000 events), the
timeline of the last 2,000 events and progress. With `--items N`, one more workflow runs an
Offset executor over N items (worker in this process): progress is read every 0.25 s while it
runs (what a page's stream does, four times as often), then the pages and calls of that run
are timed once it has finished. Writes bench/results/ui-api-<time>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

import worker_sdk as workflows
from bench.procs import free_port, start_fanflow

TASK_QUEUE = "bench-ui"
WAVE = 250  # activities gathered at once by the long run


@workflows.activity()
async def bench_ui_step(i: int) -> int:
    return i


@workflows.workflow.define(name="bench_ui_long")
class LongHistory:
    @workflows.workflow.entrypoint
    async def run(self, target_events: int) -> int:
        done = 0
        while workflows.workflow.info().get_current_history_length() < target_events - 4 * WAVE:
            await asyncio.gather(*[bench_ui_step(done + i) for i in range(WAVE)])
            done += WAVE
        return done


@workflows.activity()
async def bench_ui_item(item_id: int, value: str) -> int:
    return item_id


@workflows.activity()
async def bench_ui_item_at(params: workflows.GetItemFromIndexParams) -> dict:
    return {"item_id": params.idx, "value": f"item_{params.idx}"}


@workflows.workflow.define(name="bench_ui_items")
class ManyItems:
    """The README example's Offset executor (groups of 100, 50 in flight) over n_items items."""

    @workflows.workflow.entrypoint
    async def run(self, n_items: int) -> int:
        results = await workflows.execute_activities_in_parallel(
            activity=bench_ui_item, get_item_from_index_activity=bench_ui_item_at, n_items=n_items,
            max_concurrent_executions_per_worker=100, max_concurrent_scheduled_tasks=50,
        )
        return len(results)


async def large_run(client, base: str, n_items: int, repeat: int) -> dict:
    """Run ManyItems over n_items; progress latency while it runs, then the run's pages and calls."""
    ns = "/api/v1/namespaces/default"
    path = f"{ns}/workflows/many-items"
    samples: list[float] = []
    finished = threading.Event()

    def sample_progress() -> None:  # its own thread and connection: the worker keeps this process's event loop busy
        with httpx.Client(base_url=base, timeout=120) as http:
            while not finished.is_set():
                t0 = time.perf_counter()
                response = http.get(f"{path}/progress")
                if response.status_code != 404:  # 404 until the start is stored
                    response.raise_for_status()
                    samples.append((time.perf_counter() - t0) * 1000)
                finished.wait(0.25)

    async with workflows.Worker(client, task_queue=TASK_QUEUE, workflows=[ManyItems], activities=[bench_ui_item, bench_ui_item_at]):
        started = time.monotonic()
        handle = await client.start_workflow(ManyItems, n_items, id="many-items", task_queue=TASK_QUEUE)
        sampler = asyncio.get_running_loop().run_in_executor(None, sample_progress)
        try:
            assert await handle.result(timeout=7200) == n_items
        finally:
            finished.set()
            await sampler
        ran_in = time.monotonic() - started
    samples.sort()
    results = {"progress while it runs (every 0.25 s)": {
        "p50_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1),
        "max_ms": round(samples[-1], 1), "n": len(samples)}}
    with httpx.Client(base_url=base, timeout=120) as http:
        progress = http.get(f"{path}/progress").json()
        [executor] = progress["executors"]
        assert executor["done"] == n_items, executor
        results["progress, finished run"] = timed(http, repeat, f"{path}/progress", lambda i: {})
        results["describe"] = timed(http, repeat, path, lambda i: {})
        results["runs (continue-as-new chain)"] = timed(http, repeat, f"{path}/runs", lambda i: {})
        results["failed items (none)"] = timed(http, repeat, f"{path}/failures", lambda i: {})
        results["history, first 100 events"] = timed(http, repeat, f"{path}/history", lambda i: {"page_size": 100})
        results["workflow page (HTML)"] = timed(http, max(3, repeat // 5), "/namespaces/default/workflow", lambda i: {"id": "many-items"})
    return {"items": n_items, "runs": progress["runs"], "ran_in_s": round(ran_in, 1), "items_per_second": round(n_items / ran_in), "requests": results}


async def store_idle_workflows(client, count: int, concurrency: int = 64) -> None:
    """Workflows of a type no worker serves: each is stored with its first events and stays running."""
    queue = iter(range(count))

    async def starter() -> None:
        for i in queue:
            await client.start_workflow("bench_ui_idle", {"n": i, "note": "<idle>"}, id=f"idle-{i:05d}", task_queue="bench-ui-nobody")

    await asyncio.gather(*(starter() for _ in range(concurrency)))


def timed(http: httpx.Client, repeat: int, path: str, params_of) -> dict:
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        response = http.get(path, params=params_of(i))
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1), "max_ms": round(samples[-1], 1), "n": repeat}


async def main(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    ui_port = free_port()
    server = start_fanflow(workdir, "NORMAL", ui_address=f"127.0.0.1:{ui_port}")
    try:
        client = await workflows.Client.connect(server.address)
        started = time.monotonic()
        await store_idle_workflows(client, args.workflows)
        stored_in = time.monotonic() - started
        async with workflows.Worker(client, task_queue=TASK_QUEUE, workflows=[LongHistory], activities=[bench_ui_step], max_concurrent_activities=WAVE):
            handle = await client.start_workflow(LongHistory, args.events, id="long-history", task_queue=TASK_QUEUE)
            await handle.result(timeout=3600)
        length = (await handle.describe()).info.history_length
        await client.close()
        built_in = time.monotonic() - started
        base = f"http://127.0.0.1:{ui_port}"
        ns = "/api/v1/namespaces/default"
        long = f"{ns}/workflows/long-history"
        far = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
        results: dict[str, dict] = {}
        with httpx.Client(base_url=base, timeout=120) as http:
            http.get(f"{ns}/workflows", params={"page_size": 1}).raise_for_status()  # warm up
            r = args.repeat
            results["list, first page of 50"] = timed(http, r, f"{ns}/workflows", lambda i: {"page_size": 50})
            token = http.get(f"{ns}/workflows", params={"page_size": 50}).json()["next_page_token"]
            results["list, second page of 50"] = timed(http, r, f"{ns}/workflows", lambda i: {"page_size": 50, "page_token": token})
            results["list, status=running"] = timed(http, r, f"{ns}/workflows", lambda i: {"page_size": 50, "status": "running"})
            results["list, id prefix idle-09 (50 of 1,000)"] = timed(http, r, f"{ns}/workflows", lambda i: {"page_size": 50, "id_prefix": "idle-09"})
            # A different (far) time bound each time: no answer can come from a cache.
            results["count by status, all runs"] = timed(http, r, f"{ns}/workflow-count",
                                                         lambda i: {"started_before": (far + datetime.timedelta(seconds=i)).isoformat()})
            results["describe an idle workflow"] = timed(http, r, f"{ns}/workflows/idle-{args.workflows // 2:05d}", lambda i: {})
            results["describe the long run"] = timed(http, r, long, lambda i: {})
            results["history, first 100 events"] = timed(http, r, f"{long}/history", lambda i: {"page_size": 100})
            results["history, 100 events from the middle"] = timed(http, r, f"{long}/history", lambda i: {"page_size": 100, "first_event_id": length // 2})
            results["history, last 100 events"] = timed(http, r, f"{long}/history", lambda i: {"page_size": 100, "first_event_id": length - 99})
            results["history, 1,000 events"] = timed(http, r, f"{long}/history", lambda i: {"page_size": 1000, "first_event_id": length // 2})
            results["history search (looks at 10,000 events)"] = timed(http, max(3, r // 5), f"{long}/history", lambda i: {"q": "no such text", "page_size": 100})
            results["timeline, last 2,000 events"] = timed(http, max(3, r // 5), f"{long}/timeline", lambda i: {})
            results["progress"] = timed(http, r, f"{long}/progress", lambda i: {})
            results["workflow page (HTML)"] = timed(http, max(3, r // 5), "/namespaces/default/workflow", lambda i: {"id": "long-history"})
            results["list page (HTML)"] = timed(http, max(3, r // 5), "/namespaces/default/workflows", lambda i: {})
        report = {"workflows": args.workflows + 1, "long_run_events": length, "stored_in_s": round(stored_in, 1), "built_in_s": round(built_in, 1),
                  "requests": results, "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        if args.items:
            client = await workflows.Client.connect(server.address)
            try:
                report["large_run"] = await large_run(client, base, args.items, args.repeat)
            finally:
                await client.close()
        return report
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--items", type=int, default=0, help="also run an Offset executor over this many items (e.g. 1000000)")
    report = asyncio.run(main(parser.parse_args()))
    print(f"{report['workflows']:,} workflows stored, a run of {report['long_run_events']:,} events (set up in {report['built_in_s']} s)")
    print(f"{'request':48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, r in report["requests"].items():
        print(f"{name:48} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['max_ms']:8.1f}")
    if "large_run" in report:
        large = report["large_run"]
        print(f"a run of {large['items']:,} Offset items: {large['ran_in_s']} s ({large['items_per_second']:,} items/s), {large['runs']} runs")
        for name, r in large["requests"].items():
            print(f"{name:48} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['max_ms']:8.1f}")
    out = Path(__file__).parent / "results" / f"ui-api-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")
