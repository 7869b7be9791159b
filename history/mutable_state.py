"""The state machine of one workflow run: requests in, events + tasks out.

Pure logic, no I/O. Each operation mutates the run's state in memory and
records in `self.mutation` what must be persisted in one transaction: new
events, activity rows, timer rows, outbox rows (tasks for matching). The shard
commits the mutation and, if the commit fails, drops this state from its cache.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fanflow.errors import FailedPrecondition, InvalidArgument, NotFound
from history import retry
from protos import common_pb2, internal_pb2, persistence_pb2, workflow_service_pb2

S = 1_000_000_000  # nanoseconds per second

RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
WORKFLOW_TASK = common_pb2.TASK_TYPE_WORKFLOW
ACTIVITY_TASK = common_pb2.TASK_TYPE_ACTIVITY
STICKY = common_pb2.TASK_QUEUE_KIND_STICKY
K = persistence_pb2  # timer kinds live here


@dataclass
class Limits:
    """History's limits and defaults; see fanflow.config.ClusterConfig."""

    workflow_task_timeout: float = 10.0
    sticky_schedule_to_start_timeout: float = 5.0
    default_activity_start_to_close_timeout: float = 300.0
    max_pending_activities: int = 2000
    suggest_continue_as_new_events: int = 4096
    suggest_continue_as_new_bytes: int = 4 * 1024 * 1024
    history_count_warn: int = 10_240
    history_count_error: int = 51_200
    history_size_error: int = 50 * 1024 * 1024
    max_workflow_task_retry_backoff: float = 600.0


@dataclass
class Mutation:
    events: list[common_pb2.HistoryEvent] = field(default_factory=list)
    activity_upserts: dict[int, persistence_pb2.ActivityInfo] = field(default_factory=dict)
    activity_deletes: set[int] = field(default_factory=set)
    timers: list[tuple[int, persistence_pb2.TimerTask]] = field(default_factory=list)
    outbox: list[internal_pb2.TaskInfo] = field(default_factory=list)
    new_runs: list["RunState"] = field(default_factory=list)  # continue-as-new
    markers: list[common_pb2.MarkerRecordedEventAttributes] = field(default_factory=list)  # fanflow.* side effects
    executor_results: list[tuple[str, int, common_pb2.Payload]] = field(default_factory=list)  # (executor id, index, result)
    executor_failed_attempts: list[str] = field(default_factory=list)  # executor id per failed item attempt (progress)
    closed: bool = False
    current_changed: bool = False  # current_executions row must be (re)written


@dataclass
class WorkflowTaskOutcome:
    """What a workflow-task completion hands straight back to the worker."""

    eager_activities: list[tuple[persistence_pb2.ActivityInfo, common_pb2.ActivityTaskScheduledEventAttributes]] = field(default_factory=list)
    new_task: tuple[int, int] | None = None  # (started_event_id, previous_started_event_id) of the returned next task
    new_events: bool = False  # a command produced an event the workflow must see (an activity cancelled at once)


def ts(ns: int):
    from google.protobuf import timestamp_pb2

    t = timestamp_pb2.Timestamp()
    t.FromNanoseconds(ns)
    return t


def dur(seconds: float):
    from google.protobuf import duration_pb2

    d = duration_pb2.Duration()
    d.FromNanoseconds(int(seconds * S))
    return d


def secs(d) -> float:
    return d.ToNanoseconds() / S


class RunState:
    def __init__(
        self,
        state: persistence_pb2.ExecutionState,
        activities: dict[int, persistence_pb2.ActivityInfo],
        shard_id: int,
        limits: Limits,
    ):
        self.state = state
        self.activities = activities
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
        event = common_pb2.HistoryEvent(event_id=self.state.next_event_id, event_time=ts(now), event_type=event_type)
        getattr(event, attr_field).CopyFrom(attrs)
        self.state.next_event_id += 1
        self.state.history_size_bytes += event.ByteSize()
        self.mutation.events.append(event)
        if self.state.workflow_task.started_event_id:
            self.state.events_since_wft_started = True
        return event

    def add_timer(self, fire_at: int, kind: int, event_id: int = 0, attempt: int = 0, timer_id: str = "") -> None:
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
                ),
            )
        )

    def add_task(self, task_type: int, task_queue: common_pb2.TaskQueue, scheduled_event_id: int, attempt: int, now: int, expire_at: int = 0) -> None:
        """Queue a task for matching. expire_at (ns): when a schedule-to-start timer of ours
        fires, after which matching may drop the task without asking."""
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
                created_time=ts(now),
                expire_time=ts(expire_at) if expire_at else None,
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
            self.add_task(ACTIVITY_TASK, info.task_queue, info.scheduled_event_id, info.attempt, now, expire_at=due + timeout if timeout else 0)
            queued += 1
        return queued

    def _add_activity_task(self, info: persistence_pb2.ActivityInfo, now: int) -> None:
        """Dispatch an activity attempt through matching, with its schedule-to-start timer."""
        timeout = info.schedule_to_start_timeout.ToNanoseconds()
        self.add_task(ACTIVITY_TASK, info.task_queue, info.scheduled_event_id, info.attempt, now, expire_at=now + timeout if timeout else 0)
        if timeout:
            self.add_timer(now + timeout, K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START, info.scheduled_event_id, info.attempt)

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
    ) -> "RunState":
        run_id = run_id or str(uuid.uuid4())
        task_queue = common_pb2.TaskQueue(name=request.task_queue.name, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)
        wft_timeout = secs(request.workflow_task_timeout) or limits.workflow_task_timeout
        state = persistence_pb2.ExecutionState(
            namespace=request.namespace,
            workflow_id=request.workflow_id,
            run_id=run_id,
            first_run_id=first_run_id or run_id,
            workflow_type=request.workflow_type.name,
            task_queue=task_queue,
            status=RUNNING,
            start_time=ts(now),
            next_event_id=1,
            request_id=request.request_id,
            workflow_task_timeout=dur(wft_timeout),
            workflow_run_timeout=request.workflow_run_timeout,
        )
        run = cls(state, {}, shard_id, limits)
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
                workflow_task_timeout=dur(wft_timeout),
                continued_execution_run_id=continued_from,
                first_execution_run_id=state.first_run_id,
                identity=request.identity,
                attempt=1,
                sdk_state=sdk_state,
            ),
            now,
        )
        run.schedule_workflow_task(now)
        if secs(request.workflow_run_timeout) > 0:
            run.add_timer(now + request.workflow_run_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT)
        run.mutation.current_changed = True
        return run

    # ------------------------------------------------------- workflow tasks
    def schedule_workflow_task(self, now: int, attempt: int = 1, allow_sticky: bool = True, dispatch: bool = True) -> None:
        """Schedule a workflow task unless one is already pending. dispatch=False: the
        caller starts it at once (no outbox task, no schedule-to-start timer)."""
        if self.state.workflow_task.scheduled_event_id or not self.running:
            return
        sticky = allow_sticky and bool(self.state.sticky_task_queue.name)
        queue = self.state.sticky_task_queue if sticky else self.state.task_queue
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            "workflow_task_scheduled",
            common_pb2.WorkflowTaskScheduledEventAttributes(
                task_queue=queue, start_to_close_timeout=self.state.workflow_task_timeout, attempt=attempt
            ),
            now,
        )
        self.state.workflow_task.CopyFrom(
            persistence_pb2.WorkflowTaskInfo(
                scheduled_event_id=event.event_id, attempt=attempt, task_queue=queue, scheduled_time=ts(now)
            )
        )
        if not dispatch:
            return
        if not sticky:
            self.add_task(WORKFLOW_TASK, queue, event.event_id, attempt, now)
            return
        # If the sticky worker does not pick it up quickly, fall back to the normal queue;
        # matching may drop the sticky task from then on (its worker may be gone for good).
        timeout = secs(self.state.sticky_schedule_to_start_timeout) or self.limits.sticky_schedule_to_start_timeout
        self.add_task(WORKFLOW_TASK, queue, event.event_id, attempt, now, expire_at=now + int(timeout * S))
        self.add_timer(now + int(timeout * S), K.TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START, event.event_id, attempt)

    def _new_events_need_workflow_task(self, now: int) -> None:
        """Something the workflow must see happened: make sure a task will run."""
        wft = self.state.workflow_task
        if not wft.scheduled_event_id:
            self.schedule_workflow_task(now)
        # A started task finishes first; completion then schedules the next one
        # (add_event already set events_since_wft_started).

    def record_workflow_task_started(self, scheduled_event_id: int, identity: str, now: int) -> tuple[int, int]:
        """Returns (started_event_id, previous_started_event_id for a sticky poll)."""
        self.require_running()
        wft = self.state.workflow_task
        if wft.scheduled_event_id != scheduled_event_id:
            raise NotFound(f"workflow task {scheduled_event_id} is no longer pending (current: {wft.scheduled_event_id})")
        if wft.started_event_id:
            raise NotFound(f"workflow task {scheduled_event_id} was already started by {wft.identity!r}")
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            "workflow_task_started",
            common_pb2.WorkflowTaskStartedEventAttributes(
                scheduled_event_id=scheduled_event_id,
                identity=identity,
                suggest_continue_as_new=self.suggest_continue_as_new(),
                history_size_bytes=self.state.history_size_bytes,
            ),
            now,
        )
        wft.started_event_id = event.event_id
        wft.started_time.CopyFrom(ts(now))
        wft.identity = identity
        self.state.events_since_wft_started = False
        timeout = secs(self.state.workflow_task_timeout) or self.limits.workflow_task_timeout
        self.add_timer(now + int(timeout * S), K.TIMER_TASK_KIND_WORKFLOW_TASK_START_TO_CLOSE, scheduled_event_id, wft.attempt)
        previous = self.state.last_completed_wft_started_event_id if wft.task_queue.kind == STICKY else 0
        return event.event_id, previous

    def _check_workflow_task_token(self, token: internal_pb2.TaskToken) -> None:
        self.require_running()
        wft = self.state.workflow_task
        if (
            token.task_type != WORKFLOW_TASK
            or wft.scheduled_event_id != token.scheduled_event_id
            or wft.started_event_id != token.started_event_id
            or not wft.started_event_id
        ):
            raise NotFound(
                f"workflow task (scheduled {token.scheduled_event_id}, started {token.started_event_id}) "
                "is not the running workflow task: it timed out, was already completed, or the token is stale"
            )

    def complete_workflow_task(
        self,
        token: internal_pb2.TaskToken,
        commands: list[common_pb2.Command],
        sticky: workflow_service_pb2.StickyExecutionAttributes | None,
        identity: str,
        now: int,
        return_new_task: bool = False,
    ) -> WorkflowTaskOutcome:
        """Apply the commands. Activities the worker asked to run eagerly are recorded as
        started for it; with return_new_task (sticky workers only) a next task needed for
        events that arrived meanwhile is started at once for the same worker."""
        self._check_workflow_task_token(token)
        self._validate_commands(commands)
        wft = self.state.workflow_task
        new_events_arrived = self.state.events_since_wft_started
        completed = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            "workflow_task_completed",
            common_pb2.WorkflowTaskCompletedEventAttributes(
                scheduled_event_id=wft.scheduled_event_id, started_event_id=wft.started_event_id, identity=identity
            ),
            now,
        )
        self.state.last_completed_wft_started_event_id = wft.started_event_id
        self.state.workflow_task.Clear()
        self.state.events_since_wft_started = False
        self.state.failed_wft_attempts = 0
        if sticky is not None and sticky.worker_task_queue.name:
            self.state.sticky_task_queue.CopyFrom(
                common_pb2.TaskQueue(name=sticky.worker_task_queue.name, kind=STICKY)
            )
            self.state.sticky_schedule_to_start_timeout.CopyFrom(sticky.schedule_to_start_timeout)
        else:
            self.state.ClearField("sticky_task_queue")
        outcome = WorkflowTaskOutcome()
        for command in commands:
            self._apply_command(command, completed.event_id, now, identity, outcome)
            if not self.running:
                break
        if self.running and (new_events_arrived or outcome.new_events):
            inline = return_new_task and bool(self.state.sticky_task_queue.name)
            self.schedule_workflow_task(now, dispatch=not inline)
            if inline:
                outcome.new_task = self.record_workflow_task_started(self.state.workflow_task.scheduled_event_id, identity, now)
        return outcome

    def _validate_commands(self, commands: list[common_pb2.Command]) -> None:
        new_activities = sum(1 for c in commands if c.command_type == common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)
        if len(self.activities) + new_activities > self.limits.max_pending_activities:
            raise FailedPrecondition(
                f"workflow task would leave {len(self.activities) + new_activities} pending activities; "
                f"the limit is {self.limits.max_pending_activities} per run. Schedule fewer at once "
                "(execute_activities_in_parallel caps this for you)"
            )
        closing = {
            common_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            common_pb2.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
            common_pb2.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
            common_pb2.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
        }
        for i, command in enumerate(commands):
            if command.command_type in closing and i != len(commands) - 1:
                raise InvalidArgument(
                    f"command {i} ({common_pb2.CommandType.Name(command.command_type)}) closes the workflow "
                    "but is not the last command"
                )
            if command.WhichOneof("attributes") is None:
                raise InvalidArgument(f"command {i} has no attributes")

    def _apply_command(self, command: common_pb2.Command, wft_completed_id: int, now: int, identity: str = "", outcome: WorkflowTaskOutcome | None = None) -> None:
        kind = command.command_type
        if kind == common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
            self._schedule_activity(command.schedule_activity_task, wft_completed_id, now, identity, outcome)
        elif kind == common_pb2.COMMAND_TYPE_START_TIMER:
            attrs = command.start_timer
            if attrs.timer_id in self.state.timers:
                raise InvalidArgument(f"timer id {attrs.timer_id!r} is already in use")
            event = self.add_event(
                common_pb2.EVENT_TYPE_TIMER_STARTED,
                "timer_started",
                common_pb2.TimerStartedEventAttributes(
                    timer_id=attrs.timer_id,
                    start_to_fire_timeout=attrs.start_to_fire_timeout,
                    workflow_task_completed_event_id=wft_completed_id,
                ),
                now,
            )
            fire_at = now + max(0, attrs.start_to_fire_timeout.ToNanoseconds())
            self.state.timers[attrs.timer_id].CopyFrom(
                persistence_pb2.TimerInfo(timer_id=attrs.timer_id, started_event_id=event.event_id, fire_time=ts(fire_at))
            )
            self.add_timer(fire_at, K.TIMER_TASK_KIND_USER_TIMER, event.event_id, timer_id=attrs.timer_id)
        elif kind == common_pb2.COMMAND_TYPE_CANCEL_TIMER:
            timer = self.state.timers.get(command.cancel_timer.timer_id)
            if timer is None:
                raise InvalidArgument(f"no running timer with id {command.cancel_timer.timer_id!r}")
            self.add_event(
                common_pb2.EVENT_TYPE_TIMER_CANCELED,
                "timer_canceled",
                common_pb2.TimerCanceledEventAttributes(
                    timer_id=timer.timer_id, started_event_id=timer.started_event_id, workflow_task_completed_event_id=wft_completed_id
                ),
                now,
            )
            del self.state.timers[timer.timer_id]
        elif kind == common_pb2.COMMAND_TYPE_RECORD_MARKER:
            attrs = command.record_marker
            event = self.add_event(
                common_pb2.EVENT_TYPE_MARKER_RECORDED,
                "marker_recorded",
                common_pb2.MarkerRecordedEventAttributes(
                    marker_name=attrs.marker_name, details=attrs.details, workflow_task_completed_event_id=wft_completed_id
                ),
                now,
            )
            if attrs.marker_name.startswith("fanflow."):
                self.mutation.markers.append(event.marker_recorded)
        elif kind == common_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
            attrs = common_pb2.WorkflowExecutionCompletedEventAttributes(result=command.complete_workflow_execution.result)
            self._close_with_event(common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED, "workflow_execution_completed", attrs, wft_completed_id, now)
        elif kind == common_pb2.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
            attrs = common_pb2.WorkflowExecutionFailedEventAttributes(failure=command.fail_workflow_execution.failure)
            self._close_with_event(common_pb2.WORKFLOW_EXECUTION_STATUS_FAILED, "workflow_execution_failed", attrs, wft_completed_id, now)
        elif kind == common_pb2.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
            self._continue_as_new(command.continue_as_new_workflow_execution, wft_completed_id, now)
        elif kind == common_pb2.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
            if not self.state.cancel_requested:
                raise InvalidArgument("CancelWorkflowExecution: nobody asked this run to cancel (use FailWorkflowExecution)")
            attrs = common_pb2.WorkflowExecutionCanceledEventAttributes(details=command.cancel_workflow_execution.details)
            self._close_with_event(common_pb2.WORKFLOW_EXECUTION_STATUS_CANCELED, "workflow_execution_canceled", attrs, wft_completed_id, now)
        elif kind == common_pb2.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
            if self._request_cancel_activity(command.request_cancel_activity_task.scheduled_event_id, wft_completed_id, now) and outcome is not None:
                outcome.new_events = True
        else:
            raise InvalidArgument(f"unknown command type {kind}")

    _CLOSE_EVENT = {
        common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED: common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        common_pb2.WORKFLOW_EXECUTION_STATUS_FAILED: common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        common_pb2.WORKFLOW_EXECUTION_STATUS_CANCELED: common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    }

    def _close_with_event(self, status: int, attr_field: str, attrs, wft_completed_id: int, now: int) -> None:
        """A closing command: its event (tied to the completing workflow task), then close."""
        attrs.workflow_task_completed_event_id = wft_completed_id
        event = self.add_event(self._CLOSE_EVENT[status], attr_field, attrs, now)
        self._close(status, event.event_id, now)

    def _schedule_activity(
        self,
        attrs: common_pb2.ScheduleActivityTaskCommandAttributes,
        wft_completed_id: int,
        now: int,
        identity: str = "",
        outcome: WorkflowTaskOutcome | None = None,
    ) -> None:
        if not attrs.activity_type.name:
            raise InvalidArgument("ScheduleActivityTask needs an activity type name")
        task_queue = common_pb2.TaskQueue(
            name=attrs.task_queue.name or self.state.task_queue.name, kind=common_pb2.TASK_QUEUE_KIND_NORMAL
        )
        start_to_close = attrs.start_to_close_timeout
        if not start_to_close.ToNanoseconds():
            limit = secs(attrs.schedule_to_close_timeout) or self.limits.default_activity_start_to_close_timeout
            start_to_close = dur(limit)
        event = self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            "activity_task_scheduled",
            common_pb2.ActivityTaskScheduledEventAttributes(
                activity_id=attrs.activity_id,
                activity_type=attrs.activity_type,
                task_queue=task_queue,
                input=attrs.input,
                schedule_to_close_timeout=attrs.schedule_to_close_timeout,
                schedule_to_start_timeout=attrs.schedule_to_start_timeout,
                start_to_close_timeout=start_to_close,
                heartbeat_timeout=attrs.heartbeat_timeout,
                retry_policy=attrs.retry_policy,
                workflow_task_completed_event_id=wft_completed_id,
                result_sink=attrs.result_sink if attrs.HasField("result_sink") else None,
            ),
            now,
        )
        info = persistence_pb2.ActivityInfo(
            scheduled_event_id=event.event_id,
            activity_id=attrs.activity_id,
            activity_type=attrs.activity_type.name,
            task_queue=task_queue,
            attempt=1,
            scheduled_time=ts(now),
            attempt_scheduled_time=ts(now),
            schedule_to_close_timeout=attrs.schedule_to_close_timeout,
            schedule_to_start_timeout=attrs.schedule_to_start_timeout,
            start_to_close_timeout=start_to_close,
            heartbeat_timeout=attrs.heartbeat_timeout,
            retry_policy=attrs.retry_policy,
            result_sink=attrs.result_sink if attrs.HasField("result_sink") else None,
        )
        self._put_activity(info)
        if outcome is not None and attrs.request_eager_execution and task_queue.name == self.state.task_queue.name:
            # Eager: the completing worker runs it; started now, no matching, no schedule-to-start.
            outcome.eager_activities.append((self.record_activity_task_started(event.event_id, 1, identity, now), event.activity_task_scheduled))
        else:
            self._add_activity_task(info, now)
        if info.schedule_to_close_timeout.ToNanoseconds():
            self.add_timer(now + info.schedule_to_close_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE, event.event_id, 1)

    def _put_activity(self, info: persistence_pb2.ActivityInfo) -> None:
        self.activities[info.scheduled_event_id] = info
        self.mutation.activity_upserts[info.scheduled_event_id] = info
        self.mutation.activity_deletes.discard(info.scheduled_event_id)
        self.state.pending_activity_count = len(self.activities)

    def _drop_activity(self, scheduled_event_id: int) -> None:
        self.activities.pop(scheduled_event_id, None)
        self.mutation.activity_upserts.pop(scheduled_event_id, None)
        self.mutation.activity_deletes.add(scheduled_event_id)
        self.state.pending_activity_count = len(self.activities)

    def _continue_as_new(self, attrs, wft_completed_id: int, now: int) -> None:
        new_run_id = str(uuid.uuid4())
        workflow_type = attrs.workflow_type if attrs.workflow_type.name else common_pb2.WorkflowType(name=self.state.workflow_type)
        task_queue = attrs.task_queue if attrs.task_queue.name else self.state.task_queue
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
            "workflow_execution_continued_as_new",
            common_pb2.WorkflowExecutionContinuedAsNewEventAttributes(
                new_execution_run_id=new_run_id,
                workflow_type=workflow_type,
                task_queue=task_queue,
                input=attrs.input,
                workflow_task_completed_event_id=wft_completed_id,
            ),
            now,
        )
        self.state.continued_as_new_run_id = new_run_id
        self._close(common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, event.event_id, now)
        request = workflow_service_pb2.StartWorkflowExecutionRequest(
            namespace=self.state.namespace,
            workflow_id=self.state.workflow_id,
            workflow_type=workflow_type,
            task_queue=common_pb2.TaskQueue(name=task_queue.name),
            input=attrs.input,
            workflow_run_timeout=attrs.workflow_run_timeout if attrs.workflow_run_timeout.ToNanoseconds() else self.state.workflow_run_timeout,
            workflow_task_timeout=attrs.workflow_task_timeout if attrs.workflow_task_timeout.ToNanoseconds() else self.state.workflow_task_timeout,
            request_id=self.state.request_id,
        )
        new_run = RunState.start(
            shard_id=self.shard_id,
            limits=self.limits,
            request=request,
            now=now,
            run_id=new_run_id,
            first_run_id=self.state.first_run_id,
            continued_from=self.state.run_id,
            sdk_state=attrs.sdk_state if attrs.HasField("sdk_state") else None,
        )
        self.mutation.new_runs.append(new_run)

    def fail_workflow_task(
        self,
        token: internal_pb2.TaskToken,
        cause: int,
        failure: common_pb2.Failure,
        identity: str,
        now: int,
    ) -> None:
        self._check_workflow_task_token(token)
        self._workflow_task_attempt_failed(
            now,
            lambda: self.add_event(
                common_pb2.EVENT_TYPE_WORKFLOW_TASK_FAILED,
                "workflow_task_failed",
                common_pb2.WorkflowTaskFailedEventAttributes(
                    scheduled_event_id=token.scheduled_event_id,
                    started_event_id=token.started_event_id,
                    cause=cause,
                    failure=failure,
                    identity=identity,
                ),
                now,
            ),
        )

    def _workflow_task_attempt_failed(self, now: int, write_event) -> None:
        """Failed or timed out: retry on the normal queue (the sticky cache may be
        the problem), with backoff after repeated failures so a bad deploy does
        not spin."""
        attempt = self.state.workflow_task.attempt
        write_event()
        self.state.workflow_task.Clear()
        self.state.events_since_wft_started = False
        self.state.ClearField("sticky_task_queue")
        self.state.failed_wft_attempts += 1
        if self.state.failed_wft_attempts <= 1:
            self.schedule_workflow_task(now, attempt=attempt + 1)
        else:
            delay = min(2.0 ** (self.state.failed_wft_attempts - 2), self.limits.max_workflow_task_retry_backoff)
            self.add_timer(now + int(delay * S), K.TIMER_TASK_KIND_WORKFLOW_TASK_RETRY, attempt=attempt + 1)

    def _workflow_task_timed_out(self, timeout_type: int, now: int) -> None:
        wft = self.state.workflow_task
        scheduled, started = wft.scheduled_event_id, wft.started_event_id
        self._workflow_task_attempt_failed(
            now,
            lambda: self.add_event(
                common_pb2.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
                "workflow_task_timed_out",
                common_pb2.WorkflowTaskTimedOutEventAttributes(
                    scheduled_event_id=scheduled, started_event_id=started, timeout_type=timeout_type
                ),
                now,
            ),
        )

    # ----------------------------------------------------------- activities
    def _activity_for_token(self, token: internal_pb2.TaskToken) -> persistence_pb2.ActivityInfo:
        self.require_running()
        info = self.activities.get(token.scheduled_event_id)
        if token.task_type != ACTIVITY_TASK or info is None or info.attempt != token.attempt or not info.started:
            raise NotFound(
                f"activity task (scheduled event {token.scheduled_event_id}, attempt {token.attempt}) is not running: "
                "it already completed, timed out and was retried, or the token is stale"
            )
        return info

    def record_activity_task_started(self, scheduled_event_id: int, attempt: int, identity: str, now: int) -> persistence_pb2.ActivityInfo:
        self.require_running()
        info = self.activities.get(scheduled_event_id)
        if info is None or info.attempt != attempt:
            raise NotFound(f"activity task {scheduled_event_id} attempt {attempt} is no longer pending")
        if info.started:
            raise NotFound(f"activity task {scheduled_event_id} attempt {attempt} was already started by {info.started_identity!r}")
        info.started = True
        info.started_identity = identity
        info.started_time.CopyFrom(ts(now))
        info.ClearField("last_heartbeat_time")
        self._put_activity(info)
        self.add_timer(now + info.start_to_close_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE, scheduled_event_id, attempt)
        if info.heartbeat_timeout.ToNanoseconds():
            self.add_timer(now + info.heartbeat_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT, scheduled_event_id, attempt)
        return info

    def _write_activity_started(self, info: persistence_pb2.ActivityInfo, now: int) -> int:
        event = self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            "activity_task_started",
            common_pb2.ActivityTaskStartedEventAttributes(
                scheduled_event_id=info.scheduled_event_id,
                identity=info.started_identity,
                attempt=info.attempt,
                last_failure=info.last_failure,
            ),
            now,
        )
        return event.event_id

    def complete_activity(self, token: internal_pb2.TaskToken, result: common_pb2.Payload, identity: str, now: int, sticky_task_queue: str = "") -> tuple[int, int] | None:
        """Record the result. An executor item's result goes beside history (the event keeps
        an empty one). If the run now needs a workflow task and its sticky queue is the
        completing worker's, start the task for that worker: returns (started, previous)."""
        info = self._activity_for_token(token)
        started_id = self._write_activity_started(info, now)
        if info.HasField("result_sink") and info.result_sink.executor_id:
            self.mutation.executor_results.append((info.result_sink.executor_id, info.result_sink.index, result))
            result = common_pb2.Payload()
        self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            "activity_task_completed",
            common_pb2.ActivityTaskCompletedEventAttributes(
                scheduled_event_id=info.scheduled_event_id, started_event_id=started_id, result=result, identity=identity
            ),
            now,
        )
        self._drop_activity(info.scheduled_event_id)
        wft = self.state.workflow_task
        if sticky_task_queue and not wft.scheduled_event_id and self.state.sticky_task_queue.name == sticky_task_queue:
            self.schedule_workflow_task(now, dispatch=False)
            return self.record_workflow_task_started(self.state.workflow_task.scheduled_event_id, identity, now)
        self._new_events_need_workflow_task(now)
        return None

    def fail_activity(
        self,
        token: internal_pb2.TaskToken,
        failure: common_pb2.Failure,
        last_heartbeat_details: common_pb2.Payload | None,
        identity: str,
        now: int,
    ) -> None:
        info = self._activity_for_token(token)
        if last_heartbeat_details is not None and last_heartbeat_details.ByteSize():
            info.heartbeat_details.CopyFrom(last_heartbeat_details)
        if info.result_sink.executor_id:
            self.mutation.executor_failed_attempts.append(info.result_sink.executor_id)
        self._attempt_failed(info, failure, common_pb2.TIMEOUT_TYPE_UNSPECIFIED, now)

    def _attempt_failed(self, info: persistence_pb2.ActivityInfo, failure: common_pb2.Failure, timeout_type: int, now: int) -> None:
        """Retry (no events, a backoff timer) or give up (Started + Failed/TimedOut)."""
        retry_state = retry.retry_state_after_failure(info.retry_policy, info.attempt, failure)
        if timeout_type in (common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_START, common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE):
            retry_state = common_pb2.RETRY_STATE_TIMEOUT
        delay = retry.backoff_seconds(info.retry_policy, info.attempt)
        deadline = info.schedule_to_close_timeout.ToNanoseconds()
        if retry_state == common_pb2.RETRY_STATE_IN_PROGRESS and deadline:
            if now + int(delay * S) >= info.scheduled_time.ToNanoseconds() + deadline:
                retry_state = common_pb2.RETRY_STATE_TIMEOUT
        if retry_state == common_pb2.RETRY_STATE_IN_PROGRESS:
            info.attempt += 1
            info.started = False
            info.started_identity = ""
            info.ClearField("started_time")
            info.last_failure.CopyFrom(failure)
            info.attempt_scheduled_time.CopyFrom(ts(now + int(delay * S)))
            self._put_activity(info)
            self.add_timer(now + int(delay * S), K.TIMER_TASK_KIND_ACTIVITY_RETRY, info.scheduled_event_id, info.attempt)
            return
        started_id = self._write_activity_started(info, now) if info.started else 0
        if timeout_type == common_pb2.TIMEOUT_TYPE_UNSPECIFIED:
            self.add_event(
                common_pb2.EVENT_TYPE_ACTIVITY_TASK_FAILED,
                "activity_task_failed",
                common_pb2.ActivityTaskFailedEventAttributes(
                    scheduled_event_id=info.scheduled_event_id,
                    started_event_id=started_id,
                    failure=failure,
                    retry_state=retry_state,
                    identity=info.started_identity,
                ),
                now,
            )
        else:
            self.add_event(
                common_pb2.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
                "activity_task_timed_out",
                common_pb2.ActivityTaskTimedOutEventAttributes(
                    scheduled_event_id=info.scheduled_event_id,
                    started_event_id=started_id,
                    failure=failure,
                    timeout_type=timeout_type,
                    retry_state=retry_state,
                ),
                now,
            )
        self._drop_activity(info.scheduled_event_id)
        self._new_events_need_workflow_task(now)

    def heartbeat(self, token: internal_pb2.TaskToken, details: common_pb2.Payload, now: int) -> bool:
        """Record the heartbeat; returns whether the workflow asked to cancel the activity."""
        info = self._activity_for_token(token)
        if details.ByteSize():
            info.heartbeat_details.CopyFrom(details)
        info.last_heartbeat_time.CopyFrom(ts(now))
        self._put_activity(info)
        return info.cancel_requested

    def _request_cancel_activity(self, scheduled_event_id: int, wft_completed_id: int, now: int) -> bool:
        """Returns True when the activity was cancelled at once (the workflow must hear it)."""
        info = self.activities.get(scheduled_event_id)
        if info is None:
            # Already finished: its result is on its way to the workflow (or was just recorded).
            return False
        self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
            "activity_task_cancel_requested",
            common_pb2.ActivityTaskCancelRequestedEventAttributes(scheduled_event_id=scheduled_event_id, workflow_task_completed_event_id=wft_completed_id),
            now,
        )
        if info.started:
            info.cancel_requested = True  # the worker hears it on its next heartbeat
            self._put_activity(info)
            return False
        self._write_activity_canceled(info, None, "", now, schedule_task=False)  # the completing task schedules the next
        return True

    def activity_canceled(self, token: internal_pb2.TaskToken, details: common_pb2.Payload | None, identity: str, now: int) -> None:
        """The worker stopped the activity because the workflow asked it to."""
        info = self._activity_for_token(token)
        if not info.cancel_requested:
            raise FailedPrecondition(
                f"activity {info.activity_id} (scheduled event {info.scheduled_event_id}) was not asked to cancel; "
                "report a failure (RespondActivityTaskFailed) or its result instead"
            )
        self._write_activity_canceled(info, details, identity, now)

    def _write_activity_canceled(self, info: persistence_pb2.ActivityInfo, details: common_pb2.Payload | None, identity: str, now: int, schedule_task: bool = True) -> None:
        started_id = self._write_activity_started(info, now) if info.started else 0
        self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
            "activity_task_canceled",
            common_pb2.ActivityTaskCanceledEventAttributes(
                scheduled_event_id=info.scheduled_event_id, started_event_id=started_id, details=details, identity=identity
            ),
            now,
        )
        self._drop_activity(info.scheduled_event_id)
        if schedule_task:
            self._new_events_need_workflow_task(now)

    # --------------------------------------------------------------- timers
    def timer_is_live(self, task: persistence_pb2.TimerTask) -> bool:
        """Would firing this timer change anything? Most never do (the activity or
        workflow task finished first); the shard just deletes those rows."""
        if not self.running:
            return False
        kind = task.kind
        wft = self.state.workflow_task
        if kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_START_TO_CLOSE:
            return wft.scheduled_event_id == task.event_id and bool(wft.started_event_id) and wft.attempt == task.attempt
        if kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START:
            return wft.scheduled_event_id == task.event_id and not wft.started_event_id
        if kind == K.TIMER_TASK_KIND_WORKFLOW_TASK_RETRY:
            return not wft.scheduled_event_id
        if kind == K.TIMER_TASK_KIND_USER_TIMER:
            timer = self.state.timers.get(task.timer_id)
            return timer is not None and timer.started_event_id == task.event_id
        if kind == K.TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT:
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
        elif kind == K.TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT:
            event = self.add_event(
                common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
                "workflow_execution_timed_out",
                common_pb2.WorkflowExecutionTimedOutEventAttributes(),
                now,
            )
            self._close(common_pb2.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, event.event_id, now)
        else:
            self._fire_activity_timer(task, now)

    def _fire_activity_timer(self, task: persistence_pb2.TimerTask, now: int) -> None:
        info = self.activities[task.event_id]
        kind = task.kind
        if kind == K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE:
            self._attempt_failed(info, _timeout_failure("schedule-to-close", info), common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_RETRY:
            self._add_activity_task(info, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START:
            self._attempt_failed(info, _timeout_failure("schedule-to-start", info), common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_START, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE:
            self._attempt_failed(info, _timeout_failure("start-to-close", info), common_pb2.TIMEOUT_TYPE_START_TO_CLOSE, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT:
            last = info.last_heartbeat_time if info.HasField("last_heartbeat_time") else info.started_time
            due = last.ToNanoseconds() + info.heartbeat_timeout.ToNanoseconds()
            if due <= now:
                self._attempt_failed(info, _timeout_failure("heartbeat", info), common_pb2.TIMEOUT_TYPE_HEARTBEAT, now)
            else:
                self.add_timer(due, K.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT, info.scheduled_event_id, info.attempt)

    # ------------------------------------------------------------- closing
    def _close(self, status: int, close_event_id: int, now: int) -> None:
        self.state.status = status
        self.state.close_time.CopyFrom(ts(now))
        self.state.close_event_id = close_event_id
        self.state.workflow_task.Clear()
        self.state.timers.clear()
        for scheduled_event_id in list(self.activities):
            self._drop_activity(scheduled_event_id)
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


def _timeout_failure(kind: str, info: persistence_pb2.ActivityInfo) -> common_pb2.Failure:
    return common_pb2.Failure(
        message=f"activity {info.activity_type} (id {info.activity_id}) attempt {info.attempt} timed out ({kind})",
        type="TimeoutError",
        source="server",
    )
