"""A shard's SQLite file: schema, range-id fencing and group commit.

Every write of the shard goes through `ShardStore.write`: writes queued while a
transaction is in flight are committed together in the next one (group commit),
each in its own savepoint so one bad write cannot sink the others. A write is
acknowledged only after COMMIT returned, and the WAL is fsynced on commit
(synchronous=NORMAL by default in WAL mode), so an acknowledged write survives a
crash or SIGKILL of the process; FULL (configurable) also survives power loss.

Fencing: opening the store takes the shard by incrementing its range id; each
transaction first checks that the range id is still ours (inside BEGIN
IMMEDIATE, so the check and the writes are atomic). If another process took the
shard since, the write fails with ShardOwnershipLost and nothing is written.
"""
from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
import structlog

from fanflow.errors import ShardOwnershipLost

log = structlog.get_logger("fanflow.history.store")

SCHEMA = """
CREATE TABLE IF NOT EXISTS shard (
  shard_id INTEGER PRIMARY KEY,
  range_id INTEGER NOT NULL,
  owner TEXT NOT NULL,
  acquired_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  workflow_type TEXT NOT NULL,
  status INTEGER NOT NULL,
  start_time_ns INTEGER NOT NULL,
  close_time_ns INTEGER NOT NULL DEFAULT 0,
  state BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS executions_by_start ON executions (namespace, start_time_ns DESC, workflow_id, run_id);
CREATE INDEX IF NOT EXISTS executions_by_close ON executions (close_time_ns) WHERE close_time_ns > 0;
CREATE TABLE IF NOT EXISTS current_executions (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL,
  run_id TEXT NOT NULL, status INTEGER NOT NULL, request_id TEXT NOT NULL,
  PRIMARY KEY (namespace, workflow_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  event_id INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  scheduled_event_id INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id, scheduled_event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  fire_at_ns INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_by_time ON timers (fire_at_ns);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS shard_secrets (
  shard_id INTEGER PRIMARY KEY,
  token_key BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  key_sha256 TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  key_id TEXT NOT NULL,
  description TEXT NOT NULL,
  created_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS executor_results (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  item_index INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, executor_id, item_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS executor_progress (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  pattern TEXT NOT NULL, total INTEGER NOT NULL, failed INTEGER NOT NULL DEFAULT 0,
  started_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,
  PRIMARY KEY (namespace, workflow_id, executor_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workflow_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  name TEXT NOT NULL, details BLOB NOT NULL, time_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS workflow_events_by_workflow ON workflow_events (namespace, workflow_id, id);
CREATE TABLE IF NOT EXISTS shard_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS namespaces (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  created_ns INTEGER NOT NULL
);
"""


@dataclass(slots=True)
class Op:
    """One SQL statement of a write; `many` runs it once per params tuple."""

    sql: str
    params: Sequence = ()
    many: bool = False


class ShardStore:
    def __init__(self, path: Path, shard_id: int, owner: str, synchronous: str = "FULL"):
        self.path = path
        self.shard_id = shard_id
        self.owner = owner
        self.synchronous = synchronous
        self.range_id = 0
        self.token_key = b""  # signs task tokens; lives with the shard, so survives restarts
        self.lost = False
        self._conn: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[tuple[list[Op], asyncio.Future]] = asyncio.Queue()
        self._writer: asyncio.Task | None = None
        self.commits = 0  # transactions committed (observability)

    # ------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute(f"PRAGMA synchronous={self.synchronous}")
        await self._conn.execute("PRAGMA busy_timeout=30000")
        await self._conn.executescript(SCHEMA)
        await self._acquire()
        self._writer = asyncio.create_task(self._write_loop(), name=f"shard-{self.shard_id}-writer")

    async def _acquire(self) -> None:
        def acquire(conn: sqlite3.Connection) -> tuple[int, bytes]:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT OR IGNORE INTO shard_secrets (shard_id, token_key) VALUES (?, ?)", (self.shard_id, secrets.token_bytes(32))
                )
                token_key = conn.execute("SELECT token_key FROM shard_secrets WHERE shard_id=?", (self.shard_id,)).fetchone()[0]
                row = conn.execute("SELECT range_id FROM shard WHERE shard_id=?", (self.shard_id,)).fetchone()
                range_id = (row[0] if row else 0) + 1
                conn.execute(
                    "INSERT INTO shard (shard_id, range_id, owner, acquired_at) VALUES (?,?,?,?) "
                    "ON CONFLICT(shard_id) DO UPDATE SET range_id=excluded.range_id, owner=excluded.owner, acquired_at=excluded.acquired_at",
                    (self.shard_id, range_id, self.owner, time.time()),
                )
                conn.execute("COMMIT")
                return range_id, token_key
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        self.range_id, self.token_key = await self._run(acquire)
        log.info("shard acquired", shard=self.shard_id, range_id=self.range_id, owner=self.owner)

    async def close(self) -> None:
        if self._writer:
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
        while not self._queue.empty():
            _, fut = self._queue.get_nowait()
            if not fut.done():
                fut.set_exception(ShardOwnershipLost(f"shard {self.shard_id} is closing"))
        if self._conn:
            await self._conn.close()
            self._conn = None

    async def _run(self, fn, *args):
        # Runs fn(sqlite3.Connection) on aiosqlite's thread: a whole transaction
        # costs one thread hop instead of one per statement.
        assert self._conn is not None, "store is not open"
        return await self._conn._execute(fn, self._conn._conn, *args)

    # ---------------------------------------------------------------- writes
    async def write(self, ops: list[Op]) -> None:
        """Commit ops atomically (group-committed with concurrent writes)."""
        if self.lost:
            raise ShardOwnershipLost(self._lost_message())
        fut = asyncio.get_running_loop().create_future()
        await self._queue.put((ops, fut))
        await fut

    def _lost_message(self) -> str:
        return f"shard {self.shard_id} ownership lost: another history process took it (our range id {self.range_id})"

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 512:
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await self._run(self._commit_group, [ops for ops, _ in batch])
            except Exception as exc:  # the whole transaction failed (I/O error...)
                log.error("group commit failed", shard=self.shard_id, error=str(exc))
                outcomes = [exc] * len(batch)
            for (_, fut), outcome in zip(batch, outcomes):
                if fut.done():
                    continue
                if outcome is None:
                    fut.set_result(None)
                else:
                    fut.set_exception(outcome)

    def _commit_group(self, conn: sqlite3.Connection, groups: list[list[Op]]) -> list[Exception | None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT range_id FROM shard WHERE shard_id=?", (self.shard_id,)).fetchone()
            if row is None or row[0] != self.range_id:
                conn.execute("ROLLBACK")
                self.lost = True
                log.error("shard ownership lost", shard=self.shard_id, ours=self.range_id, theirs=row and row[0])
                return [ShardOwnershipLost(self._lost_message())] * len(groups)
            outcomes: list[Exception | None] = []
            for ops in groups:
                conn.execute("SAVEPOINT w")
                try:
                    for op in ops:
                        if op.many:
                            conn.executemany(op.sql, op.params)
                        else:
                            conn.execute(op.sql, op.params)
                    conn.execute("RELEASE w")
                    outcomes.append(None)
                except Exception as exc:
                    conn.execute("ROLLBACK TO w")
                    conn.execute("RELEASE w")
                    outcomes.append(exc)
            conn.execute("COMMIT")
            self.commits += 1
            return outcomes
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # ----------------------------------------------------------------- reads
    async def fetchall(self, sql: str, params: Sequence = ()) -> list[tuple]:
        assert self._conn is not None, "store is not open"
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence = ()) -> tuple | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None
