"""A workflow poller hands its task on and polls again while fewer than
``max_concurrent_workflow_tasks`` are in hand (worker_sdk/workflow_worker.py): one run's round
trips to the cluster never hold back the next run's task, and the bound holds."""
from __future__ import annotations

import asyncio

import pytest

import worker_sdk as workflows
from worker_sdk import Worker


@workflows.activity(name="slots_echo", start_to_close_timeout=30)
async def slots_echo(i: int) -> int:
    return i


@workflows.workflow.define(name="slots_two_steps")
class TwoSteps:
    @workflows.workflow.entrypoint
    async def run(self, i: int) -> int:
        return await slots_echo(await slots_echo(i))


async def _run_many(client, worker: Worker, queue: str, n: int) -> list[int]:
    async with worker:
        handles = [await client.start_workflow(TwoSteps, i, task_queue=queue, id=f"{queue}-{i}") for i in range(n)]
        return await asyncio.gather(*(h.result(timeout=120) for h in handles))


async def test_one_poller_keeps_several_tasks_in_hand_within_the_bound(client):
    worker = Worker(client, task_queue="slots-4", workflows=[TwoSteps], activities=[slots_echo],
                    workflow_pollers=1, max_cached_workflows=0, max_concurrent_workflow_tasks=4)
    assert await _run_many(client, worker, "slots-4", 40) == list(range(40))
    peak = worker.workflow_worker.peak_tasks_in_hand
    assert 1 < peak <= 4, peak  # more than the one poller, never more than the bound
    assert worker.workflow_worker.tasks_in_hand == 0


async def test_a_bound_of_one_processes_one_task_at_a_time(client):
    worker = Worker(client, task_queue="slots-1", workflows=[TwoSteps], activities=[slots_echo],
                    workflow_pollers=2, max_cached_workflows=0, max_concurrent_workflow_tasks=1)
    assert await _run_many(client, worker, "slots-1", 10) == list(range(10))
    assert worker.workflow_worker.peak_tasks_in_hand == 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, "4"])
async def test_a_bad_bound_is_refused_naming_the_option(client, bad):
    with pytest.raises(ValueError, match="max_concurrent_workflow_tasks"):
        Worker(client, task_queue="slots-bad", workflows=[TwoSteps], max_concurrent_workflow_tasks=bad)
