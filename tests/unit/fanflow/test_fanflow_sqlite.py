"""The SQLite layer every service stores through (fanflow/sqlite.py), on real files in tmp_path:
settings applied and checked in one place (history's store and the cluster config refuse a bad
synchronous mode too), group commit, one bad write not sinking the others, lazy writes, close.
(History's store on it: tests/unit/history/test_history_sqlite_store.py.)"""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from fanflow.config import ClusterConfig
from fanflow.errors import ShardOwnershipLost
from fanflow.sqlite import GroupCommit, SqliteSettings, SqliteThread, in_savepoint
from history.persistence.sqlite import SqliteHistoryStore


# ------------------------------------------------------------ settings
@pytest.mark.parametrize("mode, level", [("NORMAL", 1), ("full", 2), ("OFF", 0)])
async def test_settings_are_applied_to_the_connection(tmp_path, mode, level):
    db = SqliteThread(tmp_path / "sub" / "a.db", SqliteSettings(mode, busy_timeout_ms=1234), name="t")
    await db.open()
    try:
        pragmas = await db.run(lambda conn: [conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous", "busy_timeout")])
    finally:
        await db.close()
    assert pragmas == ["wal", level, 1234]


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
async def _writer(tmp_path, **options) -> tuple[SqliteThread, GroupCommit]:
    db = SqliteThread(tmp_path / "g.db", SqliteSettings("FULL"), name="g")
    await db.open()
    await db.run(lambda conn: conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"))

    def body(conn, items):
        return [in_savepoint(conn, lambda c, item=item: c.execute("INSERT INTO t (k, v) VALUES (?, ?)", item)) for item in items]

    writes = GroupCommit(db, body, name="g", **options)
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

    db2 = SqliteThread(tmp_path / "g.db", SqliteSettings("FULL"), name="g2")
    await db2.open()
    refusing = GroupCommit(db2, lambda conn, items: [None] * len(items), name="g2", drain_on_close=False,
                           closed_error=lambda: ShardOwnershipLost("closing"))
    refusing.start()
    queued = asyncio.ensure_future(refusing.write((30, "x")))
    await refusing.close()
    with pytest.raises(ShardOwnershipLost):
        await queued
    await db2.close()
