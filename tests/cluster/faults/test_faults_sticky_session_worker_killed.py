"""A sticky session's worker SIGKILLed (issue 13): 3 `fanflow worker` processes against `fanflow
dev`; the session's next activity ends with the documented, catchable StickyWorkerSessionLostError
within its bound, the workflow opens a new session on a surviving worker, and matching keeps no
rows of the dead worker's session queue."""
from __future__ import annotations

import asyncio
import re
import sqlite3
import time

import pytest

from conftest import ROOT, SUPPORT, free_port, wait_for_port
from protos import common_pb2 as E
from support.activity_history import activity_starts
from support.sticky_workflows import SessionRecovery
from worker_sdk import Client
from worker_sdk.sticky_sessions import GET_STICKY_WORKER_SESSION_ACTIVITY


def _identity(log_path: str) -> str:
    for _ in range(200):
        match = re.search(rb"worker (\S+) polling", open(log_path, "rb").read())
        if match:
            return match.group(1).decode()
        time.sleep(0.1)
    raise AssertionError(f"no worker identity in {log_path}")


def _stored_session_tasks(data_dir, queue: str) -> int:
    total = 0
    for db in data_dir.glob("matching-*.db"):
        with sqlite3.connect(db) as conn:
            total += conn.execute("SELECT COUNT(*) FROM tasks WHERE task_queue = ?", (queue,)).fetchone()[0]
    return total


async def _wait_events(handle, event_type: int, count: int, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.1)):
        if sum(1 for e in await handle.history() if e.event_type == event_type) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} {E.EventType.Name(event_type)} in {handle.workflow_id} after {timeout} s")


async def _wait_for(predicate, timeout: float, what: str):
    for _ in range(int(timeout / 0.2)):
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("mid_activity", [False, True], ids=["idle", "mid-activity"])
async def test_killed_session_worker_gives_the_documented_error_and_the_workflow_recovers(tmp_path, processes, mid_activity):
    """3 `fanflow worker` processes against `fanflow dev`. The session's worker is SIGKILLed (idle
    between the session's activities, or while one runs): the next activity ends with
    StickyWorkerSessionLostError within its schedule-to-start bound (3 s here; while one runs:
    its heartbeat timeout 2 s + retry backoff 1 s + 3 s), the workflow catches it and opens a
    new session on a surviving worker; matching deletes the dead queue's stored task."""
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev",
                            env={"FANFLOW_MATCHING_HOUSEKEEPING_INTERVAL": "0.5"})
    wait_for_port(port, proc=dev)
    worker_args = ("worker", "sticky_workflows", "--address", f"127.0.0.1:{port}", "--task-queue", "sessions")
    # PYTHONPATH: this checkout's fanflow, whatever the venv has installed
    procs = [processes.fanflow(*worker_args, name=f"worker-{i}", cwd=SUPPORT, env={"PYTHONPATH": str(ROOT)}) for i in range(3)]
    by_identity = {_identity(p.log_path): p for p in procs}
    client = await Client.connect(f"127.0.0.1:{port}")
    try:
        handle = await client.start_workflow(SessionRecovery, mid_activity, id="recovery", task_queue="sessions")
        if mid_activity:  # the session's slow activity is scheduled, then running on its worker
            await _wait_events(handle, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 3)
            await asyncio.sleep(1.0)
        else:  # the session's first activity is done; the workflow waits for the signal
            await _wait_events(handle, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 2)
        events = await handle.history()
        session_worker = [identity for t, identity, _ in activity_starts(events) if t == GET_STICKY_WORKER_SESSION_ACTIVITY][0]
        processes.kill(by_identity[session_worker])  # SIGKILL
        killed_at = time.time()
        if not mid_activity:
            await handle.signal("proceed")
        result = await handle.result(timeout=120)
        events = await handle.history()

        lost = result["lost"]
        assert lost is not None and lost["type"] == "StickyWorkerSessionLostError" and lost["is_activity_error"]
        assert "worker of its sticky worker session" in lost["message"] and "gone" in lost["message"] and "new session" in lost["message"]
        assert lost["task_queue"] == result["session"] and session_worker in result["session"]
        # history's own failure says it too, and it came within the bound
        timed_out = [e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT]
        assert len(timed_out) == 1 and timed_out[0].activity_task_timed_out.timeout_type == E.TIMEOUT_TYPE_SCHEDULE_TO_START
        assert timed_out[0].activity_task_timed_out.failure.type == "StickyWorkerSessionLost"
        ended = timed_out[0].event_time.ToNanoseconds() / 1e9
        if mid_activity:  # heartbeat timeout 2 s + retry backoff 1 s + schedule-to-start 3 s, from the last heartbeat
            waited, bound = ended - killed_at, 2 + 1 + 3
        else:  # schedule-to-start 3 s from when the activity was scheduled (after the signal's workflow task)
            scheduled = {e.event_id: e for e in events}[timed_out[0].activity_task_timed_out.scheduled_event_id]
            waited, bound = ended - scheduled.event_time.ToNanoseconds() / 1e9, 3
        assert waited <= bound + 3, f"the session ended {waited:.1f} s after it could; the bound is {bound} s"
        if not mid_activity:  # (mid-activity, the last heartbeat came up to a second before the kill)
            assert waited >= bound - 0.5, f"the session ended {waited:.1f} s after its activity was scheduled, before its {bound} s bound"
        # the new session ran on one surviving worker, from the start
        starts = activity_starts(events)
        after = [identity for t, identity, _ in starts if t == "remember_quick"][-3:]
        assert len(set(after)) == 1 and after[0] != session_worker and after[0] in by_identity
        assert [r["held"] for r in result["after"]] == [1, 2, 3]  # a fresh worker: its memory starts empty
        assert {r["pid"] for r in result["after"]} == {by_identity[after[0]].pid}
        # the dead worker's session queue keeps no stored rows
        await _wait_for(lambda: _stored_session_tasks(tmp_path / "data", result["session"]) == 0 and b"expired stored tasks deleted" in open(dev.log_path, "rb").read(),
                        30, "matching to drop the dead session's task")
    finally:
        await client.close()
