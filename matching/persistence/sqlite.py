"""`Backlog` on one SQLite file per matching process (`matching-<name>.db`).

Inserts and lazy deletes go through the file's group-commit writer
(`fanflow.sqlite.GroupCommit`): everything queued while a transaction runs is
committed in the next one (one fsync, one aiosqlite call), all or nothing.
Deletes ride along with the next transaction, or get one of their own after a
short linger. Ids are assigned here, in enqueue order, and each batch commits
after the previous one, which keeps the read-forward-by-id promise. Reads go to the file's read connection, which sees
committed batches only, never half of one.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
import structlog

from fanflow.errors import Unavailable
from fanflow.sqlite import GroupCommit, SqliteDatabase, SqliteSettings, Statement
from fanflow.sqlite_health import bad_storage, check_sqlite_file, is_disk_full, storage_error
from matching.keys import PartitionKey, QueueKey
from matching.persistence.store import StoredStart, StoredTask
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
-- Rate limits: the starts of rate-limited queues still holding a slot of their window.
CREATE TABLE IF NOT EXISTS rate_limited_starts (
  id INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  task_type INTEGER NOT NULL,
  until_ns INTEGER NOT NULL  -- unix ns until which the start holds its slot
);
CREATE INDEX IF NOT EXISTS rate_limited_starts_by_end ON rate_limited_starts (until_ns);
"""
# After the column exists (files written before it had no expiry).
_EXPIRY_INDEX = "CREATE INDEX IF NOT EXISTS tasks_by_expiry ON tasks (expires_at) WHERE expires_at IS NOT NULL"

_INSERT = "INSERT INTO tasks (id, namespace, task_queue, task_type, partition, data, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
_DELETE = "DELETE FROM tasks WHERE id = ?"
_ADD_START = "INSERT INTO rate_limited_starts (id, namespace, task_queue, task_type, until_ns) VALUES (?, ?, ?, ?, ?)"
_MOVE_START = "UPDATE rate_limited_starts SET until_ns = ? WHERE id = ?"
_DELETE_START = "DELETE FROM rate_limited_starts WHERE id = ?"
_WHERE_PARTITION = "namespace = ? AND task_queue = ? AND task_type = ? AND partition = ?"

# Deletes wait this long for company before they get a transaction of their own.
DELETE_LINGER = 0.05

_Insert = tuple[tuple, PartitionKey]  # (row, partition)


@dataclass(frozen=True, slots=True)
class _StartWrite:
    """A rate-limited start: inserted (row given), moved (until_ns) or deleted (neither)."""

    id: int
    row: tuple | None = None
    until_ns: int | None = None


_Write = _Insert | int | _StartWrite  # an insert, the id of a lazy delete, or a start


def _partition_args(key: PartitionKey) -> tuple:
    return (key.queue.namespace, key.queue.name, key.queue.task_type, key.partition)


class SqliteBacklog:
    shared = False  # this process's own file

    def __init__(
        self,
        path: Path,
        settings: SqliteSettings | str = "FULL",
        on_committed: Callable[[Counter[PartitionKey]], None] | None = None,
    ):
        """settings: the file's SQLite settings, or just its `synchronous` mode."""
        self.path = Path(path)
        self._settings = settings if isinstance(settings, SqliteSettings) else SqliteSettings(settings)
        # Called after each commit with how many tasks each partition gained, so
        # partitions learn about new rows even if the AddTask that wrote them is gone.
        self._on_committed = on_committed
        self._db = SqliteDatabase(self.path, self._settings, name=f"matching-backlog:{self.path.name}")
        self._writes: GroupCommit[_Write] = GroupCommit(
            self._db,
            name=f"matching-backlog:{self.path.name}",
            # A start is inserted by a waited write, before anyone can move or delete it; moves of
            # one start keep their order (rows of one statement run in the order they were queued).
            statement_order=(_INSERT, _DELETE, _ADD_START, _MOVE_START, _DELETE_START),
            statements=_statements,
            isolate_failures=False,  # all or nothing: a failure fails the inserts and keeps the deletes for later
            linger=DELETE_LINGER,
            drain_on_close=True,
            closed_error=lambda: Unavailable("matching backlog is closed (process stopping); retry on another attempt"),
            on_committed=self._committed,
        )
        self._next_id = 1
        self._next_start_id = 1
        self._open = False

    @property
    def location(self) -> str:
        return str(self.path)

    # -- lifecycle ---------------------------------------------------------

    async def open(self) -> None:
        what = "matching's backlog"
        await asyncio.to_thread(check_sqlite_file, self.path, what)  # BadStorage: says which file and what to do
        try:
            await self._db.open()
            try:
                async with self._db.writing() as conn:
                    max_task_id, max_start_id = await _prepare(conn)
                self._next_id, self._next_start_id = max_task_id + 1, max_start_id + 1
                await self._writes.start()
            except BaseException:
                await self._db.close()
                raise
        except sqlite3.DatabaseError as exc:  # closed above; what it means, in words
            if is_disk_full(exc):
                raise storage_error(exc, self.path, what) from exc
            raise bad_storage(exc, self.path, what) from exc
        self._open = True
        log.info("backlog opened", path=str(self.path), synchronous=self._settings.synchronous, next_id=self._next_id)

    async def close(self) -> None:
        if not self._open or self._writes.closing:
            return
        await self._writes.close()
        await self._db.close()
        log.info("backlog closed", path=str(self.path))

    def _usable(self) -> bool:
        return self._open and not self._writes.closing

    # -- writes ------------------------------------------------------------

    async def insert(self, key: PartitionKey, task: internal_pb2.TaskInfo) -> int:
        if not self._usable():
            raise Unavailable("matching backlog is closed (process stopping); retry on another attempt")
        task_id = self._next_id
        self._next_id += 1
        expires_at = task.expire_time.ToNanoseconds() if task.HasField("expire_time") else None
        try:
            await self._writes.write(((task_id, *_partition_args(key), task.SerializeToString(), expires_at), key))
        except Unavailable:
            raise
        except Exception as exc:
            raise Unavailable(f"matching backlog write failed: {exc}") from exc
        return task_id

    def delete_later(self, task_id: int) -> None:
        self._writes.write_later(task_id)  # dropped once closing: a lost delete only means a stale re-delivery

    async def flush(self) -> None:
        await self._writes.flush()

    def _committed(self, writes: list[_Write]) -> None:
        if self._on_committed is not None:
            self._on_committed(Counter(w[1] for w in writes if isinstance(w, tuple)))

    async def delete_expired(self, now_ns: int, limit: int = 10_000) -> int:
        """Sticky tasks of workers that are gone, activities past schedule-to-start: history
        has re-dispatched or timed them out already, so nothing is lost; without this they
        would stay forever in queues nobody polls."""
        if not self._usable():
            return 0
        return await self._sweep(
            "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE expires_at IS NOT NULL AND expires_at < ? LIMIT ?)", (now_ns, limit)
        )

    async def _sweep(self, sql: str, params: tuple) -> int:
        """One DELETE on the write connection, between two group-commit transactions: how many rows went."""
        try:
            async with self._db.writing() as conn:
                cursor = await conn.execute(sql, params)
                return max(cursor.rowcount, 0)
        except (sqlite3.Error, ValueError, RuntimeError) as exc:
            raise Unavailable(f"matching backlog sweep failed: {exc}") from exc

    # -- rate limits (matching/rate_limiter.py) ----------------------------

    async def record_start(self, key: QueueKey, until_ns: int) -> int:
        if not self._usable():
            raise Unavailable("matching backlog is closed (process stopping); retry on another attempt")
        start_id = self._next_start_id
        self._next_start_id += 1
        try:
            await self._writes.write(_StartWrite(start_id, row=(start_id, key.namespace, key.name, key.task_type, until_ns)))
        except Unavailable:
            raise
        except Exception as exc:
            raise Unavailable(f"matching backlog write failed: {exc}") from exc
        return start_id

    def update_start_later(self, start_id: int, until_ns: int) -> None:
        self._writes.write_later(_StartWrite(start_id, until_ns=until_ns))

    def delete_start_later(self, start_id: int) -> None:
        self._writes.write_later(_StartWrite(start_id))

    async def starts(self, now_ns: int) -> list[StoredStart]:
        rows = await self._fetch("SELECT id, namespace, task_queue, task_type, until_ns FROM rate_limited_starts WHERE until_ns > ? ORDER BY id", (now_ns,))
        return [StoredStart(start_id, QueueKey(ns, name, task_type), until) for start_id, ns, name, task_type, until in rows]

    async def delete_past_starts(self, now_ns: int, limit: int = 10_000) -> int:
        if not self._usable():
            return 0
        return await self._sweep(
            "DELETE FROM rate_limited_starts WHERE id IN (SELECT id FROM rate_limited_starts WHERE until_ns <= ? LIMIT ?)", (now_ns, limit)
        )

    # -- reads -------------------------------------------------------------

    async def read(self, key: PartitionKey, after_id: int, limit: int) -> list[StoredTask]:
        rows = await self._fetch(f"SELECT id, data FROM tasks WHERE {_WHERE_PARTITION} AND id > ? ORDER BY id LIMIT ?", (*_partition_args(key), after_id, limit))
        return [StoredTask(task_id, _decode(data)) for task_id, data in rows]

    async def count(self, key: PartitionKey) -> int:
        rows = await self._fetch(f"SELECT COUNT(*) FROM tasks WHERE {_WHERE_PARTITION}", _partition_args(key))
        return int(rows[0][0])

    async def partitions(self) -> list[PartitionKey]:
        rows = await self._fetch("SELECT DISTINCT namespace, task_queue, task_type, partition FROM tasks", ())
        return [PartitionKey(QueueKey(ns, name, task_type), partition) for ns, name, task_type, partition in rows]

    async def _fetch(self, sql: str, args: tuple) -> list[tuple]:
        if not self._usable():
            raise Unavailable("matching backlog is closed (process stopping)")
        try:
            return await self._db.fetchall(sql, args)
        except (sqlite3.Error, ValueError, RuntimeError) as exc:  # ValueError, RuntimeError: closed under us
            raise Unavailable(f"matching backlog read failed: {exc}") from exc


async def _prepare(conn: aiosqlite.Connection) -> tuple[int, int]:
    """Create or upgrade the schema; the highest stored task id and start id."""
    await conn.executescript(SCHEMA)
    columns = {row[1] for row in await conn.execute_fetchall("PRAGMA table_info(tasks)")}
    if "expires_at" not in columns:
        await conn.execute("ALTER TABLE tasks ADD COLUMN expires_at INTEGER")
    await conn.execute(_EXPIRY_INDEX)
    [(max_task, max_start)] = await conn.execute_fetchall(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM tasks), (SELECT COALESCE(MAX(id), 0) FROM rate_limited_starts)"
    )
    return max_task, max_start


def _statements(write: _Write) -> list[Statement]:
    if isinstance(write, int):
        return [(_DELETE, [(write,)])]
    if isinstance(write, _StartWrite):
        if write.row is not None:
            return [(_ADD_START, [write.row])]
        if write.until_ns is not None:
            return [(_MOVE_START, [(write.until_ns, write.id)])]
        return [(_DELETE_START, [(write.id,)])]
    return [(_INSERT, [write[0]])]


def _decode(data: bytes) -> internal_pb2.TaskInfo | None:
    info = internal_pb2.TaskInfo()
    try:
        info.ParseFromString(data)
    except Exception:
        return None
    return info
