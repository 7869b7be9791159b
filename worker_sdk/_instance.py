"""``WorkflowInstance``: one workflow run's code, driven by history events.

    inst = WorkflowInstance(definition, workflow_id=..., run_id=..., task_queue=...)
    commands = inst.activate(events)      # first call: the full history from event 1
    commands = inst.activate(new_events)  # later calls: only the events after those seen

Both calls go through the same code, so replaying a full history into a fresh instance
produces exactly the commands an incremental (cached) instance produced.

Algorithm (DESIGN.md, "The worker's replay loop"): events are applied in order.

* WorkflowExecutionStarted creates the main task (decode input, construct the class, await
  the entrypoint); it runs at the first activation.
* Activity / timer results resolve the future of the activity (by scheduled_event_id) or
  timer (by timer_id); signals are stored in ``signals``.
* A WorkflowTaskStarted that history closed with WorkflowTaskCompleted, or that is the last
  event (the task being worked on), is an *activation*: the loop runs until every task is
  blocked. One closed with WorkflowTaskFailed / TimedOut is skipped (it produced nothing).
* Command events (ActivityTaskScheduled, TimerStarted, TimerCanceled, MarkerRecorded,
  WorkflowExecutionCompleted / Failed / ContinuedAsNew) are matched in order against the
  commands earlier activations produced; any disagreement raises ``NonDeterminismError``.
* The commands of the last activation are returned.

What fails what (as in Temporal's Python SDK):

* the entrypoint returns → CompleteWorkflowExecution;
* it raises a ``FailureError`` (``ApplicationError``, ``ActivityError``, ...) or is cancelled →
  FailWorkflowExecution; invalid workflow input also fails the workflow (retrying the task
  cannot fix the input);
* ``workflow.continue_as_new`` → ContinueAsNewWorkflowExecution;
* any other exception (``NameError``, ``KeyError``, a ``ValidationError`` decoding an activity
  result, ``NonDeterminismError``, a forbidden event-loop call ...) is a bug: ``activate``
  re-raises it, the worker fails the workflow *task*, and it is retried (after a fix it
  goes through). After ``activate`` raised, the instance is unusable
  (``StaleWorkflowInstanceError``): evict it.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import hashlib
import random as _random_module
import uuid
from typing import TYPE_CHECKING, Any, Sequence

import structlog

from fanflow import timeutil
from protos import common_pb2

from . import child_workflows as _children
from . import converter, patching, rate_limits, search_keys, sticky_sessions
from ._executor_host import ExecutorHost, HistorySize
from ._loop import WorkflowEventLoop
from .activity_context import runs_locally
from .exceptions import (
    ApplicationError,
    ContinueAsNewError,
    FailureError,
    NonDeterminismError,
    StaleWorkflowInstanceError,
)
from .workflow_context import WorkflowInfo

log = structlog.get_logger("fanflow.sdk.workflow")

if TYPE_CHECKING:  # pragma: no cover
    from .activity import ActivityDefinition
    from .workflow import WorkflowDefinition

E = common_pb2.EventType
CT = common_pb2.CommandType

_WT_CLOSING = {
    E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "workflow_task_completed",
    E.EVENT_TYPE_WORKFLOW_TASK_FAILED: "workflow_task_failed",
    E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: "workflow_task_timed_out",
}

# History event written for each command type.
_COMMAND_EVENT = {
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    E.EVENT_TYPE_TIMER_STARTED: CT.COMMAND_TYPE_START_TIMER,
    E.EVENT_TYPE_TIMER_CANCELED: CT.COMMAND_TYPE_CANCEL_TIMER,
    E.EVENT_TYPE_MARKER_RECORDED: CT.COMMAND_TYPE_RECORD_MARKER,
    E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: CT.COMMAND_TYPE_COMPLETE_WORKFLOW_UPDATE,
    **{t: command_type for t, (_, command_type) in search_keys.SEARCH_KEY_EVENTS.items()},
    **_children.COMMAND_EVENTS,  # child workflows: start one, ask one to cancel
}


def _camel(enum_name: str, prefix: str) -> str:
    return "".join(w.capitalize() for w in enum_name[len(prefix) :].split("_"))


def event_type_name(t: int) -> str:
    try:
        return _camel(E.Name(t), "EVENT_TYPE_")
    except ValueError:
        return f"EventType({t})"


def command_type_name(t: int) -> str:
    try:
        return _camel(CT.Name(t), "COMMAND_TYPE_")
    except ValueError:
        return f"CommandType({t})"


def describe_command(cmd: common_pb2.Command) -> str:
    t = cmd.command_type
    name = command_type_name(t)
    if t == CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        a = cmd.schedule_activity_task
        return f"{name}(activity_type={a.activity_type.name!r}, activity_id={a.activity_id!r})"
    if t == CT.COMMAND_TYPE_START_TIMER:
        return f"{name}(timer_id={cmd.start_timer.timer_id!r}, seconds={timeutil.seconds(cmd.start_timer.start_to_fire_timeout):g})"
    if t == CT.COMMAND_TYPE_CANCEL_TIMER:
        return f"{name}(timer_id={cmd.cancel_timer.timer_id!r})"
    if t == CT.COMMAND_TYPE_RECORD_MARKER:
        patch = patching.of_command(cmd)
        if patch is not None:
            return f"{name}({patching.PATCH_MARKER}: {patch.describe()})"
        return f"{name}(marker_name={cmd.record_marker.marker_name!r})"
    if t == CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        return f"{name}(scheduled_event_id={cmd.request_cancel_activity_task.scheduled_event_id})"
    if t == CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        return f"{name}(failure={converter.describe_failure(cmd.fail_workflow_execution.failure)!r})"
    if t == CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        return f"{name}(workflow_type={cmd.continue_as_new_workflow_execution.workflow_type.name!r})"
    if t in _children.COMMAND_EVENTS.values():
        return _children.describe(_children.command_key(cmd), name)
    return name


def describe_event(ev: common_pb2.HistoryEvent) -> str:
    t = ev.event_type
    name = event_type_name(t)
    if t == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        a = ev.activity_task_scheduled
        return f"{name}(activity_type={a.activity_type.name!r}, activity_id={a.activity_id!r})"
    if t == E.EVENT_TYPE_TIMER_STARTED:
        return f"{name}(timer_id={ev.timer_started.timer_id!r})"
    if t == E.EVENT_TYPE_TIMER_CANCELED:
        return f"{name}(timer_id={ev.timer_canceled.timer_id!r})"
    if t == E.EVENT_TYPE_MARKER_RECORDED:
        patch = patching.of_event(ev)
        if patch is not None:
            return f"{name}({patching.PATCH_MARKER}: {patch.describe()})"
        return f"{name}(marker_name={ev.marker_recorded.marker_name!r})"
    if t == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return f"{name}(workflow_type={ev.workflow_execution_continued_as_new.workflow_type.name!r})"
    if t in _children.COMMAND_EVENTS:
        return _children.describe(_children.event_key(ev), name)
    return name


def _command_key(cmd: common_pb2.Command) -> tuple:
    t = cmd.command_type
    if t == CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        a = cmd.schedule_activity_task
        return (t, a.activity_type.name, a.activity_id)
    if t == CT.COMMAND_TYPE_START_TIMER:
        return (t, cmd.start_timer.timer_id)
    if t == CT.COMMAND_TYPE_CANCEL_TIMER:
        return (t, cmd.cancel_timer.timer_id)
    if t == CT.COMMAND_TYPE_RECORD_MARKER:
        patch = patching.of_command(cmd)  # a patch marker matches its own id only
        return (t, cmd.record_marker.marker_name) + ((patch.patch_id,) if patch else ())
    if t == CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        return (t, cmd.request_cancel_activity_task.scheduled_event_id)
    if t == CT.COMMAND_TYPE_COMPLETE_WORKFLOW_UPDATE:
        return (t, cmd.complete_workflow_update.update_id)
    if t in (CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS, CT.COMMAND_TYPE_DELETE_SEARCH_KEYS):
        return search_keys.command_key(cmd)
    if t in _children.COMMAND_EVENTS.values():
        return _children.command_key(cmd)
    return (t,)


def _event_key(ev: common_pb2.HistoryEvent) -> tuple:
    t = ev.event_type
    ct = _COMMAND_EVENT[t]
    if t == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        a = ev.activity_task_scheduled
        return (ct, a.activity_type.name, a.activity_id)
    if t == E.EVENT_TYPE_TIMER_STARTED:
        return (ct, ev.timer_started.timer_id)
    if t == E.EVENT_TYPE_TIMER_CANCELED:
        return (ct, ev.timer_canceled.timer_id)
    if t == E.EVENT_TYPE_MARKER_RECORDED:
        patch = patching.of_event(ev)
        return (ct, ev.marker_recorded.marker_name) + ((patch.patch_id,) if patch else ())
    if t == E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
        return (ct, ev.activity_task_cancel_requested.scheduled_event_id)
    if t == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
        return (ct, ev.workflow_execution_update_completed.update_id)
    if t in search_keys.SEARCH_KEY_EVENTS:
        return search_keys.event_key(ev)
    if t in _children.COMMAND_EVENTS:
        return _children.event_key(ev)
    return (ct,)


def _patch_id(cmd: common_pb2.Command) -> str | None:
    patch = patching.of_command(cmd)
    return None if patch is None else patch.patch_id


def _is_deprecated_patch(cmd: common_pb2.Command) -> bool:
    patch = patching.of_command(cmd)
    return patch is not None and patch.deprecated


@dataclasses.dataclass(slots=True)
class _PendingCommand:
    command: common_pb2.Command
    started_event_id: int  # the WorkflowTaskStarted of the activation that produced it


@dataclasses.dataclass(slots=True)
class _ActivityState:
    activity_id: str
    defn: "ActivityDefinition"
    future: asyncio.Future
    scheduled_event_id: int = 0
    command: common_pb2.Command | None = None  # its ScheduleActivityTask command
    cancel_requested: bool = False


@dataclasses.dataclass(slots=True)
class _TimerState:
    timer_id: str
    future: asyncio.Future
    fired: bool = False
    canceled: bool = False
    command: common_pb2.Command | None = None  # its StartTimer command
    #: An event-loop timer (``call_later`` / ``call_at``: ``asyncio.sleep``, ``asyncio.timeout``):
    #: run when the timer fires, instead of resolving ``future``.
    handle: asyncio.TimerHandle | None = None


class WorkflowInstance:
    """One run of a workflow, fed with history events (see the module docstring)."""

    def __init__(
        self,
        definition: "WorkflowDefinition",
        *,
        workflow_id: str,
        run_id: str,
        task_queue: str = "",
        namespace: str = "default",
    ) -> None:
        self.definition = definition
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.task_queue = task_queue
        self.namespace = namespace
        self.attempt = 1
        self.continued_run_id = ""
        self.first_execution_run_id = ""
        self.started_search_keys: list[common_pb2.SearchKey] = []  # search keys: the run's at its start
        self.start_time: float | None = None
        #: ``(signal_name, input payload)`` of every WorkflowExecutionSignaled seen, in order.
        self.signals: list[tuple[str, common_pb2.Payload]] = []
        #: Names of signals that arrived with no ``@workflow.signal`` handler (dropped, as in Temporal).
        self.unhandled_signals: list[str] = []
        #: A client asked the run to cancel (WorkflowExecutionCancelRequested seen).
        self.cancel_requested = False
        self._conditions: list[tuple[Any, asyncio.Future]] = []  # wait_condition waiters
        self._handler_error: BaseException | None = None  # raised by an async signal handler
        #: The object of the workflow class (created at the first activation).
        self.workflow_object: Any = None

        self._loop = WorkflowEventLoop(self)
        seed = int.from_bytes(hashlib.sha256(f"fanflow:{run_id}".encode()).digest()[:8], "big")
        self.random = _random_module.Random(seed)

        self._last_event_id = 0
        self._last_started_id = 0  # last WorkflowTaskStarted seen
        self._unconfirmed_started_id = 0  # activation returned to the caller, not yet closed by history
        self._pending: collections.deque[_PendingCommand] = collections.deque()
        self._new_commands: list[common_pb2.Command] | None = None
        self._activity_seq = 0
        self._timer_seq = 0
        self._unechoed_activities: dict[str, _ActivityState] = {}
        self._activities: dict[int, _ActivityState] = {}  # by scheduled event id
        self._timers: dict[str, _TimerState] = {}
        self._main_task: asyncio.Task | None = None
        #: Activity ids the current activation scheduled inside ``run_activities_locally()``:
        #: the worker asks history to start them eagerly for itself.
        self.local_activity_ids: set[str] = set()
        self._closed = False
        self._broken: str | None = None
        self.now_seconds = 0.0
        self.is_replaying = False
        #: History's size at the current workflow task (set by each activation).
        self.history = HistorySize()
        #: What ``execute_activities_in_parallel`` reads and keeps in this run (its only way in).
        self.executors = ExecutorHost(self)
        #: Set while a query handler or an update validator runs (``read_only_section``): what
        #: runs, for the error raised when it tries to produce a command.
        self.read_only: str | None = None
        #: A throwaway instance rebuilding state for a query: every activation is a replay.
        self.replay_only = False
        #: The child workflows this run started (``worker_sdk/child_workflows.py``).
        self.children = _children.ChildWorkflows(self)
        #: Workflow types the worker running this instance serves on ``task_queue`` (set by the
        #: worker; None: unknown). A child of a type not in it, for this queue, is refused.
        self.registered_workflow_types: frozenset[str] | None = None
        #: ``workflow.patched`` / ``deprecate_patch``: answers given, markers seen (patching.py).
        self.patches = patching.Patches()

    # ------------------------------------------------------------ public

    @property
    def is_completed(self) -> bool:
        """True once a close command (complete / fail / continue-as-new) was produced."""
        return self._closed

    @property
    def last_event_id(self) -> int:
        return self._last_event_id

    def info(self) -> "WorkflowInfo":
        return WorkflowInfo(
            workflow_id=self.workflow_id,
            run_id=self.run_id,
            workflow_type=self.definition.name,
            task_queue=self.task_queue,
            namespace=self.namespace,
            attempt=self.attempt,
            history_length=self.history.events,
            history_size_bytes=self.history.bytes,
            continued_run_id=self.continued_run_id,
            first_execution_run_id=self.first_execution_run_id,
            start_time=timeutil.utc_datetime(self.start_time) if self.start_time is not None else None,
            suggest_continue_as_new=self.history.suggest_continue_as_new,
        )

    def activate(self, events: Sequence[common_pb2.HistoryEvent]) -> list[common_pb2.Command]:
        """Apply ``events`` and return the commands of the workflow task being worked on.

        ``events`` continue right after the last event already applied (the first call: the
        full history from event 1) and end with the WorkflowTaskStarted of the current task.

        Raises ``NonDeterminismError`` when the code disagrees with history, re-raises a
        bug in workflow code (fail the workflow task), ``StaleWorkflowInstanceError`` when
        this cached instance cannot take these events (evict it and replay the full
        history), ``ValueError`` for malformed input.
        """
        if self._broken is not None:
            raise StaleWorkflowInstanceError(
                f"workflow instance {self.workflow_id}/{self.run_id} cannot be reused: {self._broken}"
            )
        events = list(events)
        self._validate_batch(events)
        try:
            return self._apply(events)
        except BaseException as exc:
            self._broken = f"an earlier activate() raised {type(exc).__name__}: {exc}"
            raise

    def replay_history(self, events: Sequence[common_pb2.HistoryEvent]) -> list[common_pb2.Command]:
        """Replay a whole recorded history into this new instance (what the replayer does to
        check changed code against runs already recorded): from event 1 to the last event,
        whatever it is (a closed run, or a running one). Every workflow task history
        completed runs again and its commands must match the events it wrote; a workflow
        task still in flight runs as the newest one. Returns that task's commands (none
        when every task was completed).

        Raises ``NonDeterminismError`` (also when the code produces a command history does
        not have), or what the workflow code raised as a bug; ``ValueError`` for a
        malformed history."""
        if self._last_event_id or self._broken is not None:
            raise ValueError("replay_history() needs a new workflow instance")
        events = list(events)
        self._validate_batch(events, whole_history=True)
        try:
            commands = self._apply(events, whole_history=True)
            self._check_nothing_left_unmatched(events[-1])
            return commands
        except BaseException as exc:
            self._broken = f"replay_history() raised {type(exc).__name__}: {exc}"
            raise

    def close(self) -> None:
        """Drop everything (the worker evicted this instance). Pending tasks are not run."""
        self._broken = self._broken or "the instance was closed"
        self._loop.close()

    # -------------------------------------------------- event application

    def _prefix(self) -> str:
        return f"workflow {self.definition.name!r} (workflow_id={self.workflow_id}, run_id={self.run_id}): "

    def _validate_batch(self, events: list[common_pb2.HistoryEvent], *, whole_history: bool = False) -> None:
        if not events:
            if whole_history:
                raise ValueError("replay_history() needs at least one event (WorkflowExecutionStarted first)")
            raise ValueError("activate() needs at least one event (ending with WorkflowTaskStarted)")
        first = events[0].event_id
        expected = self._last_event_id + 1
        if first != expected:
            if self._last_event_id == 0:
                raise ValueError(f"a new workflow instance needs the full history from event 1, got event {first} first")
            raise StaleWorkflowInstanceError(
                f"{self._prefix()}events must continue at event {expected}, got event {first}; "
                "replay the full history into a new instance"
            )
        for offset, ev in enumerate(events):
            if ev.event_id != first + offset:
                raise ValueError(f"event ids must be consecutive: event {ev.event_id} follows event {first + offset - 1}")
        if not whole_history and events[-1].event_type != E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            raise ValueError(
                f"the last event must be the WorkflowTaskStarted of the task being worked on, "
                f"got {event_type_name(events[-1].event_type)} (event {events[-1].event_id})"
            )
        if self._last_event_id == 0 and events[0].event_type != E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            raise ValueError(f"event 1 must be WorkflowExecutionStarted, got {event_type_name(events[0].event_type)}")

    def _apply(self, events: list[common_pb2.HistoryEvent], *, whole_history: bool = False) -> list[common_pb2.Command]:
        # One pass to learn how each workflow task of the batch was closed (O(n)).
        closed_by: dict[int, int] = {}
        last_started_index = -1
        for i, ev in enumerate(events):
            t = ev.event_type
            if t in _WT_CLOSING:
                # A task that timed out before it started (sticky schedule-to-start)
                # has started_event_id 0: it closes no activation.
                sid = getattr(ev, _WT_CLOSING[t]).started_event_id
                if sid:
                    closed_by[sid] = t
            elif t == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                last_started_index = i
        patches_by_task = patching.recorded_by_task(events)  # what workflow.patched finds when replaying

        result: list[common_pb2.Command] = []
        last_index = len(events) - 1
        for i, ev in enumerate(events):
            self._last_event_id = ev.event_id
            t = ev.event_type
            if t == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                self._last_started_id = ev.event_id
                closing = closed_by.get(ev.event_id)
                # A whole history may end with a task in flight, events arriving after its start.
                in_flight = i == last_index or (whole_history and i == last_started_index and closing is None)
                if in_flight:
                    if self.replay_only:  # a query's replay: this task's commands follow it in history
                        self.patches.in_history |= self.patches.upcoming
                    result = self._activation(ev, replaying=False)
                    self._unconfirmed_started_id = ev.event_id
                else:
                    if closing == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                        self.patches.in_history |= patches_by_task.get(ev.event_id, set())
                        self._activation(ev, replaying=True)
                    elif closing is None:
                        raise ValueError(
                            f"WorkflowTaskStarted event {ev.event_id} is not the last event but no "
                            "WorkflowTaskCompleted/Failed/TimedOut closes it"
                        )
                    # Failed / timed out: that attempt produced nothing; skip it.
            elif t in _WT_CLOSING:
                sid = getattr(ev, _WT_CLOSING[t]).started_event_id
                if sid and sid == self._unconfirmed_started_id:
                    self._unconfirmed_started_id = 0
                    if t != E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                        raise StaleWorkflowInstanceError(
                            f"{self._prefix()}the workflow task started at event {sid} that this instance ran "
                            f"was closed by {event_type_name(t)} (event {ev.event_id}); "
                            "replay the full history into a new instance"
                        )
            elif t in _COMMAND_EVENT:
                self._match_command_event(ev)
            else:
                self._apply_event(ev)
        return result

    def _apply_event(self, ev: common_pb2.HistoryEvent) -> None:
        t = ev.event_type
        if t == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            a = ev.activity_task_completed
            st = self._activity_for(ev, a.scheduled_event_id)
            if not st.future.done():
                st.future.set_result(a.result)
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            a = ev.activity_task_failed
            st = self._activity_for(ev, a.scheduled_event_id)
            if not st.future.done():
                st.future.set_exception(
                    converter.exception_from_failure(
                        a.failure,
                        activity_type=st.defn.name,
                        activity_id=st.activity_id,
                        scheduled_event_id=st.scheduled_event_id,
                        retry_state=a.retry_state,
                    )
                )
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            a = ev.activity_task_timed_out
            st = self._activity_for(ev, a.scheduled_event_id)
            failure = common_pb2.Failure()
            if a.HasField("failure"):
                failure.CopyFrom(a.failure)
            else:
                kind = common_pb2.TimeoutType.Name(a.timeout_type).removeprefix("TIMEOUT_TYPE_")
                failure.message = f"activity timed out ({kind})"
                failure.type = "TimeoutError"
                failure.source = "server"
            if not st.future.done():
                error = converter.exception_from_failure(
                    failure,
                    activity_type=st.defn.name,
                    activity_id=st.activity_id,
                    scheduled_event_id=st.scheduled_event_id,
                    retry_state=a.retry_state,
                    timeout_type=a.timeout_type,
                )
                if st.command is not None:  # a sticky session's worker that never took it: say so
                    error = sticky_sessions.session_lost(error, st.command.schedule_activity_task, failure, a.timeout_type)
                st.future.set_exception(error)
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
            st = self._activity_for(ev, ev.activity_task_canceled.scheduled_event_id)
            if not st.future.done():  # the code cancelled its wait already (it asked for this)
                st.future.cancel()
        elif t == E.EVENT_TYPE_TIMER_FIRED:
            timer_id = ev.timer_fired.timer_id
            timer = self._timers.pop(timer_id, None)
            if timer is not None and timer.canceled:
                return  # fired while the code was cancelling it: the cancel wins
            if timer is None:
                raise NonDeterminismError(
                    f"{self._prefix()}history event {ev.event_id} is TimerFired(timer_id={timer_id!r}) "
                    "but the workflow code has no such timer",
                    event_id=ev.event_id, recorded=f"TimerFired(timer_id={timer_id!r})",
                )
            timer.fired = True
            if timer.handle is not None:
                self._loop.call_handle(timer.handle)  # asyncio.sleep / timeout: runs in this activation
            elif not timer.future.done():
                timer.future.set_result(None)
        elif t in _children.RESULT_EVENTS:
            self.children.apply(ev)
        elif t == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            self._start(ev)
        elif t == E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            self.cancel_requested = True
            self._loop.call_soon(self._cancel_main_task)
        elif t == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            s = ev.workflow_execution_signaled
            self.signals.append((s.signal_name, s.input))
            # Runs in the next activation, after what earlier events woke (history order).
            self._loop.call_soon(self._deliver_signal, s.signal_name, s.input)
        elif t == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            u = ev.workflow_execution_update_accepted
            self._loop.call_soon(self._deliver_update, u.update_id, u.name, u.input)  # as a signal, in history order
        # WorkflowTaskScheduled, ActivityTaskStarted, Terminated, TimedOut: nothing to do.

    def _activity_for(self, ev: common_pb2.HistoryEvent, scheduled_event_id: int) -> _ActivityState:
        st = self._activities.pop(scheduled_event_id, None)
        if st is None:
            raise NonDeterminismError(
                f"{self._prefix()}history event {ev.event_id} is {event_type_name(ev.event_type)} for the activity "
                f"scheduled at event {scheduled_event_id}, which the workflow code did not schedule",
                event_id=ev.event_id, recorded=event_type_name(ev.event_type),
            )
        return st

    def _start(self, ev: common_pb2.HistoryEvent) -> None:
        if self._main_task is not None:
            raise ValueError(f"a second WorkflowExecutionStarted (event {ev.event_id})")
        a = ev.workflow_execution_started
        if a.workflow_type.name and a.workflow_type.name != self.definition.name:
            raise ValueError(
                f"history is for workflow type {a.workflow_type.name!r}, the instance runs {self.definition.name!r}"
            )
        if a.task_queue.name and not self.task_queue:
            self.task_queue = a.task_queue.name
        self.attempt = a.attempt or 1
        self.continued_run_id = a.continued_execution_run_id
        self.first_execution_run_id = a.first_execution_run_id or self.run_id
        self.start_time = timeutil.ts_to_seconds(ev.event_time) if ev.HasField("event_time") else None
        self.executors.start_run(a.input, a.sdk_state if a.HasField("sdk_state") else None)
        self.started_search_keys = list(a.search_keys)  # search keys the run started with
        self._main_task = self._loop.create_task(self._main(a.input), name=f"workflow:{self.definition.name}")

    async def _main(self, payload: common_pb2.Payload) -> Any:
        defn = self.definition
        try:
            args, kwargs = defn.decode_input(payload)
        except Exception as exc:
            raise ApplicationError(
                f"invalid input for workflow {defn.name!r}: {exc}", type="InvalidWorkflowInput", non_retryable=True
            ) from exc
        search_keys.record_input_keys(self, args, kwargs, self.started_search_keys)  # define(search_keys=...): what the start lacks
        self.workflow_object = defn.cls()
        return await getattr(self.workflow_object, defn.run_name)(*args, **kwargs)

    # ------------------------------------------- updates and queries (updates.py, queries.py)

    def _deliver_update(self, update_id: str, name: str, payload: common_pb2.Payload) -> None:
        """An accepted update (WorkflowExecutionUpdateAccepted): its handler starts as a task;
        CompleteWorkflowUpdate records its outcome."""
        from .updates import start_update_handler

        start_update_handler(self, update_id, name, payload)

    def complete_update(self, command: common_pb2.Command) -> None:
        """An update handler's CompleteWorkflowUpdate (skipped once the run produced its close)."""
        if not self._closed and self._new_commands is not None:
            self._add_command(command)

    def record_handler_error(self, exc: BaseException) -> None:
        """A bug in a handler task (not a failure of the update itself): fails the workflow task."""
        if self._handler_error is None:
            self._handler_error = exc

    def read_only_section(self, what: str):
        """A context in which a query handler or update validator runs on this instance: see
        ``queries.read_only_section``."""
        from .queries import read_only_section

        return read_only_section(self, self._loop, what)

    # ----------------------------------------------------------- signals

    def _deliver_signal(self, name: str, payload: common_pb2.Payload) -> None:
        spec = self.definition.signals.get(name)
        if spec is None or self.workflow_object is None or self._closed:
            self.unhandled_signals.append(name)
            if not self.is_replaying:
                log.warning("signal has no handler in this workflow; dropped", signal=name, workflow_id=self.workflow_id, known=sorted(self.definition.signals))
            return
        handler = getattr(self.workflow_object, spec.method_name)
        if not any(p.kind is not p.VAR_POSITIONAL for p in spec.signature.parameters.values()):
            args: list[Any] = []  # a handler without parameters ignores the signal's value
            kwargs: dict[str, Any] = {}
        else:
            try:
                args, kwargs = spec.decode_args(payload)
            except Exception as exc:  # noqa: BLE001 - the same payload fails the same way on replay
                # As Temporal's SDK: a value the handler cannot take drops the signal, not the run.
                self.unhandled_signals.append(name)
                if not self.is_replaying:
                    log.warning("signal value does not fit its handler; dropped", signal=name, handler=spec.method_name, workflow_id=self.workflow_id, error=str(exc))
                return
        if spec.is_async:
            self._loop.create_task(self._run_async_handler(handler, args, kwargs), name=f"signal:{name}")
        else:
            handler(*args, **kwargs)

    async def _run_async_handler(self, handler: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
        try:
            await handler(*args, **kwargs)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - surfaced by the activation
            if self._handler_error is None:
                self._handler_error = exc

    async def wait_condition(self, condition: Any, timeout: float | None) -> None:
        if condition():
            return
        fut = self._loop.create_future()
        self._conditions.append((condition, fut))
        if timeout is None:
            await fut
            return
        timer = self._loop.create_task(self.sleep(timeout))
        try:
            await asyncio.wait([fut, timer], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not timer.done():
                timer.cancel()
        if not fut.done():
            fut.cancel()
            raise asyncio.TimeoutError(f"condition not met within {timeout} s")
        fut.result()

    def _fire_conditions(self) -> bool:
        """Resolve the waiters whose condition holds now; True if any did."""
        fired = False
        waiting = []
        for condition, fut in self._conditions:
            if fut.done():
                continue
            try:
                met = condition()
            except Exception as exc:  # noqa: BLE001 - delivered to the waiter
                fut.set_exception(exc)
                fired = True
                continue
            if met:
                fut.set_result(None)
                fired = True
            else:
                waiting.append((condition, fut))
        self._conditions = waiting
        return fired

    def _cancel_main_task(self) -> None:
        """A client asked to cancel: the workflow's code gets CancelledError where it waits."""
        if self._main_task is not None and not self._main_task.done():
            self._main_task.cancel()

    def _check_handler_error(self) -> None:
        exc, self._handler_error = self._handler_error, None
        if exc is None or self._closed:
            return
        if isinstance(exc, FailureError):
            failure = converter.failure_from_exception(exc, source="workflow")
            self._close(CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, fail_workflow_execution=common_pb2.FailWorkflowExecutionCommandAttributes(failure=failure))
            return
        raise exc  # a bug in the handler: fail the workflow task (retried after a fix)

    # ------------------------------------------------------- activations

    def _activation(self, ev: common_pb2.HistoryEvent, *, replaying: bool) -> list[common_pb2.Command]:
        search_keys.drop_unechoed(self._pending)  # SDK search-key commands history did not record
        self._drop_deprecated_patch_commands()
        if self._pending:
            p = self._pending[0]
            raise NonDeterminismError(
                f"{self._prefix()}the workflow code produced {describe_command(p.command)} in the workflow task "
                f"started at event {p.started_event_id}, but history has no matching event (reached the "
                f"workflow task started at event {ev.event_id}); the code now produces more commands than history recorded",
                event_id=ev.event_id, produced=describe_command(p.command), patch_id=_patch_id(p.command),
            )
        a = ev.workflow_task_started
        if ev.HasField("event_time"):
            self.now_seconds = timeutil.ts_to_seconds(ev.event_time)
            self._loop.set_time(self.now_seconds)
        history = self.history
        history.events = ev.event_id
        history.bytes = a.history_size_bytes
        history.suggest_continue_as_new = a.suggest_continue_as_new
        history.suggest_events = a.suggest_continue_as_new_events
        history.suggest_bytes = a.suggest_continue_as_new_bytes
        self.is_replaying = replaying or self.replay_only
        if self._closed:
            return []
        self._new_commands = []
        self.local_activity_ids = set()
        try:
            self._loop.run_until_idle()
            while self._fire_conditions():  # a condition that became true wakes its waiter
                self._loop.run_until_idle()
            self._check_handler_error()
            self._check_main_task()
            commands = self._new_commands
        finally:
            self._new_commands = None
        self._pending.extend(_PendingCommand(c, ev.event_id) for c in commands)
        return commands

    def _check_main_task(self) -> None:
        task = self._main_task
        if task is None or not task.done() or self._closed:
            return
        if task.cancelled() or (self.cancel_requested and isinstance(task.exception(), asyncio.CancelledError)):
            if self.cancel_requested:  # a client asked, the code let it through: the run ends CANCELED
                self._close(CT.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, cancel_workflow_execution=common_pb2.CancelWorkflowExecutionCommandAttributes())
                return
            failure = common_pb2.Failure(message="the workflow's main task was cancelled", type="CancelledError", source="workflow")
            self._close(CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, fail_workflow_execution=common_pb2.FailWorkflowExecutionCommandAttributes(failure=failure))
            return
        exc = task.exception()
        if exc is None:
            value = task.result()
            if self.is_replaying and converter.holds_lazy_results(value):
                # A replayed close is matched by its type, never sent: lazy executor results
                # need not be read from the store (the replayer may have no cluster).
                result = common_pb2.Payload()
            else:
                result = converter.to_payload(value)
            self._close(
                CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
                complete_workflow_execution=common_pb2.CompleteWorkflowExecutionCommandAttributes(result=result),
            )
        elif isinstance(exc, ContinueAsNewError):
            attrs = common_pb2.ContinueAsNewWorkflowExecutionCommandAttributes(
                workflow_type=common_pb2.WorkflowType(name=exc.workflow_type),
                task_queue=common_pb2.TaskQueue(name=exc.task_queue),
                input=exc.input,
            )
            sdk_state = getattr(exc, "sdk_state", None)
            if sdk_state is not None:
                attrs.sdk_state.CopyFrom(sdk_state)
            task_timeout = getattr(exc, "workflow_task_timeout", None)
            if task_timeout:
                attrs.workflow_task_timeout.CopyFrom(timeutil.duration(task_timeout))
            self._close(CT.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, continue_as_new_workflow_execution=attrs)
        elif isinstance(exc, (FailureError, asyncio.CancelledError)):
            failure = converter.failure_from_exception(exc, source="workflow")
            self._close(
                CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
                fail_workflow_execution=common_pb2.FailWorkflowExecutionCommandAttributes(failure=failure),
            )
        else:
            # A bug in workflow code: fail the workflow task, not the workflow.
            raise exc

    def _close(self, command_type: int, **attrs: Any) -> None:
        self._add_command(common_pb2.Command(command_type=command_type, **attrs))
        self._closed = True

    def _add_command(self, cmd: common_pb2.Command) -> None:
        if self.read_only is not None:
            from .queries import ReadOnlyViolation

            raise ReadOnlyViolation(
                f"{self.read_only} tried to {describe_command(cmd)}: queries and update validators only read the "
                "workflow's state (nothing was recorded; use an update to change it or run activities)"
            )
        if self._new_commands is None:
            raise RuntimeError("workflow commands can only be produced while the workflow code runs")
        if self._closed:
            raise RuntimeError(f"the workflow already produced its close command; cannot add {describe_command(cmd)}")
        self._new_commands.append(cmd)

    # ----------------------------------------------------------- matching

    def _match_command_event(self, ev: common_pb2.HistoryEvent) -> None:
        if search_keys.skip_event(self._pending, ev):  # search keys from outside the code, or the SDK's
            return
        if self._patch_event_skipped(ev):
            return
        if not self._pending:
            raise NonDeterminismError(
                f"{self._prefix()}history event {ev.event_id} is {describe_event(ev)} but the workflow code produced "
                "no command for it (the code now produces fewer commands than history recorded)",
                event_id=ev.event_id, recorded=describe_event(ev),
            )
        p = self._pending.popleft()
        if _command_key(p.command) != _event_key(ev):
            patch_id = _patch_id(p.command)
            hint = ""
            if patch_id is not None:  # history has the marker in this task, elsewhere
                hint = (f"; workflow.patched({patch_id!r}) must be called at the point of the code where history "
                        "recorded its marker (a call moved or added before other commands changes the order)")
            raise NonDeterminismError(
                f"{self._prefix()}history event {ev.event_id} is {describe_event(ev)} but the workflow code produced "
                f"{describe_command(p.command)} at that point (in the workflow task started at event {p.started_event_id}){hint}",
                event_id=ev.event_id, recorded=describe_event(ev), produced=describe_command(p.command), patch_id=patch_id,
            )
        if ev.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            st = self._unechoed_activities.pop(ev.activity_task_scheduled.activity_id)
            st.scheduled_event_id = ev.event_id
            self._activities[ev.event_id] = st
        elif ev.event_type == E.EVENT_TYPE_TIMER_CANCELED:
            self._timers.pop(ev.timer_canceled.timer_id, None)
        elif ev.event_type in _children.COMMAND_EVENTS:
            self.children.initiated(ev, p.command)

    # ------------------------------------------------ patches (patching.py)

    def patch(self, patch_id: str, *, deprecated: bool) -> bool:
        """``workflow.patched`` (``deprecated=False``) and ``workflow.deprecate_patch``: whether
        this run takes the patched branch; records the patch's marker when it does, once."""
        if self.read_only is not None:
            from .queries import ReadOnlyViolation

            call = "deprecate_patch" if deprecated else "patched"
            raise ReadOnlyViolation(
                f"{self.read_only} called workflow.{call}({patch_id!r}): queries and update validators only read the "
                "workflow's state; branch on patches in the workflow's code and handlers"
            )
        use, command = self.patches.use(patch_id, deprecated=deprecated, replaying=self.is_replaying)
        if command is not None:
            self._add_command(command)
        return use

    def _patch_event_skipped(self, ev: common_pb2.HistoryEvent) -> bool:
        """Temporal's rules for patch markers met in history (see patching.py): True when
        ``ev`` needs no command; a marker of ``workflow.patched`` no call matches raises."""
        recorded = patching.of_event(ev)
        while self._pending:
            front = patching.of_command(self._pending[0].command)
            if front is None or not front.deprecated or (recorded is not None and recorded.patch_id == front.patch_id):
                break
            self._pending.popleft()  # deprecate_patch() while replaying, its marker elsewhere: it needs none
        if recorded is None:
            return False
        front = patching.of_command(self._pending[0].command) if self._pending else None
        if front is not None and front.patch_id == recorded.patch_id:
            return False  # the call that recorded it: matched as any command
        if recorded.deprecated:
            return True  # recorded by deprecate_patch(), whose call was removed: nothing to match
        produced = describe_command(self._pending[0].command) if self._pending else None
        if self.patches.answers.get(recorded.patch_id) is False:
            why = (f"workflow.patched({recorded.patch_id!r}) already returned False earlier in this replay (history had "
                   f"no marker for it at that point), so the call was moved earlier in the code or another call with "
                   f"this id now comes first")
        else:
            why = (f"the workflow code produced {produced or 'no command'} there instead: a run recorded with the patch "
                   f"needs workflow.patched({recorded.patch_id!r}) or workflow.deprecate_patch({recorded.patch_id!r}) "
                   "at that point of the code until no such run remains")
        raise NonDeterminismError(
            f"{self._prefix()}history event {ev.event_id} is {describe_event(ev)}, the marker of "
            f"workflow.patched({recorded.patch_id!r}), but {why}",
            event_id=ev.event_id, recorded=describe_event(ev), produced=produced, patch_id=recorded.patch_id,
        )

    def _drop_deprecated_patch_commands(self) -> None:
        """deprecate_patch() commands history has no marker for need none (they only record)."""
        if any(_is_deprecated_patch(p.command) for p in self._pending):
            self._pending = collections.deque(p for p in self._pending if not _is_deprecated_patch(p.command))

    def _check_nothing_left_unmatched(self, last: common_pb2.HistoryEvent) -> None:
        """End of a whole history: every command of a completed workflow task was recorded."""
        self._drop_deprecated_patch_commands()
        for p in self._pending:
            if p.started_event_id != self._unconfirmed_started_id:
                raise NonDeterminismError(
                    f"{self._prefix()}the workflow code produced {describe_command(p.command)} in the workflow task "
                    f"started at event {p.started_event_id}, but history has no matching event (history ends at event "
                    f"{last.event_id}); the code now produces more commands than history recorded",
                    event_id=last.event_id, produced=describe_command(p.command), patch_id=_patch_id(p.command),
                )

    # ------------------------------------------------- called by user code

    async def execute_activity(
        self,
        defn: "ActivityDefinition",
        args: Sequence[Any],
        kwargs: dict[str, Any],
        *,
        result_sink: tuple[str, int] | None = None,
        task_queue: str | None = None,
    ) -> Any:
        """Schedule ``defn`` with these arguments and wait for its decoded result.

        With ``result_sink=(executor_id, index)`` history stores the result beside history (in
        the transaction that records the completion) and the event keeps an empty result:
        this returns ``None``."""
        payload = converter.encode_args(defn.signature, args, kwargs)
        self._activity_seq += 1
        activity_id = str(self._activity_seq)
        attrs = common_pb2.ScheduleActivityTaskCommandAttributes(
            activity_id=activity_id,
            activity_type=common_pb2.ActivityType(name=defn.name),
            input=payload,
        )
        defn.options.apply_to(attrs)
        routed = self._route_activity(defn, attrs)
        if task_queue and not attrs.task_queue.name:
            attrs.task_queue.name = task_queue
        if runs_locally() and not routed:  # run_activities_locally(): the workflow's own queue, started eagerly by its worker
            attrs.task_queue.name = ""
            self.local_activity_ids.add(activity_id)
        if result_sink is not None:
            attrs.result_sink.executor_id, attrs.result_sink.index = result_sink
        future = self._loop.create_future()
        command = common_pb2.Command(command_type=CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, schedule_activity_task=attrs)
        self._add_command(command)
        state = _ActivityState(activity_id, defn, future, command=command)
        self._unechoed_activities[activity_id] = state
        try:
            result = await future
        except asyncio.CancelledError:
            self._cancel_activity(state)
            raise
        if result_sink is not None:
            return None
        return converter.from_payload(result, defn.return_type)

    # -------------------------------------------- sticky worker sessions and rate limits

    def _route_activity(self, defn: "ActivityDefinition", attrs: common_pb2.ScheduleActivityTaskCommandAttributes) -> bool:
        """A sticky activity goes to its session's queue, a rate-limited one to its limit's queue
        (``sticky_sessions`` / ``rate_limits``); the session-handing activity to the queue its
        caller names. True when the queue is chosen so (``run_activities_locally`` leaves it)."""
        options = defn.options
        if options.sticky_to_worker:
            sticky_sessions.route_activity(defn, attrs)
            return True
        if options.rate_limit is not None:
            rate_limits.route_activity(defn, attrs, self.task_queue)
            return True
        return defn.name == sticky_sessions.GET_STICKY_WORKER_SESSION_ACTIVITY

    def _cancel_activity(self, st: _ActivityState) -> None:
        """The code stopped waiting for an activity (its task was cancelled): ask history to
        cancel it (as Temporal's TRY_CANCEL: the code does not wait for the outcome). Not
        sent to history yet: the command is simply withdrawn."""
        if st.cancel_requested or self._closed or self._new_commands is None:
            return  # (no activation running: the instance is being evicted or closed)
        st.cancel_requested = True
        if not st.scheduled_event_id:
            if self._new_commands is not None and any(c is st.command for c in self._new_commands):
                self._new_commands = [c for c in self._new_commands if c is not st.command]
                self._unechoed_activities.pop(st.activity_id, None)
            return  # otherwise its Scheduled event is still to come: nothing to cancel yet
        if st.scheduled_event_id not in self._activities:
            return  # it finished meanwhile
        self._add_command(
            common_pb2.Command(
                command_type=CT.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
                request_cancel_activity_task=common_pb2.RequestCancelActivityTaskCommandAttributes(scheduled_event_id=st.scheduled_event_id),
            )
        )

    def start_timer(self, seconds: float) -> _TimerState:
        """A durable timer: a StartTimer command now, resolved by TimerFired."""
        self._timer_seq += 1
        timer_id = str(self._timer_seq)
        command = common_pb2.Command(
            command_type=CT.COMMAND_TYPE_START_TIMER,
            start_timer=common_pb2.StartTimerCommandAttributes(timer_id=timer_id, start_to_fire_timeout=timeutil.duration(seconds)),
        )
        self._add_command(command)
        timer = _TimerState(timer_id, self._loop.create_future(), command=command)
        self._timers[timer_id] = timer
        return timer

    def cancel_timer(self, timer: _TimerState, *, withdraw_unsent: bool = False) -> None:
        """Stop waiting for ``timer``: a CancelTimer command, unless it fired or was cancelled
        already. With ``withdraw_unsent``, a timer started in this same activation is simply
        withdrawn (its StartTimer never reaches history)."""
        if timer.fired or timer.canceled:
            return
        timer.canceled = True  # kept until TimerFired/TimerCanceled: it may have fired meanwhile
        if self._new_commands is None or self._closed:
            return  # no activation running: the instance is being evicted or closed
        if withdraw_unsent and any(c is timer.command for c in self._new_commands):
            self._new_commands = [c for c in self._new_commands if c is not timer.command]
            self._timers.pop(timer.timer_id, None)
            return
        self._add_command(
            common_pb2.Command(
                command_type=CT.COMMAND_TYPE_CANCEL_TIMER,
                cancel_timer=common_pb2.CancelTimerCommandAttributes(timer_id=timer.timer_id),
            )
        )

    def timer_handle(self, delay: float, handle: asyncio.TimerHandle) -> _TimerState:
        """``loop.call_later``: run ``handle`` when a durable timer of ``delay`` seconds fires."""
        timer = self.start_timer(delay)
        timer.handle = handle
        return timer

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        timer = self.start_timer(seconds)
        try:
            await timer.future
        except asyncio.CancelledError:
            self.cancel_timer(timer)
            raise

    def record_marker(self, name: str, details: Any = None) -> None:
        self._add_command(
            common_pb2.Command(
                command_type=CT.COMMAND_TYPE_RECORD_MARKER,
                record_marker=common_pb2.RecordMarkerCommandAttributes(
                    marker_name=name, details=converter.to_payload(details)
                ),
            )
        )

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self.random.getrandbits(128), version=4)
