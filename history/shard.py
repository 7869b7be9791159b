"""One history shard: the runs it owns, in memory and in its store.

The shard holds what every operation shares: ownership of the store (taken at
start, lost for good if another process takes it), the cache of loaded runs,
one lock per workflow, the key that signs task tokens, and the one path every
state change takes (`update`): lock the workflow, load its run, apply a RunState
operation, commit the resulting Mutation atomically (events + mutable state +
outbox + timers), and only then answer. What a commit set in motion is handed on
in memory: outbox tasks to the outbox queue, new timers to the timer queue, a
close to whoever waits for the result.

The operations themselves live in `history/api/`; the background work in
`outbox_queue.py`, `timer_queue.py`, `retention.py` and `redispatch.py`.
"""
from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import structlog

from fanflow import clock, metrics
from fanflow.clients import HistoryClient, MatchingClient
from fanflow.errors import InvalidArgument, NotFound, ShardOwnershipLost
from fanflow import task_tokens
from history import sdk_markers, shard_count, stream
from history.limits import Limits
from history.locks import KeyedLocks
from history.outbox_queue import OutboxQueue
from history.persistence.store import CurrentRun, ExecutionCommit, HistoryStore, RunKey, RunWrite
from history.redispatch import redispatch_after_layout_change
from history.retention import Retention
from history.run_state import Mutation, RunState
from history.schedule_runner import ScheduleRunner
from history.timer_queue import TimerQueue
from protos import common_pb2, internal_pb2

log = structlog.get_logger("fanflow.history.shard")

CACHE_RUNS = 4096


class Shard:
    def __init__(
        self,
        shard_id: int,
        store: HistoryStore,
        matching: MatchingClient,
        limits: Limits,
        retention_seconds: float = 72 * 3600,
        matching_layout: str = "",
        history: HistoryClient | None = None,
        shard_count: int | None = None,
    ):
        """matching_layout: what decides which matching process holds a partition (see
        routing.matching_layout); when it differs from the one this shard last ran with, the
        shard queues its undelivered tasks again (a process that held them may be gone).
        history: how this shard reaches other shards (child workflows; the workflows its
        schedules start). shard_count: the cluster's; a shard written under another refuses
        to start (history/shard_count.py)."""
        self.shard_id = shard_id
        self.store = store
        self.owner = store.owner
        self.matching = matching
        self.history = history
        self.limits = limits
        self.matching_layout = matching_layout
        self.shard_count = shard_count
        self.tasks_redispatched = 0  # observability
        self.locks = KeyedLocks()
        self._runs: OrderedDict[RunKey, RunState] = OrderedDict()
        self._close_waiters: dict[RunKey, list[asyncio.Future]] = {}
        self._commit_waiters: dict[RunKey, list[asyncio.Future]] = {}  # next_commit (queries, updates)
        self._stream_waiters: dict[tuple[str, str], list[asyncio.Future]] = {}  # next_stream_entry (WatchWorkflow)
        self.outbox = OutboxQueue(self)
        self.timers = TimerQueue(self, metrics.TIMERS_FIRED.labels(str(shard_id)))
        self.retention = Retention(self, retention_seconds)
        self.schedules = ScheduleRunner(self, history)
        self._tasks: list[asyncio.Task] = []
        self._waiting_updates: dict[tuple[str, str, str], _UpdateBatch] = {}  # see update()

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.store.open()
        if self.shard_count is not None:
            try:
                await shard_count.check_recorded(self.store, self.shard_id, self.shard_count)
            except BaseException:
                await self.store.close()
                raise
        self._tasks = [
            *self.outbox.start(),
            self.timers.start(),
            self.retention.start(),
        ]
        await self.schedules.start()
        if self.matching_layout:
            self._tasks.append(asyncio.create_task(redispatch_after_layout_change(self), name=f"shard-{self.shard_id}-redispatch"))

    async def stop(self) -> None:
        await self.schedules.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        await self.outbox.flush_deletes()
        for futures in (*self._close_waiters.values(), *self._commit_waiters.values(), *self._stream_waiters.values()):
            for fut in futures:
                if not fut.done():
                    fut.cancel()
        await self.store.close()

    @property
    def lost(self) -> bool:
        return self.store.lost

    # ------------------------------------------------------------ task tokens
    def sign(self, token: bytes) -> bytes:
        return task_tokens.sign(self.store.token_key, token)

    def verify_token(self, token: internal_pb2.TaskToken) -> None:
        if not task_tokens.verify(self.store.token_key, token):
            raise InvalidArgument(
                "task token signature is invalid: it was not issued by this cluster for this task (forged or altered); "
                "pass back the task_token exactly as the poll returned it"
            )

    # ------------------------------------------------------------ the run cache
    async def load(self, key: RunKey) -> RunState | None:
        run = self._runs.get(key)
        if run is not None:
            self._runs.move_to_end(key)
            return run
        loaded = await self.store.load_run(key)
        if loaded is None:
            return None
        run = RunState(loaded.state, loaded.activities, self.shard_id, self.limits, loaded.scheduled, loaded.children)
        self.cache(run)
        return run

    def cache(self, run: RunState) -> None:
        self._runs[run.key] = run
        self._runs.move_to_end(run.key)
        while len(self._runs) > CACHE_RUNS:
            self._runs.popitem(last=False)

    def forget(self, key: RunKey) -> None:
        """Drop a run from the cache (its in-memory state may be half-changed, or it is gone)."""
        self._runs.pop(key, None)

    async def current(self, namespace: str, workflow_id: str) -> CurrentRun | None:
        return await self.store.current_run(namespace, workflow_id)

    async def resolve(self, namespace: str, execution: common_pb2.WorkflowExecution) -> RunKey:
        """The run an execution names: its run id, or the workflow's current run."""
        if execution.run_id:
            return (namespace, execution.workflow_id, execution.run_id)
        current = await self.current(namespace, execution.workflow_id)
        if current is None:
            raise NotFound(f"workflow {execution.workflow_id!r} not found in namespace {namespace!r}")
        return (namespace, execution.workflow_id, current.run_id)

    async def require(self, key: RunKey) -> RunState:
        run = await self.load(key)
        if run is None:
            raise NotFound(f"workflow {key[1]!r} run {key[2]!r} not found in namespace {key[0]!r}")
        return run

    # ------------------------------------------------------------ the one update path
    async def update(
        self,
        namespace: str,
        execution: common_pb2.WorkflowExecution,
        fn: Callable[[RunState, int], Any],
        *,
        fired_timer: int | None = None,
        missing_ok: bool = False,
    ):
        """Lock the workflow, apply fn(run, now), commit what it changed; fn's result.
        fired_timer: the timer row this update applies (deleted in the same commit).
        missing_ok: a run that is gone is no error (only the timer row is deleted).

        Updates of one run that arrive while an earlier one waits for the workflow's lock
        are applied together in that turn and committed once (`_UpdateBatch`): a run with
        a hundred activities completing at once pays one commit (one fsync at FULL, one
        mutable-state write) per turn instead of one each."""
        lock_key = (namespace, execution.workflow_id)
        if fired_timer is not None or missing_ok:
            async with self.locks.hold(lock_key):
                return await self._update_locked(namespace, execution, fn, fired_timer, missing_ok)
        batch_key = (namespace, execution.workflow_id, execution.run_id)
        waiting = self._waiting_updates.get(batch_key)
        if waiting is not None:
            try:
                return await waiting.join(fn)
            except _LeadAgain:
                return await self.update(namespace, execution, fn)
        batch = _UpdateBatch()
        self._waiting_updates[batch_key] = batch
        try:
            async with self.locks.hold(lock_key):
                del self._waiting_updates[batch_key]  # later arrivals form the next turn's batch
                if not batch.followers:
                    return await self._update_locked(namespace, execution, fn, None, False)
                return await self._update_batch_locked(namespace, execution, fn, batch)
        except BaseException as exc:
            if self._waiting_updates.get(batch_key) is batch:  # cancelled while waiting for the lock
                del self._waiting_updates[batch_key]
            batch.abandon(exc)
            raise

    async def _update_locked(self, namespace, execution, fn, fired_timer: int | None, missing_ok: bool):
        key = await self.resolve(namespace, execution)
        run = await self.load(key)
        if run is None:
            if missing_ok:
                if fired_timer is not None:
                    await self.store.delete_timers([fired_timer])
                return None
            raise NotFound(f"workflow {key[1]!r} run {key[2]!r} not found in namespace {key[0]!r}")
        now = clock.now_ns()
        try:
            result = self._apply(run, fn, now)
        except Exception:
            self.forget(key)  # in-memory state may be half-changed: reload
            raise
        await self.commit(run, run.take_mutation(), fired_timer=fired_timer)
        return result

    async def _update_batch_locked(self, namespace, execution, fn, batch: "_UpdateBatch"):
        """Apply the leader's fn and its followers' in arrival order, commit once. If one of
        them raises, the run is reloaded and each is applied and committed on its own (so
        the failing one fails alone and the others' changes are not lost with it)."""
        followers = [(f, fut) for f, fut in batch.followers if not fut.done()]  # cancelled callers drop out
        key = await self.resolve(namespace, execution)
        run = await self.load(key)
        if run is None:
            error = NotFound(f"workflow {key[1]!r} run {key[2]!r} not found in namespace {key[0]!r}")
            for _, fut in followers:
                fut.set_exception(NotFound(str(error)))
            raise error
        now = clock.now_ns()
        try:
            result = self._apply(run, fn, now)
            results = [self._apply(run, f, now) for f, _ in followers]
        except Exception:
            self.forget(key)
            return await self._one_by_one(namespace, execution, fn, followers)
        try:
            cancelled = await self._commit(run, run.take_mutation())
        except BaseException as exc:
            for _, fut in followers:
                if not fut.done():
                    fut.set_exception(exc if isinstance(exc, Exception) else _LeadAgain())
            raise
        for (_, fut), value in zip(followers, results):
            if not fut.done():
                fut.set_result(value)
        if cancelled:
            raise asyncio.CancelledError()
        return result

    async def _one_by_one(self, namespace, execution, fn, followers):
        """Each update on its own, in arrival order (the lock is held); the leader's result."""
        try:
            result, error = await self._update_locked(namespace, execution, fn, None, False), None
        except Exception as exc:
            result, error = None, exc
        for f, fut in followers:
            if fut.done():
                continue
            try:
                value = await self._update_locked(namespace, execution, f, None, False)
            except Exception as exc:
                if not fut.done():
                    fut.set_exception(exc)
            else:
                if not fut.done():
                    fut.set_result(value)
        if error is not None:
            raise error
        return result

    def _apply(self, run: RunState, fn: Callable[[RunState, int], Any], now: int):
        """fn(run, now), then the history limits: warn once past the warning count, fail
        the run past the hard limit."""
        events_before = run.state.next_event_id - 1
        result = fn(run, now)
        events_after = run.state.next_event_id - 1
        if events_before < self.limits.history_count_warn <= events_after:
            log.warning(
                "workflow history is long; continue-as-new is overdue",
                workflow_id=run.key[1], run_id=run.key[2], events=events_after, error_at=self.limits.history_count_error,
            )
        if run.running and (reason := run.over_history_limit()):
            log.warning("history limit reached, failing run", workflow_id=run.key[1], run_id=run.key[2], reason=reason)
            run.terminate_for_limit(reason, now)
        return result

    async def commit(self, run: RunState, mutation: Mutation, fired_timer: int | None = None) -> None:
        """Commit a run's mutation (and those of the runs it started: continue-as-new, or a
        start that terminated it) atomically, then hand on what the commit set in motion.
        The caller holds the workflow's lock."""
        if await self._commit(run, mutation, fired_timer):
            raise asyncio.CancelledError()  # the caller was cancelled while the write landed

    async def _commit(self, run: RunState, mutation: Mutation, fired_timer: int | None = None) -> bool:
        """`commit`; True when the caller was cancelled meanwhile (the write landed anyway)."""
        new_mutations = [(r, r.take_mutation()) for r in mutation.new_runs]
        changes = [(run, mutation), *new_mutations]
        now = clock.now_ns()
        commit = ExecutionCommit(
            runs=[_run_write(r, m, now) for r, m in changes],
            current_changed=any(m.current_changed for _, m in changes),
            fired_timer=fired_timer,
        )
        # A caller cancelled mid-commit (its RPC's deadline passed) must not release the
        # workflow's lock before the write has landed or failed: the next update would work
        # from a cached or reloaded state that disagrees with the store, and a write landing
        # after that reload would leave the cache behind the store (a timer the cache does not
        # know is judged stale and deleted). A store that stops answering holds up the shard's
        # whole writer anyway; the lock adds nothing to that.
        write = asyncio.ensure_future(self.store.commit(commit))
        cancelled = False
        while True:
            try:
                outbox = await asyncio.shield(write)
                break
            except asyncio.CancelledError:
                if write.cancelled():  # the store itself was stopped: nothing is known
                    for r, _ in changes:
                        self.forget(r.key)
                    raise
                cancelled = True
            except Exception as exc:
                for r, _ in changes:
                    self.forget(r.key)
                if commit.outbox_assigned and not isinstance(exc, ShardOwnershipLost):
                    self.outbox.in_doubt(commit.outbox_assigned)  # the next owner recovers a lost shard's rows
                raise
        for r, m in changes:
            r.committed(m.events)
            self.cache(r)
        if outbox:
            self.outbox.committed(outbox)
        earliest = min((fire_at for _, m in changes for fire_at, _ in m.timers), default=None)
        if earliest is not None:
            self.timers.committed(earliest)
        if mutation.closed:
            self._notify_closed(run.key)
        if self._commit_waiters:
            for r, _ in changes:
                self._notify_committed(r.key)
        if self._stream_waiters:
            self.notify_stream(run.key[0], run.key[1])
        return cancelled

    # ------------------------------------------------------------ waiting for a run to close
    def close_waiter(self, key: RunKey) -> asyncio.Future:
        """A future resolved when the run closes (register it under the workflow's lock)."""
        fut = asyncio.get_running_loop().create_future()
        self._close_waiters.setdefault(key, []).append(fut)
        return fut

    def stop_waiting(self, key: RunKey, fut: asyncio.Future) -> None:
        waiters = self._close_waiters.get(key)
        if waiters and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                del self._close_waiters[key]

    # ------------------------------------------------------------ waiting for a run to change
    def next_commit(self, key: RunKey) -> asyncio.Future:
        """A future resolved by the run's next commit (register it under the workflow's lock):
        queries wait this way for a running workflow task, updates for their outcome."""
        fut = asyncio.get_running_loop().create_future()
        self._commit_waiters.setdefault(key, []).append(fut)
        return fut

    def stop_waiting_commit(self, key: RunKey, fut: asyncio.Future) -> None:
        waiters = self._commit_waiters.get(key)
        if waiters and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                del self._commit_waiters[key]

    # ------------------------------------------------------------ waiting for a workflow's stream
    def next_stream_entry(self, namespace: str, workflow_id: str) -> asyncio.Future:
        """A future resolved by the workflow's next commit or task state (WatchWorkflow waits on it;
        register it before reading, so nothing committed after the read is missed)."""
        fut = asyncio.get_running_loop().create_future()
        self._stream_waiters.setdefault((namespace, workflow_id), []).append(fut)
        return fut

    def stop_waiting_stream(self, namespace: str, workflow_id: str, fut: asyncio.Future) -> None:
        waiters = self._stream_waiters.get((namespace, workflow_id))
        if waiters and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                del self._stream_waiters[(namespace, workflow_id)]

    def notify_stream(self, namespace: str, workflow_id: str) -> None:
        for fut in self._stream_waiters.pop((namespace, workflow_id), []):
            if not fut.done():
                fut.set_result(None)

    def _notify_committed(self, key: RunKey) -> None:
        for fut in self._commit_waiters.pop(key, []):
            if not fut.done():
                fut.set_result(None)

    def _notify_closed(self, key: RunKey) -> None:
        for fut in self._close_waiters.pop(key, []):
            if not fut.done():
                fut.set_result(None)


def _run_write(run: RunState, m: Mutation, now: int) -> RunWrite:
    executors_started, recorded_events = sdk_markers.records(m.markers, run.state.run_id, now)
    streamed = stream.records(m.events, m.markers, run.state.run_id, run.state.status, now)
    return RunWrite(
        state=run.state,
        events=m.events,
        activities_upserted=m.activity_upserts,
        activities_deleted=m.activity_deletes,
        timers=m.timers,
        outbox=m.outbox,
        executor_results=m.executor_results,
        executor_failed_attempts=m.executor_failed_attempts,
        executor_item_failures=m.executor_item_failures,
        executors_started=executors_started,
        recorded_events=recorded_events,
        search_keys=list(run.state.search_keys) if m.search_keys_changed else None,
        children_upserted=m.child_upserts,
        children_deleted=m.child_deletes,
        task_states=streamed.task_states,
        watch_entries=streamed.entries,
    )


class _LeadAgain(Exception):
    """A follower's batch was abandoned before it was applied: call update() again."""


class _UpdateBatch:
    """Updates of one run waiting behind the first (the leader), which waits for the lock."""

    __slots__ = ("followers",)

    def __init__(self) -> None:
        self.followers: list[tuple[Callable[[RunState, int], Any], asyncio.Future]] = []

    async def join(self, fn: Callable[[RunState, int], Any]):
        fut = asyncio.get_running_loop().create_future()
        self.followers.append((fn, fut))
        return await fut

    def abandon(self, exc: BaseException) -> None:
        """The leader left without applying (cancelled, or failed before its turn)."""
        for _, fut in self.followers:
            if not fut.done():
                fut.set_exception(_LeadAgain())
