"""Protobuf messages as JSON for the API and the pages.

Payloads are shown as the JSON they carry (fanflow's payloads are JSON; anything else is
`{"encoding": ..., "base64": ...}`), timestamps as ISO 8601 (UTC), durations as seconds,
enums by their short lower-case name (`WORKFLOW_EXECUTION_STATUS_RUNNING` -> `running`), and
field names as in the .proto files. Nothing here escapes HTML: the pages do that when they
render (Jinja2 autoescaping, `textContent` in the browser)."""
from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import descriptor
from google.protobuf.message import Message

from protos import common_pb2

FD = descriptor.FieldDescriptor

STATUS_NAMES = {
    value: common_pb2.WorkflowExecutionStatus.Name(value).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()
    for value in common_pb2.WorkflowExecutionStatus.values()
}
STATUS_VALUES = {name: value for value, name in STATUS_NAMES.items() if value}
CLOSED_STATUSES = frozenset(name for name in STATUS_VALUES if name != "running")

_ENUM_PREFIXES = {
    "WorkflowExecutionStatus": "WORKFLOW_EXECUTION_STATUS_",
    "EventType": "EVENT_TYPE_",
    "TimeoutType": "TIMEOUT_TYPE_",
    "RetryState": "RETRY_STATE_",
    "WorkflowTaskFailedCause": "WORKFLOW_TASK_FAILED_CAUSE_",
    "TaskQueueKind": "TASK_QUEUE_KIND_",
    "TaskType": "TASK_TYPE_",
}


def status_name(value: int) -> str:
    return STATUS_NAMES.get(value, "unspecified")


def event_type_name(value: int) -> str:
    """EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> ActivityTaskScheduled (Temporal's spelling)."""
    raw = common_pb2.EventType.Name(value).removeprefix("EVENT_TYPE_")
    return "".join(part.capitalize() for part in raw.split("_"))


def payload_value(payload: common_pb2.Payload | None) -> Any:
    if payload is None or not payload.ByteSize():
        return None
    if payload.encoding.startswith("json") or not payload.encoding:
        try:
            return json.loads(payload.data or b"null")
        except ValueError:
            pass
    return {"encoding": payload.encoding, "base64": base64.b64encode(payload.data).decode()}


def timestamp(ts) -> str | None:
    """ISO 8601 in UTC, or None when unset (seconds and nanos both 0)."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return ts.ToJsonString()


def to_json(message: Message) -> dict[str, Any]:
    """Every set field of `message` (proto3 defaults left out), converted as the module says."""
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        if field.is_repeated and not _is_map(field):
            out[field.name] = [_value(field, v) for v in value]
        elif _is_map(field):
            out[field.name] = {k: _value(field.message_type.fields_by_name["value"], v) for k, v in value.items()}
        else:
            out[field.name] = _value(field, value)
    return out


def _is_map(field) -> bool:
    return field.type == FD.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def _value(field, value) -> Any:
    if field.type == FD.TYPE_MESSAGE:
        name = field.message_type.full_name
        if name == "fanflow.v1.Payload":
            return payload_value(value)
        if name == "google.protobuf.Timestamp":
            return timestamp(value)
        if name == "google.protobuf.Duration":
            return value.ToNanoseconds() / 1e9
        return to_json(value)
    if field.type == FD.TYPE_ENUM:
        enum = field.enum_type
        prefix = _ENUM_PREFIXES.get(enum.name, "")
        entry = enum.values_by_number.get(value)
        return entry.name.removeprefix(prefix).lower() if entry else value
    if field.type == FD.TYPE_BYTES:
        return base64.b64encode(value).decode()
    if field.type in (FD.TYPE_INT64, FD.TYPE_UINT64, FD.TYPE_SINT64, FD.TYPE_FIXED64, FD.TYPE_SFIXED64):
        return int(value)
    return value


def failure(failure_message) -> dict[str, Any] | None:
    if failure_message is None or not failure_message.ByteSize():
        return None
    return to_json(failure_message)


def event(e: common_pb2.HistoryEvent) -> dict[str, Any]:
    which = e.WhichOneof("attributes")
    return {
        "event_id": e.event_id,
        "time": timestamp(e.event_time),
        "type": event_type_name(e.event_type),
        "attributes": to_json(getattr(e, which)) if which else {},
    }


def execution_info(info) -> dict[str, Any]:
    """A WorkflowExecutionInfo as a list row / the head of describe."""
    metadata = info.metadata
    return {
        "workflow_id": info.execution.workflow_id,
        "run_id": info.execution.run_id,
        "type": info.type.name,
        "display_name": metadata.display_name or None,
        "description": metadata.description or None,
        "is_technical": metadata.is_technical,
        "status": status_name(info.status),
        "task_queue": info.task_queue.name,
        "start_time": timestamp(info.start_time),
        "close_time": timestamp(info.close_time),
        "history_length": int(info.history_length),
        "history_size_bytes": int(info.history_size_bytes),
        "first_run_id": info.first_run_id or None,
        "pending_activity_count": info.pending_activity_count,
        "shard_id": info.shard_id,
        "execution_expiration_time": timestamp(info.execution_expiration_time) if info.HasField("execution_expiration_time") else None,
        "last_workflow_task_failure": to_json(info.last_workflow_task_failure) if info.HasField("last_workflow_task_failure") else None,
    }


def progress(p) -> dict[str, Any]:
    """A GetWorkflowProgressResponse."""
    return {
        "status": status_name(p.status),
        "current_run_id": p.current_run_id,
        "runs": int(p.runs),
        "executors": [
            {
                "executor_id": e.executor_id,
                "pattern": e.pattern,
                "total": int(e.total),
                "done": int(e.done),
                "failed": int(e.failed),
                "in_flight": int(e.in_flight),
                "items_per_second": round(e.items_per_second, 3),
                "eta_seconds": None if e.eta_seconds < 0 else round(e.eta_seconds, 1),
                "started_time": timestamp(e.started_time),
                "updated_time": timestamp(e.updated_time),
            }
            for e in p.executors
        ],
        "events": [recorded_event(ev) for ev in p.events],
        "last_workflow_task_failure": to_json(p.last_workflow_task_failure) if p.HasField("last_workflow_task_failure") else None,
    }


def recorded_event(ev) -> dict[str, Any]:
    return {"name": ev.name, "details": payload_value(ev.details), "time": timestamp(ev.time), "run_id": ev.run_id}
