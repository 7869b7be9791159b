"""A fan-out of N activities with asyncio.gather, for the multi-process cluster.

Workers import this module (`fanflow worker examples.fanout --task-queue fanout`,
as compose/docker-compose.yml does); running it starts one workflow and prints
a summary of its result:

    FANFLOW_ADDRESS=127.0.0.1:7233 python examples/fanout.py 2000

With no FANFLOW_ADDRESS it runs on an embedded cluster (all in this process).
"""
from __future__ import annotations

import asyncio
import os
import sys
import time

import worker_sdk as workflows

TASK_QUEUE = os.environ.get("FANFLOW_TASK_QUEUE", "fanout")


@workflows.activity()
async def square(i: int) -> int:
    return i * i


@workflows.workflow.define(name="fanout_workflow")
class FanOutWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return list(await asyncio.gather(*[square(i) for i in range(n)]))


@workflows.activity(start_to_close_timeout=30)
async def square_item(i: int) -> int:
    return i * i


@workflows.workflow.define(name="fanout_list_workflow")
class FanOutListWorkflow:
    """The same fan-out through the List executor: continues as new by itself,
    results stored beside history."""

    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return await workflows.execute_activities_in_parallel(square_item, items=list(range(n)), max_concurrent_scheduled_tasks=100)


def expected(n: int) -> list[int]:
    return [i * i for i in range(n)]


async def main(n: int) -> int:
    began = time.monotonic()
    result = await workflows.execute_workflow(FanOutWorkflow, n, task_queue=TASK_QUEUE)
    ok = result == expected(n)
    print(f"fanout_workflow: {len(result)} results, sum {sum(result)}, {'correct' if ok else 'WRONG'}, "
          f"{time.monotonic() - began:.1f} s", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)))
