"""Faults lose nothing, with real `fanflow dev` and `fanflow worker` processes (the workflows of
tests/support/fault_workflows.py): a worker SIGKILLed mid-activity, and its item completes on
another worker, exactly once; `fanflow dev` SIGKILLed with timers set, and after its restart
each fires once."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from conftest import SUPPORT, free_port, wait_for_event, wait_for_port
from protos import common_pb2 as E
from worker_sdk import Client


async def _wait_for(predicate, timeout: float, what: str) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _stored_expiring_tasks(data_dir) -> int:
    """Rows in the matching backlog that carry an expiry (sticky tasks, here)."""
    total = 0
    for path in data_dir.glob("matching-*.db"):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT COUNT(*) FROM tasks WHERE expires_at IS NOT NULL").fetchone()[0]
    return total


async def test_worker_killed_mid_activity_completes_on_another_worker(tmp_path, processes):
    port = free_port()
    # Housekeeping every half second, so the dead worker's sticky queue is seen emptied.
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev",
                            env={"FANFLOW_MATCHING_HOUSEKEEPING_INTERVAL": "0.5"})
    wait_for_port(port, proc=dev)
    env = {"FAULT_MARKS_DIR": str(tmp_path), "SLOW_STEP_SECONDS": "30"}
    worker_args = ("worker", "fault_workflows", "--address", f"127.0.0.1:{port}", "--task-queue", "faults")
    first = processes.fanflow(*worker_args, name="worker-1", env=env, cwd=SUPPORT)
    client = await Client.connect(f"127.0.0.1:{port}")
    try:
        handle = await client.start_workflow("fault_one_slow_step", args=(7,), task_queue="faults")
        await _wait_for(lambda: list(tmp_path.glob(f"started-{first.pid}-1")), 30, "the first worker to start the activity")
        processes.kill(first)  # SIGKILL mid-activity
        second = processes.fanflow(*worker_args, name="worker-2", env={**env, "SLOW_STEP_SECONDS": "0.1"}, cwd=SUPPORT)
        result = await handle.result(timeout=60)
        assert result == {"x": 7, "pid": second.pid, "attempt": 2}  # retried by history after start-to-close (3 s)
        events = await handle.history()
        started = [e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED]
        assert len(started) == 1 and started[0].activity_task_started.attempt == 2
        assert started[0].activity_task_started.last_failure.type == "TimeoutError"
        # The completion asked for a workflow task on the dead worker's sticky queue; history
        # moved it to the normal queue after 5 s, and matching deleted the stored sticky task.
        timed_out = [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT]
        assert [e.workflow_task_timed_out.timeout_type for e in timed_out] == [E.TIMEOUT_TYPE_SCHEDULE_TO_START]
        await _wait_for(lambda: _stored_expiring_tasks(tmp_path / "data") == 0 and b"expired stored tasks deleted" in open(dev.log_path, "rb").read(),
                        30, "matching to delete the dead worker's sticky task")
    finally:
        await client.close()


@pytest.mark.backends("sqlite", "postgres")
async def test_durable_timers_fire_once_after_a_restart(tmp_path, processes):
    port = free_port()
    args = ("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    dev = processes.fanflow(*args, name="dev")
    wait_for_port(port, proc=dev)
    env = {"FAULT_MARKS_DIR": str(tmp_path)}
    processes.fanflow("worker", "fault_workflows", "--address", f"127.0.0.1:{port}", "--task-queue", "timers", name="worker", env=env, cwd=SUPPORT)
    client = await Client.connect(f"127.0.0.1:{port}")
    try:
        handles = [await client.start_workflow("fault_sleeper", args=(3.0,), id=f"sleeper-{i}", task_queue="timers") for i in range(5)]
        for handle in handles:  # each timer is set (durably) before the crash
            await wait_for_event(handle, E.EVENT_TYPE_TIMER_STARTED)
        processes.kill(dev)
        await asyncio.sleep(4)  # the timers fall due while nothing runs
        dev = processes.fanflow(*args, name="dev-restarted")
        wait_for_port(port, proc=dev)
        assert await asyncio.gather(*(h.result(timeout=60) for h in handles)) == [f"sleeper-{i}" for i in range(5)]
        for i, handle in enumerate(handles):
            events = await handle.history()
            assert [e.event_type for e in events].count(E.EVENT_TYPE_TIMER_FIRED) == 1
            assert len(list(tmp_path.glob(f"fired-sleeper-{i}-*"))) == 1
    finally:
        await client.close()
