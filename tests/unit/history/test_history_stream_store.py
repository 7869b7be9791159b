"""The streaming-state and large-data tables of a shard, on each backend (`history_backend`):
stream entries come back in order with their cursors; a task's latest state keeps its first time
and counts its changes, tasks in the order they first appeared; blobs are idempotent by id; a
workflow's last run deleted takes its tasks and blobs along, each run its stream entries; on
PostgreSQL the rows are the shard's own. On SQLite, a file written before the tables existed gains them on open."""
from __future__ import annotations

import sqlite3

from history.persistence.sqlite import SqliteHistoryStore
from history.persistence.store import ExecutionCommit, RunWrite
from history.stream import task_change, task_entry
from protos import common_pb2, persistence_pb2, workflow_service_pb2 as ws
from support.store_backends import history_backend  # noqa: F401  (fixture)


def _closed_run(run_id: str) -> persistence_pb2.ExecutionState:
    state = persistence_pb2.ExecutionState(namespace="ns", workflow_id="wf", run_id=run_id, workflow_type="t",
                                           status=common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    state.start_time.FromNanoseconds(1)
    state.close_time.FromNanoseconds(2)
    return state


async def _rows_round_trip(store) -> None:
    started = task_change(ws.TaskState(id="t1", type="export", status=ws.TASK_STATUS_STARTED), "r1", 1_000)
    done = task_change(ws.TaskState(id="t1", type="export", status=ws.TASK_STATUS_COMPLETED), "r1", 5_000)
    await store.commit(ExecutionCommit(runs=[RunWrite(state=_closed_run("r1"), task_states=[started], watch_entries=[task_entry(started, 1_000)])]))
    await store.record_task_state("ns", "wf", done, task_entry(done, 5_000))
    entries = await store.watch_entries("ns", "wf", 0, 10)
    assert [e.task.status for e in entries] == [ws.TASK_STATUS_STARTED, ws.TASK_STATUS_COMPLETED]
    assert entries[0].cursor < entries[1].cursor
    assert await store.watch_entries("ns", "wf", entries[0].cursor, 10) == entries[1:]
    assert await store.watch_entries("ns", "wf", 0, 1) == entries[:1]
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


async def test_stream_rows_round_trip_and_go_with_the_workflows_last_run(history_backend):
    store = history_backend.store(0, "a")
    await store.open()
    try:
        await _rows_round_trip(store)
    finally:
        await store.close()


async def test_tasks_keep_their_first_order_and_tasks_and_blobs_stay_while_a_run_is_left(history_backend):
    store = history_backend.store(0, "a")
    await store.open()
    try:
        first = task_change(ws.TaskState(id="first", type="a", status=ws.TASK_STATUS_STARTED), "r1", 1_000)
        second = task_change(ws.TaskState(id="second", type="b", status=ws.TASK_STATUS_STARTED), "r1", 2_000)
        first_done = task_change(ws.TaskState(id="first", type="a", status=ws.TASK_STATUS_COMPLETED), "r1", 3_000)
        await store.commit(ExecutionCommit(runs=[RunWrite(state=_closed_run("r1"), task_states=[first, second])]))
        await store.commit(ExecutionCommit(runs=[RunWrite(state=_closed_run("r2"), task_states=[first_done],
                                                          watch_entries=[task_entry(first_done, 3_000)])]))
        tasks = await store.task_states("ns", "wf", 10)
        assert [(t.id, t.status, t.changes) for t in tasks] == [("first", ws.TASK_STATUS_COMPLETED, 2), ("second", ws.TASK_STATUS_STARTED, 1)]
        assert [t.id for t in await store.task_states("ns", "wf", 1)] == ["first"]
        await store.put_blob("ns", "wf", "b" * 64, b"kept")

        await store.delete_run(("ns", "wf", "r1"))  # r2 is left: the workflow's tasks, blobs and r2's entries stay
        assert [t.id for t in await store.task_states("ns", "wf", 10)] == ["first", "second"]
        assert await store.get_blob("ns", "wf", "b" * 64) == b"kept"
        assert [e.task.id for e in await store.watch_entries("ns", "wf", 0, 10)] == ["first"]
        assert await history_backend.rows("SELECT COUNT(*) FROM payload_blobs WHERE workflow_id='wf'") == [(1,)]

        if history_backend.name == "sqlite":
            return  # (SQLite: a shard is its own file)
        other_shard = history_backend.store(1, "a")  # another shard of the same database sees none of it
        await other_shard.open()
        try:
            assert await other_shard.task_states("ns", "wf", 10) == []
            assert await other_shard.watch_entries("ns", "wf", 0, 10) == []
            assert await other_shard.get_blob("ns", "wf", "b" * 64) is None
        finally:
            await other_shard.close()
    finally:
        await store.close()


async def test_old_sqlite_files_gain_the_tables(tmp_path):
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
        await _rows_round_trip(store)
    finally:
        await store.close()
