"""Worker(max_activities_per_second=R): activity starts on that worker are spaced 1/R apart,
eager ones included, and the work still completes."""
from __future__ import annotations

import asyncio

import pytest

import worker_sdk as workflows
from support.paced_activity import STARTS, paced
from worker_sdk import Worker


@workflows.workflow.define(name="paced_fan_out")
class PacedFanOut:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        return sum(await asyncio.gather(*[paced(i) for i in range(n)]))


@pytest.mark.parametrize("eager", [True, False], ids=["eager", "through-matching"])
async def test_activity_starts_are_paced(client, eager):
    STARTS.clear()
    rate, n = 20.0, 30
    async with Worker(client, task_queue=f"paced-{eager}", workflows=[PacedFanOut], activities=[paced],
                      max_activities_per_second=rate, disable_eager_activity_execution=not eager):
        handle = await client.start_workflow(PacedFanOut, n, task_queue=f"paced-{eager}")
        assert await handle.result(timeout=60) == sum(range(n))
    assert len(STARTS) == n
    # Never faster than the rate. A poller takes its turn before it polls, so the 4 pollers
    # (and the first) may have turns in hand when the first tasks arrive: that much slack.
    STARTS.sort()
    slack = 4 + 1
    for i, started in enumerate(STARTS):
        assert started - STARTS[0] >= (i - slack) / rate - 0.01, (i, started - STARTS[0])


