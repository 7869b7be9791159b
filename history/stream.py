"""What a workflow's watchers see (WatchWorkflow), derived from each commit.

Every commit of a run may add entries to the workflow's stream (the `watch_entries` rows of
its shard, in commit order; a row's id is the stream's cursor):

- a task of workflow code (`workflows.task`, the SDK's `fanflow.task` marker) started, changed
  state, completed or failed: a TaskState entry, and the task's latest state (`task_states`);
- a recorded event (`workflows.record_event`, the `fanflow.event` marker);
- the run started (RUNNING) or closed (its close status).

Tasks of activities come through RecordTaskState (history/api/watch.py) and use the same
`task_change`, so both kinds look alike to readers.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from history import sdk_markers
from protos import common_pb2, workflow_service_pb2 as ws

log = structlog.get_logger("fanflow.history.stream")

TASK_MARKER = "fanflow.task"

E = common_pb2
_STATUS_EVENTS = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}
_TASK_STATUSES = {
    "started": ws.TASK_STATUS_STARTED,
    "in_progress": ws.TASK_STATUS_IN_PROGRESS,
    "completed": ws.TASK_STATUS_COMPLETED,
    "failed": ws.TASK_STATUS_FAILED,
}
CLOSED_TASK_STATUSES = frozenset({ws.TASK_STATUS_COMPLETED, ws.TASK_STATUS_FAILED})


@dataclass(slots=True)
class StreamRecords:
    """What one commit of one run adds to the workflow's stream."""

    task_states: list[ws.TaskState] = field(default_factory=list)  # each task's state after this change
    entries: list[ws.WatchWorkflowResponse] = field(default_factory=list)  # in order, cursor unset


def task_change(task: ws.TaskState, run_id: str, now: int, activity_id: str = "") -> ws.TaskState:
    """A task's change as stored: the run (and activity) it came from and its times."""
    change = ws.TaskState()
    change.CopyFrom(task)
    change.run_id = run_id
    change.activity_id = activity_id
    change.updated_time.FromNanoseconds(now)
    if change.status == ws.TASK_STATUS_STARTED:
        change.started_time.FromNanoseconds(now)
    if change.status in CLOSED_TASK_STATUSES:
        change.closed_time.FromNanoseconds(now)
    return change


def task_entry(change: ws.TaskState, now: int) -> ws.WatchWorkflowResponse:
    entry = ws.WatchWorkflowResponse(task=change)
    entry.time.FromNanoseconds(now)
    return entry


def parse_task_marker(details: bytes) -> ws.TaskState:
    """The TaskState a `fanflow.task` marker describes; ValueError/KeyError/TypeError if malformed."""
    body = json.loads(details or b"null")
    status = _TASK_STATUSES[body["status"]]
    task = ws.TaskState(id=str(body["id"]), type=str(body["type"]), status=status, error=str(body.get("error") or ""))
    if not task.id or not task.type:
        raise ValueError("a task needs an id and a type")
    if body.get("has_state"):
        task.state.CopyFrom(common_pb2.Payload(data=json.dumps(body.get("state")).encode(), encoding="json/plain"))
    return task


def records(
    events: Sequence[common_pb2.HistoryEvent],
    markers: Sequence[common_pb2.MarkerRecordedEventAttributes],
    run_id: str,
    status: int,
    now: int,
) -> StreamRecords:
    """The stream records of one run's commit: its start, its task markers and recorded events
    (in command order), its close."""
    out = StreamRecords()
    close: ws.WatchWorkflowResponse | None = None
    for event in events:
        if event.event_type not in _STATUS_EVENTS:
            continue
        started = event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
        entry = ws.WatchWorkflowResponse(
            status=ws.WorkflowStatusChange(run_id=run_id, status=E.WORKFLOW_EXECUTION_STATUS_RUNNING if started else status)
        )
        entry.time.FromNanoseconds(now)
        if started:
            out.entries.append(entry)
        else:
            close = entry
    for marker in markers:
        if marker.marker_name == TASK_MARKER:
            try:
                change = task_change(parse_task_marker(marker.details.data), run_id, now)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("ignoring malformed task marker", error=str(exc))
                continue
            out.task_states.append(change)
            out.entries.append(task_entry(change, now))
        elif marker.marker_name == "fanflow.event":
            for recorded in sdk_markers.records([marker], run_id, now)[1]:
                entry = ws.WatchWorkflowResponse(event=recorded)
                entry.time.CopyFrom(recorded.time)
                out.entries.append(entry)
    if close is not None:  # a run's close comes last in its stream
        out.entries.append(close)
    return out
