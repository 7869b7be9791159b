"""The streaming-state and large-data tables of a shard's SQLite file: a file written before they
existed gains them on open; stream entries come back in order with their cursors; a task's latest
state keeps its first time and counts its changes; blobs are idempotent by id; a workflow's last
run deleted takes its tasks and blobs along, each run its stream entries."""
from __future__ import annotations

import sqlite3

from history.persistence.sqlite import SqliteHistoryStore
from history.persistence.store import ExecutionCommit, RunWrite
from history.stream import task_change, task_entry
from protos import common_pb2, persistence_pb2, workflow_service_pb2 as ws


def _closed_run(run_id: str) -> persistence_pb2.ExecutionState:
    state = persistence_pb2.ExecutionState(namespace="ns", workflow_id="wf", run_id=run_id, workflow_type="t",
                                           status=common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    state.start_time.FromNanoseconds(1)
    state.close_time.FromNanoseconds(2)
    return state


async def test_old_files_gain_the_tables_and_rows_round_trip(tmp_path):
    path = tmp_path / "history-shard-0.db"
    store = SqliteHistoryStore(path, 0, "a")
    await store.open()
    await store.close()
    with sqlite3.connect(path) as db:  # as a file from before this feature
        for table in ("watch_entries", "task_states", "payload_blobs"):
            db.execute(f"DROP TABLE {table}")
    store = SqliteHistoryStore(path, 0, "b")
    await store.open()
    try:
        started = task_change(ws.TaskState(id="t1", type="export", status=ws.TASK_STATUS_STARTED), "r1", 1_000)
        done = task_change(ws.TaskState(id="t1", type="export", status=ws.TASK_STATUS_COMPLETED), "r1", 5_000)
        await store.commit(ExecutionCommit(runs=[RunWrite(state=_closed_run("r1"), task_states=[started], watch_entries=[task_entry(started, 1_000)])]))
        await store.record_task_state("ns", "wf", done, task_entry(done, 5_000))
        entries = await store.watch_entries("ns", "wf", 0, 10)
        assert [e.task.status for e in entries] == [ws.TASK_STATUS_STARTED, ws.TASK_STATUS_COMPLETED]
        assert entries[0].cursor < entries[1].cursor
        assert await store.watch_entries("ns", "wf", entries[0].cursor, 10) == entries[1:]
        (task,) = await store.task_states("ns", "wf", 10)
        assert task.status == ws.TASK_STATUS_COMPLETED and task.changes == 2 and task.started_time.ToNanoseconds() == 1_000

        await store.put_blob("ns", "wf", "a" * 64, b"big")
        await store.put_blob("ns", "wf", "a" * 64, b"big")  # the same content again: nothing changes
        assert await store.get_blob("ns", "wf", "a" * 64) == b"big"
        assert await store.get_blob("ns", "other", "a" * 64) is None

        await store.delete_run(("ns", "wf", "r1"))
        assert await store.watch_entries("ns", "wf", 0, 10) == []
        assert await store.task_states("ns", "wf", 10) == []
        assert await store.get_blob("ns", "wf", "a" * 64) is None
    finally:
        await store.close()
