"""Fuzz target: one run's state machine (history/run_state.py and its parts: commands.py,
workflow_tasks.py, activities.py, updates.py, child_workflows.py).

The bytes are read as a sequence of operations a shard may apply to a run, with valid or
stale tokens and any commands (built from the bytes, or parsed from them raw). Each
operation either succeeds or raises a FanflowError with a message that is not INTERNAL (the
shard then drops the state from its cache: here the run goes back to its state before the
operation). After each success the invariants hold:
- event ids run 1, 2, 3... without a gap and next_event_id follows the last one;
- a closed run takes no more events;
- the pending activities are exactly those scheduled and not yet completed, failed, timed
  out or canceled (none once closed); the running user timers are exactly those started
  and not yet fired or canceled (none once closed);
- the workflow task in progress, if any, names an event that exists;
- what is written is well formed: activities and timers have ids, no timeout or retry
  interval is negative, a backoff coefficient is at least 1 (0 = the default).
"""
from __future__ import annotations

import copy

import atheris
import grpc
from google.protobuf.message import DecodeError

from fanflow.errors import FanflowError
from history.run_state import Limits, RunState
from protos import common_pb2 as C
from protos import internal_pb2, persistence_pb2
from protos import workflow_service_pb2 as ws

INSTRUMENT = ["history", "fanflow.timeutil", "fanflow.protocol", "fanflow.task_tokens", "fanflow.routing"]
COVERED = ["history/run_state.py", "history/commands.py", "history/workflow_tasks.py", "history/activities.py", "history/retry.py",
           "history/updates.py", "history/child_workflows.py", "history/activity_routing.py"]

S = 1_000_000_000
IDS = ["a", "b", "c", "", "fanflow.x"]  # small alphabets, so commands meet each other's ids
NAMES = ["act", "T", "", "x" * 1001]
MARKERS = ["side_effect", "fanflow.executor", "fanflow.event", "fanflow.unknown", ""]
COMMAND_TYPES = [t for t in C.CommandType.values() if t] + [0, 999]
CHILD_ENDED = {C.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: "start_child_workflow_execution_failed",
               C.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: "child_workflow_execution_completed",
               C.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: "child_workflow_execution_failed",
               C.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: "child_workflow_execution_canceled",
               C.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: "child_workflow_execution_timed_out",
               C.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: "child_workflow_execution_terminated"}
CHILD_CLOSES = ["workflow_execution_completed", "workflow_execution_failed", "workflow_execution_canceled", "workflow_execution_timed_out",
                "workflow_execution_terminated", "workflow_execution_continued_as_new"]
ACTIVITY_CLOSED = {C.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed", C.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed",
                   C.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out", C.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "activity_task_canceled"}


class Finding(AssertionError):
    """An invariant broken or an exception a caller must never see."""


class Fuzzed:
    """Reads the fuzzer's bytes as choices."""

    def __init__(self, data: bytes):
        self.fdp = atheris.FuzzedDataProvider(data)

    def left(self) -> int:
        return self.fdp.remaining_bytes()

    def int(self, low: int, high: int) -> int:
        return self.fdp.ConsumeIntInRange(low, high)

    def bool(self) -> bool:
        return self.fdp.ConsumeBool()

    def pick(self, items):
        return items[self.int(0, len(items) - 1)] if items else None

    def duration(self) -> dict:
        seconds = self.pick([0, 1, 5, 60, 3600, -1, 10**12, 315_576_000_000])
        return {"seconds": seconds, "nanos": self.pick([0, 1, 999_999_999])}

    def payload(self) -> C.Payload:
        return C.Payload(data=self.fdp.ConsumeBytes(self.int(0, 16)))

    def failure(self) -> C.Failure:
        failure = C.Failure(message=self.pick(["boom", ""]))
        if self.bool():
            failure.type = self.pick(["ValueError", "E"])
            failure.non_retryable = self.bool()
        return failure


def _command(f: Fuzzed, pending: list[int]) -> C.Command | None:
    if f.int(0, 7) == 0:  # raw: any field the message has
        try:
            return C.Command.FromString(f.fdp.ConsumeBytes(f.int(0, 64)))
        except DecodeError:
            return None
    kind = f.pick(COMMAND_TYPES)
    command = C.Command(command_type=kind)
    shape = f.int(0, 10) if f.bool() else kind  # mostly the matching attributes, sometimes others
    if shape == C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        attrs = command.schedule_activity_task
        attrs.activity_id = f.pick(IDS)
        attrs.activity_type.name = f.pick(NAMES)
        attrs.task_queue.name = f.pick(["", "q", "other"])
        for field in ("schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout"):
            if f.bool():
                getattr(attrs, field).FromJsonString(f"{f.pick([0, 1, 30, 7200])}s")
        if f.bool():
            attrs.retry_policy.maximum_attempts = f.pick([0, 1, 2, -1])
            attrs.retry_policy.backoff_coefficient = f.pick([0.0, 1.0, 2.0, -3.0])
            attrs.retry_policy.initial_interval.seconds = f.pick([0, 1, -5])
            attrs.retry_policy.non_retryable_error_types.append(f.pick(["ValueError", ""]))
        attrs.request_eager_execution = f.bool()
        attrs.input.CopyFrom(f.payload())
    elif shape == C.COMMAND_TYPE_START_TIMER:
        command.start_timer.timer_id = f.pick(IDS)
        command.start_timer.start_to_fire_timeout.seconds = f.pick([0, 1, 60, -1, 10**11])
    elif shape == C.COMMAND_TYPE_CANCEL_TIMER:
        command.cancel_timer.timer_id = f.pick(IDS)
    elif shape == C.COMMAND_TYPE_RECORD_MARKER:
        command.record_marker.marker_name = f.pick(MARKERS)
        details = f.pick([b'{"executor_id": "e", "total": 3}', b'{"name": "n", "details": 1}', b"null", b"{", b""])
        command.record_marker.details.CopyFrom(C.Payload(data=details if f.bool() else f.payload().data))
    elif shape == C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        command.complete_workflow_execution.result.CopyFrom(f.payload())
    elif shape == C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        command.fail_workflow_execution.failure.CopyFrom(f.failure())
    elif shape == C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        command.cancel_workflow_execution.details.CopyFrom(f.payload())
    elif shape == C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        attrs = command.continue_as_new_workflow_execution
        attrs.workflow_type.name = f.pick(NAMES)
        attrs.task_queue.name = f.pick(["", "q"])
        attrs.input.CopyFrom(f.payload())
    elif shape == C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        attrs = command.start_child_workflow_execution
        attrs.namespace = f.pick(["", "default", "other"])
        attrs.workflow_id = f.pick(["child-1", "child-2", "", "wf"])
        attrs.workflow_type.name = f.pick(NAMES)
        attrs.task_queue.name = f.pick(["", "q"])
        attrs.parent_close_policy = f.pick([p for p in C.ParentClosePolicy.values()] + [9])
        attrs.input.CopyFrom(f.payload())
    elif shape == C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        attrs = command.request_cancel_external_workflow_execution
        attrs.namespace = f.pick(["", "default"])
        attrs.workflow_id = f.pick(["child-1", "child-2", "", "elsewhere"])
        attrs.child_workflow_only = f.bool()
    elif shape == C.COMMAND_TYPE_COMPLETE_WORKFLOW_UPDATE:
        attrs = command.complete_workflow_update
        attrs.update_id = f.pick(["u1", "u2", ""])
        if f.bool():
            attrs.result.CopyFrom(f.payload())
        else:
            attrs.failure.CopyFrom(f.failure())
    elif shape == C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        command.request_cancel_activity_task.scheduled_event_id = f.pick(pending) if pending and f.bool() else f.int(-1, 40)
    else:
        return C.Command.FromString(command.SerializeToString()) if f.bool() else command
    return command


def _negative(duration) -> bool:
    return duration.seconds < 0 or duration.nanos < 0


def _check_written(event: C.HistoryEvent) -> None:
    """What history writes is what a worker can follow: ids set, no negative timeouts or
    retry intervals, a backoff coefficient of at least 1 (0 = default)."""
    if event.event_type == C.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        attrs = event.activity_task_scheduled
        if not attrs.activity_id or not attrs.activity_type.name or len(attrs.activity_type.name) > 1000:
            raise Finding(f"ActivityTaskScheduled with activity_id {attrs.activity_id!r}, type name of {len(attrs.activity_type.name)} characters")
        for name in ("schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout"):
            if _negative(getattr(attrs, name)):
                raise Finding(f"ActivityTaskScheduled with a negative {name}")
        policy = attrs.retry_policy
        if _negative(policy.initial_interval) or _negative(policy.maximum_interval) or policy.maximum_attempts < 0 \
                or not (policy.backoff_coefficient == 0 or policy.backoff_coefficient >= 1):
            raise Finding(f"ActivityTaskScheduled with retry policy {policy}")
    if event.event_type == C.EVENT_TYPE_TIMER_STARTED and not event.timer_started.timer_id:
        raise Finding("TimerStarted without a timer_id")


class Harness:
    """One run and everything it has written so far (its whole history)."""

    def __init__(self, f: Fuzzed):
        self.f = f
        self.now = S
        request = ws.StartWorkflowExecutionRequest(
            namespace="default", workflow_id="wf", workflow_type=C.WorkflowType(name="T"), task_queue=C.TaskQueue(name="q"), request_id="r")
        if f.int(0, 7) == 0:  # a run that may time out (most runs run long enough to get deep)
            request.workflow_run_timeout.seconds = f.pick([1, 60, 86400])
        if f.int(0, 7) == 0:
            request.workflow_execution_timeout.seconds = f.pick([2, 120, 86400])
        self.run = RunState.start(shard_id=0, limits=Limits(max_pending_activities=f.pick([3, 2000])), request=request, now=self.now)
        self.events: list[C.HistoryEvent] = []
        self.run_events_written: list[C.HistoryEvent] = []
        self.timers: list[tuple[int, persistence_pb2.TimerTask]] = []
        self._commit()
        self.check()

    # ---------------------------------------------------------------- bookkeeping
    def _commit(self) -> None:
        mutation = self.run.take_mutation()
        self.events.extend(mutation.events)
        self.run_events_written.extend(mutation.events)
        self.timers.extend(mutation.timers)
        self.run.committed(mutation.events)

    def token(self, task_type: int, scheduled: int, started: int = 0, attempt: int = 0) -> internal_pb2.TaskToken:
        return internal_pb2.TaskToken.FromString(self.run.task_token(task_type, scheduled, started, attempt))

    def apply(self, operation) -> None:
        saved = copy.deepcopy(self.run)
        closed_before = not self.run.running
        try:
            operation()
        except FanflowError as exc:
            if not exc.message or exc.code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
                raise Finding(f"{type(exc).__name__} ({exc.code.name}) with message {exc.message!r}") from exc
            self.run = saved  # the shard drops a state whose operation failed
            return
        added = len(self.run.mutation.events)
        if closed_before and added:
            raise Finding(f"a closed run took {added} more event(s): {[C.EventType.Name(e.event_type) for e in self.run.mutation.events]}")
        self._commit()
        self.check()

    # ---------------------------------------------------------------- invariants
    def check(self) -> None:
        run, events = self.run, self.events
        ids = [e.event_id for e in events]
        if ids != list(range(1, len(ids) + 1)):
            raise Finding(f"event ids are not consecutive from 1: {ids}")
        if run.state.next_event_id != len(ids) + 1:
            raise Finding(f"next_event_id is {run.state.next_event_id} after {len(ids)} events")
        for event in self.run_events_written:
            _check_written(event)
        self.run_events_written = []
        scheduled = {e.event_id for e in events if e.event_type == C.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
        closed = {getattr(e, field).scheduled_event_id for e in events for t, field in ACTIVITY_CLOSED.items() if e.event_type == t}
        expected_activities = (scheduled - closed) if run.running else set()
        if set(run.activities) != expected_activities:
            raise Finding(f"pending activities {sorted(run.activities)}, but history leaves {sorted(expected_activities)} pending")
        started = {e.timer_started.timer_id: e.event_id for e in events if e.event_type == C.EVENT_TYPE_TIMER_STARTED}
        ended = {e.timer_fired.started_event_id for e in events if e.event_type == C.EVENT_TYPE_TIMER_FIRED} | {
            e.timer_canceled.started_event_id for e in events if e.event_type == C.EVENT_TYPE_TIMER_CANCELED}
        expected_timers = {timer_id for timer_id, event_id in started.items() if event_id not in ended} if run.running else set()
        if set(run.state.timers) != expected_timers:
            raise Finding(f"running timers {sorted(run.state.timers)}, but history leaves {sorted(expected_timers)} running")
        initiated = {e.event_id for e in events if e.event_type == C.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED}
        children_ended = {getattr(e, field).initiated_event_id for e in events for t, field in CHILD_ENDED.items() if e.event_type == t}
        expected_children = (initiated - children_ended) if run.running else set()
        if set(run.children) != expected_children:
            raise Finding(f"open children {sorted(run.children)}, but history leaves {sorted(expected_children)} open")
        wft = run.state.workflow_task
        if wft.scheduled_event_id and not 0 < wft.scheduled_event_id <= len(ids):
            raise Finding(f"the workflow task names scheduled event {wft.scheduled_event_id}, which does not exist")
        if not run.running and wft.scheduled_event_id:
            raise Finding("a closed run has a workflow task")

    # ---------------------------------------------------------------- operations
    def step(self) -> None:
        f, run = self.f, self.run
        self.now += f.pick([0, 1, 1, S, S, 30 * S, 3600 * S])
        now = self.now
        wft = run.state.workflow_task
        pending = sorted(run.activities)
        op = f.int(0, 17)
        if op == 0:
            scheduled = wft.scheduled_event_id if f.int(0, 5) else f.int(0, 40)
            self.apply(lambda: run.record_workflow_task_started(scheduled, f.pick(["w", ""]), now))
        elif op == 1:
            token = self.token(C.TASK_TYPE_WORKFLOW, wft.scheduled_event_id, wft.started_event_id) if f.int(0, 7) else \
                self.token(C.TASK_TYPE_WORKFLOW, f.int(0, 40), f.int(0, 40))
            commands = [c for c in (_command(f, pending) for _ in range(f.int(0, 5))) if c is not None]
            sticky = ws.StickyExecutionAttributes(worker_task_queue=C.TaskQueue(name="q/sticky", kind=C.TASK_QUEUE_KIND_STICKY)) if f.bool() else None
            return_new = f.bool()
            self.apply(lambda: run.complete_workflow_task(token, commands, sticky, "w", now, return_new_task=return_new))
        elif op == 2:
            token = self.token(C.TASK_TYPE_WORKFLOW, wft.scheduled_event_id, wft.started_event_id)
            cause = f.pick([c for c in C.WorkflowTaskFailedCause.values()] + [777])
            failure = f.failure()
            self.apply(lambda: run.fail_workflow_task(token, cause, failure, "w", now))
        elif op in (3, 4, 5, 6, 7):
            scheduled = f.pick(pending) if pending and f.int(0, 7) else f.int(0, 40)
            info = run.activities.get(scheduled)
            attempt = info.attempt if info is not None and f.int(0, 7) else f.int(0, 3)
            token = self.token(C.TASK_TYPE_ACTIVITY, scheduled, 0, attempt)
            if op == 3:
                self.apply(lambda: run.record_activity_task_started(scheduled, attempt, "w", now))
            elif op == 4:
                result = f.payload()
                self.apply(lambda: run.complete_activity(token, result, "w", now))
            elif op == 5:
                failure, details = f.failure(), (f.payload() if f.bool() else None)
                self.apply(lambda: run.fail_activity(token, failure, details, "w", now))
            elif op == 6:
                details = f.payload()
                self.apply(lambda: run.heartbeat(token, details, now))
            else:
                details = f.payload() if f.bool() else None
                self.apply(lambda: run.activity_canceled(token, details, "w", now))
        elif op == 8 and self.timers:
            fire_at, task = f.pick(self.timers)
            self.now = max(self.now, fire_at)
            self.apply(lambda: run.fire_timer(task, max(now, fire_at)))
        elif op == 9:
            name, payload = f.pick(["go", ""]), f.payload()
            self.apply(lambda: run.signal(name, payload, "w", now))
        elif op == 10:
            self.apply(lambda: run.request_cancel(f.pick(["why", ""]), "w", now))
        elif op == 11:
            self.apply(lambda: run.terminate(f.pick(["why", ""]), "w", now))
        elif op == 12:
            update_id, name, payload = f.pick(["u1", "u2"]), f.pick(["upd", "other"]), (f.payload() if f.bool() else None)
            self.apply(lambda: run.accept_update(update_id, name, payload, "w", now))
        elif op in (13, 14, 15, 16):
            children = sorted(run.children)
            initiated = f.pick(children) if children and f.int(0, 7) else f.int(0, 40)
            info = run.children.get(initiated)
            child = C.WorkflowExecution(workflow_id=info.workflow_id if info is not None and f.int(0, 7) else f.pick(["child-1", "x"]), run_id="child-run")
            if op == 13:
                self.apply(lambda: run.child_started(initiated, "child-run", now))
            elif op == 14:
                cause, message = f.int(0, 3), f.pick(["exists", ""])
                self.apply(lambda: run.child_start_failed(initiated, cause, message, now))
            elif op == 15:
                close = C.HistoryEvent(event_id=f.int(1, 9))
                which = f.pick(CHILD_CLOSES)
                getattr(close, which).SetInParent()
                self.apply(lambda: run.child_closed(initiated, child, close, now))
            else:
                cancel_initiated = info.cancel_initiated_event_id if info is not None and f.bool() else f.int(0, 40)
                self.apply(lambda: run.external_cancel_requested(cancel_initiated, child, now))
        else:
            self.apply(lambda: run.queue_undelivered_tasks(now))


def test_one(data: bytes) -> None:
    f = Fuzzed(data)
    harness = Harness(f)
    steps = 0
    while f.left() and steps < 64:
        harness.step()
        steps += 1


def _seeds() -> list[bytes]:
    """A few byte strings that walk common paths (start the task, schedule, start, complete)."""
    return [bytes(range(0, 256, 3)), bytes([1] * 64), bytes([0, 0, 1, 0, 0, 1, 2, 1, 1, 3, 4, 0, 0, 5]) * 8, bytes(200)]


SEEDS = _seeds()
