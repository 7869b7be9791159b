"""Part of RunState (history/run_state.py): the commands of a completed workflow task.

Commands are checked as a whole first (closing commands last, the pending-activity
and open-children limits), then applied in order, each writing its event right after
the task's WorkflowTaskCompleted: schedule an activity (started at once for the
completing worker when it asked for that), start or cancel a timer, record a marker, ask
to cancel an activity, start a child workflow or ask one to cancel (child_workflows.py),
or close the run (complete, fail, cancel, continue as new).
"""
from __future__ import annotations

import uuid

from fanflow.errors import FailedPrecondition, InvalidArgument
from fanflow.protocol import CLOSING_COMMANDS
from fanflow.timeutil import duration, seconds, ts_from_ns
from history.search_attributes import SearchAttributes
from history import activity_routing
from history.updates import Updates
from history.child_workflows import ChildWorkflows
from history.workflow_tasks import WorkflowTaskOutcome
from protos import common_pb2, persistence_pb2, workflow_service_pb2

K = persistence_pb2  # timer kinds live here
SDK_MARKER_PREFIX = "fanflow."  # markers whose side effects history stores (history/sdk_markers.py)


CT = common_pb2  # command types live here


class Commands:
    """RunState's command handling (see history/run_state.py for the state it uses)."""

    def _validate_commands(self, commands: list[common_pb2.Command]) -> None:
        self._validate_child_commands(commands)
        new_activities = sum(1 for c in commands if c.command_type == CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)
        if len(self.activities) + new_activities > self.limits.max_pending_activities:
            raise FailedPrecondition(
                f"workflow task would leave {len(self.activities) + new_activities} pending activities; "
                f"the limit is {self.limits.max_pending_activities} per run. Schedule fewer at once "
                "(execute_activities_in_parallel caps this for you)"
            )
        for i, command in enumerate(commands):
            if command.command_type in CLOSING_COMMANDS and i != len(commands) - 1:
                raise InvalidArgument(
                    f"command {i} ({common_pb2.CommandType.Name(command.command_type)}) closes the workflow "
                    "but is not the last command"
                )
            if command.WhichOneof("attributes") is None:
                raise InvalidArgument(f"command {i} has no attributes")

    def _apply_command(self, command: common_pb2.Command, wft_completed_id: int, now: int, identity: str = "", outcome: WorkflowTaskOutcome | None = None) -> None:
        apply = _HANDLERS.get(command.command_type)
        if apply is None:
            raise InvalidArgument(f"unknown command type {command.command_type}")
        apply(self, command, wft_completed_id, now, identity, outcome)

    # One method per command type: (command, id of the WorkflowTaskCompleted event, now, worker identity, outcome).
    def _schedule_activity_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        self._schedule_activity(command.schedule_activity_task, wft_completed_id, now, identity, outcome)

    def _start_timer(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = command.start_timer
        if not attrs.timer_id:
            raise InvalidArgument("StartTimer needs a timer_id (the SDK numbers its timers)")
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
            persistence_pb2.TimerInfo(timer_id=attrs.timer_id, started_event_id=event.event_id, fire_time=ts_from_ns(fire_at))
        )
        self.add_timer(fire_at, K.TIMER_TASK_KIND_USER_TIMER, event.event_id, timer_id=attrs.timer_id)

    def _cancel_timer(self, command, wft_completed_id, now, identity, outcome) -> None:
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

    def _record_marker(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = command.record_marker
        event = self.add_event(
            common_pb2.EVENT_TYPE_MARKER_RECORDED,
            "marker_recorded",
            common_pb2.MarkerRecordedEventAttributes(
                marker_name=attrs.marker_name, details=attrs.details, workflow_task_completed_event_id=wft_completed_id
            ),
            now,
        )
        if attrs.marker_name.startswith(SDK_MARKER_PREFIX):
            self.mutation.markers.append(event.marker_recorded)

    def _complete_workflow(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = common_pb2.WorkflowExecutionCompletedEventAttributes(result=command.complete_workflow_execution.result)
        self._close_with_event(common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED, "workflow_execution_completed", attrs, wft_completed_id, now)

    def _fail_workflow(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = common_pb2.WorkflowExecutionFailedEventAttributes(failure=command.fail_workflow_execution.failure)
        self._close_with_event(common_pb2.WORKFLOW_EXECUTION_STATUS_FAILED, "workflow_execution_failed", attrs, wft_completed_id, now)

    def _continue_as_new_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        self._continue_as_new(command.continue_as_new_workflow_execution, wft_completed_id, now)

    def _cancel_workflow(self, command, wft_completed_id, now, identity, outcome) -> None:
        if not self.state.cancel_requested:
            raise InvalidArgument("CancelWorkflowExecution: nobody asked this run to cancel (use FailWorkflowExecution)")
        attrs = common_pb2.WorkflowExecutionCanceledEventAttributes(details=command.cancel_workflow_execution.details)
        self._close_with_event(common_pb2.WORKFLOW_EXECUTION_STATUS_CANCELED, "workflow_execution_canceled", attrs, wft_completed_id, now)

    def _request_cancel_activity_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        if self._request_cancel_activity(command.request_cancel_activity_task.scheduled_event_id, wft_completed_id, now) and outcome is not None:
            outcome.new_events = True

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
        _check_schedule_activity(attrs)
        task_queue = activity_routing.schedule_task_queue(attrs, self.state.task_queue.name)  # sessions, rate limits
        start_to_close = attrs.start_to_close_timeout
        if not start_to_close.ToNanoseconds():
            limit = seconds(attrs.schedule_to_close_timeout) or self.limits.default_activity_start_to_close_timeout
            start_to_close = duration(limit)
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
                rate_limit=attrs.rate_limit if attrs.HasField("rate_limit") else None,
            ),
            now,
        )
        info = persistence_pb2.ActivityInfo(
            scheduled_event_id=event.event_id,
            activity_id=attrs.activity_id,
            activity_type=attrs.activity_type.name,
            task_queue=task_queue,
            attempt=1,
            scheduled_time=ts_from_ns(now),
            attempt_scheduled_time=ts_from_ns(now),
            schedule_to_close_timeout=attrs.schedule_to_close_timeout,
            schedule_to_start_timeout=attrs.schedule_to_start_timeout,
            start_to_close_timeout=start_to_close,
            heartbeat_timeout=attrs.heartbeat_timeout,
            retry_policy=attrs.retry_policy,
            result_sink=attrs.result_sink if attrs.HasField("result_sink") else None,
            rate_limit=attrs.rate_limit if attrs.HasField("rate_limit") else None,
        )
        self._put_activity(info)
        self.scheduled[event.event_id] = event.activity_task_scheduled
        if outcome is not None and attrs.request_eager_execution and task_queue.name == self.state.task_queue.name:
            # Eager: the completing worker runs it; started now, no matching, no schedule-to-start.
            outcome.eager_activities.append((self.record_activity_task_started(event.event_id, 1, identity, now), event.activity_task_scheduled))
        else:
            self._add_activity_task(info, now)
        if info.schedule_to_close_timeout.ToNanoseconds():
            self.add_timer(now + info.schedule_to_close_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE, event.event_id, 1)


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
            metadata=self.state.metadata,
            search_keys=self.state.search_keys,  # search keys: carried over
            parent=self.state.parent if self.state.HasField("parent") else None,  # a child stays its parent's child
        )
        new_run = type(self).start(
            shard_id=self.shard_id,
            limits=self.limits,
            request=request,
            now=now,
            run_id=new_run_id,
            first_run_id=self.state.first_run_id,
            continued_from=self.state.run_id,
            sdk_state=attrs.sdk_state if attrs.HasField("sdk_state") else None,
            execution_expiration_ns=self.state.execution_expiration_time.ToNanoseconds() if self.state.HasField("execution_expiration_time") else 0,
        )
        self.mutation.new_runs.append(new_run)


_HANDLERS = {
    CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: Commands._schedule_activity_command,
    CT.COMMAND_TYPE_START_TIMER: Commands._start_timer,
    CT.COMMAND_TYPE_CANCEL_TIMER: Commands._cancel_timer,
    CT.COMMAND_TYPE_RECORD_MARKER: Commands._record_marker,
    CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: Commands._complete_workflow,
    CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: Commands._fail_workflow,
    CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: Commands._continue_as_new_command,
    CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: Commands._cancel_workflow,
    CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: Commands._request_cancel_activity_command,
    CT.COMMAND_TYPE_COMPLETE_WORKFLOW_UPDATE: Updates._complete_update_command,
    CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS: SearchAttributes._upsert_search_keys_command,
    CT.COMMAND_TYPE_DELETE_SEARCH_KEYS: SearchAttributes._delete_search_keys_command,
    # child workflows (history/child_workflows.py)
    CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: ChildWorkflows._start_child_command,
    CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: ChildWorkflows._request_cancel_external_command,
}


_ACTIVITY_TIMEOUTS = ("schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout")
MAX_NAME_LENGTH = 1_000  # as the frontend's limit on ids and type names


def _check_schedule_activity(attrs: common_pb2.ScheduleActivityTaskCommandAttributes) -> None:
    """What an activity must have before history writes it (Temporal's rules): an id, a type
    name, timeouts that are not negative, a retry policy that can be followed. Found by
    fuzzing (fuzz/run_state.py): these were written as given, and a negative timeout or
    interval put the activity's timers in the past."""
    if not attrs.activity_id:
        raise InvalidArgument("ScheduleActivityTask needs an activity_id")
    if not attrs.activity_type.name:
        raise InvalidArgument("ScheduleActivityTask needs an activity type name")
    if len(attrs.activity_type.name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"ScheduleActivityTask activity_type.name is {len(attrs.activity_type.name):,} characters long; the limit is {MAX_NAME_LENGTH:,}")
    for name in _ACTIVITY_TIMEOUTS:
        value = getattr(attrs, name)
        if value.seconds < 0 or value.nanos < 0:
            raise InvalidArgument(f"ScheduleActivityTask {name} is negative ({value.seconds}s {value.nanos}ns) for activity {attrs.activity_id!r}")
    policy = attrs.retry_policy
    for name in ("initial_interval", "maximum_interval"):
        value = getattr(policy, name)
        if value.seconds < 0 or value.nanos < 0:
            raise InvalidArgument(f"ScheduleActivityTask retry_policy.{name} is negative ({value.seconds}s {value.nanos}ns) for activity {attrs.activity_id!r}")
    coefficient = policy.backoff_coefficient
    if coefficient != 0 and not (coefficient >= 1.0 and coefficient != float("inf")):
        raise InvalidArgument(f"ScheduleActivityTask retry_policy.backoff_coefficient is {coefficient}; it must be at least 1 (0 = the default, 2)")
    if policy.maximum_attempts < 0:
        raise InvalidArgument(f"ScheduleActivityTask retry_policy.maximum_attempts is {policy.maximum_attempts}; it must be 0 (unlimited) or more")
