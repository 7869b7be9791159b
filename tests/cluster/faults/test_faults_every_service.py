"""Faults in a multi-process cluster (2 history, 2 matching, frontend, 2
workers; soak.LocalCluster): each service SIGKILLed and restarted on
the same data during a 10,000-item List-executor run. The run completes with
every item's result exactly once, and timers set before a crash still fire."""
from __future__ import annotations

import asyncio
import subprocess
import sys

from conftest import ROOT, wait_for_event
from soak.cluster import LocalCluster
from soak.workflows import SoakList, SoakSleeper, item_value
from protos import common_pb2 as E
from worker_sdk import Client

ITEMS = 10_000


async def _items_done(handle) -> int:
    progress = await handle.progress()
    return sum(e.done for e in progress.executors)


async def _wait_growth(handle, more_items: int, timeout: float = 120) -> None:
    """Wait until `more_items` more items are done (across continue-as-new runs), or all of them
    (a fast machine finishes the run before the last faults: those then hit an idle cluster)."""
    start = await _items_done(handle)
    for _ in range(int(timeout / 0.2)):
        if await _items_done(handle) >= min(start + more_items, ITEMS):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{handle.workflow_id} did not finish {more_items} more items in {timeout} s (at {await _items_done(handle)})")


async def test_every_service_killed_during_a_10000_item_run(tmp_path):
    with LocalCluster(tmp_path) as cluster:
        client = await Client.connect(cluster.frontend, retry_timeout=300)
        try:
            handle = await client.start_workflow(SoakList, ITEMS, id="big-run", task_queue=cluster.task_queue)
            owner = cluster.shard_owner("default", "big-run")
            # timers on both history processes, due while their owner is down
            sleepers = [await client.start_workflow(SoakSleeper, 4.0, id=f"sleeper-{i}", task_queue=cluster.task_queue) for i in range(6)]
            assert {cluster.shard_owner("default", s.workflow_id) for s in sleepers} == {"history-a", "history-b"}
            for sleeper in sleepers:
                await wait_for_event(sleeper, E.EVENT_TYPE_TIMER_STARTED)

            await _wait_growth(handle, 300)
            await asyncio.to_thread(cluster.restart, owner, 5.0)  # history owning the run: down past the timers' due time
            other = "history-b" if owner == "history-a" else "history-a"
            await asyncio.to_thread(cluster.restart, other, 5.0)
            await _wait_growth(handle, 300)
            await asyncio.to_thread(cluster.restart, "matching-a", 1.0)  # its backlog and in-flight polls
            await _wait_growth(handle, 300)
            await asyncio.to_thread(cluster.restart, "matching-b", 1.0)
            await _wait_growth(handle, 300)
            await asyncio.to_thread(cluster.restart, "frontend", 1.0)  # clients and workers reconnect on their own
            await _wait_growth(handle, 300)
            await asyncio.to_thread(cluster.restart, "worker-1", 0.5)

            result = await handle.result(timeout=600)
            assert len(result) == ITEMS and result == [item_value(i) for i in range(ITEMS)]
            assert await asyncio.gather(*(s.result(timeout=120) for s in sleepers)) == [s.workflow_id for s in sleepers]
            for sleeper in sleepers:
                fired = [e for e in await sleeper.history() if e.event_type == E.EVENT_TYPE_TIMER_FIRED]
                assert len(fired) == 1
            progress = await handle.progress()
            assert progress.runs > 1, "the run continued as new"
            assert [(e.total, e.done) for e in progress.executors] == [(ITEMS, ITEMS)]  # each index stored once
        finally:
            await client.close()



def test_soak_command_short(tmp_path):
    """The README's soak command, short: random kills of random services."""
    out = subprocess.run(
        [sys.executable, "-m", "soak", "--rounds", "3", "--items", "300", "--seed", "3", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env={**__import__("os").environ, "FANFLOW_LOG_LEVEL": "WARNING"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "rounds done 3, items processed 900, lost items 0, duplicated results 0" in out.stdout
