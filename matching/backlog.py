"""The backlog: one SQLite file per matching process for tasks no poller took.

Durability: `insert` returns only after the row's transaction COMMITTED (WAL,
synchronous from the cluster config), so AddTask can ack it and history can drop
its outbox row. Concurrent inserts are group-committed by one writer task: one
transaction (one fsync) for everything queued while the previous one ran.

Deletes are lazy: they ride along with the next transaction (or a short linger
timer). Losing one in a crash only means the task is offered again and history
rejects it as stale.

Ids are assigned here, in enqueue order, and every batch commits atomically
after the previous one; so a reader that has seen id N has seen every committed
id below N of its partition, which lets partitions read forward by id.
All statements go through one lock, so a read never sees a half-written batch.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiosqlite
import structlog

from fanflow.errors import Unavailable
from matching.keys import PartitionKey, QueueKey
from protos import internal_pb2

log = structlog.get_logger("fanflow.matching")

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
  id INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  task_type INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  data BLOB NOT NULL,
  expires_at INTEGER  -- unix ns after which the task is stale (TaskInfo.expire_time); NULL: never
);
CREATE INDEX IF NOT EXISTS tasks_by_partition ON tasks (namespace, task_queue, task_type, partition, id);
"""
# After the column exists (files written before it had no expiry).
_EXPIRY_INDEX = "CREATE INDEX IF NOT EXISTS tasks_by_expiry ON tasks (expires_at) WHERE expires_at IS NOT NULL"

_INSERT = "INSERT INTO tasks (id, namespace, task_queue, task_type, partition, data, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
_DELETE = "DELETE FROM tasks WHERE id = ?"
_WHERE_PARTITION = "namespace = ? AND task_queue = ? AND task_type = ? AND partition = ?"

_SYNCHRONOUS = {"OFF", "NORMAL", "FULL", "EXTRA", "0", "1", "2", "3"}

# Deletes wait this long for company before they get a transaction of their own.
DELETE_LINGER = 0.05


def _partition_args(key: PartitionKey) -> tuple:
    return (key.queue.namespace, key.queue.name, key.queue.task_type, key.partition)


class Backlog:
    def __init__(
        self,
        path: Path,
        synchronous: str = "FULL",
        on_committed: Callable[[Counter[PartitionKey]], None] | None = None,
    ):
        if str(synchronous).upper() not in _SYNCHRONOUS:
            raise ValueError(f"sqlite_synchronous must be one of {sorted(_SYNCHRONOUS)}, got {synchronous!r}")
        self.path = Path(path)
        self._synchronous = str(synchronous).upper()
        # Called after each commit with how many tasks each partition gained, so
        # partitions learn about new rows even if the AddTask that wrote them is gone.
        self._on_committed = on_committed
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._next_id = 1
        self._inserts: list[tuple[tuple, PartitionKey, asyncio.Future[int]]] = []
        self._deletes: set[int] = set()
        self._flush_waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._linger: asyncio.TimerHandle | None = None
        self._writer: asyncio.Task | None = None
        self._batch_in_flight = False
        self._closing = False

    # -- lifecycle ---------------------------------------------------------

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._db = await aiosqlite.connect(str(self.path), isolation_level=None)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute(f"PRAGMA synchronous={self._synchronous}")
        await self._db.execute("PRAGMA busy_timeout=5000")
        await self._db.executescript(SCHEMA)
        async with self._db.execute("PRAGMA table_info(tasks)") as cur:
            columns = {row[1] for row in await cur.fetchall()}
        if "expires_at" not in columns:
            await self._db.execute("ALTER TABLE tasks ADD COLUMN expires_at INTEGER")
        await self._db.execute(_EXPIRY_INDEX)
        async with self._db.execute("SELECT COALESCE(MAX(id), 0) FROM tasks") as cur:
            (max_id,) = await cur.fetchone()
        self._next_id = max_id + 1
        self._writer = asyncio.create_task(self._run_writer(), name=f"matching-backlog-writer:{self.path.name}")
        log.info("backlog opened", path=str(self.path), synchronous=self._synchronous, next_id=self._next_id)

    async def close(self) -> None:
        """Commit what is queued, then close. Later calls fail with Unavailable."""
        if self._db is None or self._closing:
            return
        self._closing = True
        self._wake.set()
        if self._writer is not None:
            await self._writer
        await self._db.close()
        log.info("backlog closed", path=str(self.path))

    # -- writes ------------------------------------------------------------

    async def insert(self, key: PartitionKey, task: internal_pb2.TaskInfo) -> int:
        """Store a task; returns its id once the row is committed."""
        if self._db is None or self._closing:
            raise Unavailable("matching backlog is closed (process stopping); retry on another attempt")
        task_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        expires_at = task.expire_time.ToNanoseconds() if task.HasField("expire_time") else None
        row = (task_id, *_partition_args(key), task.SerializeToString(), expires_at)
        self._inserts.append((row, key, future))
        self._wake.set()
        return await future

    def delete_later(self, task_id: int) -> None:
        """Forget a dispatched or stale task; committed with a later transaction."""
        if self._db is None or self._closing:
            return  # a lost delete only means a stale re-delivery after restart
        self._deletes.add(task_id)
        if self._linger is None and not self._wake.is_set():
            self._linger = asyncio.get_running_loop().call_later(DELETE_LINGER, self._wake.set)

    async def flush(self) -> None:
        """Wait until everything queued so far (lazy deletes too) is committed."""
        if self._writer is None or self._writer.done():
            return
        if not self._inserts and not self._deletes and not self._batch_in_flight:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flush_waiters.append(future)
        self._wake.set()
        await future

    async def _run_writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._linger is not None:
                self._linger.cancel()
                self._linger = None
            if self._inserts or self._deletes:
                self._batch_in_flight = True
                try:
                    await self._write_batch()
                finally:
                    self._batch_in_flight = False
            if not self._inserts and not self._deletes:
                for waiter in self._flush_waiters:
                    if not waiter.done():
                        waiter.set_result(None)
                self._flush_waiters.clear()
                if self._closing:
                    return
            elif self._inserts or self._flush_waiters or self._closing:
                self._wake.set()  # more arrived while we were committing
            elif self._linger is None:
                self._linger = asyncio.get_running_loop().call_later(DELETE_LINGER, self._wake.set)

    async def _write_batch(self) -> None:
        inserts, self._inserts = self._inserts, []
        deletes, self._deletes = self._deletes, set()
        assert self._db is not None
        try:
            async with self._lock:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    if inserts:
                        await self._db.executemany(_INSERT, [row for row, _, _ in inserts])
                    if deletes:
                        await self._db.executemany(_DELETE, [(task_id,) for task_id in deletes])
                    await self._db.execute("COMMIT")
                except BaseException:
                    try:
                        await self._db.execute("ROLLBACK")
                    except Exception:  # the connection may be gone; the error below says why
                        pass
                    raise
        except Exception as exc:
            log.error("backlog write failed", path=str(self.path), inserts=len(inserts), deletes=len(deletes), error=repr(exc))
            for _, _, future in inserts:
                if not future.done():
                    future.set_exception(Unavailable(f"matching backlog write failed: {exc}"))
            if not self._closing:
                self._deletes |= deletes  # lazy anyway: try again with the next batch
            return
        for row, _, future in inserts:
            if not future.done():  # the caller may have given up; the row is stored all the same
                future.set_result(row[0])
        if inserts and self._on_committed is not None:
            try:
                self._on_committed(Counter(key for _, key, _ in inserts))
            except Exception:
                log.exception("backlog commit callback failed")

    async def delete_expired(self, now_ns: int, limit: int = 10_000) -> int:
        """Delete up to `limit` tasks that expired before now_ns: sticky tasks of workers that
        are gone, activities past schedule-to-start. History has re-dispatched or timed
        them out already, so nothing is lost; without this they would stay forever in
        queues nobody polls. Returns how many rows went."""
        if self._db is None or self._closing:
            return 0
        sql = "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE expires_at IS NOT NULL AND expires_at < ? LIMIT ?)"
        try:
            async with self._lock:
                cur = await self._db.execute(sql, (now_ns, limit))
                deleted = cur.rowcount
                await cur.close()
        except (sqlite3.Error, ValueError) as exc:
            raise Unavailable(f"matching backlog sweep failed: {exc}") from exc
        return max(deleted, 0)

    # -- reads -------------------------------------------------------------

    async def read(self, key: PartitionKey, after_id: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to `limit` tasks of a partition with id > after_id, oldest first."""
        sql = f"SELECT id, data FROM tasks WHERE {_WHERE_PARTITION} AND id > ? ORDER BY id LIMIT ?"
        return await self._fetch(sql, (*_partition_args(key), after_id, limit))

    async def count(self, key: PartitionKey) -> int:
        rows = await self._fetch(f"SELECT COUNT(*) FROM tasks WHERE {_WHERE_PARTITION}", _partition_args(key))
        return int(rows[0][0])

    async def partitions(self) -> list[PartitionKey]:
        """Every partition that has at least one stored task."""
        rows = await self._fetch("SELECT DISTINCT namespace, task_queue, task_type, partition FROM tasks", ())
        return [PartitionKey(QueueKey(ns, name, task_type), partition) for ns, name, task_type, partition in rows]

    async def _fetch(self, sql: str, args: tuple) -> list[tuple]:
        if self._db is None or self._closing:
            raise Unavailable("matching backlog is closed (process stopping)")
        try:
            async with self._lock:
                async with self._db.execute(sql, args) as cur:
                    return list(await cur.fetchall())
        except (sqlite3.Error, ValueError) as exc:  # ValueError: connection closed under us
            raise Unavailable(f"matching backlog read failed: {exc}") from exc
