"""A run's history as the seed's workflow events (`fanflow/seed_events.py`), and the seed's
SSE event stream over them (`GET /v1/workflows/events/stream`).

The events are derived from history, so they are durable and the same on every read: an
event's `broker_sequence` is its position in the execution's event list (all runs of the
continue-as-new chain, oldest first), which is what makes `start_seq` resume a stream.

How history maps (fanflow's choices where the seed has no event):

- WorkflowExecutionStarted / Completed / Failed / Canceled / ContinuedAsNew, WorkflowTaskFailed /
  TimedOut: the seed's event of the same name (a canceled run's `reason` is the cancel request's).
- Terminated: WORKFLOW_EXECUTION_CANCELED with reason "terminated: <reason>"; TimedOut:
  WORKFLOW_EXECUTION_FAILED with a message saying so (the seed has no event for either).
- An activity: ACTIVITY_TASK_STARTED (with the scheduled input) at the place it was scheduled,
  as soon as its first attempt runs. History writes an attempt's start only with its outcome
  (as Temporal does), so while it runs the start is read from the run's pending activities;
  events after it wait for it (an activity cancelled or timed out before it started has no
  started event, and releases them). An attempt > 1 adds ACTIVITY_TASK_RETRYING with the
  previous attempt's failure; then ACTIVITY_TASK_COMPLETED, or ACTIVITY_TASK_FAILED (failed,
  timed out). fanflow's internal activities (`fanflow.*`) are left out.
- Everything else (workflow tasks, timers, signals, markers, updates) has no event.
- Child workflows, in a stream scoped to a root execution (`root_workflow_exec_id`): a child's
  events (its own children's too) are placed where the parent's history records that the
  child closed, so they arrive when the child has ended, all at once, before the parent's
  events that follow. A child the parent does not wait for (abandoned) is not included.
"""
from __future__ import annotations

import asyncio
import collections
import datetime
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc

from fanflow.seed_events import WorkflowEventType as T, workflow_event_adapter
from protos import common_pb2, workflow_service_pb2 as ws
from webui import convert
from webui.caller import Caller, execution
from webui.cluster import UpstreamError

STREAM_NAME = "workflow-events"
POLL_SECONDS = 0.2  # how often an open run's history is read again while a stream follows it
KEEPALIVE_SECONDS = 15.0
RETRY_MILLISECONDS = 500  # the SSE `retry:` a client waits before it reconnects
PAGE = 1000
E = common_pb2
CLOSING = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
}


def _payload(value: Any) -> dict:
    return {"type": "json", "value": value}


# A `workflows.task(...)` change recorded by workflow code (its `fanflow.task` marker) as the
# seed's CUSTOM_TASK_* event; the state goes whole (the seed may send JSON patches instead).
# Changes made inside activities are not in history: they are on WatchWorkflow only.
TASK_MARKER = "fanflow.task"
_TASK_EVENTS = {
    "started": T.CUSTOM_TASK_STARTED, "in_progress": T.CUSTOM_TASK_IN_PROGRESS,
    "completed": T.CUSTOM_TASK_COMPLETED, "failed": T.CUSTOM_TASK_FAILED,
}


def _custom_task(details: common_pb2.Payload) -> list[tuple[T, dict]]:
    try:
        change = json.loads(details.data or b"null")
        event_type = _TASK_EVENTS[change["status"]]
        base = {"custom_task_id": str(change["id"]), "custom_task_type": str(change["type"])}
    except (ValueError, KeyError, TypeError):
        return []  # not a marker this SDK wrote
    if event_type == T.CUSTOM_TASK_FAILED:
        return [(event_type, {**base, "failure": {"message": change.get("error") or "the task failed"}})]
    return [(event_type, {**base, "payload": _payload(change.get("state"))})]


def _failure(failure: common_pb2.Failure, fallback: str) -> dict:
    message = failure.message or fallback
    if failure.type and failure.type not in message:
        message = f"{failure.type}: {message}"
    return {"message": message}


class Execution:
    """What the envelope of every event of one execution says: its ids and name."""

    def __init__(self, namespace: str, workflow_id: str, workflow_name: str, first_run_id: str, parent_id: str | None, root_id: str):
        self.namespace = namespace
        self.workflow_id = workflow_id
        self.workflow_name = workflow_name
        self.first_run_id = first_run_id
        self.parent_id = parent_id
        self.root_id = root_id


async def find_execution(caller: Caller, namespace: str, workflow_id: str) -> Execution:
    """The execution (NOT_FOUND answers before anything is sent) and its root: parents are
    followed up to 32 levels."""
    described = await caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace=namespace, execution=execution(workflow_id)))
    info = described.info
    parent = info.parent_execution.workflow_id or None
    root, hops, above = workflow_id, 0, info
    while above.parent_execution.workflow_id and hops < 32:
        root = above.parent_execution.workflow_id
        try:
            above = (await caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(
                namespace=namespace, execution=execution(root)))).info
        except UpstreamError:  # a parent past its retention: the last one known is the root
            break
        hops += 1
    return Execution(namespace, workflow_id, info.type.name, info.first_run_id or info.execution.run_id, parent, root)


class _Start:
    """Where an activity's ACTIVITY_TASK_STARTED goes: its scheduled event's place."""

    __slots__ = ("run_id", "scheduled_event_id")

    def __init__(self, run_id: str, scheduled_event_id: int):
        self.run_id = run_id
        self.scheduled_event_id = scheduled_event_id


class Deriver:
    """Turns one execution's history events (run by run, in order) into seed events."""

    def __init__(self, ex: Execution):
        self.ex = ex
        self.activities: dict[tuple[str, int], tuple[str, str, Any]] = {}  # (run, scheduled id) -> (type, activity id, input)
        self.attempts: dict[tuple[str, int], int] = {}  # (run, scheduled id) -> the attempt that started
        self.started_at: dict[tuple[str, int], int] = {}  # activities known to have started -> when (ns)
        self.ended: set[tuple[str, int]] = set()  # activities history closed (with or without a start)
        self.closed_runs: set[str] = set()
        self.held: collections.deque[dict | _Start] = collections.deque()  # derived, not yet released
        self.cancel_reason: str | None = None
        self.continued_from: dict[str, str] = {}  # run id -> the run it continued

    def feed(self, run_id: str, event: common_pb2.HistoryEvent) -> None:
        """Take the run's next history event; `release()` gives what can be sent."""
        if event.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = event.activity_task_scheduled
            self.activities[(run_id, event.event_id)] = (a.activity_type.name, a.activity_id, convert.payload_value(a.input))
            if not a.activity_type.name.startswith("fanflow."):
                self.held.append(_Start(run_id, event.event_id))
            return
        self.held.extend(self._events(run_id, event))

    def close_run(self, run_id: str) -> None:
        """The run has closed: an activity of it that has not started never will."""
        self.closed_runs.add(run_id)

    def started_live(self, run_id: str, scheduled_event_id: int, at_ns: int) -> None:
        """A pending activity of the open run is running (its start is not in history yet)."""
        self.started_at.setdefault((run_id, scheduled_event_id), at_ns)

    def waiting_run(self) -> str | None:
        """The run whose activity start holds the stream back, if one does."""
        start = self.held[0] if self.held and isinstance(self.held[0], _Start) else None
        return start.run_id if start is not None and self._resolution(start) is None else None

    def release(self) -> list[dict]:
        """The events that can be sent, in order: up to the first activity not known to have
        started (or never to start)."""
        out: list[dict] = []
        while self.held:
            item = self.held[0]
            if isinstance(item, _Start):
                resolution = self._resolution(item)
                if resolution is None:
                    break
                if resolution:
                    out.append(self._started(item))
            else:
                out.append(item)
            self.held.popleft()
        return out

    def _resolution(self, start: "_Start") -> bool | None:
        key = (start.run_id, start.scheduled_event_id)
        if key in self.started_at:
            return True
        if key in self.ended or start.run_id in self.closed_runs:
            return False
        return None

    def _started(self, start: "_Start") -> dict:
        key = (start.run_id, start.scheduled_event_id)
        name, activity_id, given = self.activities[key]
        attributes = {"task_id": activity_id, "activity_name": name, "input": _payload(given)}
        return self._envelope(start.run_id, f"{start.run_id}:{start.scheduled_event_id}:started", self.started_at[key], T.ACTIVITY_TASK_STARTED, attributes)

    def _events(self, run_id: str, event: common_pb2.HistoryEvent) -> list[dict]:
        kind = event.event_type
        out: list[tuple[T, dict]] = []
        if kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            a = event.workflow_execution_started
            if a.continued_execution_run_id:
                self.continued_from[run_id] = a.continued_execution_run_id
            out.append((T.WORKFLOW_EXECUTION_STARTED, {"task_id": str(event.event_id), "workflow_name": a.workflow_type.name or self.ex.workflow_name,
                                                        "display_name": None, "input": _payload(convert.payload_value(a.input)), "attempt": max(1, a.attempt)}))
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            out.append((T.WORKFLOW_EXECUTION_COMPLETED, {"task_id": str(event.event_id), "result": _payload(convert.payload_value(event.workflow_execution_completed.result))}))
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            out.append((T.WORKFLOW_EXECUTION_FAILED, {"task_id": str(event.event_id), "failure": _failure(event.workflow_execution_failed.failure, "the workflow failed")}))
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            self.cancel_reason = event.workflow_execution_cancel_requested.reason or None
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
            out.append((T.WORKFLOW_EXECUTION_CANCELED, {"task_id": str(event.event_id), "reason": self.cancel_reason}))
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            reason = event.workflow_execution_terminated.reason
            out.append((T.WORKFLOW_EXECUTION_CANCELED, {"task_id": str(event.event_id), "reason": f"terminated: {reason}" if reason else "terminated"}))
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            which = "execution timeout" if event.workflow_execution_timed_out.execution_timeout else "run timeout"
            out.append((T.WORKFLOW_EXECUTION_FAILED, {"task_id": str(event.event_id), "failure": {"message": f"the workflow timed out (its {which} passed)"}}))
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            a = event.workflow_execution_continued_as_new
            out.append((T.WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {"task_id": str(event.event_id), "new_execution_run_id": a.new_execution_run_id,
                                                                 "workflow_name": a.workflow_type.name or self.ex.workflow_name, "input": _payload(convert.payload_value(a.input))}))
        elif kind == E.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            out.append((T.WORKFLOW_TASK_FAILED, {"task_id": str(event.event_id), "failure": _failure(event.workflow_task_failed.failure, "the workflow task failed")}))
        elif kind == E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            timeout = convert.to_json(event.workflow_task_timed_out).get("timeout_type")
            out.append((T.WORKFLOW_TASK_TIMED_OUT, {"task_id": str(event.event_id), "timeout_type": timeout.upper() if isinstance(timeout, str) else None}))
        elif kind == E.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
            self.ended.add((run_id, event.activity_task_canceled.scheduled_event_id))
        elif kind in (E.EVENT_TYPE_ACTIVITY_TASK_STARTED, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, E.EVENT_TYPE_ACTIVITY_TASK_FAILED, E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT):
            out.extend(self._activity(run_id, event))
        elif kind == E.EVENT_TYPE_MARKER_RECORDED and event.marker_recorded.marker_name == TASK_MARKER:
            out.extend(_custom_task(event.marker_recorded.details))
        return [
            self._envelope(run_id, f"{run_id}:{event.event_id}" + (f":{i}" if i else ""), event.event_time.ToNanoseconds(), event_type, attributes)
            for i, (event_type, attributes) in enumerate(out)
        ]

    def _activity(self, run_id: str, event: common_pb2.HistoryEvent) -> list[tuple[T, dict]]:
        kind = event.event_type
        attrs = {
            E.EVENT_TYPE_ACTIVITY_TASK_STARTED: event.activity_task_started, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: event.activity_task_completed,
            E.EVENT_TYPE_ACTIVITY_TASK_FAILED: event.activity_task_failed, E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: event.activity_task_timed_out,
        }[kind]
        key = (run_id, attrs.scheduled_event_id)
        scheduled = self.activities.get(key)
        if scheduled is None or scheduled[0].startswith("fanflow."):
            return []
        name, activity_id, given = scheduled
        base = {"task_id": activity_id, "activity_name": name}
        if kind == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            self.started_at.setdefault(key, event.event_time.ToNanoseconds())  # ACTIVITY_TASK_STARTED sits where it was scheduled
            self.attempts[key] = max(1, attrs.attempt)
            if attrs.attempt > 1:
                return [(T.ACTIVITY_TASK_RETRYING, {**base, "attempt": attrs.attempt - 1, "failure": _failure(attrs.last_failure, "the previous attempt failed")})]
            return []
        self.ended.add(key)
        if kind == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            return [(T.ACTIVITY_TASK_COMPLETED, {**base, "result": _payload(convert.payload_value(attrs.result))})]
        attempt = self.attempts.get((run_id, attrs.scheduled_event_id), 1)
        fallback = "the activity timed out" if kind == E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT else "the activity failed"
        return [(T.ACTIVITY_TASK_FAILED, {**base, "attempt": attempt, "failure": _failure(attrs.failure, fallback)})]

    def _envelope(self, run_id: str, event_id: str, at_ns: int, event_type: T, attributes: dict) -> dict:
        # Through the models, so the JSON has every field the seed's models have (defaults too).
        return workflow_event_adapter.dump_python(workflow_event_adapter.validate_python({
            "event_id": event_id,
            "event_timestamp": at_ns,
            "root_workflow_exec_id": self.ex.root_id,
            "parent_workflow_exec_id": self.ex.parent_id,
            "continued_run_id": self.continued_from.get(run_id),
            "first_execution_run_id": self.ex.first_run_id,
            "chain_run_id": self.ex.first_run_id,
            "schedule_id": None,
            "workflow_exec_id": self.ex.workflow_id,
            "workflow_run_id": run_id,
            "workflow_name": self.ex.workflow_name,
            "event_type": event_type.value,
            "attributes": attributes,
        }), mode="json")


CHILD_CLOSED = {
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: "child_workflow_execution_completed",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: "child_workflow_execution_failed",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: "child_workflow_execution_canceled",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: "child_workflow_execution_timed_out",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: "child_workflow_execution_terminated",
}


class Reader:
    """Reads an execution's history run by run, from where it stopped: each `read()` returns
    the seed events of the history written since, and whether the chain has closed.
    `with_children`: each closed child's events too (recursively), where the child closed."""

    def __init__(self, caller: Caller, ex: Execution, with_children: bool = False):
        self.caller = caller
        self.ex = ex
        self.with_children = with_children
        self.deriver = Deriver(ex)
        self.run_id = ex.first_run_id
        self.next_event_id = 1
        self.closed = False

    async def read(self) -> list[dict]:
        history_closed = False
        while not history_closed:
            response = await self.caller.workflows("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(
                namespace=self.ex.namespace, execution=execution(self.ex.workflow_id, self.run_id), maximum_page_size=PAGE, first_event_id=self.next_event_id,
            ))
            page = list(response.history.events)
            next_run = None
            for event in page:
                self.deriver.feed(self.run_id, event)
                if self.with_children and event.event_type in CHILD_CLOSED:
                    self.deriver.held.extend(await self._child_events(getattr(event, CHILD_CLOSED[event.event_type]).workflow_execution))
                self.next_event_id = event.event_id + 1
                if event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                    next_run = event.workflow_execution_continued_as_new.new_execution_run_id
                elif event.event_type in CLOSING:
                    history_closed = True
                    self.deriver.close_run(self.run_id)
            if next_run:
                self.deriver.close_run(self.run_id)
                self.run_id, self.next_event_id = next_run, 1
                continue
            if not response.next_page_token or not page:
                break
        out = self.deriver.release()
        waiting = self.deriver.waiting_run()
        if waiting is not None:  # an activity's start that history has not written yet: ask which are running
            described = await self.caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(
                namespace=self.ex.namespace, execution=execution(self.ex.workflow_id, waiting)))
            for activity in described.pending_activities:
                if activity.started:
                    self.deriver.started_live(waiting, activity.scheduled_event_id, activity.started_time.ToNanoseconds() or time.time_ns())
            out.extend(self.deriver.release())
        self.closed = history_closed and not self.deriver.held
        return out

    async def _child_events(self, child: common_pb2.WorkflowExecution) -> list[dict]:
        """Every event of a child that has closed (none if it is gone, e.g. past retention)."""
        try:
            info = (await self.caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(
                namespace=self.ex.namespace, execution=execution(child.workflow_id, child.run_id)))).info
        except UpstreamError as exc:
            if exc.code == grpc.StatusCode.NOT_FOUND:
                return []
            raise
        ex = Execution(self.ex.namespace, child.workflow_id, info.type.name, info.first_run_id or info.execution.run_id, self.ex.workflow_id, self.ex.root_id)
        reader, out = Reader(self.caller, ex, with_children=True), []
        while not reader.closed:
            out.extend(await reader.read())
        return out


def envelope(ex: Execution, event: dict, sequence: int) -> dict:
    """An event as one `data:` line of the seed's stream (`StreamEventSsePayload`); the context
    is the event's own execution's (a child's, in a stream of a root)."""
    context = {"namespace": ex.namespace, "workflow_name": event["workflow_name"], "workflow_exec_id": event["workflow_exec_id"],
               "parent_workflow_exec_id": event["parent_workflow_exec_id"], "root_workflow_exec_id": event["root_workflow_exec_id"]}
    return {"stream": STREAM_NAME, "timestamp": convert_ns(event["event_timestamp"]), "data": event,
            "workflow_context": context, "metadata": {}, "broker_sequence": sequence}


def convert_ns(nanoseconds: int) -> str:
    return datetime.datetime.fromtimestamp(nanoseconds / 1e9, datetime.timezone.utc).isoformat()


def sse_data(data: dict, sequence: int | None = None) -> bytes:
    head = f"id: {sequence}\n" if sequence is not None else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def follow(caller: Caller, ex: Execution, start_seq: int, event_types: set[str] | None, with_children: bool = False) -> AsyncIterator[bytes]:
    """The stream: every event from `start_seq` on, as history grows, until the chain closes
    (then the stream ends). A cluster error mid-stream is sent as the seed's error data."""
    reader = Reader(caller, ex, with_children)
    sequence = 0
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
    try:
        while True:
            for event in await reader.read():
                if sequence >= start_seq and (not event_types or event["event_type"] in event_types):
                    yield sse_data(envelope(ex, event, sequence), sequence)
                    quiet_since = loop.time()
                sequence += 1
            if reader.closed:
                return
            await asyncio.sleep(POLL_SECONDS)
            if loop.time() - quiet_since >= KEEPALIVE_SECONDS:
                quiet_since = loop.time()
                yield b": keep-alive\n\n"
    except UpstreamError as exc:
        yield sse_data({"error": exc.code.name, "reason": exc.message})
