"""`HistoryStore` on PostgreSQL: every shard's rows in one database, keyed by shard id
(fanflow/pg_schema/), so any history process can own any shard.

Fencing in the database: `open()` raises the shard's `range_id` in the `shards` row
(an upsert that waits for every transaction holding the row). Every write transaction
first reads that row `FOR SHARE` and compares it with the range id it took: a taker's
update waits for writers holding the share lock, and a writer that comes after the
taker committed sees the new range id. So a displaced owner's transaction either
committed before the shard was taken or writes nothing (ShardOwnershipLost), whatever
the timing.

Group commit, shaped for PostgreSQL: the writes queued while a transaction runs go in
the next one, and their statements are merged by kind, each kind one `executemany`
(pipelined: one round trip), in a fixed order that keeps every write's own order
(a run's state before its events, inserts before deletes of other rows). A batch costs
BEGIN, the fence, one round trip per kind of statement, COMMIT — not one per write.
If a statement of the merged batch fails (one write's bad row), the transaction is
rolled back and the batch is run again with each write in its own savepoint, so only
the bad write fails.
"""
from __future__ import annotations

import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog

from fanflow.errors import ShardHeld, ShardOwnershipLost, Unavailable
from fanflow.postgres import Database, PgGroupCommit, is_unavailable, session_name
from history.persistence import postgres_listing
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

# The statements of a write, in the order a merged batch runs them (see the module doc).
_PUT_EXECUTION = (
    "INSERT INTO executions (shard_id, namespace, workflow_id, run_id, workflow_type, status, start_time_ns, close_time_ns, state, display_name) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (shard_id, namespace, workflow_id, run_id) DO UPDATE SET "
    "status=excluded.status, close_time_ns=excluded.close_time_ns, state=excluded.state"
)
# search keys: a run's index rows, replaced whenever its keys change (deleted first)
_DELETE_SEARCH_KEYS = "DELETE FROM search_keys WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND run_id=$4"
_PUT_SEARCH_KEY = "INSERT INTO search_keys (shard_id, namespace, workflow_id, run_id, key, value, start_time_ns) VALUES ($1,$2,$3,$4,$5,$6,$7)"
_ADD_EVENT = "INSERT INTO history_events (shard_id, namespace, workflow_id, run_id, event_id, data, range_id) VALUES ($1,$2,$3,$4,$5,$6,$7)"
_PUT_ACTIVITY = (
    "INSERT INTO activities (shard_id, namespace, workflow_id, run_id, scheduled_event_id, data) VALUES ($1,$2,$3,$4,$5,$6) "
    "ON CONFLICT (shard_id, namespace, workflow_id, run_id, scheduled_event_id) DO UPDATE SET data=excluded.data"
)
_DELETE_ACTIVITY = "DELETE FROM activities WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND run_id=$4 AND scheduled_event_id=$5"
_PUT_CHILD = (
    "INSERT INTO child_executions (shard_id, namespace, workflow_id, run_id, initiated_event_id, data) VALUES ($1,$2,$3,$4,$5,$6) "
    "ON CONFLICT (shard_id, namespace, workflow_id, run_id, initiated_event_id) DO UPDATE SET data=excluded.data"
)
_DELETE_CHILD = "DELETE FROM child_executions WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND run_id=$4 AND initiated_event_id=$5"
_ADD_TIMER = "INSERT INTO timers (shard_id, fire_at_ns, data) VALUES ($1,$2,$3)"
_ADD_OUTBOX = "INSERT INTO outbox (shard_id, id, data) VALUES ($1,$2,$3)"
_START_EXECUTOR = (
    "INSERT INTO executor_progress (shard_id, namespace, workflow_id, executor_id, pattern, total, started_ns, updated_ns) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (shard_id, namespace, workflow_id, executor_id) DO UPDATE SET "
    "total=excluded.total, updated_ns=excluded.updated_ns"
)
_ADD_RECORDED_EVENT = "INSERT INTO recorded_events (shard_id, namespace, workflow_id, run_id, name, details, time_ns) VALUES ($1,$2,$3,$4,$5,$6,$7)"
_PUT_RESULT = (
    "INSERT INTO executor_results (shard_id, namespace, workflow_id, executor_id, item_index, data) VALUES ($1,$2,$3,$4,$5,$6) "
    "ON CONFLICT (shard_id, namespace, workflow_id, executor_id, item_index) DO UPDATE SET data=excluded.data"
)
_TOUCH_EXECUTOR = "UPDATE executor_progress SET updated_ns=$1 WHERE shard_id=$2 AND namespace=$3 AND workflow_id=$4 AND executor_id=$5"
# executor item failures: the latest failed attempt of each item
_PUT_ITEM_FAILURE = (
    "INSERT INTO executor_failures (shard_id, namespace, workflow_id, executor_id, item_index, attempt, final, time_ns, activity_type, failure) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (shard_id, namespace, workflow_id, executor_id, item_index) DO UPDATE SET "
    "attempt=excluded.attempt, final=excluded.final, time_ns=excluded.time_ns, activity_type=excluded.activity_type, failure=excluded.failure"
)
_COUNT_FAILED = (
    "UPDATE executor_progress SET failed = failed + $1, updated_ns = $2 "
    "WHERE shard_id=$3 AND namespace=$4 AND workflow_id=$5 AND executor_id=$6"
)
_PUT_CURRENT = (
    "INSERT INTO current_executions (shard_id, namespace, workflow_id, run_id, status, request_id) VALUES ($1,$2,$3,$4,$5,$6) "
    "ON CONFLICT (shard_id, namespace, workflow_id) DO UPDATE SET run_id=excluded.run_id, status=excluded.status, request_id=excluded.request_id"
)
_PUT_SCHEDULE = (
    "INSERT INTO schedules (shard_id, namespace, schedule_id, data) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (shard_id, namespace, schedule_id) DO UPDATE SET data=excluded.data"
)
_DELETE_SCHEDULE = "DELETE FROM schedules WHERE shard_id=$1 AND namespace=$2 AND schedule_id=$3"
_PUT_SETTING = "INSERT INTO shard_settings (shard_id, name, value) VALUES ($1,$2,$3) ON CONFLICT (shard_id, name) DO UPDATE SET value=excluded.value"
_DELETE_TIMER = "DELETE FROM timers WHERE shard_id=$1 AND id=$2"
_DELETE_OUTBOX = "DELETE FROM outbox WHERE shard_id=$1 AND id=$2"
_WHERE_RUN = "shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND run_id=$4"
_DELETE_RUN = tuple(
    f"DELETE FROM {table} WHERE {_WHERE_RUN}"
    for table in ("history_events", "activities", "child_executions", "executions", "recorded_events", "current_executions", "watch_entries")
)  # and _DELETE_SEARCH_KEYS (one SQL text, one rank: a batch runs a statement's rows in one place)
_DELETE_WORKFLOW_LEFTOVERS = tuple(  # the workflow's last run gone: its executor results and progress, tasks and blobs go too
    f"DELETE FROM {table} WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 "
    "AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.shard_id=$1 AND e.namespace=$2 AND e.workflow_id=$3)"
    for table in ("executor_results", "executor_progress", "executor_failures", "task_states", "payload_blobs")
)
# streaming state and large data (fanflow/pg_schema/0004_streaming_state.sql): a task's latest
# state (its first time and its count of changes kept), the workflow's stream, blobs by content id
_PUT_TASK_STATE = (
    "INSERT INTO task_states (shard_id, namespace, workflow_id, task_id, started_ns, changes, data) VALUES ($1,$2,$3,$4,$5,1,$6) "
    "ON CONFLICT (shard_id, namespace, workflow_id, task_id) DO UPDATE SET changes=task_states.changes + 1, data=excluded.data"
)
_ADD_WATCH_ENTRY = "INSERT INTO watch_entries (shard_id, namespace, workflow_id, run_id, data) VALUES ($1,$2,$3,$4,$5)"
_PUT_BLOB = (
    "INSERT INTO payload_blobs (shard_id, namespace, workflow_id, blob_id, size, created_ns, data) VALUES ($1,$2,$3,$4,$5,$6,$7) "
    "ON CONFLICT (shard_id, namespace, workflow_id, blob_id) DO NOTHING"
)

_ORDER = (
    _PUT_EXECUTION, _DELETE_SEARCH_KEYS, _PUT_SEARCH_KEY, _ADD_EVENT, _PUT_ACTIVITY, _DELETE_ACTIVITY, _PUT_CHILD, _DELETE_CHILD, _ADD_TIMER, _ADD_OUTBOX,
    _START_EXECUTOR, _ADD_RECORDED_EVENT, _PUT_RESULT, _COUNT_FAILED, _TOUCH_EXECUTOR, _PUT_ITEM_FAILURE, _PUT_CURRENT, _PUT_SCHEDULE, _DELETE_SCHEDULE,
    _PUT_TASK_STATE, _ADD_WATCH_ENTRY, _PUT_BLOB, _PUT_SETTING, _DELETE_TIMER, _DELETE_OUTBOX, *_DELETE_RUN, *_DELETE_WORKFLOW_LEFTOVERS,
)
_RANK = {sql: rank for rank, sql in enumerate(_ORDER)}
assert len(_RANK) == len(_ORDER), "two statements of _ORDER have the same SQL text: they would share one rank"
_LAZY = frozenset({_DELETE_OUTBOX, _DELETE_TIMER})

# One statement of a write with its rows (run with executemany).
Op = tuple[str, list[tuple]]

FENCED = "FF001"  # SQLSTATE of fanflow_fence(): the shard's range id moved past the writer's
_ACQUIRE = (
    "INSERT INTO shards (shard_id, range_id, owner, token_key, updated_at) VALUES ($1, 1, $2, $3, now()) "
    "ON CONFLICT (shard_id) DO UPDATE SET range_id = shards.range_id + 1, owner = excluded.owner, updated_at = now() "
    "RETURNING range_id, token_key"
)
# Live membership: a shard is taken only when it is free (released: owner ''), already ours, or
# its owner's lease ran out (no heartbeat within $4 seconds, by the database's clock).
_ACQUIRE_IF_FREE = (
    "INSERT INTO shards (shard_id, range_id, owner, token_key, lease_expires_at, updated_at) "
    "VALUES ($1, 1, $2, $3, now() + make_interval(secs => $4), now()) "
    "ON CONFLICT (shard_id) DO UPDATE SET range_id = shards.range_id + 1, owner = excluded.owner, "
    "lease_expires_at = excluded.lease_expires_at, updated_at = now() "
    "WHERE shards.owner = '' OR shards.owner = excluded.owner OR NOT EXISTS ("
    "SELECT 1 FROM cluster_members m WHERE m.member_id = shards.owner AND m.heartbeat_at > now() - make_interval(secs => $4)) "
    "RETURNING range_id, token_key"
)
_HOLDER = "SELECT owner FROM shards WHERE shard_id = $1"
# The shard's holder, if it has no heartbeat within $2 seconds (the condition of _ACQUIRE_IF_FREE).
_LAPSED_HOLDER = (
    "SELECT owner FROM shards s WHERE shard_id = $1 AND owner <> '' AND NOT EXISTS ("
    "SELECT 1 FROM cluster_members m WHERE m.member_id = s.owner AND m.heartbeat_at > now() - make_interval(secs => $2))"
)
# A database role may end its own sessions (pg_terminate_backend): a lapsed holder's, by name.
_END_SESSIONS = (
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()"
)


class _RowLocked(Exception):
    """The shard row stayed locked for lock_timeout."""
_LOG_ACQUISITION = "INSERT INTO shard_acquisitions (shard_id, range_id, owner) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
# A graceful hand-over: the next owner may take the shard at once, without waiting for a lease.
_RELEASE = "UPDATE shards SET owner = '', lease_expires_at = NULL, updated_at = now() WHERE shard_id = $1 AND range_id = $2"


class PostgresHistoryStore:
    """One shard's rows in the cluster's PostgreSQL database; see
    history.persistence.store.HistoryStore for the contract."""

    def __init__(self, db: Database, shard_id: int, owner: str, lease_seconds: float | None = None):
        """lease_seconds: live membership (fanflow/membership.py): take the shard only if it is
        free or its owner's heartbeat is older than this (else ShardHeld); None: take it
        whatever holds it (a static layout says it is ours)."""
        self.db = db
        self.shard_id = shard_id
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.release_on_close = False  # a graceful hand-over: mark the shard free when closing
        self.range_id = 0
        self.token_key = b""
        self.lost = False
        self._writes: PgGroupCommit[list[Op]] = PgGroupCommit(
            db,
            self._apply_writes,
            name=f"history-shard-{shard_id}",
            max_batch=MAX_WRITES_PER_TRANSACTION,
            drain_on_close=False,
            closed_error=lambda: ShardOwnershipLost(self._lost_message() if self.lost else f"shard {self.shard_id} is closing"),
            own_transaction=True,
        )
        self._outbox_next_id = 1
        self._outbox_recover_below = 1
        self._opened = False

    @property
    def location(self) -> str:
        return f"{self.db.location} (shard {self.shard_id})"

    @property
    def commits(self) -> int:
        return self._writes.commits

    # ------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        await self.db.open()
        self._opened = True
        try:
            try:
                async with self.db.connection(f"shard {self.shard_id}: take ownership") as conn:
                    async with conn.transaction():
                        if self.lease_seconds is None:
                            row = await conn.fetchrow(_ACQUIRE, self.shard_id, self.owner, secrets.token_bytes(32))
                        else:
                            # The row lock waits for the writers holding the shard row: a frozen one holds it
                            # until its session ends (below): try again next time.
                            await conn.execute("SET LOCAL lock_timeout = '1s'")
                            try:
                                row = await conn.fetchrow(_ACQUIRE_IF_FREE, self.shard_id, self.owner, secrets.token_bytes(32), float(self.lease_seconds))
                            except asyncpg.exceptions.LockNotAvailableError:
                                raise _RowLocked() from None
                            if row is None:
                                holder = await conn.fetchval(_HOLDER, self.shard_id)
                                raise ShardHeld(f"shard {self.shard_id} is held by {holder!r}, whose lease has not run out")
                        await conn.execute(_LOG_ACQUISITION, self.shard_id, int(row["range_id"]), self.owner)
                        max_outbox = await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM outbox WHERE shard_id=$1", self.shard_id)
            except _RowLocked:
                ended = await self._end_lapsed_holders_sessions()
                raise ShardHeld(f"shard {self.shard_id} is locked by a transaction of its previous owner{ended}") from None
        except BaseException:
            self._opened = False  # not taken: let go of the pool
            await self.db.close()
            raise
        self.range_id, self.token_key = int(row["range_id"]), bytes(row["token_key"])
        self._outbox_next_id = self._outbox_recover_below = int(max_outbox) + 1
        self._writes.start()
        log.info("shard acquired", shard=self.shard_id, range_id=self.range_id, owner=self.owner, database=self.db.location)

    async def _end_lapsed_holders_sessions(self) -> str:
        """The shard row is locked: if its holder's lease ran out, end that host's sessions.

        The server ends a session idle in a transaction by itself (IDLE_IN_TRANSACTION_TIMEOUT_MS),
        but not one whose client froze partway through sending a statement: the server waits for
        the rest of it, holding the fence's row lock, for as long as the TCP connection lives.
        A host whose lease ran out has lost its shards anyway (fencing refuses its writes), so its
        sessions are ended (found by `session_name`); the next try takes the shard. Returns
        what to add to the ShardHeld message."""
        what = f"shard {self.shard_id}: end the sessions of its lapsed holder"
        holder = await self.db.fetchval(what, _LAPSED_HOLDER, self.shard_id, float(self.lease_seconds or 0))
        if not holder or holder == self.owner:
            return ""
        try:
            ended = await self.db.fetchval(what, _END_SESSIONS, session_name(holder))
        except asyncpg.exceptions.InsufficientPrivilegeError as exc:
            log.warning("cannot end the sessions of a host whose lease ran out", shard=self.shard_id, holder=holder, error=str(exc))
            return f" ({holder!r}, whose lease ran out; its sessions could not be ended: {exc})"
        log.warning("ended the sessions of a host whose lease ran out (they held the shard's row)",
                    shard=self.shard_id, holder=holder, sessions=ended)
        return f" ({holder!r}, whose lease ran out: {ended} of its sessions ended)"

    async def close(self) -> None:
        await self._writes.close()
        if self._opened:
            self._opened = False
            if self.release_on_close and not self.lost:
                try:
                    await self.db.fetchval(f"shard {self.shard_id}: release", _RELEASE, self.shard_id, self.range_id)
                    log.info("shard released", shard=self.shard_id, range_id=self.range_id, owner=self.owner)
                except Unavailable as exc:  # the next owner waits for our lease instead
                    log.warning("shard not released (its lease will run out)", shard=self.shard_id, error=str(exc))
            await self.db.close()

    # ------------------------------------------------------------ writing
    async def _write(self, ops: list[Op]) -> None:
        if self.lost:
            raise ShardOwnershipLost(self._lost_message())
        await self._writes.write(ops)

    def _lost_message(self) -> str:
        return f"shard {self.shard_id} ownership lost: another history process took it (our range id {self.range_id})"

    async def _begin(self, conn, writes: Sequence[list[Op]]) -> None:
        """BEGIN and the fence in one round trip (the group commit rolls back if this raises)."""
        begin = f"BEGIN; SELECT fanflow_fence({int(self.shard_id)}, {int(self.range_id)})"
        if all(sql in _LAZY for ops in writes for sql, _ in ops):
            # Only deletes of dispatched outbox tasks and fired timers: if a crash of the database
            # loses them, the task is offered again and refused as stale, so they need not wait
            # for the WAL flush (a later durable commit flushes them anyway).
            begin += "; SET LOCAL synchronous_commit = off"
        try:
            await conn.execute(begin)
        except asyncpg.PostgresError as exc:
            if getattr(exc, "sqlstate", None) != FENCED:
                raise
            self.lost = True
            log.error("shard ownership lost", shard=self.shard_id, ours=self.range_id, error=str(exc))
            raise ShardOwnershipLost(self._lost_message()) from None

    async def _apply_writes(self, conn, writes: Sequence[list[Op]]) -> list[BaseException | None]:
        """One transaction: fence first, then the writes, merged; if that fails, again in a new
        transaction with each write in its own savepoint."""
        await self._begin(conn, writes)
        if len(writes) > 1:
            try:
                await _run_merged(conn, writes)
                await conn.execute("COMMIT")
                return [None] * len(writes)
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                await conn.execute("ROLLBACK")
                log.info("a write of a merged batch failed; writing each on its own", shard=self.shard_id, error=repr(exc))
                await self._begin(conn, writes)
        if len(writes) == 1:  # no savepoint needed: the write fails alone
            for sql, rows in writes[0]:
                await conn.executemany(sql, rows)
            await conn.execute("COMMIT")
            return [None]
        outcomes: list[BaseException | None] = []
        for ops in writes:
            await conn.execute("SAVEPOINT write")
            try:
                for sql, rows in ops:
                    await conn.executemany(sql, rows)
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                await conn.execute("ROLLBACK TO SAVEPOINT write")
                outcomes.append(exc)
            else:
                outcomes.append(None)
            await conn.execute("RELEASE SAVEPOINT write")
        await conn.execute("COMMIT")
        return outcomes

    async def commit(self, commit: ExecutionCommit) -> list[OutboxTask]:
        ops: list[Op] = []
        outbox = commit.outbox_assigned
        now = time.time_ns()
        for run in commit.runs:
            ops.extend(self._run_ops(run, outbox, now))
        if commit.current_changed:
            s = commit.runs[-1].state
            ops.append((_PUT_CURRENT, [(self.shard_id, s.namespace, s.workflow_id, s.run_id, s.status, s.request_id)]))
        if commit.fired_timer is not None:
            ops.append((_DELETE_TIMER, [(self.shard_id, commit.fired_timer)]))
        await self._write(ops)
        return outbox

    def _run_ops(self, run: RunWrite, outbox: list[OutboxTask], now: int) -> list[Op]:
        s = run.state
        key = (self.shard_id, s.namespace, s.workflow_id, s.run_id)
        ops: list[Op] = [(
            _PUT_EXECUTION,
            [(*key, s.workflow_type, s.status, s.start_time.ToNanoseconds(), s.close_time.ToNanoseconds(), s.SerializeToString(),
              s.metadata.display_name)],
        )]
        if run.search_keys is not None:
            ops.append((_DELETE_SEARCH_KEYS, [key]))
            if run.search_keys:
                start = s.start_time.ToNanoseconds()
                ops.append((_PUT_SEARCH_KEY, [(*key, k.key, None if k.unset else k.value, start) for k in run.search_keys]))
        if run.events:
            ops.append((_ADD_EVENT, [(*key, e.event_id, e.SerializeToString(), self.range_id) for e in run.events]))
        if run.activities_upserted:
            ops.append((_PUT_ACTIVITY, [(*key, i, a.SerializeToString()) for i, a in run.activities_upserted.items()]))
        if run.activities_deleted:
            ops.append((_DELETE_ACTIVITY, [(*key, i) for i in run.activities_deleted]))
        if run.children_upserted:
            ops.append((_PUT_CHILD, [(*key, i, c.SerializeToString()) for i, c in run.children_upserted.items()]))
        if run.children_deleted:
            ops.append((_DELETE_CHILD, [(*key, i) for i in run.children_deleted]))
        ops.extend(self._stream_ops(s.namespace, s.workflow_id, s.run_id, run.task_states, run.watch_entries, now))
        if run.timers:
            ops.append((_ADD_TIMER, [(self.shard_id, at, t.SerializeToString()) for at, t in run.timers]))
        if run.outbox:
            first = self._outbox_next_id
            self._outbox_next_id += len(run.outbox)
            entries = [OutboxTask(i, t) for i, t in zip(range(first, self._outbox_next_id), run.outbox)]
            outbox.extend(entries)
            ops.append((_ADD_OUTBOX, [(self.shard_id, i, t.SerializeToString()) for i, t in entries]))
        if run.executors_started:
            ops.append((_START_EXECUTOR, [
                (self.shard_id, s.namespace, s.workflow_id, started.executor_id, started.pattern, started.total, now, now)
                for started in run.executors_started
            ]))
        if run.recorded_events:
            ops.append((_ADD_RECORDED_EVENT, [
                (*key, event.name, event.details.SerializeToString(), event.time.ToNanoseconds()) for event in run.recorded_events
            ]))
        failed = Counter(run.executor_failed_attempts)
        for executor_id in dict.fromkeys([*(r[0] for r in run.executor_results), *failed]):
            ops.extend(self._executor_ops(s.namespace, s.workflow_id, executor_id,
                                          [(i, p) for e, i, p in run.executor_results if e == executor_id], failed[executor_id], now))
        if run.executor_item_failures:
            ops.append(self._item_failures_op(s.namespace, s.workflow_id, run.executor_item_failures, now))
        return ops

    def _executor_ops(
        self, namespace: str, workflow_id: str, executor_id: str, results: Sequence[tuple[int, common_pb2.Payload]], failed_attempts: int, now: int
    ) -> list[Op]:
        ops: list[Op] = []
        if results:
            ops.append((_PUT_RESULT, [(self.shard_id, namespace, workflow_id, executor_id, i, p.SerializeToString()) for i, p in results]))
        if failed_attempts:
            ops.append((_COUNT_FAILED, [(failed_attempts, now, self.shard_id, namespace, workflow_id, executor_id)]))
        elif results:  # the last result's time ends a finished executor's rate (progress.py)
            ops.append((_TOUCH_EXECUTOR, [(now, self.shard_id, namespace, workflow_id, executor_id)]))
        return ops

    def _stream_ops(
        self,
        namespace: str,
        workflow_id: str,
        run_id: str,
        task_states: Sequence[workflow_service_pb2.TaskState],
        entries: Sequence[workflow_service_pb2.WatchWorkflowResponse],
        now: int,
    ) -> list[Op]:
        """Streaming state: tasks' latest states (the first change's time kept as started) and stream entries."""
        ops: list[Op] = []
        if task_states:
            ops.append((_PUT_TASK_STATE, [
                (self.shard_id, namespace, workflow_id, t.id, t.updated_time.ToNanoseconds() or now, t.SerializeToString()) for t in task_states
            ]))
        if entries:
            ops.append((_ADD_WATCH_ENTRY, [(self.shard_id, namespace, workflow_id, run_id, e.SerializeToString()) for e in entries]))
        return ops

    async def record_task_state(
        self, namespace: str, workflow_id: str, task: workflow_service_pb2.TaskState, entry: workflow_service_pb2.WatchWorkflowResponse
    ) -> None:
        await self._write(self._stream_ops(namespace, workflow_id, task.run_id, [task], [entry], time.time_ns()))

    async def put_blob(self, namespace: str, workflow_id: str, blob_id: str, data: bytes) -> None:
        await self._write([(_PUT_BLOB, [(self.shard_id, namespace, workflow_id, blob_id, len(data), time.time_ns(), data)])])

    # ------------------------------------------------------------ executor item failures
    def _item_failures_op(self, namespace: str, workflow_id: str, failures: Sequence[ExecutorItemFailed], now: int) -> Op:
        """One row per item, the latest failed attempt replacing earlier ones."""
        return (_PUT_ITEM_FAILURE, [
            (self.shard_id, namespace, workflow_id, f.executor_id, f.index, f.attempt, f.final, now, f.activity_type, f.failure.SerializeToString())
            for f in failures
        ])

    async def put_executor_item_failures(self, namespace: str, workflow_id: str, failures: Sequence[ExecutorItemFailed]) -> None:
        if failures:
            await self._write([self._item_failures_op(namespace, workflow_id, failures, time.time_ns())])

    async def executor_item_failures(
        self, namespace: str, workflow_id: str, executor_id: str, after: tuple[str, int] | None, limit: int
    ) -> list[workflow_service_pb2.ExecutorItemFailure]:
        where, params = "f.shard_id=$1 AND f.namespace=$2 AND f.workflow_id=$3", [self.shard_id, namespace, workflow_id]
        if executor_id:
            params.append(executor_id)
            where += f" AND f.executor_id=${len(params)}"
        if after is not None:
            params.extend(after)
            where += f" AND (f.executor_id, f.item_index) > (${len(params) - 1}, ${len(params)})"
        params.append(limit)
        rows = await self.db.fetch(
            self._what("read executor item failures"),
            "SELECT f.executor_id, f.item_index, f.attempt, f.final, f.time_ns, f.activity_type, f.failure, "
            "EXISTS (SELECT 1 FROM executor_results r WHERE r.shard_id=f.shard_id AND r.namespace=f.namespace AND r.workflow_id=f.workflow_id "
            "AND r.executor_id=f.executor_id AND r.item_index=f.item_index) "
            f"FROM executor_failures f WHERE {where} ORDER BY f.executor_id, f.item_index LIMIT ${len(params)}",
            *params,
        )
        failures = []
        for executor, index, attempt, final, time_ns, activity_type, failure, recovered in rows:
            item = workflow_service_pb2.ExecutorItemFailure(
                executor_id=executor, index=index, attempt=attempt, final=final, recovered=recovered,
                activity_type=activity_type, failure=common_pb2.Failure.FromString(failure),
            )
            item.time.FromNanoseconds(time_ns)
            failures.append(item)
        return failures

    async def executor_item_failure_count(self, namespace: str, workflow_id: str, executor_id: str) -> int:
        sql, params = "SELECT COUNT(*) FROM executor_failures WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3", [self.shard_id, namespace, workflow_id]
        if executor_id:
            params.append(executor_id)
            sql += " AND executor_id=$4"
        return int(await self.db.fetchval(self._what("count executor item failures"), sql, *params))

    async def put_executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, results: Sequence[tuple[int, common_pb2.Payload]], failed_attempts: int
    ) -> None:
        ops = self._executor_ops(namespace, workflow_id, executor_id, results, failed_attempts, time.time_ns())
        if ops:
            await self._write(ops)

    async def delete_outbox(self, ids: Sequence[int]) -> None:
        await self._write([(_DELETE_OUTBOX, [(self.shard_id, i) for i in ids])])

    async def delete_timers(self, ids: Sequence[int]) -> None:
        await self._write([(_DELETE_TIMER, [(self.shard_id, i) for i in ids])])

    async def delete_run(self, key: RunKey) -> None:
        ns, wf, _ = key
        ops: list[Op] = [(sql, [(self.shard_id, *key)]) for sql in (*_DELETE_RUN, _DELETE_SEARCH_KEYS)]
        ops += [(sql, [(self.shard_id, ns, wf)]) for sql in _DELETE_WORKFLOW_LEFTOVERS]
        await self._write(ops)

    async def put_setting(self, name: str, value: str) -> None:
        await self._write([(_PUT_SETTING, [(self.shard_id, name, value)])])

    async def commit_schedule(self, write: ScheduleWrite) -> None:
        key = (self.shard_id, write.namespace, write.schedule_id)
        ops: list[Op] = []
        if write.record is None:
            ops.append((_DELETE_SCHEDULE, [key]))
        else:
            ops.append((_PUT_SCHEDULE, [(*key, write.record.SerializeToString())]))
        if write.timers:
            ops.append((_ADD_TIMER, [(self.shard_id, at, t.SerializeToString()) for at, t in write.timers]))
        if write.fired_timer is not None:
            ops.append((_DELETE_TIMER, [(self.shard_id, write.fired_timer)]))
        await self._write(ops)

    # ------------------------------------------------------------ reads
    def _what(self, doing: str) -> str:
        return f"shard {self.shard_id}: {doing}"

    async def load_run(self, key: RunKey) -> LoadedRun | None:
        async with self.db.connection(self._what("load a run")) as conn:
            data = await conn.fetchval(f"SELECT state FROM executions WHERE {_WHERE_RUN}", self.shard_id, *key)
            if data is None:
                return None
            run = LoadedRun(persistence_pb2.ExecutionState.FromString(data))
            if run.state.status != RUNNING:
                return run
            for row in await conn.fetch(
                "SELECT a.data, e.data AS scheduled FROM activities a LEFT JOIN history_events e ON e.shard_id=a.shard_id "
                "AND e.namespace=a.namespace AND e.workflow_id=a.workflow_id AND e.run_id=a.run_id AND e.event_id=a.scheduled_event_id "
                "WHERE a.shard_id=$1 AND a.namespace=$2 AND a.workflow_id=$3 AND a.run_id=$4",
                self.shard_id, *key,
            ):
                info = persistence_pb2.ActivityInfo.FromString(row["data"])
                run.activities[info.scheduled_event_id] = info
                if row["scheduled"] is not None:
                    run.scheduled[info.scheduled_event_id] = common_pb2.HistoryEvent.FromString(row["scheduled"]).activity_task_scheduled
            if run.state.pending_child_count:
                for (child,) in await conn.fetch(f"SELECT data FROM child_executions WHERE {_WHERE_RUN}", self.shard_id, *key):
                    info = persistence_pb2.ChildExecutionInfo.FromString(child)
                    run.children[info.initiated_event_id] = info
            return run

    async def current_run(self, namespace: str, workflow_id: str) -> CurrentRun | None:
        row = await self.db.fetchrow(
            self._what("read a current run"),
            "SELECT run_id, status, request_id FROM current_executions WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3",
            self.shard_id, namespace, workflow_id,
        )
        return CurrentRun(row[0], row[1], row[2]) if row else None

    async def read_events(self, key: RunKey, first: int, last: int | None = None, limit: int | None = None) -> list[common_pb2.HistoryEvent]:
        sql = f"SELECT data FROM history_events WHERE {_WHERE_RUN} AND event_id>=$5"
        params: list[Any] = [self.shard_id, *key, first]
        if last is not None:
            params.append(last)
            sql += f" AND event_id<=${len(params)}"
        sql += " ORDER BY event_id"
        if limit is not None:
            params.append(limit)
            sql += f" LIMIT ${len(params)}"
        rows = await self.db.fetch(self._what("read events"), sql, *params)
        return [common_pb2.HistoryEvent.FromString(row[0]) for row in rows]

    async def list_executions(
        self, namespace: str, *, before: ListCursor | None, limit: int, where: RunFilter = RunFilter()
    ) -> list[persistence_pb2.ExecutionState]:
        sql, params = postgres_listing.select_page(self.shard_id, namespace, where, before, limit)
        rows = await self.db.fetch(self._what("list executions"), sql, *params)
        return [persistence_pb2.ExecutionState.FromString(row[0]) for row in rows]

    async def count_executions(self, namespace: str, where: RunFilter, group_by: str = "") -> list[tuple[str | int, int]]:
        sql, params = postgres_listing.select_count(self.shard_id, namespace, where, group_by)
        return [(row[0], row[1]) for row in await self.db.fetch(self._what("count executions"), sql, *params)]

    async def runs_of_workflow(self, namespace: str, workflow_id: str) -> list[persistence_pb2.ExecutionState]:
        rows = await self.db.fetch(
            self._what("read a workflow's runs"),
            "SELECT state FROM executions WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3", self.shard_id, namespace, workflow_id,
        )
        return [persistence_pb2.ExecutionState.FromString(row[0]) for row in rows]

    async def running_runs(self) -> list[RunKey]:
        rows = await self.db.fetch(
            self._what("list running runs"),
            "SELECT namespace, workflow_id, run_id FROM executions WHERE shard_id=$1 AND status=1", self.shard_id,
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def outbox_from_previous_owners(self, after_id: int, limit: int) -> list[OutboxTask]:
        rows = await self.db.fetch(
            self._what("read the outbox"),
            "SELECT id, data FROM outbox WHERE shard_id=$1 AND id>$2 AND id<$3 ORDER BY id LIMIT $4",
            self.shard_id, after_id, self._outbox_recover_below, limit,
        )
        return [OutboxTask(r[0], internal_pb2.TaskInfo.FromString(r[1])) for r in rows]

    async def outbox_rows(self, ids: Sequence[int]) -> list[OutboxTask]:
        rows = await self.db.fetch(
            self._what("look up outbox rows"),
            "SELECT id, data FROM outbox WHERE shard_id=$1 AND id = ANY($2::bigint[]) ORDER BY id",
            self.shard_id, list(ids),
        )
        return [OutboxTask(r[0], internal_pb2.TaskInfo.FromString(r[1])) for r in rows]

    async def due_timers(self, now_ns: int, limit: int) -> list[DueTimer]:
        rows = await self.db.fetch(
            self._what("read due timers"),
            "SELECT id, data FROM timers WHERE shard_id=$1 AND fire_at_ns<=$2 ORDER BY fire_at_ns LIMIT $3", self.shard_id, now_ns, limit,
        )
        return [DueTimer(r[0], persistence_pb2.TimerTask.FromString(r[1])) for r in rows]

    async def next_timer_time(self) -> int | None:
        return await self.db.fetchval(self._what("read the next timer"), "SELECT MIN(fire_at_ns) FROM timers WHERE shard_id=$1", self.shard_id)

    async def executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, start_index: int, limit: int
    ) -> list[tuple[int, common_pb2.Payload]]:
        rows = await self.db.fetch(
            self._what("read executor results"),
            "SELECT item_index, data FROM executor_results WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND executor_id=$4 "
            "AND item_index>=$5 ORDER BY item_index LIMIT $6",
            self.shard_id, namespace, workflow_id, executor_id, start_index, limit,
        )
        return [(r[0], common_pb2.Payload.FromString(r[1])) for r in rows]

    async def executor_result_bytes(
        self, namespace: str, workflow_id: str, executor_id: str, start_index: int, limit: int
    ) -> list[tuple[int, bytes]]:
        rows = await self.db.fetch(
            self._what("read executor results"),
            "SELECT item_index, data FROM executor_results WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND executor_id=$4 "
            "AND item_index>=$5 ORDER BY item_index LIMIT $6",
            self.shard_id, namespace, workflow_id, executor_id, start_index, limit,
        )
        return [(r[0], bytes(r[1])) for r in rows]

    async def executor_result_count(self, namespace: str, workflow_id: str, executor_id: str) -> int:
        return int(await self.db.fetchval(
            self._what("count executor results"),
            "SELECT COUNT(*) FROM executor_results WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND executor_id=$4",
            self.shard_id, namespace, workflow_id, executor_id,
        ))

    async def executor_progress(self, namespace: str, workflow_id: str, first_run_id: str) -> list[ExecutorProgressRecord]:
        rows = await self.db.fetch(
            self._what("read executor progress"),
            "SELECT executor_id, pattern, total, failed, started_ns, updated_ns FROM executor_progress "
            "WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND starts_with(executor_id, $4) ORDER BY started_ns",
            self.shard_id, namespace, workflow_id, first_run_id + "/",
        )
        return [ExecutorProgressRecord(*row) for row in rows]

    async def recorded_events(self, namespace: str, workflow_id: str, limit: int) -> list[workflow_service_pb2.RecordedEvent]:
        events = []
        for name, details, time_ns, run_id in await self.db.fetch(
            self._what("read recorded events"),
            "SELECT name, details, time_ns, run_id FROM recorded_events WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 "
            "ORDER BY id DESC LIMIT $4",
            self.shard_id, namespace, workflow_id, limit,
        ):
            event = workflow_service_pb2.RecordedEvent(name=name, details=common_pb2.Payload.FromString(details), run_id=run_id)
            event.time.FromNanoseconds(time_ns)
            events.append(event)
        return events

    async def closed_runs(self, closed_before_ns: int, limit: int) -> list[RunKey]:
        rows = await self.db.fetch(
            self._what("list closed runs"),
            "SELECT namespace, workflow_id, run_id FROM executions WHERE shard_id=$1 AND close_time_ns > 0 AND close_time_ns < $2 "
            "AND status != 1 LIMIT $3",
            self.shard_id, closed_before_ns, limit,
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def setting(self, name: str) -> str | None:
        return await self.db.fetchval(
            self._what("read a setting"), "SELECT value FROM shard_settings WHERE shard_id=$1 AND name=$2", self.shard_id, name
        )

    async def stats(self) -> ShardStats:
        async with self.db.connection(self._what("read stats")) as conn:
            counts: dict[bool, int] = defaultdict(int)
            for running, count in await conn.fetch(
                "SELECT status = 1, COUNT(*) FROM executions WHERE shard_id=$1 GROUP BY status = 1", self.shard_id
            ):
                counts[running] = count
            return ShardStats(
                running=counts[True],
                closed=counts[False],
                events=await conn.fetchval("SELECT COUNT(*) FROM history_events WHERE shard_id=$1", self.shard_id),
                outbox=await conn.fetchval("SELECT COUNT(*) FROM outbox WHERE shard_id=$1", self.shard_id),
                timers=await conn.fetchval("SELECT COUNT(*) FROM timers WHERE shard_id=$1", self.shard_id),
            )

    # ------------------------------------------------------------ schedules
    async def load_schedule(self, namespace: str, schedule_id: str) -> schedule_state_pb2.ScheduleRecord | None:
        data = await self.db.fetchval(
            self._what("load a schedule"),
            "SELECT data FROM schedules WHERE shard_id=$1 AND namespace=$2 AND schedule_id=$3", self.shard_id, namespace, schedule_id,
        )
        return schedule_state_pb2.ScheduleRecord.FromString(data) if data is not None else None

    async def list_schedules(self, namespace: str, after_schedule_id: str, limit: int) -> list[schedule_state_pb2.ScheduleRecord]:
        rows = await self.db.fetch(
            self._what("list schedules"),
            "SELECT data FROM schedules WHERE shard_id=$1 AND namespace=$2 AND schedule_id>$3 ORDER BY schedule_id LIMIT $4",
            self.shard_id, namespace, after_schedule_id, limit,
        )
        return [schedule_state_pb2.ScheduleRecord.FromString(r[0]) for r in rows]

    async def all_schedules(self) -> list[schedule_state_pb2.ScheduleRecord]:
        rows = await self.db.fetch(self._what("read schedules"), "SELECT data FROM schedules WHERE shard_id=$1", self.shard_id)
        return [schedule_state_pb2.ScheduleRecord.FromString(r[0]) for r in rows]

    # ------------------------------------------------------------ streaming state and large data
    async def watch_entries(
        self, namespace: str, workflow_id: str, after_cursor: int, limit: int
    ) -> list[workflow_service_pb2.WatchWorkflowResponse]:
        rows = await self.db.fetch(
            self._what("read the watch stream"),
            "SELECT id, data FROM watch_entries WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND id>$4 ORDER BY id LIMIT $5",
            self.shard_id, namespace, workflow_id, after_cursor, limit,
        )
        entries = []
        for cursor, data in rows:
            entry = workflow_service_pb2.WatchWorkflowResponse.FromString(data)
            entry.cursor = cursor
            entries.append(entry)
        return entries

    async def task_states(self, namespace: str, workflow_id: str, limit: int) -> list[workflow_service_pb2.TaskState]:
        rows = await self.db.fetch(
            self._what("read task states"),
            "SELECT started_ns, changes, data FROM task_states WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 ORDER BY seq LIMIT $4",
            self.shard_id, namespace, workflow_id, limit,
        )
        tasks = []
        for started_ns, changes, data in rows:
            task = workflow_service_pb2.TaskState.FromString(data)
            task.started_time.FromNanoseconds(started_ns)
            task.changes = changes
            tasks.append(task)
        return tasks

    async def get_blob(self, namespace: str, workflow_id: str, blob_id: str) -> bytes | None:
        data = await self.db.fetchval(
            self._what("read a payload blob"),
            "SELECT data FROM payload_blobs WHERE shard_id=$1 AND namespace=$2 AND workflow_id=$3 AND blob_id=$4",
            self.shard_id, namespace, workflow_id, blob_id,
        )
        return bytes(data) if data is not None else None


async def _run_merged(conn, writes: Sequence[list[Op]]) -> None:
    """The writes' statements merged by kind, each kind one executemany, in _ORDER."""
    merged: dict[str, list[tuple]] = defaultdict(list)
    for ops in writes:
        for sql, rows in ops:
            merged[sql].extend(rows)
    for sql in sorted(merged, key=_RANK.__getitem__):
        await conn.executemany(sql, merged[sql])


async def stored_shard_layout(dsn: str, setting: str) -> tuple[int, int | None]:
    """For history/shard_count.py: the highest shard id with a `shards` row in the database (-1:
    none), and the shard count its shards recorded under `setting` (None: none recorded)."""
    db = await Database(dsn, pool_size=1).open()
    try:
        row = await db.fetchrow(
            "check the history shard count",
            "SELECT (SELECT COALESCE(MAX(shard_id), -1) FROM shards), "
            "(SELECT MAX(value) FROM shard_settings WHERE name = $1)",
            setting,
        )
    finally:
        await db.close()
    return int(row[0]), (int(row[1]) if row[1] is not None else None)
