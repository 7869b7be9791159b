"""The SQLite layer every service stores through (fanflow/sqlite.py), on real files in tmp_path:
settings applied and checked in one place (history's store and the cluster config refuse a bad
synchronous mode too), group commit, one bad write not sinking the others, lazy writes, close.
(History's store on it: tests/unit/history/test_history_sqlite_store.py.)"""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT
from support.small_disk import fill, small_disk  # noqa: F401  (a fixture)

from fanflow.config import ClusterConfig
from fanflow.errors import ShardOwnershipLost
from fanflow.sqlite import GroupCommit, SqliteDatabase, SqliteSettings
from fanflow.sqlite_health import DiskFull
from history.persistence.sqlite import SqliteHistoryStore


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
    await writes.start()
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


async def test_writes_waiting_when_the_writer_task_is_stopped_fail_instead_of_waiting_forever(tmp_path):
    db, writes = await _writer(tmp_path)
    try:
        async with db.writing():  # the writer cannot start its next transaction meanwhile
            waiting = [asyncio.ensure_future(writes.write((k, "x"))) for k in range(3)]
            await asyncio.sleep(0.05)
            writes._writer.cancel()  # e.g. asyncio.run() ending: every task is cancelled
            outcomes = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 5)
        assert all(isinstance(o, RuntimeError) and "closed" in str(o) for o in outcomes), outcomes
    finally:
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
    await refusing.start()
    queued = asyncio.ensure_future(refusing.write((30, "x")))
    await refusing.close()
    with pytest.raises(ShardOwnershipLost):
        await queued
    await db2.close()


LABEL = "INSERT INTO labels (k, label) VALUES (?, ?)"  # runs after INSERT in the statement order


async def _two_statement_writer(tmp_path, **options) -> tuple[SqliteDatabase, GroupCommit]:
    """Each write: a row of t, then a row of labels (each statement once per transaction)."""
    db = SqliteDatabase(tmp_path / "g.db", SqliteSettings("FULL"), name="g")
    await db.open()
    async with db.writing() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        await conn.execute("CREATE TABLE labels (k INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    writes = GroupCommit(db, name="g", statement_order=[INSERT, LABEL],
                         statements=lambda item: [(LABEL, [(item[0], item[2])]), (INSERT, [item[:2]])], **options)
    await writes.start()
    return db, writes


async def test_a_full_disk_fails_the_whole_batch_with_its_error_not_a_lost_savepoint(small_disk):
    """On a full disk SQLite rolls the whole transaction back: a batch redone item by item in
    savepoints then has no savepoint to roll back to. Every write of it fails with the disk's
    error (DiskFull: UNAVAILABLE, "free space"), not "no such savepoint" (INTERNAL), and the
    writer carries on once there is space."""
    db, writes = await _writer(small_disk)
    ballast = small_disk / "ballast"
    try:
        await writes.write((1, "x"))
        fill(ballast)
        async with db.writing():  # hold the writer so that the three below share one batch
            batch = [asyncio.ensure_future(writes.write((k, str(k) * 600_000))) for k in (2, 3, 4)]
            await asyncio.sleep(0.05)
        outcomes = await asyncio.gather(*batch, return_exceptions=True)
        assert all(isinstance(o, DiskFull) for o in outcomes), outcomes
        ballast.unlink()
        await writes.write((5, "after"))  # space is back: the writer carries on
        assert [k for k, _ in _rows(small_disk)] == [1, 5]
    finally:
        await writes.close()
        await db.close()


async def test_a_write_failing_in_a_later_statement_is_undone_whole_and_alone(tmp_path):
    """Merged, the bad write's first statement succeeds and its second fails: the batch is
    redone write by write, and none of the bad write's rows stay."""
    db, writes = await _two_statement_writer(tmp_path)
    try:
        outcomes = await asyncio.gather(
            writes.write((1, "a", "one")), writes.write((2, "b", None)), writes.write((3, "c", "three")), return_exceptions=True,
        )
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], sqlite3.IntegrityError) and "labels.label" in str(outcomes[1])
        assert writes.commits == 1
        assert _rows(tmp_path) == [(1, "a"), (3, "c")]  # write 2's row of t went with its failed label
        with sqlite3.connect(tmp_path / "g.db") as conn:
            assert conn.execute("SELECT k, label FROM labels ORDER BY k").fetchall() == [(1, "one"), (3, "three")]
        await writes.write((2, "b", "two"))  # the writer goes on as usual
        assert _rows(tmp_path) == [(1, "a"), (2, "b"), (3, "c")]
    finally:
        await writes.close()
        await db.close()



async def test_a_write_with_the_wrong_number_of_parameters_fails_alone_naming_its_statement(tmp_path):
    db, writes = await _writer(tmp_path)
    try:
        outcomes = await asyncio.gather(writes.write((1, "a")), writes.write((2,)), writes.write((3, "c", "extra")), return_exceptions=True)
        assert outcomes[0] is None
        for bad in outcomes[1:]:
            assert isinstance(bad, sqlite3.ProgrammingError) and "INSERT INTO t" in str(bad) and "takes 2 parameters" in str(bad)
        assert _rows(tmp_path) == [(1, "a")]
    finally:
        await writes.close()
        await db.close()

async def test_without_isolation_one_bad_write_fails_its_batch_and_lazy_writes_are_retried(tmp_path):
    db, writes = await _two_statement_writer(tmp_path, isolate_failures=False)
    try:
        writes.write_later((10, "lazy", "kept"))
        outcomes = await asyncio.gather(writes.write((1, "a", "one")), writes.write((2, "b", None)), return_exceptions=True)
        assert all(isinstance(o, sqlite3.IntegrityError) for o in outcomes), outcomes
        assert _rows(tmp_path) == []  # all or nothing
        await writes.write((3, "c", "three"))  # the lazy write rides along again
        assert _rows(tmp_path) == [(3, "c"), (10, "lazy")]
    finally:
        await writes.close()
        await db.close()


async def test_a_read_during_a_transaction_never_sees_its_uncommitted_rows(tmp_path):
    db, writes = await _writer(tmp_path)
    try:
        await writes.write((1, "committed"))
        async with db.writing() as conn:  # the writer's connection, mid-transaction
            await conn.execute("BEGIN IMMEDIATE")
            await conn.executemany(INSERT, [(2, "uncommitted"), (3, "uncommitted")])
            assert await db.fetchall("SELECT k, v FROM t ORDER BY k") == [(1, "committed")]
            await conn.commit()
        assert await db.fetchall("SELECT k FROM t ORDER BY k") == [(1,), (2,), (3,)]  # committed: seen at once
        async with db.writing() as conn:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("DELETE FROM t WHERE k = 1")
            assert len(await db.fetchall("SELECT k FROM t")) == 3
            await conn.rollback()
        assert await db.fetchall("SELECT k FROM t ORDER BY k") == [(1,), (2,), (3,)]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):  # the read connection cannot write
            await db.fetchall("DELETE FROM t")
    finally:
        await writes.close()
        await db.close()



async def test_a_block_that_leaves_its_transaction_open_is_refused_and_rolled_back(tmp_path):
    """The group commit's statements are each their own transaction: nobody may leave one open."""
    db, writes = await _writer(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="left its transaction open"):
            async with db.writing() as conn:
                await conn.execute("BEGIN IMMEDIATE")
                await conn.execute(INSERT, (1, "forgotten"))
        await writes.write((2, "written"))
        assert _rows(tmp_path) == [(2, "written")]
    finally:
        await writes.close()
        await db.close()

async def test_reads_running_alongside_the_writer_see_whole_transactions(tmp_path):
    """Reads run on their own connection while the writer works: each sees the last committed
    state, where every write has its row of t and its label (written by two statements)."""
    db, writes = await _two_statement_writer(tmp_path, max_batch=50)
    try:
        pending = asyncio.gather(*(writes.write((k, "x", f"label {k}")) for k in range(1000)))
        reads = []
        while not pending.done():
            reads.append(await db.fetchone("SELECT (SELECT COUNT(*) FROM t), (SELECT COUNT(*) FROM labels)"))
        await pending
        assert reads and all(t == labels and t % 50 == 0 for t, labels in reads), reads
        assert writes.commits == 20 and len(_rows(tmp_path)) == 1000
    finally:
        await writes.close()
        await db.close()



async def test_a_batch_too_big_for_one_statement_is_still_one_transaction(tmp_path):
    """More parameters than one SQLite statement takes: the batch is written in parts inside
    one transaction, and a bad write among them is still undone alone."""
    db = SqliteDatabase(tmp_path / "g.db", SqliteSettings("FULL"), name="g")
    await db.open()
    async with db.writing() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    writes = GroupCommit(db, name="g", statement_order=[INSERT], statements=lambda rows: [(INSERT, rows)])
    await writes.start()
    try:
        big = [(k, "big") for k in range(40_000)]  # 120,000 parameters
        bad = [(k, "bad") for k in range(40_000, 80_000)] + [(7, "duplicate key")]
        outcomes = await asyncio.gather(writes.write(big), writes.write(bad), writes.write([(-1, "small")]), return_exceptions=True)
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], sqlite3.IntegrityError)
        assert writes.commits == 1
        with sqlite3.connect(tmp_path / "g.db") as check:
            assert check.execute("SELECT COUNT(*), MIN(k), MAX(k) FROM t").fetchone() == (40_001, -1, 39_999)
    finally:
        await writes.close()
        await db.close()


def test_a_process_that_never_closes_its_store_still_exits(tmp_path):
    """aiosqlite's threads are not daemon threads: a store left open (a start that failed
    half-way) must not keep the process alive after its error."""
    script = (
        "import asyncio, sys\n"
        "from history.persistence.sqlite import SqliteHistoryStore\n"
        "async def main():\n"
        "    store = SqliteHistoryStore(sys.argv[1], 0, 'a')\n"
        "    await store.open()\n"
        "    raise RuntimeError('failed before close')\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "shard.db")], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 1 and "failed before close" in out.stderr, out.stderr[-2000:]
    assert "database left open" in out.stdout + out.stderr
