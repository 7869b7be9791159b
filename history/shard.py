"""One history shard: the runs it owns, in memory and in its SQLite file.

Every state change follows one path (`_update`): lock the workflow, load its
run, apply a RunState operation, commit the resulting Mutation in one
transaction (events + mutable state + outbox + timers), and only then answer.
Two background loops move the durable side effects on: the outbox pump hands
tasks to matching (deleting a row only once matching acknowledged it), and the
timer loop fires due timers (deleting the timer row in the transaction that
applies it, so each fires exactly once).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from fanflow import metrics
from fanflow.clients import MatchingClient
from fanflow.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from history import tokens
from history.mutable_state import Limits, Mutation, RunState
from history.store import Op, ShardStore
from protos import (
    admin_service_pb2,
    common_pb2,
    internal_pb2,
    persistence_pb2,
    workflow_service_pb2,
)

log = structlog.get_logger("fanflow.history.shard")

Key = tuple[str, str, str]  # namespace, workflow id, run id
RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
CACHE_RUNS = 4096
OUTBOX_CONCURRENCY = 64
TIMER_PAGE = 256
RETENTION_SWEEP_EVERY = 60.0  # seconds between passes over closed runs past retention
RETENTION_PAGE = 500
TIMER_PASS_INTERVAL = 0.05  # timers fire within ~50 ms of due; passes over due timers batch up


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it:
    `async with locks.hold(key): ...`."""

    def __init__(self) -> None:
        self._locks: dict[Any, tuple[asyncio.Lock, int]] = {}

    def hold(self, key) -> "_Held":
        return _Held(self, key)


class _Held:
    def __init__(self, owner: KeyedLocks, key) -> None:
        self.owner, self.key = owner, key

    async def __aenter__(self):
        lock, users = self.owner._locks.get(self.key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self.owner._locks[self.key] = (lock, users + 1)
        self.lock = lock
        await lock.acquire()

    async def __aexit__(self, *exc):
        self.lock.release()
        lock, users = self.owner._locks[self.key]
        if users <= 1:
            del self.owner._locks[self.key]
        else:
            self.owner._locks[self.key] = (lock, users - 1)


class Shard:
    def __init__(
        self,
        shard_id: int,
        data_dir: Path,
        owner: str,
        matching: MatchingClient,
        limits: Limits,
        synchronous: str = "FULL",
        retention_seconds: float = 72 * 3600,
        matching_layout: str = "",
    ):
        """matching_layout: what decides which matching process holds a partition (see
        routing.matching_layout); when it differs from the one this shard last ran with, the
        shard queues its undelivered tasks again (a process that held them may be gone)."""
        self.shard_id = shard_id
        self.matching_layout = matching_layout
        self.tasks_redispatched = 0
        self.retention_seconds = retention_seconds
        self.runs_deleted = 0  # closed runs removed after the retention period (observability)
        self.owner = owner
        self.matching = matching
        self.limits = limits
        self.store = ShardStore(data_dir / f"history-shard-{shard_id}.db", shard_id, owner, synchronous)
        self._runs: OrderedDict[Key, RunState] = OrderedDict()
        self._locks = KeyedLocks()
        self._waiters: dict[Key, list[asyncio.Future]] = {}
        self._outbox_wakeup = asyncio.Event()
        self._timer_wakeup = asyncio.Event()
        self._next_timer_ns: int | None = None
        self._acked_outbox: list[int] = []
        # Outbox rows committed by this process, handed to the pump in memory (no re-read);
        # rows below _outbox_recover_below were written before we took the shard.
        self._outbox_next_id = 1
        self._outbox_recover_below = 1
        self._outbox_ready: list[tuple[int, internal_pb2.TaskInfo]] = []
        self._tasks: list[asyncio.Task] = []
        self.outbox_sent = 0
        self._dispatched_metric = metrics.TASKS_DISPATCHED.labels(str(shard_id))
        self._timers_metric = metrics.TIMERS_FIRED.labels(str(shard_id))

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.store.open()
        row = await self.store.fetchone("SELECT COALESCE(MAX(id), 0) FROM outbox")
        self._outbox_next_id = self._outbox_recover_below = row[0] + 1
        self._tasks = [
            asyncio.create_task(self._outbox_loop(), name=f"shard-{self.shard_id}-outbox"),
            asyncio.create_task(self._outbox_delete_loop(), name=f"shard-{self.shard_id}-outbox-delete"),
            asyncio.create_task(self._timer_loop(), name=f"shard-{self.shard_id}-timers"),
            asyncio.create_task(self._retention_loop(), name=f"shard-{self.shard_id}-retention"),
        ]
        if self.matching_layout:
            self._tasks.append(asyncio.create_task(self._redispatch_after_layout_change(), name=f"shard-{self.shard_id}-redispatch"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        await self._flush_outbox_deletes()
        for futures in self._waiters.values():
            for fut in futures:
                if not fut.done():
                    fut.cancel()
        await self.store.close()

    # -------------------------------------------------------------- loading
    async def _load(self, key: Key) -> RunState | None:
        run = self._runs.get(key)
        if run is not None:
            self._runs.move_to_end(key)
            return run
        row = await self.store.fetchone(
            "SELECT state FROM executions WHERE namespace=? AND workflow_id=? AND run_id=?", key
        )
        if row is None:
            return None
        state = persistence_pb2.ExecutionState.FromString(row[0])
        activities: dict[int, persistence_pb2.ActivityInfo] = {}
        if state.status == RUNNING:
            for (data,) in await self.store.fetchall(
                "SELECT data FROM activities WHERE namespace=? AND workflow_id=? AND run_id=?", key
            ):
                info = persistence_pb2.ActivityInfo.FromString(data)
                activities[info.scheduled_event_id] = info
        run = RunState(state, activities, self.shard_id, self.limits)
        self._cache(run)
        return run

    def _cache(self, run: RunState) -> None:
        self._runs[run.key] = run
        self._runs.move_to_end(run.key)
        while len(self._runs) > CACHE_RUNS:
            self._runs.popitem(last=False)

    async def _current(self, namespace: str, workflow_id: str) -> tuple[str, int, str] | None:
        return await self.store.fetchone(
            "SELECT run_id, status, request_id FROM current_executions WHERE namespace=? AND workflow_id=?",
            (namespace, workflow_id),
        )

    async def _resolve(self, namespace: str, execution: common_pb2.WorkflowExecution) -> Key:
        if execution.run_id:
            return (namespace, execution.workflow_id, execution.run_id)
        current = await self._current(namespace, execution.workflow_id)
        if current is None:
            raise NotFound(f"workflow {execution.workflow_id!r} not found in namespace {namespace!r}")
        return (namespace, execution.workflow_id, current[0])

    async def _require(self, key: Key) -> RunState:
        run = await self._load(key)
        if run is None:
            raise NotFound(f"workflow {key[1]!r} run {key[2]!r} not found in namespace {key[0]!r}")
        return run

    # -------------------------------------------------------------- writing
    async def _update(self, namespace: str, execution: common_pb2.WorkflowExecution, fn: Callable[[RunState, int], Any], extra_ops: list[Op] | None = None, missing_ok: bool = False):
        """Lock the workflow, apply fn(run, now), commit what it changed."""
        async with self._locks.hold((namespace, execution.workflow_id)):
            key = await self._resolve(namespace, execution)
            run = await self._load(key)
            if run is None:
                if missing_ok:
                    if extra_ops:
                        await self.store.write(extra_ops)
                    return None
                raise NotFound(f"workflow {key[1]!r} run {key[2]!r} not found in namespace {key[0]!r}")
            now = time.time_ns()
            events_before = run.state.next_event_id - 1
            try:
                result = fn(run, now)
                events_after = run.state.next_event_id - 1
                if events_before < self.limits.history_count_warn <= events_after:
                    log.warning(
                        "workflow history is long; continue-as-new is overdue",
                        workflow_id=key[1], run_id=key[2], events=events_after, error_at=self.limits.history_count_error,
                    )
                if run.running and (reason := run.over_history_limit()):
                    log.warning("history limit reached, failing run", workflow_id=key[1], run_id=key[2], reason=reason)
                    run.terminate_for_limit(reason, now)
            except Exception:
                self._runs.pop(key, None)  # in-memory state may be half-changed: reload
                raise
            await self._commit(run, run.take_mutation(), extra_ops or [])
            return result

    async def _commit(self, run: RunState, mutation: Mutation, extra_ops: list[Op]) -> None:
        ops = list(extra_ops)
        runs = [run, *mutation.new_runs]
        new_mutations = [(r, r.take_mutation()) for r in mutation.new_runs]
        outbox: list[tuple[int, internal_pb2.TaskInfo]] = []
        for r, m in [(run, mutation), *new_mutations]:
            ops.extend(self._ops_for(r, m, outbox))
        if mutation.current_changed or any(m.current_changed for _, m in new_mutations):
            current = runs[-1].state
            ops.append(
                Op(
                    "INSERT OR REPLACE INTO current_executions (namespace, workflow_id, run_id, status, request_id) VALUES (?,?,?,?,?)",
                    (current.namespace, current.workflow_id, current.run_id, current.status, current.request_id),
                )
            )
        try:
            await self.store.write(ops)
        except Exception:
            for r in runs:
                self._runs.pop(r.key, None)
            raise
        for r, m in [(run, mutation), *new_mutations]:
            r.committed(m.events)
            self._cache(r)
        all_mutations = [mutation, *(m for _, m in new_mutations)]
        if outbox:
            self._outbox_ready.extend(outbox)
            self._outbox_wakeup.set()
        earliest = min((fire_at for m in all_mutations for fire_at, _ in m.timers), default=None)
        if earliest is not None and (self._next_timer_ns is None or earliest < self._next_timer_ns):
            self._timer_wakeup.set()
        if mutation.closed:
            self._notify_waiters(run.key)

    def _ops_for(self, run: RunState, m: Mutation, outbox: list[tuple[int, internal_pb2.TaskInfo]]) -> list[Op]:
        """The SQL of one run's mutation; its outbox rows get their ids here (appended to
        `outbox`, handed to the pump once committed)."""
        s = run.state
        ns, wf, rid = run.key
        ops = [
            Op(
                "INSERT OR REPLACE INTO executions (namespace, workflow_id, run_id, workflow_type, status, start_time_ns, close_time_ns, state) VALUES (?,?,?,?,?,?,?,?)",
                (ns, wf, rid, s.workflow_type, s.status, s.start_time.ToNanoseconds(), s.close_time.ToNanoseconds(), s.SerializeToString()),
            )
        ]
        if m.events:
            ops.append(Op("INSERT INTO events (namespace, workflow_id, run_id, event_id, data) VALUES (?,?,?,?,?)", [(ns, wf, rid, e.event_id, e.SerializeToString()) for e in m.events], many=True))
        if m.activity_upserts:
            ops.append(Op("INSERT OR REPLACE INTO activities (namespace, workflow_id, run_id, scheduled_event_id, data) VALUES (?,?,?,?,?)", [(ns, wf, rid, i, a.SerializeToString()) for i, a in m.activity_upserts.items()], many=True))
        if m.activity_deletes:
            ops.append(Op("DELETE FROM activities WHERE namespace=? AND workflow_id=? AND run_id=? AND scheduled_event_id=?", [(ns, wf, rid, i) for i in m.activity_deletes], many=True))
        if m.timers:
            ops.append(Op("INSERT INTO timers (fire_at_ns, data) VALUES (?,?)", [(at, t.SerializeToString()) for at, t in m.timers], many=True))
        if m.outbox:
            first = self._outbox_next_id
            self._outbox_next_id += len(m.outbox)
            outbox.extend(zip(range(first, self._outbox_next_id), m.outbox))
            ops.append(Op("INSERT INTO outbox (id, data) VALUES (?,?)", [(i, t.SerializeToString()) for i, t in zip(range(first, self._outbox_next_id), m.outbox)], many=True))
        for marker in m.markers:
            ops.extend(_marker_ops(run, marker))
        if m.executor_results:
            ops.append(Op(
                "INSERT OR REPLACE INTO executor_results (namespace, workflow_id, executor_id, item_index, data) VALUES (?,?,?,?,?)",
                [(ns, wf, executor_id, index, payload.SerializeToString()) for executor_id, index, payload in m.executor_results],
                many=True,
            ))
        if m.executor_failed_attempts:
            now = time.time_ns()
            ops.append(Op(
                "UPDATE executor_progress SET failed = failed + 1, updated_ns = ? WHERE namespace=? AND workflow_id=? AND executor_id=?",
                [(now, ns, wf, executor_id) for executor_id in m.executor_failed_attempts],
                many=True,
            ))
        return ops

    # ------------------------------------------------------ workflow start
    async def start_workflow(self, request: workflow_service_pb2.StartWorkflowExecutionRequest) -> str:
        async with self._locks.hold((request.namespace, request.workflow_id)):
            current = await self._current(request.namespace, request.workflow_id)
            now = time.time_ns()
            previous: RunState | None = None
            if current is not None:
                run_id, status, request_id = current
                if status == RUNNING:
                    if request.request_id and request.request_id == request_id:
                        return run_id  # a retried start: same answer
                    if request.workflow_id_reuse_policy != workflow_service_pb2.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING:
                        raise AlreadyExists(
                            f"workflow {request.workflow_id!r} is already running (run {run_id}); wait for it, "
                            "terminate it, or start with workflow_id_reuse_policy TERMINATE_IF_RUNNING"
                        )
                    previous = await self._require((request.namespace, request.workflow_id, run_id))
                    previous.terminate("terminated by a new start with TERMINATE_IF_RUNNING", request.identity, now)
                elif request.workflow_id_reuse_policy == workflow_service_pb2.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE:
                    raise AlreadyExists(f"workflow id {request.workflow_id!r} was used before (run {run_id}) and the reuse policy is REJECT_DUPLICATE")
                elif request.workflow_id_reuse_policy == workflow_service_pb2.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY and status in (
                    common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED,
                    common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
                ):
                    raise AlreadyExists(f"workflow id {request.workflow_id!r} already completed (run {run_id}) and the reuse policy is ALLOW_DUPLICATE_FAILED_ONLY")
            run = RunState.start(shard_id=self.shard_id, limits=self.limits, request=request, now=now)
            if previous is not None:
                previous.mutation.new_runs.append(run)
                await self._commit(previous, previous.take_mutation(), [])
            else:
                await self._commit(run, run.take_mutation(), [])
            log.debug("workflow started", workflow_id=request.workflow_id, run_id=run.state.run_id, shard=self.shard_id)
            return run.state.run_id

    # ------------------------------------------------------- task dispatch
    async def record_workflow_task_started(self, task: internal_pb2.TaskInfo, identity: str, partition: int) -> workflow_service_pb2.PollWorkflowTaskQueueResponse:
        execution = common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id)

        def start(run: RunState, now: int):
            started, previous = run.record_workflow_task_started(task.scheduled_event_id, identity, now)
            return self._workflow_task_response(run, started, previous, partition)

        response = await self._update(task.namespace, execution, start)
        return await self._with_new_events(task.namespace, response)

    def _workflow_task_response(self, run: RunState, started: int, previous: int, partition: int = 0) -> workflow_service_pb2.PollWorkflowTaskQueueResponse:
        """A started workflow task for the worker, with its new events when they are all
        in memory (else _with_new_events reads them after the commit)."""
        s = run.state
        wft = s.workflow_task
        response = workflow_service_pb2.PollWorkflowTaskQueueResponse(
            task_token=tokens.sign(self.store.token_key, run.task_token(common_pb2.TASK_TYPE_WORKFLOW, wft.scheduled_event_id, started)),
            workflow_execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id),
            workflow_type=common_pb2.WorkflowType(name=s.workflow_type),
            previous_started_event_id=previous,
            started_event_id=started,
            attempt=wft.attempt,
            scheduled_time=wft.scheduled_time,
            started_time=wft.started_time,
            task_queue=wft.task_queue,
            partition=partition,
        )
        events = run.events_between(previous, started)
        if events is not None:
            response.history.events.extend(events)
        return response

    async def _with_new_events(self, namespace: str, response: workflow_service_pb2.PollWorkflowTaskQueueResponse) -> workflow_service_pb2.PollWorkflowTaskQueueResponse:
        if not response.history.events:  # not all in memory: read them
            key = (namespace, response.workflow_execution.workflow_id, response.workflow_execution.run_id)
            response.history.events.extend(await self.read_events(key, response.previous_started_event_id + 1, response.started_event_id))
        return response

    async def record_activity_task_started(self, task: internal_pb2.TaskInfo, identity: str, partition: int) -> workflow_service_pb2.PollActivityTaskQueueResponse:
        execution = common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id)

        def start(run: RunState, now: int):
            info = run.record_activity_task_started(task.scheduled_event_id, task.attempt, identity, now)
            return self._activity_task_response(run, info, partition)

        response = await self._update(task.namespace, execution, start)
        # the input lives in the scheduled event (run state keeps no payloads)
        scheduled = (await self.read_event((task.namespace, task.workflow_id, task.run_id), task.scheduled_event_id)).activity_task_scheduled
        _add_scheduled_input(response, scheduled)
        return response

    def _activity_task_response(
        self, run: RunState, info: persistence_pb2.ActivityInfo, partition: int = 0, scheduled: common_pb2.ActivityTaskScheduledEventAttributes | None = None
    ) -> workflow_service_pb2.PollActivityTaskQueueResponse:
        """A started activity task for the worker; built under the workflow's lock (info changes later)."""
        s = run.state
        token = run.task_token(common_pb2.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=info.attempt)
        response = workflow_service_pb2.PollActivityTaskQueueResponse(
            task_token=tokens.sign(self.store.token_key, token),
            workflow_execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id),
            workflow_type=common_pb2.WorkflowType(name=s.workflow_type),
            activity_id=info.activity_id,
            activity_type=common_pb2.ActivityType(name=info.activity_type),
            attempt=info.attempt,
            heartbeat_details=info.heartbeat_details,
            scheduled_time=info.scheduled_time,
            started_time=info.started_time,
            start_to_close_timeout=info.start_to_close_timeout,
            heartbeat_timeout=info.heartbeat_timeout,
            schedule_to_close_timeout=info.schedule_to_close_timeout,
            partition=partition,
            task_queue=info.task_queue,
        )
        if scheduled is not None:
            _add_scheduled_input(response, scheduled)
        return response

    # ----------------------------------------------------------- responses
    def verify_token(self, token: internal_pb2.TaskToken) -> None:
        if not tokens.verify(self.store.token_key, token):
            raise InvalidArgument(
                "task token signature is invalid: it was not issued by this cluster for this task (forged or altered); "
                "pass back the task_token exactly as the poll returned it"
            )

    async def complete_workflow_task(self, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondWorkflowTaskCompletedRequest) -> workflow_service_pb2.RespondWorkflowTaskCompletedResponse:
        sticky = request.sticky_attributes if request.HasField("sticky_attributes") else None

        def complete(run: RunState, now: int) -> workflow_service_pb2.RespondWorkflowTaskCompletedResponse:
            outcome = run.complete_workflow_task(token, list(request.commands), sticky, request.identity, now, request.return_new_workflow_task)
            response = workflow_service_pb2.RespondWorkflowTaskCompletedResponse(
                activity_tasks=[self._activity_task_response(run, info, scheduled=scheduled) for info, scheduled in outcome.eager_activities]
            )
            if outcome.new_task is not None:
                response.workflow_task.CopyFrom(self._workflow_task_response(run, *outcome.new_task))
            return response

        try:
            response = await self._update(token.namespace, _execution(token), complete)
        except (InvalidArgument, FailedPrecondition) as exc:
            # Commands history cannot apply: fail the task (recorded in history,
            # retried with backoff) and tell the worker why.
            cause = (
                common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED
                if isinstance(exc, FailedPrecondition)
                else common_pb2.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND
            )
            failure = common_pb2.Failure(message=exc.message, type=type(exc).__name__, source="server")
            await self._update(token.namespace, _execution(token), lambda run, now: run.fail_workflow_task(token, cause, failure, request.identity, now))
            raise
        if response.HasField("workflow_task"):
            await self._with_new_events(token.namespace, response.workflow_task)
        return response

    async def fail_workflow_task(self, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondWorkflowTaskFailedRequest) -> None:
        log.warning(
            "workflow task failed",
            workflow_id=token.workflow_id,
            cause=common_pb2.WorkflowTaskFailedCause.Name(request.cause),
            message=request.failure.message[:500],
        )
        await self._update(
            token.namespace, _execution(token), lambda run, now: run.fail_workflow_task(token, request.cause, request.failure, request.identity, now)
        )

    async def complete_activity(self, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondActivityTaskCompletedRequest) -> workflow_service_pb2.RespondActivityTaskCompletedResponse:
        def complete(run: RunState, now: int) -> workflow_service_pb2.RespondActivityTaskCompletedResponse:
            new_task = run.complete_activity(token, request.result, request.identity, now, request.sticky_task_queue)
            response = workflow_service_pb2.RespondActivityTaskCompletedResponse()
            if new_task is not None:
                response.workflow_task.CopyFrom(self._workflow_task_response(run, *new_task))
            return response

        response = await self._update(token.namespace, _execution(token), complete)
        if response.HasField("workflow_task"):
            await self._with_new_events(token.namespace, response.workflow_task)
        return response

    async def fail_activity(self, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondActivityTaskFailedRequest) -> None:
        details = request.last_heartbeat_details if request.HasField("last_heartbeat_details") else None
        await self._update(token.namespace, _execution(token), lambda run, now: run.fail_activity(token, request.failure, details, request.identity, now))

    async def heartbeat(self, token: internal_pb2.TaskToken, request: workflow_service_pb2.RecordActivityTaskHeartbeatRequest) -> bool:
        """Returns whether the workflow asked to cancel the activity."""
        return await self._update(token.namespace, _execution(token), lambda run, now: run.heartbeat(token, request.details, now))

    async def cancel_activity(self, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondActivityTaskCanceledRequest) -> None:
        details = request.details if request.HasField("details") else None
        await self._update(token.namespace, _execution(token), lambda run, now: run.activity_canceled(token, details, request.identity, now))

    async def terminate(self, request: workflow_service_pb2.TerminateWorkflowExecutionRequest) -> None:
        await self._update(request.namespace, request.execution, lambda run, now: run.terminate(request.reason, request.identity, now))

    async def request_cancel(self, request: workflow_service_pb2.RequestCancelWorkflowExecutionRequest) -> None:
        await self._update(request.namespace, request.execution, lambda run, now: run.request_cancel(request.reason, request.identity, now))

    async def signal(self, request: workflow_service_pb2.SignalWorkflowExecutionRequest) -> None:
        await self._update(request.namespace, request.execution, lambda run, now: run.signal(request.signal_name, request.input, request.identity, now))

    # ---------------------------------------------------------------- reads
    async def read_events(self, key: Key, first: int, last: int | None = None, limit: int | None = None) -> list[common_pb2.HistoryEvent]:
        sql = "SELECT data FROM events WHERE namespace=? AND workflow_id=? AND run_id=? AND event_id>=?"
        params: list[Any] = [*key, first]
        if last is not None:
            sql += " AND event_id<=?"
            params.append(last)
        sql += " ORDER BY event_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [common_pb2.HistoryEvent.FromString(data) for (data,) in await self.store.fetchall(sql, params)]

    async def read_event(self, key: Key, event_id: int) -> common_pb2.HistoryEvent:
        events = await self.read_events(key, event_id, event_id)
        if not events:
            raise NotFound(f"event {event_id} of workflow {key[1]!r} run {key[2]!r} not found")
        return events[0]

    async def get_history(self, request: workflow_service_pb2.GetWorkflowExecutionHistoryRequest) -> workflow_service_pb2.GetWorkflowExecutionHistoryResponse:
        key = await self._resolve(request.namespace, request.execution)
        await self._require(key)
        first = 1
        if request.next_page_token:
            try:
                first = int(json.loads(request.next_page_token)["next_event_id"])
            except (ValueError, KeyError, TypeError) as exc:
                raise InvalidArgument(f"next_page_token is not one this server issued: {exc}") from None
        size = request.maximum_page_size or 1000
        events = await self.read_events(key, first, limit=size + 1)
        token = b""
        if len(events) > size:
            events = events[:size]
            token = json.dumps({"next_event_id": events[-1].event_id + 1}).encode()
        return workflow_service_pb2.GetWorkflowExecutionHistoryResponse(history=common_pb2.History(events=events), next_page_token=token)

    def execution_info(self, run: RunState) -> workflow_service_pb2.WorkflowExecutionInfo:
        s = run.state
        return workflow_service_pb2.WorkflowExecutionInfo(
            execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id),
            type=common_pb2.WorkflowType(name=s.workflow_type),
            task_queue=s.task_queue,
            status=s.status,
            start_time=s.start_time,
            close_time=s.close_time,
            history_length=s.next_event_id - 1,
            history_size_bytes=s.history_size_bytes,
            shard_id=self.shard_id,
            first_run_id=s.first_run_id,
            pending_activity_count=s.pending_activity_count,
        )

    async def describe(self, request: workflow_service_pb2.DescribeWorkflowExecutionRequest) -> workflow_service_pb2.DescribeWorkflowExecutionResponse:
        # Under the workflow's lock: never show state whose commit is still in flight.
        async with self._locks.hold((request.namespace, request.execution.workflow_id)):
            run = await self._require(await self._resolve(request.namespace, request.execution))
            return self._describe(run)

    def _describe(self, run: RunState) -> workflow_service_pb2.DescribeWorkflowExecutionResponse:
        pending = [
            workflow_service_pb2.PendingActivityInfo(
                activity_id=a.activity_id,
                activity_type=common_pb2.ActivityType(name=a.activity_type),
                scheduled_event_id=a.scheduled_event_id,
                started=a.started,
                attempt=a.attempt,
                last_worker_identity=a.started_identity,
                last_failure=a.last_failure,
            )
            for a in list(run.activities.values())[:100]
        ]
        return workflow_service_pb2.DescribeWorkflowExecutionResponse(info=self.execution_info(run), pending_activities=pending)

    async def get_result(self, request: workflow_service_pb2.GetWorkflowResultRequest) -> workflow_service_pb2.GetWorkflowResultResponse:
        deadline = time.monotonic() + request.wait_timeout.ToNanoseconds() / 1e9
        execution = request.execution
        while True:
            # Under the workflow's lock: an update in progress changes the cached state before
            # its events are committed (the close event would not be readable yet).
            async with self._locks.hold((request.namespace, execution.workflow_id)):
                key = await self._resolve(request.namespace, execution)
                run = await self._require(key)
                s = run.state
                closed = s.status != RUNNING
                if s.status == common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW and request.follow_runs:
                    execution = common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.continued_as_new_run_id)
                    continue
                if closed:
                    return await self._closed_result(run)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return workflow_service_pb2.GetWorkflowResultResponse(status=RUNNING, execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id))
                fut = asyncio.get_running_loop().create_future()
                self._waiters.setdefault(key, []).append(fut)  # registered before the lock is released: no close is missed
            try:
                await asyncio.wait_for(fut, remaining)
            except asyncio.TimeoutError:
                pass
            finally:
                waiters = self._waiters.get(key)
                if waiters and fut in waiters:
                    waiters.remove(fut)
                    if not waiters:
                        del self._waiters[key]
            execution = common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id)

    async def _closed_result(self, run: RunState) -> workflow_service_pb2.GetWorkflowResultResponse:
        s = run.state
        response = workflow_service_pb2.GetWorkflowResultResponse(
            status=s.status, execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id)
        )
        event = await self.read_event(run.key, s.close_event_id)
        which = event.WhichOneof("attributes")
        if which == "workflow_execution_completed":
            response.result.CopyFrom(event.workflow_execution_completed.result)
        elif which == "workflow_execution_failed":
            response.failure.CopyFrom(event.workflow_execution_failed.failure)
        elif which == "workflow_execution_terminated":
            response.termination_reason = event.workflow_execution_terminated.reason
            response.failure.CopyFrom(common_pb2.Failure(message=f"terminated: {event.workflow_execution_terminated.reason}", type="Terminated", source="server"))
        elif which == "workflow_execution_canceled":
            response.failure.CopyFrom(common_pb2.Failure(message="workflow run was cancelled", type="CancelledError", source="workflow"))
        elif which == "workflow_execution_timed_out":
            response.failure.CopyFrom(common_pb2.Failure(message="workflow run timed out", type="TimeoutError", source="server"))
        return response

    def _notify_waiters(self, key: Key) -> None:
        for fut in self._waiters.pop(key, []):
            if not fut.done():
                fut.set_result(None)

    async def list_executions(self, request: workflow_service_pb2.ListWorkflowExecutionsRequest) -> workflow_service_pb2.ListWorkflowExecutionsResponse:
        size = request.page_size or 100
        sql = "SELECT state FROM executions WHERE namespace=?"
        params: list[Any] = [request.namespace]
        if request.next_page_token:
            try:
                before = json.loads(request.next_page_token)["before"]
                start_ns, wf, rid = int(before[0]), str(before[1]), str(before[2])
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise InvalidArgument(f"next_page_token is not one this server issued: {exc}") from None
            sql += " AND (start_time_ns, workflow_id, run_id) < (?,?,?)"
            params += [start_ns, wf, rid]
        if request.status_filter:
            sql += " AND status=?"
            params.append(request.status_filter)
        if request.workflow_type_filter:
            sql += " AND workflow_type=?"
            params.append(request.workflow_type_filter)
        sql += " ORDER BY start_time_ns DESC, workflow_id DESC, run_id DESC LIMIT ?"
        params.append(size)
        rows = await self.store.fetchall(sql, params)
        infos = []
        for (data,) in rows:
            state = persistence_pb2.ExecutionState.FromString(data)
            # committed rows only: the cache may hold an update still being committed
            infos.append(self.execution_info(RunState(state, {}, self.shard_id, self.limits)))
        token = b""
        if len(rows) == size:
            last = infos[-1]
            token = json.dumps({"before": [last.start_time.ToNanoseconds(), last.execution.workflow_id, last.execution.run_id]}).encode()
        return workflow_service_pb2.ListWorkflowExecutionsResponse(executions=infos, next_page_token=token)

    async def describe_shard(self) -> admin_service_pb2.DescribeShardResponse:
        counts = dict(await self.store.fetchall("SELECT status = ?, COUNT(*) FROM executions GROUP BY status = ?", (RUNNING, RUNNING)))
        events = (await self.store.fetchone("SELECT COUNT(*) FROM events"))[0]
        outbox = (await self.store.fetchone("SELECT COUNT(*) FROM outbox"))[0]
        timers = (await self.store.fetchone("SELECT COUNT(*) FROM timers"))[0]
        return admin_service_pb2.DescribeShardResponse(
            shard_id=self.shard_id,
            owner=self.owner,
            range_id=self.store.range_id,
            running_workflows=counts.get(1, 0),
            closed_workflows=counts.get(0, 0),
            events=events,
            outbox_depth=outbox,
            pending_timers=timers,
            db_path=str(self.store.path),
        )

    # ------------------------------------------------- parallel executors
    async def put_parallel_results(self, request: workflow_service_pb2.PutParallelResultsRequest) -> int:
        key = (request.namespace, request.workflow_id, request.executor_id)
        ops = []
        if request.results:
            ops.append(Op(
                "INSERT OR REPLACE INTO executor_results (namespace, workflow_id, executor_id, item_index, data) VALUES (?,?,?,?,?)",
                [(*key, r.index, r.payload.SerializeToString()) for r in request.results],
                many=True,
            ))
        if request.failed_attempts:
            ops.append(Op(
                "UPDATE executor_progress SET failed = failed + ?, updated_ns = ? WHERE namespace=? AND workflow_id=? AND executor_id=?",
                (request.failed_attempts, time.time_ns(), *key),
            ))
        if ops:
            await self.store.write(ops)
        return len(request.results)

    async def get_parallel_results(self, request: workflow_service_pb2.GetParallelResultsRequest) -> workflow_service_pb2.GetParallelResultsResponse:
        rows = await self.store.fetchall(
            "SELECT item_index, data FROM executor_results WHERE namespace=? AND workflow_id=? AND executor_id=? AND item_index>=? "
            "ORDER BY item_index LIMIT ?",
            (request.namespace, request.workflow_id, request.executor_id, request.start_index, request.limit or 1000),
        )
        return workflow_service_pb2.GetParallelResultsResponse(
            results=[workflow_service_pb2.IndexedPayload(index=i, payload=common_pb2.Payload.FromString(d)) for i, d in rows]
        )

    async def get_progress(self, request: workflow_service_pb2.GetWorkflowProgressRequest) -> workflow_service_pb2.GetWorkflowProgressResponse:
        ns, wf = request.namespace, request.workflow_id
        async with self._locks.hold((ns, wf)):  # a consistent, committed snapshot of the current run
            run = await self._require(await self._resolve(ns, common_pb2.WorkflowExecution(workflow_id=wf)))
            first_run, running, current_run_id, status = run.state.first_run_id, run.running, run.state.run_id, run.state.status
            pending_now = len(run.activities)
        runs = sum(
            1 for (data,) in await self.store.fetchall("SELECT state FROM executions WHERE namespace=? AND workflow_id=?", (ns, wf))
            if persistence_pb2.ExecutionState.FromString(data).first_run_id == first_run
        )
        rows = await self.store.fetchall(
            "SELECT executor_id, pattern, total, failed, started_ns, updated_ns FROM executor_progress "
            "WHERE namespace=? AND workflow_id=? AND executor_id LIKE ? ORDER BY started_ns",
            (ns, wf, first_run + "/%"),
        )
        now = time.time_ns()
        executors = []
        for i, (executor_id, pattern, total, failed, started_ns, updated_ns) in enumerate(rows):
            done = (await self.store.fetchone(
                "SELECT COUNT(*) FROM executor_results WHERE namespace=? AND workflow_id=? AND executor_id=?", (ns, wf, executor_id)
            ))[0]
            finished = total and done >= total
            latest = i == len(rows) - 1
            in_flight = pending_now if (latest and running and not finished) else 0
            end_ns = updated_ns if finished else now
            elapsed = max((end_ns - started_ns) / 1e9, 1e-9)
            rate = done / elapsed
            eta = (total - done) / rate if (total and rate > 0) else (0.0 if finished else -1.0)
            progress = workflow_service_pb2.ParallelProgress(
                executor_id=executor_id, pattern=pattern, total=total, done=done, failed=failed, in_flight=in_flight,
                items_per_second=rate, eta_seconds=eta,
            )
            progress.started_time.FromNanoseconds(started_ns)
            progress.updated_time.FromNanoseconds(updated_ns)
            executors.append(progress)
        events = []
        for name, details, time_ns, run_id in await self.store.fetchall(
            "SELECT name, details, time_ns, run_id FROM workflow_events WHERE namespace=? AND workflow_id=? ORDER BY id DESC LIMIT ?",
            (ns, wf, request.max_events or 100),
        ):
            event = workflow_service_pb2.RecordedEvent(name=name, details=common_pb2.Payload.FromString(details), run_id=run_id)
            event.time.FromNanoseconds(time_ns)
            events.append(event)
        return workflow_service_pb2.GetWorkflowProgressResponse(
            executors=executors, events=events, status=status, current_run_id=current_run_id, runs=runs
        )

    # ----------------------------------------------------------- namespaces
    async def register_namespace(self, name: str, description: str) -> admin_service_pb2.NamespaceInfo:
        existing = await self.store.fetchone("SELECT name FROM namespaces WHERE name=?", (name,))
        if existing:
            raise AlreadyExists(f"namespace {name!r} is already registered")
        now = time.time_ns()
        try:
            await self.store.write([Op("INSERT INTO namespaces (name, description, created_ns) VALUES (?,?,?)", (name, description, now))])
        except Exception as exc:
            if "UNIQUE" in str(exc):
                raise AlreadyExists(f"namespace {name!r} is already registered") from None
            raise
        return _namespace_info(name, description, now)

    async def create_api_key(self, namespace: str, description: str) -> tuple[str, str]:
        """A new random key for `namespace`; only its SHA-256 is stored."""
        if await self.store.fetchone("SELECT name FROM namespaces WHERE name=?", (namespace,)) is None:
            raise NotFound(f"namespace {namespace!r} is not registered; register it first")
        key = "ffk_" + secrets.token_urlsafe(32)
        key_id = key[4:12]
        await self.store.write(
            [Op("INSERT INTO api_keys (key_sha256, namespace, key_id, description, created_ns) VALUES (?,?,?,?,?)",
                (hashlib.sha256(key.encode()).hexdigest(), namespace, key_id, description, time.time_ns()))]
        )
        return key, key_id

    async def list_api_keys(self) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in await self.store.fetchall("SELECT key_sha256, namespace, key_id FROM api_keys ORDER BY created_ns")]

    async def list_namespaces(self) -> list[admin_service_pb2.NamespaceInfo]:
        rows = await self.store.fetchall("SELECT name, description, created_ns FROM namespaces ORDER BY name")
        return [_namespace_info(*row) for row in rows]

    # --------------------------------------------------------------- outbox
    async def _outbox_loop(self) -> None:
        """Hand every outbox row to matching; a row stays until matching acked it. Rows
        left by an earlier owner are read back once; ours arrive in memory after commit."""
        slots = asyncio.Semaphore(OUTBOX_CONCURRENCY)

        async def dispatch(row_id: int, task: internal_pb2.TaskInfo) -> None:
            await slots.acquire()
            delivery = asyncio.create_task(self._deliver(row_id, task))
            delivery.add_done_callback(lambda _t: slots.release())

        cursor = 0
        while True:
            rows = await self.store.fetchall(
                "SELECT id, data FROM outbox WHERE id>? AND id<? ORDER BY id LIMIT 512", (cursor, self._outbox_recover_below)
            )
            if not rows:
                break
            cursor = rows[-1][0]
            for row_id, data in rows:
                await dispatch(row_id, internal_pb2.TaskInfo.FromString(data))
        while True:
            self._outbox_wakeup.clear()
            if not self._outbox_ready:
                await self._outbox_wakeup.wait()
                continue
            ready, self._outbox_ready = self._outbox_ready, []
            for row_id, task in ready:
                await dispatch(row_id, task)

    async def _deliver(self, row_id: int, task: internal_pb2.TaskInfo) -> None:
        acked = await self.matching.add_task_until_acked(task)
        self._acked_outbox.append(row_id)  # acked, or rejected for good: the row is done either way
        if acked:
            self.outbox_sent += 1
            self._dispatched_metric.inc()

    async def _outbox_delete_loop(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            await self._flush_outbox_deletes()

    async def _flush_outbox_deletes(self) -> None:
        if not self._acked_outbox or self.store.lost:
            return
        ids, self._acked_outbox = self._acked_outbox, []
        try:
            await self.store.write([Op("DELETE FROM outbox WHERE id=?", [(i,) for i in ids], many=True)])
        except Exception as exc:
            # Harmless: a re-sent task is rejected by RecordTaskStarted as stale.
            log.warning("outbox delete failed", error=str(exc))

    # --------------------------------------------------------------- timers
    async def _timer_loop(self) -> None:
        while True:
            self._timer_wakeup.clear()
            now = time.time_ns()
            rows = await self.store.fetchall("SELECT id, data FROM timers WHERE fire_at_ns<=? ORDER BY fire_at_ns LIMIT ?", (now, TIMER_PAGE))
            if rows:
                fired = await asyncio.gather(*(self._fire(row_id, persistence_pb2.TimerTask.FromString(data)) for row_id, data in rows))
                dead = [(row_id,) for (row_id, _), done in zip(rows, fired) if done == "dead"]
                if dead:
                    try:
                        await self.store.write([Op("DELETE FROM timers WHERE id=?", dead, many=True)])
                    except Exception as exc:  # retried on the next pass
                        log.warning("could not delete stale timers", error=str(exc))
                        await asyncio.sleep(0.5)
                if len(rows) < TIMER_PAGE:
                    await asyncio.sleep(TIMER_PASS_INTERVAL)  # let due timers gather: one pass per interval
                continue
            row = await self.store.fetchone("SELECT MIN(fire_at_ns) FROM timers")
            self._next_timer_ns = row[0] if row and row[0] is not None else None
            wait = 1.0 if self._next_timer_ns is None else min(1.0, max(0.0, (self._next_timer_ns - time.time_ns()) / 1e9))
            try:
                await asyncio.wait_for(self._timer_wakeup.wait(), wait)
            except asyncio.TimeoutError:
                pass

    async def _fire(self, row_id: int, task: persistence_pb2.TimerTask) -> str:
        """Apply one due timer. Most are stale (the activity or task finished first):
        those are only reported "dead", for the caller to delete in one batch."""
        key = (task.namespace, task.workflow_id, task.run_id)
        async with self._locks.hold(key[:2]):
            run = await self._load(key)
            if run is None or not run.timer_is_live(task):
                return "dead"
        delete = [Op("DELETE FROM timers WHERE id=?", (row_id,))]
        try:
            await self._update(
                task.namespace,
                common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id),
                lambda run, now: run.fire_timer(task, now),
                extra_ops=delete,
                missing_ok=True,
            )
            self._timers_metric.inc()
            return "fired"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("timer failed, will retry", error=str(exc), kind=task.kind, workflow_id=task.workflow_id)
            await asyncio.sleep(0.5)
            return "failed"

    # ------------------------------------------------- matching layout change
    async def _redispatch_after_layout_change(self) -> None:
        """Matching's layout changed since this shard last ran (hosts added, removed or
        reordered, or another partition count): a removed matching process may hold tasks
        in its file that nobody will ever serve. Queue every undelivered task of every
        running run again; only then record the new layout, so a crash or a lost shard
        midway means the next owner does it all again (duplicates are refused as stale)."""
        row = await self.store.fetchone("SELECT value FROM shard_settings WHERE name = 'matching_layout'")
        remember = Op("INSERT OR REPLACE INTO shard_settings (name, value) VALUES ('matching_layout', ?)", (self.matching_layout,))
        if row is not None and row[0] == self.matching_layout:
            return
        if row is None:
            # First start (or a file from before this check): nothing was sent under another layout
            # that we know of. Record it, so the next change is noticed.
            await self.store.write([remember])
            return
        keys = await self.store.fetchall("SELECT namespace, workflow_id, run_id FROM executions WHERE status = ?", (RUNNING,))
        runs = tasks = 0
        try:
            for namespace, workflow_id, run_id in keys:
                async with self._locks.hold((namespace, workflow_id)):
                    run = await self._load((namespace, workflow_id, run_id))
                    if run is None or not run.running:
                        continue
                    queued = run.queue_undelivered_tasks(time.time_ns())
                    if queued:
                        await self._commit(run, run.take_mutation(), [])
                        runs, tasks = runs + 1, tasks + queued
            await self.store.write([remember])
        except Exception as exc:  # e.g. the shard was taken over: its next owner does it all again
            log.error("re-queueing undelivered tasks after a matching layout change failed", shard=self.shard_id, error=repr(exc))
            return
        self.tasks_redispatched += tasks
        log.info("matching layout changed: undelivered tasks queued again", shard=self.shard_id, runs=runs, tasks=tasks)

    # ------------------------------------------------------------ retention
    async def _retention_loop(self) -> None:
        interval = min(RETENTION_SWEEP_EVERY, max(0.05, self.retention_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                while await self.delete_expired_runs() == RETENTION_PAGE:
                    pass  # more to do: go on at once
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # retried on the next sweep
                log.warning("retention sweep failed", shard=self.shard_id, error=str(exc))

    async def delete_expired_runs(self) -> int:
        """Delete up to RETENTION_PAGE runs closed longer than the retention period ago."""
        cutoff = time.time_ns() - int(self.retention_seconds * 1e9)
        rows = await self.store.fetchall(
            "SELECT namespace, workflow_id, run_id FROM executions WHERE status != ? AND close_time_ns > 0 AND close_time_ns < ? LIMIT ?",
            (RUNNING, cutoff, RETENTION_PAGE),
        )
        for ns, wf, rid in rows:
            async with self._locks.hold((ns, wf)):
                ops = [
                    Op(f"DELETE FROM {table} WHERE namespace=? AND workflow_id=? AND run_id=?", (ns, wf, rid))
                    for table in ("events", "activities", "executions", "workflow_events")
                ]
                ops.append(Op("DELETE FROM current_executions WHERE namespace=? AND workflow_id=? AND run_id=?", (ns, wf, rid)))
                # The workflow's last run gone: its executor results and progress go too.
                ops.append(Op(
                    "DELETE FROM executor_results WHERE namespace=? AND workflow_id=? "
                    "AND NOT EXISTS (SELECT 1 FROM executions WHERE namespace=? AND workflow_id=?)",
                    (ns, wf, ns, wf),
                ))
                ops.append(Op(
                    "DELETE FROM executor_progress WHERE namespace=? AND workflow_id=? "
                    "AND NOT EXISTS (SELECT 1 FROM executions WHERE namespace=? AND workflow_id=?)",
                    (ns, wf, ns, wf),
                ))
                await self.store.write(ops)
                self._runs.pop((ns, wf, rid), None)
                self.runs_deleted += 1
        if rows:
            log.info("deleted runs past retention", shard=self.shard_id, runs=len(rows), retention_hours=self.retention_seconds / 3600)
        return len(rows)


def _marker_ops(run: RunState, marker: common_pb2.MarkerRecordedEventAttributes) -> list[Op]:
    """Side effects of the SDK's own markers, written with the marker's event."""
    ns, wf, rid = run.key
    now = time.time_ns()
    try:
        details = json.loads(marker.details.data or b"null")
        if marker.marker_name == "fanflow.executor":
            return [Op(
                "INSERT INTO executor_progress (namespace, workflow_id, executor_id, pattern, total, started_ns, updated_ns) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT DO UPDATE SET total=excluded.total, updated_ns=excluded.updated_ns",
                (ns, wf, str(details["executor_id"]), str(details.get("pattern", "")), int(details.get("total") or 0), now, now),
            )]
        if marker.marker_name == "fanflow.event":
            payload = common_pb2.Payload(data=json.dumps(details.get("details")).encode(), encoding="json/plain")
            return [Op(
                "INSERT INTO workflow_events (namespace, workflow_id, run_id, name, details, time_ns) VALUES (?,?,?,?,?,?)",
                (ns, wf, rid, str(details["name"]), payload.SerializeToString(), now),
            )]
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring malformed fanflow marker", marker=marker.marker_name, error=str(exc))
    return []


def _add_scheduled_input(response: workflow_service_pb2.PollActivityTaskQueueResponse, scheduled: common_pb2.ActivityTaskScheduledEventAttributes) -> None:
    response.input.CopyFrom(scheduled.input)
    if scheduled.HasField("result_sink"):
        response.result_sink.CopyFrom(scheduled.result_sink)


def _execution(token: internal_pb2.TaskToken) -> common_pb2.WorkflowExecution:
    return common_pb2.WorkflowExecution(workflow_id=token.workflow_id, run_id=token.run_id)


def _namespace_info(name: str, description: str, created_ns: int) -> admin_service_pb2.NamespaceInfo:
    info = admin_service_pb2.NamespaceInfo(name=name, description=description)
    info.created_time.FromNanoseconds(created_ns)
    return info
