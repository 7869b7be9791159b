"""The shared SQLite layer (fanflow/sqlite.py) and history's store on it
(history/persistence/sqlite.py), on real files in tmp_path: settings applied and
checked in one place, group commit, one bad write not sinking the others, fencing."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from fanflow.config import ClusterConfig
from fanflow.errors import ShardOwnershipLost
from fanflow.sqlite import GroupCommit, SqliteDatabase, SqliteSettings
from history.persistence.sqlite import SqliteHistoryStore
from history.persistence.store import ExecutionCommit, RunWrite
from protos import common_pb2, internal_pb2, persistence_pb2

NS = "default"


# ------------------------------------------------------------ settings
@pytest.mark.parametrize("mode, level", [("NORMAL", 1), ("full", 2), ("OFF", 0)])
async def test_settings_are_applied_to_the_connection(tmp_path, mode, level):
    db = SqliteDatabase(tmp_path / "sub" / "a.db", SqliteSettings(mode, busy_timeout_ms=1234), name="t")
    await db.open()
    names = ("journal_mode", "synchronous", "busy_timeout")
    try:
        async with db.writing() as conn:
            pragmas = [(await conn.execute_fetchall(f"PRAGMA {p}"))[0][0] for p in names]
        read_pragmas = [(await db.fetchone(f"PRAGMA {p}"))[0] for p in names]
    finally:
        await db.close()
    assert pragmas == ["wal", level, 1234]
    assert read_pragmas == ["wal", level, 1234]  # the read connection is opened the same way


@pytest.mark.parametrize("bad", ["FULL; DROP TABLE tasks", "fast", ""])
def test_a_bad_synchronous_mode_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="sqlite_synchronous must be one of OFF, NORMAL, FULL, EXTRA"):
        SqliteSettings(bad)
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        ClusterConfig(sqlite_synchronous=bad)
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        SqliteHistoryStore("unused.db", 0, "a", SqliteSettings(bad))


def test_synchronous_is_normalised_and_busy_timeout_checked():
    assert SqliteSettings(" normal ").synchronous == "NORMAL"
    assert ClusterConfig(sqlite_synchronous="full").sqlite_synchronous == "FULL"
    with pytest.raises(ValueError, match="busy_timeout_ms"):
        SqliteSettings("FULL", busy_timeout_ms=-1)


# ------------------------------------------------------------ group commit
INSERT = "INSERT INTO t (k, v) VALUES (?, ?)"


async def _writer(tmp_path, **options) -> tuple[SqliteDatabase, GroupCommit]:
    db = SqliteDatabase(tmp_path / "g.db", SqliteSettings("FULL"), name="g")
    await db.open()
    async with db.writing() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    writes = GroupCommit(db, name="g", statement_order=[INSERT], statements=lambda item: [(INSERT, [item])], **options)
    writes.start()
    return db, writes


def _rows(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "g.db") as conn:
        return conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()


async def test_concurrent_writes_share_transactions_and_each_is_acked_after_commit(tmp_path):
    db, writes = await _writer(tmp_path)
    try:
        await asyncio.gather(*(writes.write((k, f"v{k}")) for k in range(200)))
        assert _rows(tmp_path) == [(k, f"v{k}") for k in range(200)]  # acked = committed, readable by another connection
        assert 1 <= writes.commits < 200  # group commit: far fewer transactions than writes
    finally:
        await writes.close()
        await db.close()


async def test_one_bad_write_does_not_sink_the_others_in_its_transaction(tmp_path):
    db, writes = await _writer(tmp_path)
    try:
        await writes.write((1, "first"))
        before = writes.commits
        outcomes = await asyncio.gather(
            writes.write((2, "a")), writes.write((1, "duplicate key")), writes.write((3, None)), writes.write((4, "b")),
            return_exceptions=True,
        )
        assert writes.commits == before + 1  # all four in one transaction
        assert outcomes[0] is None and outcomes[3] is None
        assert isinstance(outcomes[1], sqlite3.IntegrityError) and isinstance(outcomes[2], sqlite3.IntegrityError)
        assert _rows(tmp_path) == [(1, "first"), (2, "a"), (4, "b")]
    finally:
        await writes.close()
        await db.close()


async def test_lazy_writes_ride_along_or_go_after_the_linger_and_flush_waits_for_them(tmp_path):
    db, writes = await _writer(tmp_path, linger=0.05)
    try:
        writes.write_later((1, "lazy"))
        assert _rows(tmp_path) == []
        await asyncio.sleep(0.3)  # committed on its own after the linger
        assert _rows(tmp_path) == [(1, "lazy")]
        writes.write_later((2, "lazy"))
        await writes.write((3, "waited"))  # the lazy one rides along
        assert _rows(tmp_path) == [(1, "lazy"), (2, "lazy"), (3, "waited")]
        writes.write_later((4, "lazy"))
        await writes.flush()
        assert _rows(tmp_path)[-1] == (4, "lazy")
    finally:
        await writes.close()
        await db.close()


async def test_close_drains_or_refuses_queued_writes(tmp_path):
    db, writes = await _writer(tmp_path, drain_on_close=True)
    pending = [asyncio.ensure_future(writes.write((k, "x"))) for k in range(5)]
    writes.write_later((10, "lazy"))
    await asyncio.sleep(0)
    await writes.close()
    await asyncio.gather(*pending)
    assert len(_rows(tmp_path)) == 6
    with pytest.raises(RuntimeError, match="closed"):
        await writes.write((20, "late"))
    await db.close()

    db2 = SqliteDatabase(tmp_path / "g.db", SqliteSettings("FULL"), name="g2")
    await db2.open()
    refusing = GroupCommit(db2, name="g2", statement_order=[INSERT], statements=lambda item: [(INSERT, [item])], drain_on_close=False,
                           closed_error=lambda: ShardOwnershipLost("closing"))
    refusing.start()
    queued = asyncio.ensure_future(refusing.write((30, "x")))
    await refusing.close()
    with pytest.raises(ShardOwnershipLost):
        await queued
    await db2.close()


# ------------------------------------------------------------ history's store: fencing and atomic commits
def _state(workflow_id: str, run_id: str = "r1") -> persistence_pb2.ExecutionState:
    return persistence_pb2.ExecutionState(
        namespace=NS, workflow_id=workflow_id, run_id=run_id, first_run_id=run_id, workflow_type="T",
        status=common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING, next_event_id=2, request_id="req",
    )


def _commit(workflow_id: str, event_id: int = 1) -> ExecutionCommit:
    event = common_pb2.HistoryEvent(event_id=event_id, event_type=common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    task = internal_pb2.TaskInfo(namespace=NS, workflow_id=workflow_id, run_id="r1", scheduled_event_id=2, task_type=common_pb2.TASK_TYPE_WORKFLOW)
    timer = persistence_pb2.TimerTask(kind=persistence_pb2.TIMER_TASK_KIND_USER_TIMER, namespace=NS, workflow_id=workflow_id, run_id="r1")
    return ExecutionCommit(
        runs=[RunWrite(state=_state(workflow_id), events=[event], timers=[(123, timer)], outbox=[task])], current_changed=True
    )


def _stored(path, table: str) -> list:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute(f"SELECT workflow_id FROM {table} ORDER BY workflow_id")]


async def test_a_commit_is_atomic_and_a_failing_one_leaves_the_others_in_its_transaction(tmp_path):
    path = tmp_path / "shard.db"
    store = SqliteHistoryStore(path, 0, "a")
    await store.open()
    try:
        first = await store.commit(_commit("wf-1"))
        assert [t.task.workflow_id for t in first] == ["wf-1"] and first[0].id >= 1
        before = store.commits
        outcomes = await asyncio.gather(store.commit(_commit("wf-2")), store.commit(_commit("wf-1")), store.commit(_commit("wf-3")),
                                        return_exceptions=True)
        assert store.commits == before + 1
        assert isinstance(outcomes[1], sqlite3.IntegrityError)  # wf-1's event 1 exists: that commit, and only it, is undone
        assert [o[0].id for o in (outcomes[0], outcomes[2])] == [first[0].id + 1, first[0].id + 3]  # ids grow per commit
        for table in ("executions", "current_executions", "events"):
            assert _stored(path, table) == ["wf-1", "wf-2", "wf-3"]
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 3  # not 4: the failed commit's row went too
            assert conn.execute("SELECT COUNT(*) FROM timers").fetchone()[0] == 3
        loaded = await store.load_run((NS, "wf-2", "r1"))
        assert loaded is not None and loaded.state == _state("wf-2")
        assert (await store.current_run(NS, "wf-2")).run_id == "r1"
    finally:
        await store.close()


async def test_a_stale_owner_writes_nothing_and_stays_fenced(tmp_path):
    path = tmp_path / "shard.db"
    old = SqliteHistoryStore(path, 3, "history-old")
    await old.open()
    await old.commit(_commit("wf-before"))
    new = SqliteHistoryStore(path, 3, "history-new")
    await new.open()
    try:
        assert new.range_id == old.range_id + 1 and new.token_key == old.token_key
        outcomes = await asyncio.gather(old.commit(_commit("wf-late")), old.put_setting("x", "y"), return_exceptions=True)
        assert all(isinstance(o, ShardOwnershipLost) for o in outcomes), outcomes
        assert "ownership lost" in str(outcomes[0])
        assert old.lost
        with pytest.raises(ShardOwnershipLost):  # refused at once from now on
            await old.delete_timers([1])
        await new.commit(_commit("wf-new"))
        for table in ("executions", "events", "current_executions"):
            assert _stored(path, table) == ["wf-before", "wf-new"]
        assert await new.setting("x") is None
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT owner, range_id FROM shard").fetchall() == [("history-new", new.range_id)]
    finally:
        await old.close()
        await new.close()


async def test_outbox_rows_of_a_previous_owner_are_listed_once_ours_are_not(tmp_path):
    path = tmp_path / "shard.db"
    old = SqliteHistoryStore(path, 0, "a")
    await old.open()
    left = await old.commit(_commit("wf-left"))
    await old.close()
    new = SqliteHistoryStore(path, 0, "b")
    await new.open()
    try:
        ours = await new.commit(_commit("wf-ours"))
        assert ours[0].id > left[0].id
        recovered = await new.outbox_from_previous_owners(0, 100)
        assert [(t.id, t.task.workflow_id) for t in recovered] == [(left[0].id, "wf-left")]
        assert await new.outbox_from_previous_owners(left[0].id, 100) == []
    finally:
        await new.close()
