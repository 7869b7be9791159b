"""`HistoryStore` on one SQLite file per shard (`history-shard-N.db`).

Writes become SQL here and go through the file's group-commit writer
(`fanflow.sqlite.GroupCommit`): each write in its own savepoint, all writes
queued meanwhile in one transaction. Fencing: the transaction first checks that
the `shard` row still holds the range id `open()` took, inside BEGIN IMMEDIATE,
so the check and the writes are atomic; if another process took the shard since,
the whole transaction is rolled back and fails with ShardOwnershipLost.
Reads run on the same connection's thread, one hop each.
"""
from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog

from fanflow.errors import ShardOwnershipLost
from fanflow.sqlite_health import bad_storage, check_sqlite_file, is_disk_full, storage_error
from fanflow.sqlite import GroupCommit, SqliteSettings, SqliteThread, in_savepoint
from history.persistence.sqlite_schema import SCHEMA
from history.persistence.store import (
    CurrentRun,
    DueTimer,
    ExecutionCommit,
    ExecutorProgressRecord,
    ListCursor,
    LoadedRun,
    OutboxTask,
    RunKey,
    RunWrite,
    ScheduleWrite,
    ShardStats,
)
from protos import (
    common_pb2,
    internal_pb2,
    persistence_pb2,
    schedule_state_pb2,
    workflow_service_pb2,
)

log = structlog.get_logger("fanflow.history.store")

RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
MAX_WRITES_PER_TRANSACTION = 512

# One statement of a write: (sql, parameters, many). many: run once per parameter tuple.
Op = tuple[str, Sequence[Any], bool]

_PUT_EXECUTION = (
    "INSERT OR REPLACE INTO executions (namespace, workflow_id, run_id, workflow_type, status, start_time_ns, close_time_ns, state) "
    "VALUES (?,?,?,?,?,?,?,?)"
)
_PUT_CURRENT = "INSERT OR REPLACE INTO current_executions (namespace, workflow_id, run_id, status, request_id) VALUES (?,?,?,?,?)"
_ADD_EVENT = "INSERT INTO events (namespace, workflow_id, run_id, event_id, data) VALUES (?,?,?,?,?)"
_PUT_ACTIVITY = "INSERT OR REPLACE INTO activities (namespace, workflow_id, run_id, scheduled_event_id, data) VALUES (?,?,?,?,?)"
_DELETE_ACTIVITY = "DELETE FROM activities WHERE namespace=? AND workflow_id=? AND run_id=? AND scheduled_event_id=?"
_ADD_TIMER = "INSERT INTO timers (fire_at_ns, data) VALUES (?,?)"
_DELETE_TIMER = "DELETE FROM timers WHERE id=?"
_ADD_OUTBOX = "INSERT INTO outbox (id, data) VALUES (?,?)"
_DELETE_OUTBOX = "DELETE FROM outbox WHERE id=?"
_PUT_RESULT = "INSERT OR REPLACE INTO executor_results (namespace, workflow_id, executor_id, item_index, data) VALUES (?,?,?,?,?)"
_COUNT_FAILED = "UPDATE executor_progress SET failed = failed + ?, updated_ns = ? WHERE namespace=? AND workflow_id=? AND executor_id=?"
_START_EXECUTOR = (
    "INSERT INTO executor_progress (namespace, workflow_id, executor_id, pattern, total, started_ns, updated_ns) VALUES (?,?,?,?,?,?,?) "
    "ON CONFLICT DO UPDATE SET total=excluded.total, updated_ns=excluded.updated_ns"
)
_ADD_RECORDED_EVENT = "INSERT INTO workflow_events (namespace, workflow_id, run_id, name, details, time_ns) VALUES (?,?,?,?,?,?)"
_WHERE_RUN = "namespace=? AND workflow_id=? AND run_id=?"
# child workflows
_PUT_CHILD = "INSERT OR REPLACE INTO child_executions (namespace, workflow_id, run_id, initiated_event_id, data) VALUES (?,?,?,?,?)"
_DELETE_CHILD = "DELETE FROM child_executions WHERE namespace=? AND workflow_id=? AND run_id=? AND initiated_event_id=?"


class SqliteHistoryStore:
    """A shard's SQLite file; see history.persistence.store.HistoryStore for the contract."""

    def __init__(self, path: Path, shard_id: int, owner: str, settings: SqliteSettings | None = None):
        self.path = Path(path)
        self.shard_id = shard_id
        self.owner = owner
        self.range_id = 0
        self.token_key = b""
        self.lost = False
        self._db = SqliteThread(self.path, settings or SqliteSettings(), name=f"history-shard-{shard_id}")
        self._writes: GroupCommit[list[Op]] = GroupCommit(
            self._db,
            self._apply_writes,
            name=f"history-shard-{shard_id}",
            max_batch=MAX_WRITES_PER_TRANSACTION,
            drain_on_close=False,
            closed_error=lambda: ShardOwnershipLost(f"shard {self.shard_id} is closing"),
        )
        # Outbox ids are given out here, in commit order; rows below _outbox_recover_below
        # were written before we took the shard.
        self._outbox_next_id = 1
        self._outbox_recover_below = 1

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def commits(self) -> int:
        return self._writes.commits

    # ------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        what = f"history shard {self.shard_id}"
        await asyncio.to_thread(check_sqlite_file, self.path, what)  # BadStorage: says which file and what to do
        try:
            await self._db.open()
            await self._db.run(lambda conn: conn.executescript(SCHEMA))
            self.range_id, self.token_key, max_outbox_id = await self._db.run(self._acquire)
        except sqlite3.DatabaseError as exc:
            await self._db.close()
            if is_disk_full(exc):
                raise storage_error(exc, self.path, what) from exc
            raise bad_storage(exc, self.path, what) from exc
        self._outbox_next_id = self._outbox_recover_below = max_outbox_id + 1
        self._writes.start()
        log.info("shard acquired", shard=self.shard_id, range_id=self.range_id, owner=self.owner)

    def _acquire(self, conn: sqlite3.Connection) -> tuple[int, bytes, int]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT OR IGNORE INTO shard_secrets (shard_id, token_key) VALUES (?, ?)", (self.shard_id, secrets.token_bytes(32)))
            token_key = conn.execute("SELECT token_key FROM shard_secrets WHERE shard_id=?", (self.shard_id,)).fetchone()[0]
            row = conn.execute("SELECT range_id FROM shard WHERE shard_id=?", (self.shard_id,)).fetchone()
            range_id = (row[0] if row else 0) + 1
            conn.execute(
                "INSERT INTO shard (shard_id, range_id, owner, acquired_at) VALUES (?,?,?,?) "
                "ON CONFLICT(shard_id) DO UPDATE SET range_id=excluded.range_id, owner=excluded.owner, acquired_at=excluded.acquired_at",
                (self.shard_id, range_id, self.owner, time.time()),
            )
            max_outbox_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]
            conn.execute("COMMIT")
            return range_id, token_key, max_outbox_id
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        await self._writes.close()
        await self._db.close()

    # ------------------------------------------------------------ writing
    async def _write(self, ops: list[Op]) -> None:
        if self.lost:
            raise ShardOwnershipLost(self._lost_message())
        await self._writes.write(ops)

    def _lost_message(self) -> str:
        return f"shard {self.shard_id} ownership lost: another history process took it (our range id {self.range_id})"

    def _apply_writes(self, conn: sqlite3.Connection, writes: Sequence[list[Op]]) -> list[BaseException | None]:
        """Runs inside the group commit's transaction: fence first, then each write in its savepoint."""
        row = conn.execute("SELECT range_id FROM shard WHERE shard_id=?", (self.shard_id,)).fetchone()
        if row is None or row[0] != self.range_id:
            self.lost = True
            log.error("shard ownership lost", shard=self.shard_id, ours=self.range_id, theirs=row and row[0])
            raise ShardOwnershipLost(self._lost_message())
        return [in_savepoint(conn, lambda c, ops=ops: _run_ops(c, ops)) for ops in writes]

    async def commit(self, commit: ExecutionCommit) -> list[OutboxTask]:
        ops: list[Op] = []
        outbox: list[OutboxTask] = []
        now = time.time_ns()
        for run in commit.runs:
            ops.extend(self._run_ops(run, outbox, now))
        if commit.current_changed:
            s = commit.runs[-1].state
            ops.append((_PUT_CURRENT, (s.namespace, s.workflow_id, s.run_id, s.status, s.request_id), False))
        if commit.fired_timer is not None:
            ops.append((_DELETE_TIMER, (commit.fired_timer,), False))
        await self._write(ops)
        return outbox

    def _run_ops(self, run: RunWrite, outbox: list[OutboxTask], now: int) -> list[Op]:
        s = run.state
        key = (s.namespace, s.workflow_id, s.run_id)
        ops: list[Op] = [(
            _PUT_EXECUTION,
            (*key, s.workflow_type, s.status, s.start_time.ToNanoseconds(), s.close_time.ToNanoseconds(), s.SerializeToString()),
            False,
        )]
        if run.events:
            ops.append((_ADD_EVENT, [(*key, e.event_id, e.SerializeToString()) for e in run.events], True))
        if run.activities_upserted:
            ops.append((_PUT_ACTIVITY, [(*key, i, a.SerializeToString()) for i, a in run.activities_upserted.items()], True))
        if run.activities_deleted:
            ops.append((_DELETE_ACTIVITY, [(*key, i) for i in run.activities_deleted], True))
        ops.extend(_child_ops(key, run))
        if run.timers:
            ops.append((_ADD_TIMER, [(at, t.SerializeToString()) for at, t in run.timers], True))
        if run.outbox:
            first = self._outbox_next_id
            self._outbox_next_id += len(run.outbox)
            entries = [OutboxTask(i, t) for i, t in zip(range(first, self._outbox_next_id), run.outbox)]
            outbox.extend(entries)
            ops.append((_ADD_OUTBOX, [(i, t.SerializeToString()) for i, t in entries], True))
        for started in run.executors_started:
            ops.append((_START_EXECUTOR, (s.namespace, s.workflow_id, started.executor_id, started.pattern, started.total, now, now), False))
        for event in run.recorded_events:
            ops.append((_ADD_RECORDED_EVENT, (*key, event.name, event.details.SerializeToString(), event.time.ToNanoseconds()), False))
        results = [(executor_id, index, payload) for executor_id, index, payload in run.executor_results]
        failed = Counter(run.executor_failed_attempts)
        for executor_id in dict.fromkeys([*(r[0] for r in results), *failed]):
            ops.extend(_executor_ops(s.namespace, s.workflow_id, executor_id,
                                     [(i, p) for e, i, p in results if e == executor_id], failed[executor_id], now))
        return ops

    async def put_executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, results: Sequence[tuple[int, common_pb2.Payload]], failed_attempts: int
    ) -> None:
        ops = _executor_ops(namespace, workflow_id, executor_id, results, failed_attempts, time.time_ns())
        if ops:
            await self._write(ops)

    async def delete_outbox(self, ids: Sequence[int]) -> None:
        await self._write([(_DELETE_OUTBOX, [(i,) for i in ids], True)])

    async def delete_timers(self, ids: Sequence[int]) -> None:
        await self._write([(_DELETE_TIMER, [(i,) for i in ids], True)])

    async def delete_run(self, key: RunKey) -> None:
        ns, wf, _ = key
        ops: list[Op] = [
            (f"DELETE FROM {table} WHERE {_WHERE_RUN}", key, False)
            for table in ("events", "activities", "child_executions", "executions", "workflow_events", "current_executions")
        ]
        # The workflow's last run gone: its executor results and progress go too.
        for table in ("executor_results", "executor_progress"):
            ops.append((
                f"DELETE FROM {table} WHERE namespace=? AND workflow_id=? AND NOT EXISTS (SELECT 1 FROM executions WHERE namespace=? AND workflow_id=?)",
                (ns, wf, ns, wf),
                False,
            ))
        await self._write(ops)

    async def put_setting(self, name: str, value: str) -> None:
        await self._write([("INSERT OR REPLACE INTO shard_settings (name, value) VALUES (?, ?)", (name, value), False)])

    # ------------------------------------------------------------ reads
    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return await self._db.run(lambda conn: conn.execute(sql, params).fetchall())

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return await self._db.run(lambda conn: conn.execute(sql, params).fetchone())

    async def load_run(self, key: RunKey) -> LoadedRun | None:
        return await self._db.run(_load_run, key)

    async def current_run(self, namespace: str, workflow_id: str) -> CurrentRun | None:
        row = await self._fetchone(
            "SELECT run_id, status, request_id FROM current_executions WHERE namespace=? AND workflow_id=?", (namespace, workflow_id)
        )
        return CurrentRun(*row) if row else None

    async def read_events(self, key: RunKey, first: int, last: int | None = None, limit: int | None = None) -> list[common_pb2.HistoryEvent]:
        sql = f"SELECT data FROM events WHERE {_WHERE_RUN} AND event_id>=?"
        params: list[Any] = [*key, first]
        if last is not None:
            sql += " AND event_id<=?"
            params.append(last)
        sql += " ORDER BY event_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [common_pb2.HistoryEvent.FromString(data) for (data,) in await self._fetchall(sql, params)]

    async def list_executions(
        self, namespace: str, *, before: ListCursor | None, status: int, workflow_type: str, limit: int
    ) -> list[persistence_pb2.ExecutionState]:
        sql = "SELECT state FROM executions WHERE namespace=?"
        params: list[Any] = [namespace]
        if before is not None:
            sql += " AND (start_time_ns, workflow_id, run_id) < (?,?,?)"
            params += list(before)
        if status:
            sql += " AND status=?"
            params.append(status)
        if workflow_type:
            sql += " AND workflow_type=?"
            params.append(workflow_type)
        sql += " ORDER BY start_time_ns DESC, workflow_id DESC, run_id DESC LIMIT ?"
        params.append(limit)
        return [persistence_pb2.ExecutionState.FromString(data) for (data,) in await self._fetchall(sql, params)]

    async def runs_of_workflow(self, namespace: str, workflow_id: str) -> list[persistence_pb2.ExecutionState]:
        rows = await self._fetchall("SELECT state FROM executions WHERE namespace=? AND workflow_id=?", (namespace, workflow_id))
        return [persistence_pb2.ExecutionState.FromString(data) for (data,) in rows]

    async def running_runs(self) -> list[RunKey]:
        return [tuple(r) for r in await self._fetchall("SELECT namespace, workflow_id, run_id FROM executions WHERE status = ?", (RUNNING,))]

    async def outbox_from_previous_owners(self, after_id: int, limit: int) -> list[OutboxTask]:
        rows = await self._fetchall(
            "SELECT id, data FROM outbox WHERE id>? AND id<? ORDER BY id LIMIT ?", (after_id, self._outbox_recover_below, limit)
        )
        return [OutboxTask(i, internal_pb2.TaskInfo.FromString(data)) for i, data in rows]

    async def due_timers(self, now_ns: int, limit: int) -> list[DueTimer]:
        rows = await self._fetchall("SELECT id, data FROM timers WHERE fire_at_ns<=? ORDER BY fire_at_ns LIMIT ?", (now_ns, limit))
        return [DueTimer(i, persistence_pb2.TimerTask.FromString(data)) for i, data in rows]

    async def next_timer_time(self) -> int | None:
        row = await self._fetchone("SELECT MIN(fire_at_ns) FROM timers")
        return row[0] if row else None

    async def executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, start_index: int, limit: int
    ) -> list[tuple[int, common_pb2.Payload]]:
        rows = await self._fetchall(
            "SELECT item_index, data FROM executor_results WHERE namespace=? AND workflow_id=? AND executor_id=? AND item_index>=? "
            "ORDER BY item_index LIMIT ?",
            (namespace, workflow_id, executor_id, start_index, limit),
        )
        return [(i, common_pb2.Payload.FromString(d)) for i, d in rows]

    async def executor_result_count(self, namespace: str, workflow_id: str, executor_id: str) -> int:
        row = await self._fetchone(
            "SELECT COUNT(*) FROM executor_results WHERE namespace=? AND workflow_id=? AND executor_id=?", (namespace, workflow_id, executor_id)
        )
        return row[0]

    async def executor_progress(self, namespace: str, workflow_id: str, first_run_id: str) -> list[ExecutorProgressRecord]:
        rows = await self._fetchall(
            "SELECT executor_id, pattern, total, failed, started_ns, updated_ns FROM executor_progress "
            "WHERE namespace=? AND workflow_id=? AND executor_id LIKE ? ORDER BY started_ns",
            (namespace, workflow_id, first_run_id + "/%"),
        )
        return [ExecutorProgressRecord(*row) for row in rows]

    async def recorded_events(self, namespace: str, workflow_id: str, limit: int) -> list[workflow_service_pb2.RecordedEvent]:
        events = []
        for name, details, time_ns, run_id in await self._fetchall(
            "SELECT name, details, time_ns, run_id FROM workflow_events WHERE namespace=? AND workflow_id=? ORDER BY id DESC LIMIT ?",
            (namespace, workflow_id, limit),
        ):
            event = workflow_service_pb2.RecordedEvent(name=name, details=common_pb2.Payload.FromString(details), run_id=run_id)
            event.time.FromNanoseconds(time_ns)
            events.append(event)
        return events

    async def closed_runs(self, closed_before_ns: int, limit: int) -> list[RunKey]:
        rows = await self._fetchall(
            "SELECT namespace, workflow_id, run_id FROM executions WHERE status != ? AND close_time_ns > 0 AND close_time_ns < ? LIMIT ?",
            (RUNNING, closed_before_ns, limit),
        )
        return [tuple(r) for r in rows]

    async def setting(self, name: str) -> str | None:
        row = await self._fetchone("SELECT value FROM shard_settings WHERE name = ?", (name,))
        return row[0] if row else None

    async def stats(self) -> ShardStats:
        return await self._db.run(_stats)

    # ------------------------------------------------------------ schedules
    async def load_schedule(self, namespace: str, schedule_id: str) -> schedule_state_pb2.ScheduleRecord | None:
        row = await self._fetchone("SELECT data FROM schedules WHERE namespace=? AND schedule_id=?", (namespace, schedule_id))
        return schedule_state_pb2.ScheduleRecord.FromString(row[0]) if row else None

    async def list_schedules(self, namespace: str, after_schedule_id: str, limit: int) -> list[schedule_state_pb2.ScheduleRecord]:
        rows = await self._fetchall(
            "SELECT data FROM schedules WHERE namespace=? AND schedule_id>? ORDER BY schedule_id LIMIT ?", (namespace, after_schedule_id, limit)
        )
        return [schedule_state_pb2.ScheduleRecord.FromString(data) for (data,) in rows]

    async def all_schedules(self) -> list[schedule_state_pb2.ScheduleRecord]:
        return [schedule_state_pb2.ScheduleRecord.FromString(data) for (data,) in await self._fetchall("SELECT data FROM schedules")]

    async def commit_schedule(self, write: ScheduleWrite) -> None:
        key = (write.namespace, write.schedule_id)
        ops: list[Op] = []
        if write.record is None:
            ops.append(("DELETE FROM schedules WHERE namespace=? AND schedule_id=?", key, False))
        else:
            ops.append(("INSERT OR REPLACE INTO schedules (namespace, schedule_id, data) VALUES (?,?,?)", (*key, write.record.SerializeToString()), False))
        if write.timers:
            ops.append((_ADD_TIMER, [(at, t.SerializeToString()) for at, t in write.timers], True))
        if write.fired_timer is not None:
            ops.append((_DELETE_TIMER, (write.fired_timer,), False))
        await self._write(ops)


def _run_ops(conn: sqlite3.Connection, ops: list[Op]) -> None:
    for sql, params, many in ops:
        if many:
            conn.executemany(sql, params)
        else:
            conn.execute(sql, params)


def _executor_ops(
    namespace: str, workflow_id: str, executor_id: str, results: Sequence[tuple[int, common_pb2.Payload]], failed_attempts: int, now: int
) -> list[Op]:
    """The one way executor results and failed attempts are written (in a completion's commit or by PutParallelResults)."""
    ops: list[Op] = []
    if results:
        ops.append((_PUT_RESULT, [(namespace, workflow_id, executor_id, i, p.SerializeToString()) for i, p in results], True))
    if failed_attempts:
        ops.append((_COUNT_FAILED, (failed_attempts, now, namespace, workflow_id, executor_id), False))
    return ops


def _child_ops(key: RunKey, run: RunWrite) -> list[Op]:
    """Child workflows: the run's open children written and removed."""
    ops: list[Op] = []
    if run.children_upserted:
        ops.append((_PUT_CHILD, [(*key, i, c.SerializeToString()) for i, c in run.children_upserted.items()], True))
    if run.children_deleted:
        ops.append((_DELETE_CHILD, [(*key, i) for i in run.children_deleted], True))
    return ops


def _load_children(conn: sqlite3.Connection, key: RunKey) -> dict[int, persistence_pb2.ChildExecutionInfo]:
    children = {}
    for (data,) in conn.execute(f"SELECT data FROM child_executions WHERE {_WHERE_RUN}", key):
        info = persistence_pb2.ChildExecutionInfo.FromString(data)
        children[info.initiated_event_id] = info
    return children


def _load_run(conn: sqlite3.Connection, key: RunKey) -> LoadedRun | None:
    row = conn.execute(f"SELECT state FROM executions WHERE {_WHERE_RUN}", key).fetchone()
    if row is None:
        return None
    run = LoadedRun(persistence_pb2.ExecutionState.FromString(row[0]))
    if run.state.status == RUNNING:
        for data, scheduled in conn.execute(
            "SELECT a.data, e.data FROM activities a LEFT JOIN events e ON e.namespace=a.namespace AND e.workflow_id=a.workflow_id "
            "AND e.run_id=a.run_id AND e.event_id=a.scheduled_event_id WHERE a.namespace=? AND a.workflow_id=? AND a.run_id=?",
            key,
        ):
            info = persistence_pb2.ActivityInfo.FromString(data)
            run.activities[info.scheduled_event_id] = info
            if scheduled is not None:
                run.scheduled[info.scheduled_event_id] = common_pb2.HistoryEvent.FromString(scheduled).activity_task_scheduled
        if run.state.pending_child_count:
            run.children = _load_children(conn, key)
    return run


def _stats(conn: sqlite3.Connection) -> ShardStats:
    counts = dict(conn.execute("SELECT status = ?, COUNT(*) FROM executions GROUP BY status = ?", (RUNNING, RUNNING)).fetchall())
    return ShardStats(
        running=counts.get(1, 0),
        closed=counts.get(0, 0),
        events=conn.execute("SELECT COUNT(*) FROM events").fetchone()[0],
        outbox=conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0],
        timers=conn.execute("SELECT COUNT(*) FROM timers").fetchone()[0],
    )
