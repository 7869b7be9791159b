"""`Backlog` on PostgreSQL: every matching process's tasks in the cluster's one database,
keyed by partition (namespace, task queue, task type, partition), so any process can
serve any partition.

Ids: the `matching_task_ids` sequence steps by 100, so one `nextval` reserves a block of
100 ids for this process, which hands them out in enqueue order. Batches commit one after
another (one writer per process), so within a partition served by this process ids grow
in commit order: the read-forward-by-id promise. (A process that takes over a partition
must reserve a fresh block first: a block reserved later is above every id reserved
before it.)

Inserts, lazy deletes and rate-limited starts go through the group-commit writer
(fanflow.postgres.PgGroupCommit): one transaction per batch, inserts as one executemany
(pipelined), deletes as one `DELETE ... WHERE id = ANY($1)`.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from fanflow.errors import Unavailable
from fanflow.postgres import Database, PgGroupCommit, as_unavailable
from matching.keys import PartitionKey, QueueKey
from matching.persistence.store import StoredStart, StoredTask
from protos import internal_pb2

log = structlog.get_logger("fanflow.matching")

ID_BLOCK = 100  # the sequences' INCREMENT BY (fanflow/pg_schema/0001_initial.sql)
DELETE_LINGER = 0.05

_INSERT = "INSERT INTO matching_tasks (id, namespace, task_queue, task_type, partition, data, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)"
_DELETE = "DELETE FROM matching_tasks WHERE id = ANY($1::bigint[])"
_WHERE_PARTITION = "namespace=$1 AND task_queue=$2 AND task_type=$3 AND partition=$4"
_INSERT_START = "INSERT INTO matching_rate_limited_starts (id, namespace, task_queue, task_type, until_ns) VALUES ($1,$2,$3,$4,$5)"
_MOVE_START = "UPDATE matching_rate_limited_starts SET until_ns=$2 WHERE id=$1"
_DELETE_START = "DELETE FROM matching_rate_limited_starts WHERE id = ANY($1::bigint[])"

_Insert = tuple[tuple, PartitionKey]


@dataclass(frozen=True, slots=True)
class _StartWrite:
    id: int
    row: tuple | None = None
    until_ns: int | None = None


_Write = _Insert | int | _StartWrite


def _partition_args(key: PartitionKey) -> tuple:
    return (key.queue.namespace, key.queue.name, key.queue.task_type, key.partition)


class _IdBlocks:
    """Ids from a stepping sequence, a block of ID_BLOCK per nextval."""

    def __init__(self, db: Database, sequence: str):
        self._db = db
        self._sequence = sequence
        self._next = 0
        self._end = 0
        self._lock = asyncio.Lock()

    async def take(self) -> int:
        if self._next >= self._end:
            async with self._lock:
                if self._next >= self._end:
                    start = await self._db.fetchval("reserve ids", f"SELECT nextval('{self._sequence}')")
                    self._next, self._end = int(start), int(start) + ID_BLOCK
        value = self._next
        self._next += 1
        return value


class PostgresBacklog:
    shared = True  # every matching process sees the same rows: a partition's owner reads its own

    def __init__(self, db: Database, host_name: str, on_committed: Callable[[Counter[PartitionKey]], None] | None = None):
        self.db = db
        self.host_name = host_name
        self._on_committed = on_committed
        self._writes: PgGroupCommit[_Write] = PgGroupCommit(
            db,
            _write_batch,
            name=f"matching-backlog:{host_name}",
            linger=DELETE_LINGER,
            drain_on_close=True,
            closed_error=lambda: Unavailable("matching backlog is closed (process stopping); retry on another attempt"),
            on_committed=self._committed,
        )
        self._task_ids = _IdBlocks(db, "matching_task_ids")
        self._start_ids = _IdBlocks(db, "matching_start_ids")
        self._open = False

    @property
    def location(self) -> str:
        return self.db.location

    async def open(self) -> None:
        await self.db.open()
        self._writes.start()
        self._open = True
        log.info("backlog opened", database=self.db.location, host=self.host_name)

    async def close(self) -> None:
        if not self._open or self._writes.closing:
            return
        await self._writes.close()
        await self.db.close()
        log.info("backlog closed", database=self.db.location)

    def _usable(self) -> bool:
        return self._open and not self._writes.closing

    def _check_usable(self) -> None:
        if not self._usable():
            raise Unavailable("matching backlog is closed (process stopping); retry on another attempt")

    # -- writes
    async def insert(self, key: PartitionKey, task: internal_pb2.TaskInfo) -> int:
        self._check_usable()
        task_id = await self._task_ids.take()
        expires_at = task.expire_time.ToNanoseconds() if task.HasField("expire_time") else None
        try:
            await self._writes.write(((task_id, *_partition_args(key), task.SerializeToString(), expires_at), key))
        except Unavailable:
            raise
        except Exception as exc:
            raise Unavailable(f"matching backlog write failed: {exc}") from exc
        return task_id

    def delete_later(self, task_id: int) -> None:
        self._writes.write_later(task_id)

    async def flush(self) -> None:
        await self._writes.flush()

    def _committed(self, writes: list[_Write]) -> None:
        if self._on_committed is not None:
            self._on_committed(Counter(w[1] for w in writes if isinstance(w, tuple)))

    async def delete_expired(self, now_ns: int, limit: int = 10_000) -> int:
        if not self._usable():
            return 0
        status = await self._execute(
            "sweep expired tasks",
            "DELETE FROM matching_tasks WHERE id IN (SELECT id FROM matching_tasks WHERE expires_at IS NOT NULL AND expires_at < $1 LIMIT $2)",
            now_ns, limit,
        )
        return int(status.split()[-1])

    # -- rate limits
    async def record_start(self, key: QueueKey, until_ns: int) -> int:
        self._check_usable()
        start_id = await self._start_ids.take()
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
        rows = await self._fetch(
            "read rate-limited starts",
            "SELECT id, namespace, task_queue, task_type, until_ns FROM matching_rate_limited_starts WHERE until_ns > $1 ORDER BY id", now_ns,
        )
        return [StoredStart(r[0], QueueKey(r[1], r[2], r[3]), r[4]) for r in rows]

    async def delete_past_starts(self, now_ns: int, limit: int = 10_000) -> int:
        if not self._usable():
            return 0
        status = await self._execute(
            "sweep past starts",
            "DELETE FROM matching_rate_limited_starts WHERE id IN (SELECT id FROM matching_rate_limited_starts WHERE until_ns <= $1 LIMIT $2)",
            now_ns, limit,
        )
        return int(status.split()[-1])

    # -- reads
    async def read(self, key: PartitionKey, after_id: int, limit: int) -> list[StoredTask]:
        rows = await self._fetch(
            "read a partition",
            f"SELECT id, data FROM matching_tasks WHERE {_WHERE_PARTITION} AND id > $5 ORDER BY id LIMIT $6",
            *_partition_args(key), after_id, limit,
        )
        return [StoredTask(r[0], _decode(r[1])) for r in rows]

    async def count(self, key: PartitionKey) -> int:
        rows = await self._fetch("count a partition", f"SELECT COUNT(*) FROM matching_tasks WHERE {_WHERE_PARTITION}", *_partition_args(key))
        return int(rows[0][0])

    async def partitions(self) -> list[PartitionKey]:
        rows = await self._fetch("list partitions", "SELECT DISTINCT namespace, task_queue, task_type, partition FROM matching_tasks")
        return [PartitionKey(QueueKey(r[0], r[1], r[2]), r[3]) for r in rows]

    async def _fetch(self, what: str, sql: str, *args) -> list:
        self._check_usable()
        try:
            return await self.db.fetch(f"matching backlog: {what}", sql, *args)
        except Unavailable:
            raise
        except Exception as exc:
            raise Unavailable(f"matching backlog read failed: {exc}") from exc

    async def _execute(self, what: str, sql: str, *args) -> str:
        try:
            async with self.db.connection(f"matching backlog: {what}") as conn:
                return await conn.execute(sql, *args)
        except Exception as exc:
            error = as_unavailable(exc, f"matching backlog: {what}")
            raise (error if isinstance(error, Unavailable) else Unavailable(f"matching backlog {what} failed: {exc}")) from exc


async def _write_batch(conn, writes: Sequence[_Write]) -> list[BaseException | None]:
    """All or nothing: a failure raises, failing the inserts and keeping the deletes for later."""
    inserts = [w[0] for w in writes if isinstance(w, tuple)]
    deletes = [w for w in writes if isinstance(w, int)]
    if not inserts and not any(isinstance(w, _StartWrite) and w.row is not None for w in writes):
        # Lazy writes only (deletes, moved starts): they may be lost in a crash by contract,
        # so they need not wait for the WAL flush.
        await conn.execute("SET LOCAL synchronous_commit = off")
    if inserts:
        await conn.executemany(_INSERT, inserts)
    if deletes:
        await conn.execute(_DELETE, deletes)
    starts = [w for w in writes if isinstance(w, _StartWrite)]
    if starts:
        new = [w.row for w in starts if w.row is not None]
        if new:
            await conn.executemany(_INSERT_START, new)
        moved = [(w.id, w.until_ns) for w in starts if w.row is None and w.until_ns is not None]
        if moved:
            await conn.executemany(_MOVE_START, moved)
        gone = [w.id for w in starts if w.row is None and w.until_ns is None]
        if gone:
            await conn.execute(_DELETE_START, gone)
    return [None] * len(writes)


def _decode(data: bytes) -> internal_pb2.TaskInfo | None:
    info = internal_pb2.TaskInfo()
    try:
        info.ParseFromString(data)
    except Exception:
        return None
    return info
