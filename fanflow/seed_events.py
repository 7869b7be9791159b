"""The seed system's workflow events as data: the JSON its event stream carries.

The seed (Mistral Workflows) publishes a run's life as `WorkflowEvent`s: a common envelope
(ids, time in nanoseconds, the workflow's name) with an `event_type` and type-specific
`attributes`. Its SSE stream wraps each event in a payload with a `broker_sequence`. These
models give the same field names and the same JSON, so that:

- fanflow's seed-compatible HTTP layer (`webui/seed_api.py`) can describe a run in the
  seed's shapes (the events are derived from the run's history, `webui/seed_stream.py`);
- the seed's test helpers (`worker_sdk.testing`) validate and build events the same way.

Only JSON (and JSON-patch) payloads exist here: fanflow has no payload encryption.
"""
from __future__ import annotations

import datetime
import time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, TypeAdapter


class WorkflowEventType(StrEnum):
    WORKFLOW_EXECUTION_STARTED = "WORKFLOW_EXECUTION_STARTED"
    WORKFLOW_EXECUTION_COMPLETED = "WORKFLOW_EXECUTION_COMPLETED"
    WORKFLOW_EXECUTION_FAILED = "WORKFLOW_EXECUTION_FAILED"
    WORKFLOW_EXECUTION_CANCELED = "WORKFLOW_EXECUTION_CANCELED"
    WORKFLOW_EXECUTION_CONTINUED_AS_NEW = "WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    WORKFLOW_TASK_TIMED_OUT = "WORKFLOW_TASK_TIMED_OUT"
    WORKFLOW_TASK_FAILED = "WORKFLOW_TASK_FAILED"
    CUSTOM_TASK_STARTED = "CUSTOM_TASK_STARTED"
    CUSTOM_TASK_IN_PROGRESS = "CUSTOM_TASK_IN_PROGRESS"
    CUSTOM_TASK_COMPLETED = "CUSTOM_TASK_COMPLETED"
    CUSTOM_TASK_FAILED = "CUSTOM_TASK_FAILED"
    CUSTOM_TASK_TIMED_OUT = "CUSTOM_TASK_TIMED_OUT"
    CUSTOM_TASK_CANCELED = "CUSTOM_TASK_CANCELED"
    ACTIVITY_TASK_STARTED = "ACTIVITY_TASK_STARTED"
    ACTIVITY_TASK_COMPLETED = "ACTIVITY_TASK_COMPLETED"
    ACTIVITY_TASK_RETRYING = "ACTIVITY_TASK_RETRYING"
    ACTIVITY_TASK_FAILED = "ACTIVITY_TASK_FAILED"


# ------------------------------------------------------------------ payloads
class JSONPatchOperation(BaseModel):
    """One RFC 6902 operation; `append` (string concatenation) is the seed's extension."""

    op: Literal["add", "replace", "remove", "append"]
    path: str
    value: Any = None


class JSONPayload(BaseModel):
    type: Literal["json"] = "json"
    value: Any = None
    encoding_options: list[str] | None = None


class JSONPatchPayload(BaseModel):
    type: Literal["json_patch"] = "json_patch"
    value: list[JSONPatchOperation] | str  # a string: an encrypted patch list (the seed's)
    encoding_options: list[str] | None = None


Payload = Annotated[Annotated[JSONPayload, Tag("json")] | Annotated[JSONPatchPayload, Tag("json_patch")], Discriminator("type")]


class Failure(BaseModel):
    message: str


# ------------------------------------------------------------------ attributes
class _TaskAttributes(BaseModel):
    task_id: str


class WorkflowExecutionStartedAttributes(_TaskAttributes):
    workflow_name: str
    display_name: str | None = None
    input: JSONPayload
    attempt: int = 1


class WorkflowExecutionCompletedAttributes(_TaskAttributes):
    result: JSONPayload
    attempt: int = 1


class WorkflowExecutionFailedAttributes(_TaskAttributes):
    failure: Failure
    attempt: int = 1


class WorkflowExecutionCanceledAttributes(_TaskAttributes):
    reason: str | None = None
    attempt: int = 1


class WorkflowExecutionContinuedAsNewAttributes(_TaskAttributes):
    new_execution_run_id: str
    workflow_name: str
    input: JSONPayload


class WorkflowTaskTimedOutAttributes(_TaskAttributes):
    timeout_type: str | None = None


class WorkflowTaskFailedAttributes(_TaskAttributes):
    failure: Failure


class _CustomTaskAttributes(BaseModel):
    custom_task_id: str
    custom_task_type: str


class CustomTaskStartedAttributes(_CustomTaskAttributes):
    payload: JSONPayload = Field(default_factory=lambda: JSONPayload(value=None))


class CustomTaskInProgressAttributes(_CustomTaskAttributes):
    payload: Payload


class CustomTaskCompletedAttributes(_CustomTaskAttributes):
    payload: JSONPayload


class CustomTaskFailedAttributes(_CustomTaskAttributes):
    failure: Failure


class CustomTaskTimedOutAttributes(_CustomTaskAttributes):
    timeout_type: str | None = None


class CustomTaskCanceledAttributes(_CustomTaskAttributes):
    reason: str | None = None


class _ActivityAttributes(BaseModel):
    task_id: str
    activity_name: str


class ActivityTaskStartedAttributes(_ActivityAttributes):
    input: JSONPayload


class ActivityTaskCompletedAttributes(_ActivityAttributes):
    result: JSONPayload


class ActivityTaskRetryingAttributes(_ActivityAttributes):
    attempt: int
    failure: Failure


class ActivityTaskFailedAttributes(_ActivityAttributes):
    attempt: int
    failure: Failure


# ------------------------------------------------------------------ events
class BaseEvent(BaseModel):
    """What every event carries: which run of which execution, and when (Unix ns)."""

    event_id: str
    event_timestamp: int = Field(default_factory=time.time_ns)
    root_workflow_exec_id: str
    parent_workflow_exec_id: str | None = None
    continued_run_id: str | None = None
    first_execution_run_id: str | None = None
    chain_run_id: str | None = None
    schedule_id: str | None = None
    workflow_exec_id: str
    workflow_run_id: str
    workflow_name: str


def _event(event_type: WorkflowEventType, attributes: type[BaseModel], name: str) -> type[BaseEvent]:
    """An event class: the envelope, its `event_type` literal (the discriminator) and attributes."""
    return type(name, (BaseEvent,), {
        "__annotations__": {"event_type": Literal[event_type], "attributes": attributes},  # type: ignore[valid-type]
        "event_type": event_type,
        "__module__": __name__,
    })


T = WorkflowEventType
WorkflowExecutionStarted = _event(T.WORKFLOW_EXECUTION_STARTED, WorkflowExecutionStartedAttributes, "WorkflowExecutionStarted")
WorkflowExecutionCompleted = _event(T.WORKFLOW_EXECUTION_COMPLETED, WorkflowExecutionCompletedAttributes, "WorkflowExecutionCompleted")
WorkflowExecutionFailed = _event(T.WORKFLOW_EXECUTION_FAILED, WorkflowExecutionFailedAttributes, "WorkflowExecutionFailed")
WorkflowExecutionCanceled = _event(T.WORKFLOW_EXECUTION_CANCELED, WorkflowExecutionCanceledAttributes, "WorkflowExecutionCanceled")
WorkflowExecutionContinuedAsNew = _event(T.WORKFLOW_EXECUTION_CONTINUED_AS_NEW, WorkflowExecutionContinuedAsNewAttributes, "WorkflowExecutionContinuedAsNew")
WorkflowTaskTimedOut = _event(T.WORKFLOW_TASK_TIMED_OUT, WorkflowTaskTimedOutAttributes, "WorkflowTaskTimedOut")
WorkflowTaskFailed = _event(T.WORKFLOW_TASK_FAILED, WorkflowTaskFailedAttributes, "WorkflowTaskFailed")
CustomTaskStarted = _event(T.CUSTOM_TASK_STARTED, CustomTaskStartedAttributes, "CustomTaskStarted")
CustomTaskInProgress = _event(T.CUSTOM_TASK_IN_PROGRESS, CustomTaskInProgressAttributes, "CustomTaskInProgress")
CustomTaskCompleted = _event(T.CUSTOM_TASK_COMPLETED, CustomTaskCompletedAttributes, "CustomTaskCompleted")
CustomTaskFailed = _event(T.CUSTOM_TASK_FAILED, CustomTaskFailedAttributes, "CustomTaskFailed")
CustomTaskTimedOut = _event(T.CUSTOM_TASK_TIMED_OUT, CustomTaskTimedOutAttributes, "CustomTaskTimedOut")
CustomTaskCanceled = _event(T.CUSTOM_TASK_CANCELED, CustomTaskCanceledAttributes, "CustomTaskCanceled")
ActivityTaskStarted = _event(T.ACTIVITY_TASK_STARTED, ActivityTaskStartedAttributes, "ActivityTaskStarted")
ActivityTaskCompleted = _event(T.ACTIVITY_TASK_COMPLETED, ActivityTaskCompletedAttributes, "ActivityTaskCompleted")
ActivityTaskRetrying = _event(T.ACTIVITY_TASK_RETRYING, ActivityTaskRetryingAttributes, "ActivityTaskRetrying")
ActivityTaskFailed = _event(T.ACTIVITY_TASK_FAILED, ActivityTaskFailedAttributes, "ActivityTaskFailed")

EVENT_CLASSES: dict[WorkflowEventType, type[BaseEvent]] = {
    cls.model_fields["event_type"].default: cls
    for cls in (
        WorkflowExecutionStarted, WorkflowExecutionCompleted, WorkflowExecutionFailed, WorkflowExecutionCanceled,
        WorkflowExecutionContinuedAsNew, WorkflowTaskTimedOut, WorkflowTaskFailed,
        CustomTaskStarted, CustomTaskInProgress, CustomTaskCompleted, CustomTaskFailed, CustomTaskTimedOut, CustomTaskCanceled,
        ActivityTaskStarted, ActivityTaskCompleted, ActivityTaskRetrying, ActivityTaskFailed,
    )
}


def _event_type_of(value: Any) -> str:
    raw = value.get("event_type", "") if isinstance(value, dict) else getattr(value, "event_type", "")
    return str(raw.value if isinstance(raw, WorkflowEventType) else raw)


WorkflowEvent = Annotated[
    Annotated[WorkflowExecutionStarted, Tag(T.WORKFLOW_EXECUTION_STARTED.value)]
    | Annotated[WorkflowExecutionCompleted, Tag(T.WORKFLOW_EXECUTION_COMPLETED.value)]
    | Annotated[WorkflowExecutionFailed, Tag(T.WORKFLOW_EXECUTION_FAILED.value)]
    | Annotated[WorkflowExecutionCanceled, Tag(T.WORKFLOW_EXECUTION_CANCELED.value)]
    | Annotated[WorkflowExecutionContinuedAsNew, Tag(T.WORKFLOW_EXECUTION_CONTINUED_AS_NEW.value)]
    | Annotated[WorkflowTaskTimedOut, Tag(T.WORKFLOW_TASK_TIMED_OUT.value)]
    | Annotated[WorkflowTaskFailed, Tag(T.WORKFLOW_TASK_FAILED.value)]
    | Annotated[CustomTaskStarted, Tag(T.CUSTOM_TASK_STARTED.value)]
    | Annotated[CustomTaskInProgress, Tag(T.CUSTOM_TASK_IN_PROGRESS.value)]
    | Annotated[CustomTaskCompleted, Tag(T.CUSTOM_TASK_COMPLETED.value)]
    | Annotated[CustomTaskFailed, Tag(T.CUSTOM_TASK_FAILED.value)]
    | Annotated[CustomTaskTimedOut, Tag(T.CUSTOM_TASK_TIMED_OUT.value)]
    | Annotated[CustomTaskCanceled, Tag(T.CUSTOM_TASK_CANCELED.value)]
    | Annotated[ActivityTaskStarted, Tag(T.ACTIVITY_TASK_STARTED.value)]
    | Annotated[ActivityTaskCompleted, Tag(T.ACTIVITY_TASK_COMPLETED.value)]
    | Annotated[ActivityTaskRetrying, Tag(T.ACTIVITY_TASK_RETRYING.value)]
    | Annotated[ActivityTaskFailed, Tag(T.ACTIVITY_TASK_FAILED.value)],
    Discriminator(_event_type_of),
]


# ------------------------------------------------------------------ the SSE stream's payloads
class StreamEventWorkflowContext(BaseModel):
    namespace: str
    workflow_name: str
    workflow_exec_id: str
    parent_workflow_exec_id: str | None = None
    root_workflow_exec_id: str | None = None


class StreamEventSsePayload(BaseModel):
    """One `data:` line of the stream: the event, where it comes from, and its position."""

    stream: str
    timestamp: datetime.datetime = Field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc))
    data: WorkflowEvent
    workflow_context: StreamEventWorkflowContext
    metadata: dict[str, Any] = Field(default_factory=dict)
    broker_sequence: int


class StreamEventSseErrorData(BaseModel):
    """A `data:` line that ends a stream early: what went wrong."""

    error: str
    reason: str


workflow_event_adapter: TypeAdapter[Any] = TypeAdapter(WorkflowEvent)
sse_payload_adapter: TypeAdapter[StreamEventSsePayload] = TypeAdapter(StreamEventSsePayload)
sse_stream_data_adapter: TypeAdapter[Any] = TypeAdapter(StreamEventSsePayload | StreamEventSseErrorData)
