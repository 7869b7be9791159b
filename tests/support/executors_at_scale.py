"""A cluster whose history suggests continue-as-new after SUGGEST events (the `low_limit_client`
fixture), and activities that count their calls (CALLS) and the most running at once
(RUNNING["peak"]): shared by tests/service/worker_sdk/test_sdk_executors_scale.py and
tests/service/worker_sdk/test_sdk_executors_full_replay.py."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

import worker_sdk as workflows

SUGGEST = 1000


@pytest.fixture
async def low_limit_client(tmp_path):
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig, HistoryLimits
    from worker_sdk import Client

    cluster = await embedded(
        ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, limits=HistoryLimits(suggest_continue_as_new_events=SUGGEST))
    ).start()
    client = await Client.connect(cluster.frontend_address)
    yield client
    await client.close()
    await cluster.stop()


CALLS: Counter = Counter()
RUNNING = {"now": 0, "peak": 0}


def reset() -> None:
    CALLS.clear()
    RUNNING.update(now=0, peak=0)


async def measured(key: str, n: int, delay: float) -> None:
    CALLS[(key, n)] += 1
    RUNNING["now"] += 1
    RUNNING["peak"] = max(RUNNING["peak"], RUNNING["now"])
    try:
        await asyncio.sleep(delay)
    finally:
        RUNNING["now"] -= 1


@workflows.activity()
async def square(n: int) -> int:
    await measured("square", n, 0.03)
    return n * n


@workflows.workflow.define(name="scale_two")
class ScaleTwo:
    @workflows.workflow.entrypoint
    async def run(self, p: dict) -> list[list[int]]:
        first, second = p["first"], p["second"]
        a = await workflows.execute_activities_in_parallel(square, items=list(range(first)), max_concurrent_scheduled_tasks=10)
        b = await workflows.execute_activities_in_parallel(square, items=list(range(1000, 1000 + second)), max_concurrent_scheduled_tasks=10)
        return [a, b]
