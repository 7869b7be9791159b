"""`HistoryStore` on one SQLite file per shard (`history-shard-N.db`).

Writes become statements here and go through the file's group-commit writer
(`fanflow.sqlite.GroupCommit`): all writes queued meanwhile in one transaction
(one aiosqlite call), their statements' rows in `STATEMENT_ORDER`; a write that
fails is undone alone. Fencing: the transaction first checks that the `shard`
row still holds the range id `open()` took, holding the write lock, so the check
and the writes are atomic; if another process took the shard since, the whole
transaction is rolled back and fails with ShardOwnershipLost.
Reads go to the file's read connection, one hop each (one statement each, so a
read is one consistent snapshot).
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

import aiosqlite
import structlog

from fanflow.errors import ShardOwnershipLost
from fanflow.sqlite import Fence, GroupCommit, SqliteDatabase, SqliteSettings, Statement
from fanflow.sqlite_health import bad_storage, check_sqlite_file, is_disk_full, storage_error
from history.persistence import sqlite_listing
from history.persistence.sqlite_schema import SCHEMA, add_search_tables
from history.persistence.store import (
    CurrentRun,
    DueTimer,
    ExecutionCommit,
    ExecutorItemFailed,
    ExecutorProgressRecord,
    ListCursor,
    LoadedRun,
    OutboxTask,
    RunFilter,
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

# An upsert, not a REPLACE: only the indexes over the columns that change (status, close time)
# are rewritten by a commit.
_PUT_EXECUTION = (
    "INSERT INTO executions (namespace, workflow_id, run_id, workflow_type, status, start_time_ns, close_time_ns, state, display_name) "
    "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (namespace, workflow_id, run_id) DO UPDATE SET "
    "status=excluded.status, close_time_ns=excluded.close_time_ns, state=excluded.state"
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
_TOUCH_EXECUTOR = "UPDATE executor_progress SET updated_ns = ? WHERE namespace=? AND workflow_id=? AND executor_id=?"
# executor item failures: the latest failed attempt of each item
_PUT_ITEM_FAILURE = (
    "INSERT OR REPLACE INTO executor_failures (namespace, workflow_id, executor_id, item_index, attempt, final, time_ns, activity_type, failure) "
    "VALUES (?,?,?,?,?,?,?,?,?)"
)
_COUNT_FAILED = "UPDATE executor_progress SET failed = failed + ?, updated_ns = ? WHERE namespace=? AND workflow_id=? AND executor_id=?"
_START_EXECUTOR = (
    "INSERT INTO executor_progress (namespace, workflow_id, executor_id, pattern, total, started_ns, updated_ns) VALUES (?,?,?,?,?,?,?) "
    "ON CONFLICT DO UPDATE SET total=excluded.total, updated_ns=excluded.updated_ns"
)
_ADD_RECORDED_EVENT = "INSERT INTO workflow_events (namespace, workflow_id, run_id, name, details, time_ns) VALUES (?,?,?,?,?,?)"
_PUT_SETTING = "INSERT OR REPLACE INTO shard_settings (name, value) VALUES (?, ?)"
_WHERE_RUN = "namespace=? AND workflow_id=? AND run_id=?"
# child workflows
_PUT_CHILD = "INSERT OR REPLACE INTO child_executions (namespace, workflow_id, run_id, initiated_event_id, data) VALUES (?,?,?,?,?)"
_DELETE_CHILD = "DELETE FROM child_executions WHERE namespace=? AND workflow_id=? AND run_id=? AND initiated_event_id=?"
# schedules
_PUT_SCHEDULE = "INSERT OR REPLACE INTO schedules (namespace, schedule_id, data) VALUES (?,?,?)"
_DELETE_SCHEDULE = "DELETE FROM schedules WHERE namespace=? AND schedule_id=?"
# A closed run's rows (parameters: the run's key); then, once the workflow has no run left, its
# executor results and progress (parameters: namespace, workflow id, twice).
_DELETE_RUN_ROWS = tuple(
    f"DELETE FROM {table} WHERE {_WHERE_RUN}"
    for table in ("events", "activities", "child_executions", "executions", "workflow_events", "current_executions", "search_keys", "watch_entries")
)
# (streaming state and large data: a workflow's tasks and payload blobs go with its last run)
_DELETE_WORKFLOW_ROWS = tuple(
    f"DELETE FROM {table} WHERE namespace=? AND workflow_id=? AND NOT EXISTS (SELECT 1 FROM executions WHERE namespace=? AND workflow_id=?)"
    for table in ("executor_results", "executor_progress", "executor_failures", "task_states", "payload_blobs")
)
# search keys: a run's index rows, replaced whenever its keys change (deleted first: the
# delete is one of _DELETE_RUN_ROWS, which come before the insert)
_DELETE_SEARCH_KEYS = f"DELETE FROM search_keys WHERE {_WHERE_RUN}"
_PUT_SEARCH_KEY = "INSERT INTO search_keys (namespace, workflow_id, run_id, key, value, start_time_ns) VALUES (?,?,?,?,?,?)"
# streaming state and large data
_ADD_WATCH_ENTRY = "INSERT INTO watch_entries (namespace, workflow_id, run_id, data) VALUES (?,?,?,?)"
_PUT_TASK_STATE = (
    "INSERT INTO task_states (namespace, workflow_id, task_id, started_ns, changes, data) VALUES (?,?,?,?,1,?) "
    "ON CONFLICT DO UPDATE SET changes = changes + 1, data = excluded.data"
)
_PUT_BLOB = "INSERT OR IGNORE INTO payload_blobs (namespace, workflow_id, blob_id, size, created_ns, data) VALUES (?,?,?,?,?,?)"
# The order in which a transaction runs its statements' rows (those of every write in it).
# Writes sharing a transaction come from callers holding different workflows' locks, so only a
# write's own order matters: an executor's progress row is created before failed attempts are
# counted on it, a run's executions row is deleted before the check whether its workflow has
# any left.
STATEMENT_ORDER = (
    _PUT_EXECUTION, _PUT_CURRENT, _ADD_EVENT, _PUT_ACTIVITY, _DELETE_ACTIVITY, _PUT_CHILD, _DELETE_CHILD, _ADD_TIMER, _DELETE_TIMER,
    _ADD_OUTBOX, _DELETE_OUTBOX, _START_EXECUTOR, _ADD_RECORDED_EVENT, _PUT_RESULT, _COUNT_FAILED, _TOUCH_EXECUTOR, _PUT_ITEM_FAILURE, _PUT_SETTING,
    _PUT_SCHEDULE, _DELETE_SCHEDULE, _PUT_TASK_STATE, _ADD_WATCH_ENTRY, _PUT_BLOB, *_DELETE_RUN_ROWS, *_DELETE_WORKFLOW_ROWS,
    _PUT_SEARCH_KEY,  # search keys
)
_RANGE_ID = "SELECT range_id FROM shard WHERE shard_id=?"
_STILL_OURS = "SELECT 1 FROM shard WHERE shard_id=? AND range_id=?"  # the fence: a row while we own the shard


class SqliteHistoryStore:
    """A shard's SQLite file; see history.persistence.store.HistoryStore for the contract."""

    def __init__(self, path: Path, shard_id: int, owner: str, settings: SqliteSettings | None = None):
        self.path = Path(path)
        self.shard_id = shard_id
        self.owner = owner
        self.range_id = 0
        self.token_key = b""
        self.lost = False
        self._db = SqliteDatabase(self.path, settings or SqliteSettings(), name=f"history-shard-{shard_id}")
        self._writes: GroupCommit[list[Statement]] = GroupCommit(
            self._db,
            name=f"history-shard-{shard_id}",
            statement_order=STATEMENT_ORDER,
            fence=Fence(_STILL_OURS, lambda: (self.shard_id, self.range_id), self._ownership_lost),
            max_batch=MAX_WRITES_PER_TRANSACTION,
            drain_on_close=False,
            closed_error=lambda: ShardOwnershipLost(self._lost_message() if self.lost else f"shard {self.shard_id} is closing"),
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
            try:
                async with self._db.writing() as conn:
                    await conn.executescript(SCHEMA)
                    await add_search_tables(conn, _display_name_of)  # search keys
                    self.range_id, self.token_key, max_outbox_id = await self._acquire(conn)
                self._outbox_next_id = self._outbox_recover_below = max_outbox_id + 1
                await self._writes.start()
            except BaseException:
                await self._db.close()
                raise
        except sqlite3.DatabaseError as exc:  # closed above; what it means, in words
            if is_disk_full(exc):
                raise storage_error(exc, self.path, what) from exc
            raise bad_storage(exc, self.path, what) from exc
        log.info("shard acquired", shard=self.shard_id, range_id=self.range_id, owner=self.owner)

    async def _acquire(self, conn: aiosqlite.Connection) -> tuple[int, bytes, int]:
        """Take the shard: its range id + 1, in one transaction (once, at open: hops do not matter here)."""
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute("INSERT OR IGNORE INTO shard_secrets (shard_id, token_key) VALUES (?, ?)", (self.shard_id, secrets.token_bytes(32)))
            [(token_key,)] = await conn.execute_fetchall("SELECT token_key FROM shard_secrets WHERE shard_id=?", (self.shard_id,))
            rows = list(await conn.execute_fetchall(_RANGE_ID, (self.shard_id,)))
            range_id = (rows[0][0] if rows else 0) + 1
            await conn.execute(
                "INSERT INTO shard (shard_id, range_id, owner, acquired_at) VALUES (?,?,?,?) "
                "ON CONFLICT(shard_id) DO UPDATE SET range_id=excluded.range_id, owner=excluded.owner, acquired_at=excluded.acquired_at",
                (self.shard_id, range_id, self.owner, time.time()),
            )
            [(max_outbox_id,)] = await conn.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM outbox")
            await conn.commit()
            return range_id, token_key, max_outbox_id
        except BaseException:
            await conn.rollback()
            raise

    async def close(self) -> None:
        await self._writes.close()
        await self._db.close()

    # ------------------------------------------------------------ writing
    async def _write(self, statements: list[Statement]) -> None:
        if self.lost:
            raise ShardOwnershipLost(self._lost_message())
        await self._writes.write(statements)

    def _lost_message(self) -> str:
        return f"shard {self.shard_id} ownership lost: another history process took it (our range id {self.range_id})"

    def _ownership_lost(self) -> ShardOwnershipLost:
        """The fence refused a transaction: another process raised the range id since open()."""
        self.lost = True
        log.error("shard ownership lost", shard=self.shard_id, ours=self.range_id)
        return ShardOwnershipLost(self._lost_message())

    async def commit(self, commit: ExecutionCommit) -> list[OutboxTask]:
        statements: list[Statement] = []
        outbox = commit.outbox_assigned
        now = time.time_ns()
        for run in commit.runs:
            statements.extend(self._run_statements(run, outbox, now))
        if commit.current_changed:
            s = commit.runs[-1].state
            statements.append((_PUT_CURRENT, [(s.namespace, s.workflow_id, s.run_id, s.status, s.request_id)]))
        if commit.fired_timer is not None:
            statements.append((_DELETE_TIMER, [(commit.fired_timer,)]))
        await self._write(statements)
        return outbox

    def _run_statements(self, run: RunWrite, outbox: list[OutboxTask], now: int) -> list[Statement]:
        s = run.state
        key = (s.namespace, s.workflow_id, s.run_id)
        statements: list[Statement] = [(
            _PUT_EXECUTION,
            [(*key, s.workflow_type, s.status, s.start_time.ToNanoseconds(), s.close_time.ToNanoseconds(), s.SerializeToString(),
              s.metadata.display_name)],
        )]
        if run.search_keys is not None:
            statements.extend(_search_key_statements(key, s.start_time.ToNanoseconds(), run.search_keys))
        if run.events:
            statements.append((_ADD_EVENT, [(*key, e.event_id, e.SerializeToString()) for e in run.events]))
        if run.activities_upserted:
            statements.append((_PUT_ACTIVITY, [(*key, i, a.SerializeToString()) for i, a in run.activities_upserted.items()]))
        if run.activities_deleted:
            statements.append((_DELETE_ACTIVITY, [(*key, i) for i in run.activities_deleted]))
        if run.children_upserted:
            statements.append((_PUT_CHILD, [(*key, i, c.SerializeToString()) for i, c in run.children_upserted.items()]))
        if run.children_deleted:
            statements.append((_DELETE_CHILD, [(*key, i) for i in run.children_deleted]))
        statements.extend(_stream_statements(key, run.task_states, run.watch_entries, now))
        if run.timers:
            statements.append((_ADD_TIMER, [(at, t.SerializeToString()) for at, t in run.timers]))
        if run.outbox:
            first = self._outbox_next_id
            self._outbox_next_id += len(run.outbox)
            entries = [OutboxTask(i, t) for i, t in zip(range(first, self._outbox_next_id), run.outbox)]
            outbox.extend(entries)
            statements.append((_ADD_OUTBOX, [(i, t.SerializeToString()) for i, t in entries]))
        if run.executors_started:
            statements.append((_START_EXECUTOR, [
                (s.namespace, s.workflow_id, started.executor_id, started.pattern, started.total, now, now) for started in run.executors_started
            ]))
        if run.recorded_events:
            statements.append((_ADD_RECORDED_EVENT, [
                (*key, event.name, event.details.SerializeToString(), event.time.ToNanoseconds()) for event in run.recorded_events
            ]))
        if run.executor_item_failures:
            statements.append(_item_failures_statement(s.namespace, s.workflow_id, run.executor_item_failures, now))
        results = [(executor_id, index, payload) for executor_id, index, payload in run.executor_results]
        failed = Counter(run.executor_failed_attempts)
        for executor_id in dict.fromkeys([*(r[0] for r in results), *failed]):
            statements.extend(_executor_statements(s.namespace, s.workflow_id, executor_id,
                                                   [(i, p) for e, i, p in results if e == executor_id], failed[executor_id], now))
        return statements

    async def put_executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, results: Sequence[tuple[int, common_pb2.Payload]], failed_attempts: int
    ) -> None:
        statements = _executor_statements(namespace, workflow_id, executor_id, results, failed_attempts, time.time_ns())
        if statements:
            await self._write(statements)

    # ------------------------------------------------------------ executor item failures
    async def put_executor_item_failures(self, namespace: str, workflow_id: str, failures: Sequence[ExecutorItemFailed]) -> None:
        if failures:
            await self._write([_item_failures_statement(namespace, workflow_id, failures, time.time_ns())])

    async def executor_item_failures(
        self, namespace: str, workflow_id: str, executor_id: str, after: tuple[str, int] | None, limit: int
    ) -> list[workflow_service_pb2.ExecutorItemFailure]:
        where, params = "f.namespace=? AND f.workflow_id=?", [namespace, workflow_id]
        if executor_id:
            where += " AND f.executor_id=?"
            params.append(executor_id)
        if after is not None:
            where += " AND (f.executor_id, f.item_index) > (?, ?)"
            params.extend(after)
        rows = await self._fetchall(
            "SELECT f.executor_id, f.item_index, f.attempt, f.final, f.time_ns, f.activity_type, f.failure, "
            "EXISTS (SELECT 1 FROM executor_results r WHERE r.namespace=f.namespace AND r.workflow_id=f.workflow_id "
            "AND r.executor_id=f.executor_id AND r.item_index=f.item_index) "
            f"FROM executor_failures f WHERE {where} ORDER BY f.executor_id, f.item_index LIMIT ?",
            (*params, limit),
        )
        failures = []
        for executor, index, attempt, final, time_ns, activity_type, failure, recovered in rows:
            item = workflow_service_pb2.ExecutorItemFailure(
                executor_id=executor, index=index, attempt=attempt, final=bool(final), recovered=bool(recovered),
                activity_type=activity_type, failure=common_pb2.Failure.FromString(failure),
            )
            item.time.FromNanoseconds(time_ns)
            failures.append(item)
        return failures

    async def executor_item_failure_count(self, namespace: str, workflow_id: str, executor_id: str) -> int:
        sql, params = "SELECT COUNT(*) FROM executor_failures WHERE namespace=? AND workflow_id=?", [namespace, workflow_id]
        if executor_id:
            sql += " AND executor_id=?"
            params.append(executor_id)
        row = await self._fetchone(sql, params)
        return row[0]

    async def delete_outbox(self, ids: Sequence[int]) -> None:
        await self._write([(_DELETE_OUTBOX, [(i,) for i in ids])])

    async def delete_timers(self, ids: Sequence[int]) -> None:
        await self._write([(_DELETE_TIMER, [(i,) for i in ids])])

    async def delete_run(self, key: RunKey) -> None:
        ns, wf, _ = key
        await self._write([(sql, [key]) for sql in _DELETE_RUN_ROWS] + [(sql, [(ns, wf, ns, wf)]) for sql in _DELETE_WORKFLOW_ROWS])

    async def put_setting(self, name: str, value: str) -> None:
        await self._write([(_PUT_SETTING, [(name, value)])])

    # ------------------------------------------------------------ reads
    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return await self._db.fetchall(sql, params)

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return await self._db.fetchone(sql, params)

    async def load_run(self, key: RunKey) -> LoadedRun | None:
        # One statement, so the state, the activities and the open children come from the same snapshot.
        rows = await self._fetchall(
            f"SELECT 0, state, NULL FROM executions WHERE {_WHERE_RUN} "
            "UNION ALL SELECT 1, a.data, e.data FROM activities a LEFT JOIN events e ON e.namespace=a.namespace "
            "AND e.workflow_id=a.workflow_id AND e.run_id=a.run_id AND e.event_id=a.scheduled_event_id "
            "WHERE a.namespace=? AND a.workflow_id=? AND a.run_id=? "
            f"UNION ALL SELECT 2, data, NULL FROM child_executions WHERE {_WHERE_RUN}",
            (*key, *key, *key),
        )
        states = [data for kind, data, _ in rows if kind == 0]
        if not states:
            return None
        run = LoadedRun(persistence_pb2.ExecutionState.FromString(states[0]))
        if run.state.status != RUNNING:
            return run
        for kind, data, scheduled in rows:
            if kind == 1:
                info = persistence_pb2.ActivityInfo.FromString(data)
                run.activities[info.scheduled_event_id] = info
                if scheduled is not None:
                    run.scheduled[info.scheduled_event_id] = common_pb2.HistoryEvent.FromString(scheduled).activity_task_scheduled
            elif kind == 2 and run.state.pending_child_count:
                child = persistence_pb2.ChildExecutionInfo.FromString(data)
                run.children[child.initiated_event_id] = child
        return run

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
        self, namespace: str, *, before: ListCursor | None, limit: int, where: RunFilter = RunFilter()
    ) -> list[persistence_pb2.ExecutionState]:
        sql, params = sqlite_listing.select_page(namespace, where, before, limit)
        return [persistence_pb2.ExecutionState.FromString(data) for (data,) in await self._fetchall(sql, params)]

    async def count_executions(self, namespace: str, where: RunFilter, group_by: str = "") -> list[tuple[str | int, int]]:
        sql, params = sqlite_listing.select_count(namespace, where, group_by)
        return [(group, count) for group, count in await self._fetchall(sql, params)]

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

    async def outbox_rows(self, ids: Sequence[int]) -> list[OutboxTask]:
        found: list[OutboxTask] = []
        for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
            chunk = list(ids[start:start + 500])
            rows = await self._fetchall(f"SELECT id, data FROM outbox WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk)
            found += [OutboxTask(i, internal_pb2.TaskInfo.FromString(data)) for i, data in rows]
        return found

    async def due_timers(self, now_ns: int, limit: int) -> list[DueTimer]:
        rows = await self._fetchall("SELECT id, data FROM timers WHERE fire_at_ns<=? ORDER BY fire_at_ns LIMIT ?", (now_ns, limit))
        return [DueTimer(i, persistence_pb2.TimerTask.FromString(data)) for i, data in rows]

    async def next_timer_time(self) -> int | None:
        row = await self._fetchone("SELECT MIN(fire_at_ns) FROM timers")
        return row[0] if row else None

    async def executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, start_index: int, limit: int
    ) -> list[tuple[int, common_pb2.Payload]]:
        rows = await self.executor_result_bytes(namespace, workflow_id, executor_id, start_index, limit)
        return [(i, common_pb2.Payload.FromString(d)) for i, d in rows]

    async def executor_result_bytes(
        self, namespace: str, workflow_id: str, executor_id: str, start_index: int, limit: int
    ) -> list[tuple[int, bytes]]:
        return await self._fetchall(
            "SELECT item_index, data FROM executor_results WHERE namespace=? AND workflow_id=? AND executor_id=? AND item_index>=? "
            "ORDER BY item_index LIMIT ?",
            (namespace, workflow_id, executor_id, start_index, limit),
        )

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
        # One statement: one snapshot, one hop.
        running, closed, events, outbox, timers = await self._fetchone(
            "SELECT (SELECT COUNT(*) FROM executions WHERE status = ?), (SELECT COUNT(*) FROM executions WHERE status != ?), "
            "(SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM timers)",
            (RUNNING, RUNNING),
        )
        return ShardStats(running=running, closed=closed, events=events, outbox=outbox, timers=timers)

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
        statements: list[Statement] = []
        if write.record is None:
            statements.append((_DELETE_SCHEDULE, [key]))
        else:
            statements.append((_PUT_SCHEDULE, [(*key, write.record.SerializeToString())]))
        if write.timers:
            statements.append((_ADD_TIMER, [(at, t.SerializeToString()) for at, t in write.timers]))
        if write.fired_timer is not None:
            statements.append((_DELETE_TIMER, [(write.fired_timer,)]))
        await self._write(statements)
    # ------------------------------------------------------------ streaming state and large data
    async def record_task_state(
        self, namespace: str, workflow_id: str, task: workflow_service_pb2.TaskState, entry: workflow_service_pb2.WatchWorkflowResponse
    ) -> None:
        await self._write(_stream_statements((namespace, workflow_id, task.run_id), [task], [entry], time.time_ns()))

    async def watch_entries(
        self, namespace: str, workflow_id: str, after_cursor: int, limit: int
    ) -> list[workflow_service_pb2.WatchWorkflowResponse]:
        rows = await self._fetchall(
            "SELECT id, data FROM watch_entries WHERE namespace=? AND workflow_id=? AND id>? ORDER BY id LIMIT ?",
            (namespace, workflow_id, after_cursor, limit),
        )
        entries = []
        for cursor, data in rows:
            entry = workflow_service_pb2.WatchWorkflowResponse.FromString(data)
            entry.cursor = cursor
            entries.append(entry)
        return entries

    async def task_states(self, namespace: str, workflow_id: str, limit: int) -> list[workflow_service_pb2.TaskState]:
        rows = await self._fetchall(
            "SELECT started_ns, changes, data FROM task_states WHERE namespace=? AND workflow_id=? ORDER BY rowid LIMIT ?",
            (namespace, workflow_id, limit),
        )
        tasks = []
        for started_ns, changes, data in rows:
            task = workflow_service_pb2.TaskState.FromString(data)
            task.started_time.FromNanoseconds(started_ns)
            task.changes = changes
            tasks.append(task)
        return tasks

    async def put_blob(self, namespace: str, workflow_id: str, blob_id: str, data: bytes) -> None:
        await self._write([(_PUT_BLOB, [(namespace, workflow_id, blob_id, len(data), time.time_ns(), data)])])

    async def get_blob(self, namespace: str, workflow_id: str, blob_id: str) -> bytes | None:
        row = await self._fetchone(
            "SELECT data FROM payload_blobs WHERE namespace=? AND workflow_id=? AND blob_id=?", (namespace, workflow_id, blob_id)
        )
        return row[0] if row else None


def _stream_statements(
    key: RunKey,
    task_states: Sequence[workflow_service_pb2.TaskState],
    entries: Sequence[workflow_service_pb2.WatchWorkflowResponse],
    now: int,
) -> list[Statement]:
    """Streaming state: tasks' latest states (the first change's time kept as started) and stream entries."""
    statements: list[Statement] = []
    if task_states:
        statements.append((_PUT_TASK_STATE, [(key[0], key[1], t.id, t.updated_time.ToNanoseconds() or now, t.SerializeToString()) for t in task_states]))
    if entries:
        statements.append((_ADD_WATCH_ENTRY, [(*key, e.SerializeToString()) for e in entries]))
    return statements


def _executor_statements(
    namespace: str, workflow_id: str, executor_id: str, results: Sequence[tuple[int, common_pb2.Payload]], failed_attempts: int, now: int
) -> list[Statement]:
    """The one way executor results and failed attempts are written (in a completion's commit or by PutParallelResults)."""
    statements: list[Statement] = []
    if results:
        statements.append((_PUT_RESULT, [(namespace, workflow_id, executor_id, i, p.SerializeToString()) for i, p in results]))
    if failed_attempts:
        statements.append((_COUNT_FAILED, [(failed_attempts, now, namespace, workflow_id, executor_id)]))
    elif results:  # the last result's time ends a finished executor's rate (progress.py)
        statements.append((_TOUCH_EXECUTOR, [(now, namespace, workflow_id, executor_id)]))
    return statements


# executor item failures
def _item_failures_statement(namespace: str, workflow_id: str, failures: Sequence[ExecutorItemFailed], now: int) -> Statement:
    """One row per item, the latest failed attempt replacing earlier ones."""
    return (_PUT_ITEM_FAILURE, [
        (namespace, workflow_id, f.executor_id, f.index, f.attempt, int(f.final), now, f.activity_type, f.failure.SerializeToString())
        for f in failures
    ])

def _search_key_statements(key: RunKey, start_time_ns: int, keys: Sequence[common_pb2.SearchKey]) -> list[Statement]:
    """Search keys: the run's index rows replaced by its current keys."""
    statements: list[Statement] = [(_DELETE_SEARCH_KEYS, [key])]
    if keys:
        statements.append((_PUT_SEARCH_KEY, [(*key, k.key, None if k.unset else k.value, start_time_ns) for k in keys]))
    return statements


def _display_name_of(state: bytes) -> str:
    return persistence_pb2.ExecutionState.FromString(state).metadata.display_name
