"""The soak's workload: a List-executor fan-out and a durable-timer workflow.

Activities have a short start-to-close timeout so that work lost with a killed
process comes back quickly (history retries it after the timeout), and unlimited
attempts: with random kills an item may time out more than the default three times,
and the soak checks that nothing is ever given up."""
from __future__ import annotations

import asyncio
import os

import worker_sdk as workflows

TASK_QUEUE = "soak"


def item_value(i: int) -> int:
    return i * i + 1


@workflows.activity(start_to_close_timeout=5, retry_policy=workflows.RetryPolicy(maximum_attempts=0))
async def soak_item(i: int) -> int:
    await asyncio.sleep(float(os.environ.get("SOAK_ITEM_SECONDS", "0.005")))
    return item_value(i)


@workflows.workflow.define(name="soak_list")
class SoakList:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return await workflows.execute_activities_in_parallel(soak_item, items=list(range(n)), max_concurrent_scheduled_tasks=50)


@workflows.activity(start_to_close_timeout=5, retry_policy=workflows.RetryPolicy(maximum_attempts=0))
async def soak_wake(tag: str) -> str:
    return tag


@workflows.workflow.define(name="soak_sleeper")
class SoakSleeper:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float) -> str:
        await workflows.workflow.sleep(seconds)
        return await soak_wake(workflows.workflow.info().workflow_id)
