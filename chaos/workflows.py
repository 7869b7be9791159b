"""The chaos run's workload (imported by its workers: `fanflow worker chaos.workflows`).

- `chaos_list`: a List-executor fan-out; each item's result is stored beside history
  (executor_results), and the workflow returns them all.
- `chaos_timers`: durable timers in a row, an activity after each; returns what it saw.

Activities have short timeouts and unlimited attempts: work lost with a killed, paused or
cut-off process comes back after its timeout, and nothing may ever be given up."""
from __future__ import annotations

import asyncio

import worker_sdk as workflows

TASK_QUEUE = "chaos"


def item_value(i: int) -> int:
    return 7 * i + 3


def list_result(n: int) -> list[int]:
    return [item_value(i) for i in range(n)]


def timers_result(k: int) -> list[str]:
    return [f"tick-{i}" for i in range(k)]


@workflows.activity(start_to_close_timeout=5, retry_policy=workflows.RetryPolicy(maximum_attempts=0, maximum_interval=5))
async def chaos_item(i: int) -> int:
    await asyncio.sleep(0.01)
    return item_value(i)


@workflows.workflow.define(name="chaos_list")
class ChaosList:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return await workflows.execute_activities_in_parallel(chaos_item, items=list(range(n)), max_concurrent_scheduled_tasks=20)


@workflows.activity(start_to_close_timeout=5, retry_policy=workflows.RetryPolicy(maximum_attempts=0, maximum_interval=5))
async def chaos_tick(i: int) -> str:
    return f"tick-{i}"


@workflows.workflow.define(name="chaos_timers")
class ChaosTimers:
    @workflows.workflow.entrypoint
    async def run(self, k: int, seconds: float) -> list[str]:
        seen = []
        for i in range(k):
            await workflows.workflow.sleep(seconds)
            seen.append(await chaos_tick(i))
        return seen
