"""The seed system's own List executor (Mistral Workflows 3.16) on a Temporal server: run by
`bench/seed_side.py` with the Python 3.12 venv that has `mistralai-workflows` installed:

    V/bin/python bench/seed_list_driver.py --address 127.0.0.1:P --items N --result-bytes B --window 100

It is a plain seed program (`import mistralai.workflows as workflows`: an activity, a workflow
calling `execute_activities_in_parallel(items=..., max_concurrent_scheduled_tasks=window)`),
served by the seed's own Temporal workers (`_create_temporal_workers`: the workflow, the seed's
internal parallel-execution workflows and every registered activity, its sandboxed runner and
worker settings). What `run_worker` adds around them needs the Mistral Workflows API
(registering specs, the event stream, config discovery) and is left out, which only spares the
seed work. A warm-up run of 10 items first, then the measured run. Prints one JSON line:
{"items", "items_per_s", "wall_s", "runs", "ok"}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
import warnings

os.environ.setdefault("OTEL_SDK_DISABLED", "true")
warnings.filterwarnings("ignore")

import mistralai.workflows as workflows  # noqa: E402
from pydantic import BaseModel  # noqa: E402


class SeedBenchInput(BaseModel):
    n: int
    size: int
    window: int


@workflows.activity()
async def seed_bench_item(index: int, size: int) -> str:
    return "x" * size if size else str(index)


@workflows.workflow.define(name="seed_bench_list")
class SeedBenchList:
    @workflows.workflow.entrypoint
    async def run(self, params: SeedBenchInput) -> int:
        items = [{"index": i, "size": params.size} for i in range(params.n)]
        results = await workflows.execute_activities_in_parallel(seed_bench_item, items=items, max_concurrent_scheduled_tasks=params.window)
        return sum(1 for r in results if r is not None)


async def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--address", required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--result-bytes", type=int, default=0)
    p.add_argument("--window", type=int, default=100)
    p.add_argument("--timeout", type=float, default=3600.0)
    args = p.parse_args(argv)

    from temporalio.client import Client
    from temporalio.converter import DataConverter

    from mistralai.workflows.core.config.config import config
    from mistralai.workflows.core.dependencies.dependency_injector import DependencyInjector
    from mistralai.workflows.core.worker import _create_temporal_workers
    from mistralai.workflows.core.temporal.payload_converter import MistralWorkflowsPayloadConverter

    # Activities go to the configured task queue (as with run_worker, which serves it).
    config.temporal.task_queue = f"seed-bench-{uuid.uuid4().hex[:8]}"
    task_queue = config.get_effective_task_queue(raise_on_conflict=True)
    client = await Client.connect(args.address, namespace="default", data_converter=DataConverter(payload_converter_class=MistralWorkflowsPayloadConverter))
    workers, _ = _create_temporal_workers(temporal_client=client, workflows=[SeedBenchList], config=config, task_queue=task_queue)
    injector = DependencyInjector.get_singleton_instance()
    async with injector.with_dependencies():
        runners = [asyncio.ensure_future(w.run()) for w in workers]
        try:
            async def one(n: int, timeout: float) -> tuple[int, float]:
                started = time.monotonic()
                result = await asyncio.wait_for(
                    client.execute_workflow("seed_bench_list", SeedBenchInput(n=n, size=args.result_bytes, window=args.window), id=f"seed-bench-{uuid.uuid4().hex}", task_queue=task_queue),
                    timeout,
                )
                if isinstance(result, dict):  # the seed returns a workflow's result as {"result": value}
                    result = result.get("result")
                return result, time.monotonic() - started

            await one(10, 120.0)  # warm-up
            done, wall = await one(args.items, args.timeout)
            # Printed before the workers shut down: the SDK's core has been seen to crash
            # (SIGSEGV) while shutting down, after the run finished.
            print(json.dumps({"items": args.items, "done": done, "ok": done == args.items, "wall_s": wall, "items_per_s": args.items / wall}), flush=True)
        finally:
            for w in workers:
                await w.shutdown()
            for r in runners:
                r.cancel()
    return 0 if done == args.items else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
