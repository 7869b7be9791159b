"""The state machine of one workflow run: requests in, events + tasks out.

Pure logic, no I/O. Each operation mutates the run's state in memory and
records in `self.mutation` what must be persisted in one commit: new events,
activity rows, timer rows, outbox rows (tasks for matching). The shard commits
the mutation and, if the commit fails, drops this state from its cache.

`RunState` is assembled from parts, one module each: this one holds the run's
state, what every part uses (events, timers, tasks for matching), its creation,
its timers and how it closes; `workflow_tasks.py` the workflow-task cycle,
`commands.py` the commands a completed workflow task carries, `activities.py`
the activities, `updates.py` the accepted updates, `child_workflows.py` the child
workflows (as parent and as child), `search_attributes.py` the search keys.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fanflow.errors import NotFound
from fanflow.timeutil import duration, seconds, ts_from_ns
from history.activities import Activities
from history.child_workflows import ChildWorkflows
from history.commands import Commands
from history.limits import Limits
from history.search_attributes import SearchAttributes, first_search_keys
from history.updates import Updates
from history.workflow_tasks import WorkflowTaskOutcome, WorkflowTasks
from protos import common_pb2, internal_pb2, persistence_pb2, workflow_service_pb2

RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
WORKFLOW_TASK = common_pb2.TASK_TYPE_WORKFLOW
ACTIVITY_TASK = common_pb2.TASK_TYPE_ACTIVITY
STICKY = common_pb2.TASK_QUEUE_KIND_STICKY
K = persistence_pb2  # timer kinds live here

__all__ = ["K", "Limits", "Mutation", "RunState", "WorkflowTaskOutcome"]


@dataclass
class Mutation:
    """What one operation changed, to be persisted in one commit (history/shard.py)."""

    events: list[common_pb2.HistoryEvent] = field(default_factory=list)
    activity_upserts: dict[int, persistence_pb2.ActivityInfo] = field(default_factory=dict)
    activity_deletes: set[int] = field(default_factory=set)
    timers: list[tuple[int, persistence_pb2.TimerTask]] = field(default_factory=list)
    outbox: list[internal_pb2.TaskInfo] = field(default_factory=list)
    new_runs: list["RunState"] = field(default_factory=list)  # continue-as-new
    markers: list[common_pb2.MarkerRecordedEventAttributes] = field(default_factory=list)  # fanflow.* side effects
    executor_results: list[tuple[str, int, common_pb2.Payload]] = field(default_factory=list)  # (executor id, index, result)
    executor_failed_attempts: list[str] = field(default_factory=list)  # executor id per failed item attempt (progress)
    executor_item_failures: list = field(default_factory=list)  # executor item failures: ExecutorItemFailed per failed attempt
    child_upserts: dict[int, persistence_pb2.ChildExecutionInfo] = field(default_factory=dict)  # open children, by initiated event id
    child_deletes: set[int] = field(default_factory=set)
    closed: bool = False
    current_changed: bool = False  # current_executions row must be (re)written
    search_keys_changed: bool = False  # search keys: the run's keys changed (its index rows are rewritten)


class RunState(WorkflowTasks, Commands, Activities, Updates, ChildWorkflows, SearchAttributes):
    """One run: its persisted state (`state`), its pending activities and open children, and
    the `mutation` the operation in progress builds up."""

    def __init__(
        self,
        state: persistence_pb2.ExecutionState,
        activities: dict[int, persistence_pb2.ActivityInfo],
        shard_id: int,
        limits: Limits,
        scheduled: dict[int, common_pb2.ActivityTaskScheduledEventAttributes] | None = None,
        children: dict[int, persistence_pb2.ChildExecutionInfo] | None = None,
    ):
        """scheduled: the ActivityTaskScheduled attributes (input included) of the pending
        activities, by scheduled event id, so starting an attempt needs no read.
        children: the open child workflows, by initiated event id."""
        self.state = state
        self.activities = activities
        self.scheduled = scheduled if scheduled is not None else {}
        self.children = children if children is not None else {}
        self.shard_id = shard_id
        self.limits = limits
        self.mutation = Mutation()
        # Committed events the next workflow task will carry (ids >= tail_from), kept so a
        # sticky task needs no read of the events table. None: unknown (loaded from disk).
        self.tail: list[common_pb2.HistoryEvent] | None = None
        self.tail_from = 0

    # ------------------------------------------------------------- helpers
    @property
    def key(self) -> tuple[str, str, str]:
        return (self.state.namespace, self.state.workflow_id, self.state.run_id)

    @property
    def running(self) -> bool:
        return self.state.status == RUNNING

    def take_mutation(self) -> Mutation:
        mutation, self.mutation = self.mutation, Mutation()
        return mutation

    def committed(self, events: list[common_pb2.HistoryEvent]) -> None:
        """Events of a mutation are durable: keep those a sticky worker has not seen."""
        if self.tail is None:
            return
        self.tail.extend(events)
        seen = self.state.last_completed_wft_started_event_id
        if seen >= self.tail_from:
            self.tail = [e for e in self.tail if e.event_id > seen]
            self.tail_from = seen + 1

    def events_between(self, previous_started: int, started: int) -> list[common_pb2.HistoryEvent] | None:
        """Events (previous_started, started], committed or in the pending mutation, if all
        of them are in memory; None means read them from the events table."""
        if self.tail is None or previous_started + 1 < self.tail_from:
            return None
        return [e for e in (*self.tail, *self.mutation.events) if previous_started < e.event_id <= started]

    def add_event(self, event_type: int, attr_field: str, attrs, now: int) -> common_pb2.HistoryEvent:
        event = common_pb2.HistoryEvent(event_id=self.state.next_event_id, event_time=ts_from_ns(now), event_type=event_type)
        getattr(event, attr_field).CopyFrom(attrs)
        self.state.next_event_id += 1
        self.state.history_size_bytes += event.ByteSize()
        self.mutation.events.append(event)
        if self.state.workflow_task.started_event_id:
            self.state.events_since_wft_started = True
        return event

    def add_timer(self, fire_at: int, kind: int, event_id: int = 0, attempt: int = 0, timer_id: str = "", deadline_ns: int = 0) -> None:
        self.mutation.timers.append(
            (
                fire_at,
                persistence_pb2.TimerTask(
                    kind=kind,
                    namespace=self.state.namespace,
                    workflow_id=self.state.workflow_id,
                    run_id=self.state.run_id,
                    event_id=event_id,
                    attempt=attempt,
                    timer_id=timer_id,
                    deadline_ns=deadline_ns,
                ),
            )
        )

    def add_task(self, task_type: int, task_queue: common_pb2.TaskQueue, scheduled_event_id: int, attempt: int, now: int, expire_at: int = 0,
                 rate_limit: common_pb2.ActivityRateLimit | None = None) -> None:
        """Queue a task for matching. expire_at (ns): when a schedule-to-start timer of ours
        fires, after which matching may drop the task without asking. rate_limit: a
        rate-limited activity's limit (matching meters its queue)."""
        self.mutation.outbox.append(
            internal_pb2.TaskInfo(
                namespace=self.state.namespace,
                workflow_id=self.state.workflow_id,
                run_id=self.state.run_id,
                scheduled_event_id=scheduled_event_id,
                attempt=attempt,
                shard_id=self.shard_id,
                task_type=task_type,
                task_queue=task_queue,
                created_time=ts_from_ns(now),
                expire_time=ts_from_ns(expire_at) if expire_at else None,
                rate_limit=rate_limit,
            )
        )

    def queue_undelivered_tasks(self, now: int) -> int:
        """Queue again, in this mutation's outbox, every task matching should be holding for
        this run: the pending workflow task on the normal queue and every activity attempt
        that is due and not started. For when matching's layout changed and a process that
        held them may be gone for good; a copy matching already has is harmless (the second
        start is refused as stale). Left out: a sticky workflow task (its schedule-to-start
        timer moves it to the normal queue anyway) and attempts still in retry backoff
        (their timer dispatches them). Returns how many were queued."""
        if not self.running:
            return 0
        queued = 0
        wft = self.state.workflow_task
        if wft.scheduled_event_id and not wft.started_event_id and wft.task_queue.kind != STICKY:
            self.add_task(WORKFLOW_TASK, wft.task_queue, wft.scheduled_event_id, wft.attempt, now)
            queued += 1
        for info in self.activities.values():
            due = info.attempt_scheduled_time.ToNanoseconds()
            if info.started or info.cancel_requested or due > now:
                continue
            timeout = info.schedule_to_start_timeout.ToNanoseconds()
            if timeout and due + timeout <= now:
                continue  # its schedule-to-start timer has fired or is about to: it decides
            self.add_task(ACTIVITY_TASK, info.task_queue, info.scheduled_event_id, info.attempt, now, expire_at=due + timeout if timeout else 0,
                          rate_limit=info.rate_limit if info.HasField("rate_limit") else None)
            queued += 1
        return queued

    def task_token(self, task_type: int, scheduled_event_id: int, started_event_id: int = 0, attempt: int = 0) -> bytes:
        return internal_pb2.TaskToken(
            namespace=self.state.namespace,
            workflow_id=self.state.workflow_id,
            run_id=self.state.run_id,
            scheduled_event_id=scheduled_event_id,
            started_event_id=started_event_id,
            attempt=attempt,
            task_type=task_type,
            shard_id=self.shard_id,
        ).SerializeToString()

    def require_running(self) -> None:
        if not self.running:
            status = common_pb2.WorkflowExecutionStatus.Name(self.state.status)
            raise NotFound(f"workflow {self.state.workflow_id} run {self.state.run_id} is closed ({status})")

    def suggest_continue_as_new(self) -> bool:
        return (
            self.state.next_event_id >= self.limits.suggest_continue_as_new_events
            or self.state.history_size_bytes >= self.limits.suggest_continue_as_new_bytes
        )

    # ------------------------------------------------------------ creation
    @classmethod
    def start(
        cls,
        *,
        shard_id: int,
        limits: Limits,
        request: workflow_service_pb2.StartWorkflowExecutionRequest,
        now: int,
        run_id: str | None = None,
        first_run_id: str = "",
        continued_from: str = "",
        sdk_state: common_pb2.Payload | None = None,
        execution_expiration_ns: int = 0,
    ) -> "RunState":
        """execution_expiration_ns: when the execution (the whole continue-as-new chain) times
        out, carried over from the previous run; 0 = computed from the request's
        workflow_execution_timeout (a first run), or none."""
        run_id = run_id or str(uuid.uuid4())
        if not execution_expiration_ns and request.workflow_execution_timeout.ToNanoseconds() > 0 and not continued_from:
            execution_expiration_ns = now + request.workflow_execution_timeout.ToNanoseconds()
        task_queue = common_pb2.TaskQueue(name=request.task_queue.name, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)
        wft_timeout = seconds(request.workflow_task_timeout) or limits.workflow_task_timeout
        state = persistence_pb2.ExecutionState(
            namespace=request.namespace,
            workflow_id=request.workflow_id,
            run_id=run_id,
            first_run_id=first_run_id or run_id,
            workflow_type=request.workflow_type.name,
            task_queue=task_queue,
            status=RUNNING,
            start_time=ts_from_ns(now),
            next_event_id=1,
            request_id=request.request_id,
            workflow_task_timeout=duration(wft_timeout),
            workflow_run_timeout=request.workflow_run_timeout,
            metadata=request.metadata,
            execution_expiration_time=ts_from_ns(execution_expiration_ns) if execution_expiration_ns else None,
            search_keys=first_search_keys(request.search_keys),
            parent=request.parent if request.HasField("parent") else None,
        )
        run = cls(state, {}, shard_id, limits)
        run.mutation.search_keys_changed = bool(state.search_keys)
        run.tail, run.tail_from = [], 1
        run.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
            "workflow_execution_started",
            common_pb2.WorkflowExecutionStartedEventAttributes(
                workflow_type=request.workflow_type,
                task_queue=task_queue,
                input=request.input,
                workflow_execution_timeout=request.workflow_execution_timeout,
                workflow_run_timeout=request.workflow_run_timeout,
                workflow_task_timeout=duration(wft_timeout),
                continued_execution_run_id=continued_from,
                first_execution_run_id=state.first_run_id,
                identity=request.identity,
                attempt=1,
                sdk_state=sdk_state,
                metadata=request.metadata,
                workflow_execution_expiration_time=state.execution_expiration_time if execution_expiration_ns else None,
                schedule_id=request.schedule_id,
                scheduled_time=request.scheduled_time if request.HasField("scheduled_time") else None,
                search_keys=state.search_keys,
                parent_workflow_execution=request.parent.execution if request.HasField("parent") else None,
                parent_workflow_namespace=request.parent.namespace,
                parent_initiated_event_id=request.parent.initiated_event_id,
            ),
            now,
        )
        run.schedule_workflow_task(now)
        if seconds(request.workflow_run_timeout) > 0:
            run.add_timer(now + request.workflow_run_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT)
        if execution_expiration_ns:
            run.add_timer(execution_expiration_ns, K.TIMER_TASK_KIND_WORKFLOW_EXECUTION_TIMEOUT)
        run.mutation.current_changed = True
        return run


    # --------------------------------------------------------------- timers
    def timer_is_live(self, task: persistence_pb2.TimerTask) -> bool:
        """Would firing this timer change anything? Most never do (the activity or
        workflow task finished first); the shard just deletes those rows."""
        if not self.running:
            return False
        kind = task.kind
        wft = self.state.workflow_task
        if kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_START_TO_CLOSE:
            # A heartbeat that moved the deadline later leaves this (earlier) timer stale.
            return wft.scheduled_event_id == task.event_id and bool(wft.started_event_id) and wft.attempt == task.attempt and task.deadline_ns >= wft.deadline_ns
        if kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START:
            return wft.scheduled_event_id == task.event_id and not wft.started_event_id
        if kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_RETRY:
            return not wft.scheduled_event_id
        if kind == K.TIMER_TASK_KIND_USER_TIMER:
            timer = self.state.timers.get(task.timer_id)
            return timer is not None and timer.started_event_id == task.event_id
        if kind in (K.TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT, K.TIMER_TASK_KIND_WORKFLOW_EXECUTION_TIMEOUT):
            return True
        info = self.activities.get(task.event_id)
        if info is None:
            return False
        if kind == K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE:
            return True
        if info.attempt != task.attempt:
            return False
        if kind in (K.TIMER_TASK_KIND_ACTIVITY_RETRY, K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START):
            return not info.started
        if kind in (K.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE, K.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT):
            return info.started
        return False

    def fire_timer(self, task: persistence_pb2.TimerTask, now: int) -> None:
        """Apply a due timer; stale timers (target moved on) do nothing."""
        if not self.timer_is_live(task):
            return
        kind = task.kind
        if kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_START_TO_CLOSE:
            self._workflow_task_timed_out(common_pb2.TIMEOUT_TYPE_START_TO_CLOSE, now)
        elif kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START:
            self._workflow_task_timed_out(common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_START, now)
        elif kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_RETRY:
            self.schedule_workflow_task(now, attempt=task.attempt, allow_sticky=False)
        elif kind == K.TIMER_TASK_KIND_USER_TIMER:
            self.add_event(
                common_pb2.EVENT_TYPE_TIMER_FIRED,
                "timer_fired",
                common_pb2.TimerFiredEventAttributes(timer_id=task.timer_id, started_event_id=task.event_id),
                now,
            )
            del self.state.timers[task.timer_id]
            self._new_events_need_workflow_task(now)
        elif kind in (K.TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT, K.TIMER_TASK_KIND_WORKFLOW_EXECUTION_TIMEOUT):
            event = self.add_event(
                common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
                "workflow_execution_timed_out",
                common_pb2.WorkflowExecutionTimedOutEventAttributes(execution_timeout=kind == K.TIMER_TASK_KIND_WORKFLOW_EXECUTION_TIMEOUT),
                now,
            )
            self._close(common_pb2.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, event.event_id, now)
        else:
            self._fire_activity_timer(task, now)


    # ------------------------------------------------------------- closing
    def _close(self, status: int, close_event_id: int, now: int) -> None:
        self.state.status = status
        self.state.close_time.CopyFrom(ts_from_ns(now))
        self.state.close_event_id = close_event_id
        self.state.workflow_task.Clear()
        self.state.timers.clear()
        for scheduled_event_id in list(self.activities):
            self._drop_activity(scheduled_event_id)
        self._abandon_unfinished_updates(status)
        self._children_on_close(status, close_event_id, now)
        self.mutation.closed = True
        self.mutation.current_changed = True

    def terminate(self, reason: str, identity: str, now: int) -> None:
        self.require_running()
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
            "workflow_execution_terminated",
            common_pb2.WorkflowExecutionTerminatedEventAttributes(reason=reason, identity=identity),
            now,
        )
        self._close(common_pb2.WORKFLOW_EXECUTION_STATUS_TERMINATED, event.event_id, now)

    def terminate_for_limit(self, message: str, now: int) -> None:
        """The run outgrew a history limit: fail it so it cannot grow further."""
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
            "workflow_execution_failed",
            common_pb2.WorkflowExecutionFailedEventAttributes(
                failure=common_pb2.Failure(message=message, type="HistoryLimitExceeded", source="server", non_retryable=True)
            ),
            now,
        )
        self._close(common_pb2.WORKFLOW_EXECUTION_STATUS_FAILED, event.event_id, now)

    def over_history_limit(self) -> str | None:
        if self.state.next_event_id - 1 >= self.limits.history_count_error:
            return (
                f"workflow history reached {self.state.next_event_id - 1} events, the limit is "
                f"{self.limits.history_count_error}: use continue-as-new to keep each run's history short"
            )
        if self.state.history_size_bytes >= self.limits.history_size_error:
            return (
                f"workflow history reached {self.state.history_size_bytes} bytes, the limit is "
                f"{self.limits.history_size_error}: use continue-as-new to keep each run's history short"
            )
        return None

    def request_cancel(self, reason: str, identity: str, now: int) -> None:
        """A client asks the run to cancel: recorded once; the workflow's code decides."""
        self.require_running()
        if self.state.cancel_requested:
            return
        self.state.cancel_requested = True
        self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
            "workflow_execution_cancel_requested",
            common_pb2.WorkflowExecutionCancelRequestedEventAttributes(reason=reason, identity=identity),
            now,
        )
        self._new_events_need_workflow_task(now)

    def signal(self, name: str, payload: common_pb2.Payload, identity: str, now: int) -> None:
        self.require_running()
        self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
            "workflow_execution_signaled",
            common_pb2.WorkflowExecutionSignaledEventAttributes(signal_name=name, input=payload, identity=identity),
            now,
        )
        self._new_events_need_workflow_task(now)

