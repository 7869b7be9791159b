"""An in-memory stand-in for the history service, to drive ``WorkflowInstance`` end to end
without a server (used by tests/unit/worker_sdk/test_sdk_runtime.py).

``FakeHistory`` writes the events history would write (DESIGN.md, "History events of a
run"); ``drive`` plays worker + history: activate, turn the commands into events, run the
activities for real, fire the timers, start the next workflow task — and, at every step,
checks that replaying the full history into a fresh instance gives the same commands.
"""
from __future__ import annotations

import dataclasses
import inspect
import sys
from typing import Any, Callable

from fanflow import timeutil
from protos import common_pb2
from worker_sdk import converter
from worker_sdk import activity as activity_mod
from worker_sdk import workflow as workflow_mod
from worker_sdk._runtime import WorkflowInstance

E = common_pb2.EventType
CT = common_pb2.CommandType

_ATTR_FIELD = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: "workflow_execution_started",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "workflow_execution_completed",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "workflow_execution_failed",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "workflow_execution_continued_as_new",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "workflow_execution_signaled",
    E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: "workflow_task_scheduled",
    E.EVENT_TYPE_WORKFLOW_TASK_STARTED: "workflow_task_started",
    E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "workflow_task_completed",
    E.EVENT_TYPE_WORKFLOW_TASK_FAILED: "workflow_task_failed",
    E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: "workflow_task_timed_out",
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity_task_scheduled",
    E.EVENT_TYPE_ACTIVITY_TASK_STARTED: "activity_task_started",
    E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed",
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed",
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out",
    E.EVENT_TYPE_TIMER_STARTED: "timer_started",
    E.EVENT_TYPE_TIMER_FIRED: "timer_fired",
    E.EVENT_TYPE_TIMER_CANCELED: "timer_canceled",
    E.EVENT_TYPE_MARKER_RECORDED: "marker_recorded",
}

START_TIME = 1_700_000_000.0


class FakeHistory:
    def __init__(
        self,
        workflow_type: str,
        input: common_pb2.Payload,
        *,
        task_queue: str = "tq",
        start_time: float = START_TIME,
        step: float = 0.25,
    ) -> None:
        self.events: list[common_pb2.HistoryEvent] = []
        self.workflow_type = workflow_type
        self.now = start_time
        self.step = step
        self.task_queue = task_queue
        self.pending_activities: dict[int, common_pb2.ActivityTaskScheduledEventAttributes] = {}
        self.pending_timers: dict[str, int] = {}  # timer id -> TimerStarted event id
        self.started_id = 0
        self.scheduled_id = 0
        self.close_event: common_pb2.HistoryEvent | None = None
        self.new_results = False  # something a new workflow task must see arrived
        self.add(
            E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
            common_pb2.WorkflowExecutionStartedEventAttributes(
                workflow_type=common_pb2.WorkflowType(name=workflow_type),
                task_queue=common_pb2.TaskQueue(name=task_queue),
                input=input,
                attempt=1,
            ),
        )
        self.start_task()

    # ----------------------------------------------------------- writing

    def add(self, event_type: int, attrs: Any = None) -> common_pb2.HistoryEvent:
        self.now += self.step
        ev = common_pb2.HistoryEvent(
            event_id=len(self.events) + 1, event_time=timeutil.ts_from_seconds(self.now), event_type=event_type
        )
        if attrs is not None:
            getattr(ev, _ATTR_FIELD[event_type]).CopyFrom(attrs)
        self.events.append(ev)
        return ev

    def start_task(self, *, suggest_continue_as_new: bool = False, suggest_events: int = 0, suggest_bytes: int = 0) -> int:
        """suggest_events / suggest_bytes: history's thresholds, recorded on the started event
        (0: not recorded, as in histories written before)."""
        self.new_results = False
        self.scheduled_id = self.add(
            E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            common_pb2.WorkflowTaskScheduledEventAttributes(task_queue=common_pb2.TaskQueue(name=self.task_queue)),
        ).event_id
        self.started_id = self.add(
            E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            common_pb2.WorkflowTaskStartedEventAttributes(
                scheduled_event_id=self.scheduled_id, suggest_continue_as_new=suggest_continue_as_new,
                suggest_continue_as_new_events=suggest_events, suggest_continue_as_new_bytes=suggest_bytes,
            ),
        ).event_id
        return self.started_id

    def fail_task(self) -> None:
        self.add(
            E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            common_pb2.WorkflowTaskFailedEventAttributes(
                scheduled_event_id=self.scheduled_id, started_event_id=self.started_id
            ),
        )

    def time_out_task(self) -> None:
        self.add(
            E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
            common_pb2.WorkflowTaskTimedOutEventAttributes(
                scheduled_event_id=self.scheduled_id,
                started_event_id=self.started_id,
                timeout_type=common_pb2.TIMEOUT_TYPE_START_TO_CLOSE,
            ),
        )

    def complete_task(self, commands: list[common_pb2.Command]) -> None:
        completed = self.add(
            E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            common_pb2.WorkflowTaskCompletedEventAttributes(
                scheduled_event_id=self.scheduled_id, started_event_id=self.started_id
            ),
        ).event_id
        for cmd in commands:
            t = cmd.command_type
            if t == CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
                c = cmd.schedule_activity_task
                attrs = common_pb2.ActivityTaskScheduledEventAttributes(
                    activity_id=c.activity_id,
                    activity_type=c.activity_type,
                    task_queue=c.task_queue if c.task_queue.name else common_pb2.TaskQueue(name=self.task_queue),
                    input=c.input,
                    schedule_to_close_timeout=c.schedule_to_close_timeout,
                    schedule_to_start_timeout=c.schedule_to_start_timeout,
                    start_to_close_timeout=c.start_to_close_timeout,
                    heartbeat_timeout=c.heartbeat_timeout,
                    retry_policy=c.retry_policy,
                    workflow_task_completed_event_id=completed,
                )
                ev = self.add(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, attrs)
                self.pending_activities[ev.event_id] = attrs
            elif t == CT.COMMAND_TYPE_START_TIMER:
                c = cmd.start_timer
                ev = self.add(
                    E.EVENT_TYPE_TIMER_STARTED,
                    common_pb2.TimerStartedEventAttributes(
                        timer_id=c.timer_id,
                        start_to_fire_timeout=c.start_to_fire_timeout,
                        workflow_task_completed_event_id=completed,
                    ),
                )
                self.pending_timers[c.timer_id] = ev.event_id
            elif t == CT.COMMAND_TYPE_CANCEL_TIMER:
                timer_id = cmd.cancel_timer.timer_id
                started = self.pending_timers.pop(timer_id, 0)
                self.add(
                    E.EVENT_TYPE_TIMER_CANCELED,
                    common_pb2.TimerCanceledEventAttributes(
                        timer_id=timer_id, started_event_id=started, workflow_task_completed_event_id=completed
                    ),
                )
            elif t == CT.COMMAND_TYPE_RECORD_MARKER:
                c = cmd.record_marker
                self.add(
                    E.EVENT_TYPE_MARKER_RECORDED,
                    common_pb2.MarkerRecordedEventAttributes(
                        marker_name=c.marker_name, details=c.details, workflow_task_completed_event_id=completed
                    ),
                )
            elif t == CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
                self.close_event = self.add(
                    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
                    common_pb2.WorkflowExecutionCompletedEventAttributes(
                        result=cmd.complete_workflow_execution.result, workflow_task_completed_event_id=completed
                    ),
                )
            elif t == CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
                self.close_event = self.add(
                    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
                    common_pb2.WorkflowExecutionFailedEventAttributes(
                        failure=cmd.fail_workflow_execution.failure, workflow_task_completed_event_id=completed
                    ),
                )
            elif t == CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
                c = cmd.continue_as_new_workflow_execution
                self.close_event = self.add(
                    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
                    common_pb2.WorkflowExecutionContinuedAsNewEventAttributes(
                        new_execution_run_id="run-next",
                        workflow_type=c.workflow_type,
                        task_queue=c.task_queue,
                        input=c.input,
                        workflow_task_completed_event_id=completed,
                    ),
                )
            else:  # pragma: no cover
                raise AssertionError(f"unknown command {cmd}")

    def complete_activity(self, scheduled_id: int, result: common_pb2.Payload) -> None:
        self.pending_activities.pop(scheduled_id)
        started = self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            common_pb2.ActivityTaskStartedEventAttributes(scheduled_event_id=scheduled_id, attempt=1),
        ).event_id
        self.new_results = True
        self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            common_pb2.ActivityTaskCompletedEventAttributes(
                scheduled_event_id=scheduled_id, started_event_id=started, result=result
            ),
        )

    def fail_activity(self, scheduled_id: int, failure: common_pb2.Failure) -> None:
        self.pending_activities.pop(scheduled_id)
        started = self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            common_pb2.ActivityTaskStartedEventAttributes(scheduled_event_id=scheduled_id, attempt=1),
        ).event_id
        self.new_results = True
        self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            common_pb2.ActivityTaskFailedEventAttributes(
                scheduled_event_id=scheduled_id,
                started_event_id=started,
                failure=failure,
                retry_state=common_pb2.RETRY_STATE_NON_RETRYABLE_FAILURE,
            ),
        )

    def time_out_activity(self, scheduled_id: int) -> None:
        self.pending_activities.pop(scheduled_id)
        started = self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            common_pb2.ActivityTaskStartedEventAttributes(scheduled_event_id=scheduled_id, attempt=1),
        ).event_id
        self.new_results = True
        self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
            common_pb2.ActivityTaskTimedOutEventAttributes(
                scheduled_event_id=scheduled_id,
                started_event_id=started,
                timeout_type=common_pb2.TIMEOUT_TYPE_START_TO_CLOSE,
                retry_state=common_pb2.RETRY_STATE_TIMEOUT,
            ),
        )

    def fire_timer(self, timer_id: str) -> None:
        started = self.pending_timers.pop(timer_id)
        self.new_results = True
        self.add(E.EVENT_TYPE_TIMER_FIRED, common_pb2.TimerFiredEventAttributes(timer_id=timer_id, started_event_id=started))

    def signal(self, name: str, value: Any) -> None:
        self.new_results = True
        self.add(
            E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
            common_pb2.WorkflowExecutionSignaledEventAttributes(signal_name=name, input=converter.to_payload(value)),
        )

    # ------------------------------------------------------------ worker

    def activity(self, name: str) -> activity_mod.ActivityDefinition:
        """The activity `name` as a worker given the workflow module's activities runs it: the one
        that module defines or imports, else the one registered under that name. Other test
        modules register activities under the same names (the seed's examples all call theirs
        `process_item`), and the registry keeps whichever was imported last."""
        try:
            module = sys.modules.get(workflow_mod.get_workflow(self.workflow_type).cls.__module__)
        except Exception:  # noqa: BLE001 - a workflow type nobody defined: the registry decides
            module = None
        for value in vars(module).values() if module is not None else ():
            defn = getattr(value, "__fanflow_activity__", None)
            if isinstance(defn, activity_mod.ActivityDefinition) and defn.name == name:
                return defn
        return activity_mod.get_activity(name)

    async def run_activity(self, scheduled_id: int) -> None:
        """Run a pending activity's real function (as a worker would) and record the outcome."""
        attrs = self.pending_activities[scheduled_id]
        defn = self.activity(attrs.activity_type.name)
        args, kwargs = converter.decode_args(defn.fn, attrs.input)
        try:
            result = defn.fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            self.fail_activity(scheduled_id, converter.failure_from_exception(exc, source="activity"))
        else:
            self.complete_activity(scheduled_id, converter.to_payload(result))


def cmd_bytes(commands: list[common_pb2.Command]) -> list[bytes]:
    return [c.SerializeToString(deterministic=True) for c in commands]


@dataclasses.dataclass
class Run:
    history: FakeHistory
    instance: WorkflowInstance
    commands: list[list[common_pb2.Command]]  # per workflow task

    @property
    def close_event(self) -> common_pb2.HistoryEvent:
        assert self.history.close_event is not None, "the workflow did not close"
        return self.history.close_event

    def result(self, type_hint: Any = Any) -> Any:
        ev = self.close_event
        assert ev.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, ev
        return converter.from_payload(ev.workflow_execution_completed.result, type_hint)

    @property
    def failure(self) -> common_pb2.Failure:
        ev = self.close_event
        assert ev.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, ev
        return ev.workflow_execution_failed.failure


def new_instance(defn: Any, *, run_id: str = "run-1") -> WorkflowInstance:
    return WorkflowInstance(workflow_mod.get_definition(defn), workflow_id="wf-1", run_id=run_id, task_queue="tq")


async def drive(
    workflow: Any,
    *args: Any,
    sticky: bool = True,
    check_replay: bool = True,
    per_task: int | None = None,
    reverse: bool = False,
    during_task: int = 0,
    max_tasks: int = 10_000,
    between_tasks: Callable[[FakeHistory], None] | None = None,
    **kwargs: Any,
) -> Run:
    """Run ``workflow`` to completion against a FakeHistory.

    per_task: complete at most this many activities between workflow tasks (None = all);
    reverse: complete them newest first; during_task: complete this many activities while
    the workflow task is running (between WorkflowTaskStarted and WorkflowTaskCompleted);
    sticky=False: a fresh instance replays the full history at every task.
    """
    defn = workflow_mod.get_definition(workflow)
    history = FakeHistory(defn.name, defn.encode_input(*args, **kwargs))
    instance = new_instance(defn)
    seen = 0
    all_commands: list[list[common_pb2.Command]] = []
    for _ in range(max_tasks):
        if sticky:
            commands = instance.activate(history.events[seen:])
        else:
            instance = new_instance(defn)
            commands = instance.activate(history.events)
        seen = len(history.events)
        if check_replay:
            replayed = new_instance(defn).activate(history.events)
            assert cmd_bytes(replayed) == cmd_bytes(commands), "full replay and incremental run disagree"
        all_commands.append(commands)
        # Results that arrive while the workflow task is running.
        for sid in list(history.pending_activities)[:during_task]:
            await history.run_activity(sid)
        history.complete_task(commands)
        if history.close_event is not None:
            return Run(history, instance, all_commands)
        if not (history.pending_activities or history.pending_timers or history.new_results or between_tasks):
            raise AssertionError("the workflow is blocked on nothing history can resolve")
        ids = list(history.pending_activities)
        if reverse:
            ids.reverse()
        if per_task is not None:
            ids = ids[:per_task]
        for sid in ids:
            await history.run_activity(sid)
        for timer_id in list(history.pending_timers):
            history.fire_timer(timer_id)
        if between_tasks is not None:
            between_tasks(history)
        history.start_task()
    raise AssertionError("the workflow did not finish")
