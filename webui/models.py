"""The JSON shapes of the HTTP API (pydantic): FastAPI checks request bodies against them
and writes the OpenAPI document from them; a test checks real answers against that document."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["running", "completed", "failed", "terminated", "continued_as_new", "timed_out", "canceled"]
JSON = Any  # any JSON value (a payload as its JSON)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every error: the gRPC status name and the cluster's message, unchanged."""

    code: str = Field(examples=["NOT_FOUND"])
    message: str
    field: str | None = Field(None, description="the request field that is wrong (bad input)")


class WorkflowSummary(BaseModel):
    workflow_id: str
    run_id: str
    type: str
    display_name: str | None = None
    description: str | None = None
    is_technical: bool = False
    status: Status | Literal["unspecified"]
    task_queue: str
    start_time: str | None = None
    close_time: str | None = None
    history_length: int
    history_size_bytes: int
    first_run_id: str | None = None
    pending_activity_count: int
    shard_id: int
    execution_expiration_time: str | None = None
    last_workflow_task_failure: dict[str, Any] | None = None


class WorkflowList(BaseModel):
    workflows: list[WorkflowSummary]
    next_page_token: str = Field("", description="pass as page_token for the next page; empty on the last page")


class WorkflowCount(BaseModel):
    total: int
    by_status: dict[str, int]


class PendingActivity(BaseModel):
    activity_id: str
    activity_type: str
    scheduled_event_id: int
    started: bool
    attempt: int
    last_worker_identity: str | None = None
    last_failure: dict[str, Any] | None = None
    heartbeat_details: JSON = None
    last_heartbeat_time: str | None = None
    scheduled_time: str | None = None
    started_time: str | None = None


class Outcome(BaseModel):
    status: Status | Literal["unspecified"]
    run_id: str
    result: JSON = None
    failure: dict[str, Any] | None = None
    termination_reason: str | None = None


class WorkflowDescription(BaseModel):
    info: WorkflowSummary
    input: JSON = None
    sdk_state: JSON = None
    continued_from_run_id: str | None = None
    outcome: Outcome | None = Field(None, description="the run's result or failure, once it closed")
    pending_activities: list[PendingActivity]


class HistoryEvent(BaseModel):
    event_id: int
    time: str | None
    type: str = Field(examples=["ActivityTaskScheduled"])
    attributes: dict[str, Any]


class HistoryPage(BaseModel):
    run_id: str
    events: list[HistoryEvent]
    next_page_token: str = ""
    scanned_to_event_id: int = Field(0, description="with a filter: the last event looked at")


class ExecutorProgress(BaseModel):
    executor_id: str
    pattern: str
    total: int
    done: int
    failed: int
    in_flight: int
    items_per_second: float
    eta_seconds: float | None
    started_time: str | None
    updated_time: str | None


class RecordedEvent(BaseModel):
    name: str
    details: JSON = None
    time: str | None
    run_id: str


class Progress(BaseModel):
    status: Status | Literal["unspecified"]
    current_run_id: str
    runs: int
    executors: list[ExecutorProgress]
    events: list[RecordedEvent]
    last_workflow_task_failure: dict[str, Any] | None = None


class ItemFailure(BaseModel):
    executor_id: str
    index: int
    attempt: int
    activity_type: str | None = None
    final: bool = False
    recovered: bool = False
    time: str | None = None
    failure: dict[str, Any] | None = None


class ItemFailures(BaseModel):
    failures: list[ItemFailure]
    total: int
    next_page_token: str = ""


class RunRef(BaseModel):
    run_id: str
    status: Status | Literal["unspecified"]
    start_time: str | None = None
    close_time: str | None = None
    history_length: int


class Runs(BaseModel):
    runs: list[RunRef] = Field(description="newest first")
    next_page_token: str = ""


class Span(BaseModel):
    kind: Literal["activity", "timer", "signal", "workflow_task"]
    name: str
    first_event_id: int
    last_event_id: int | None = None
    start: str | None
    end: str | None = None
    outcome: str = Field(description="completed, failed, timed_out, canceled, fired, pending, ...")
    attempt: int | None = None


class Timeline(BaseModel):
    run_id: str
    first_event_id: int
    last_event_id: int
    history_length: int
    spans: list[Span]


class StartRequest(Strict):
    workflow_type: str = Field(min_length=1)
    workflow_id: str | None = Field(None, description="default: TYPE-<uuid>")
    task_queue: str = "default"
    input: JSON = Field(None, description="the workflow's input, as JSON (a model's fields as an object)")
    request_id: str | None = Field(None, description="idempotency: a retried start with the same id returns the same run")


class Started(BaseModel):
    workflow_id: str
    run_id: str


class SignalRequest(Strict):
    name: str = Field(min_length=1)
    input: JSON = None
    run_id: str = ""


class ReasonRequest(Strict):
    reason: str = ""
    run_id: str = ""


class Done(BaseModel):
    ok: bool = True


class Namespace(BaseModel):
    name: str
    description: str | None = None
    created_time: str | None = None


class Namespaces(BaseModel):
    namespaces: list[Namespace]


class ClusterMember(BaseModel):
    role: str
    address: str
    name: str | None = None
    shards: list[int] = []
    # Live membership (PostgreSQL, no hosts in the config); None with a static layout.
    live: bool | None = None
    draining: bool | None = None
    heartbeat_age_seconds: float | None = None


class Shard(BaseModel):
    shard_id: int
    owner: str
    range_id: int
    lease_remaining_seconds: float | None = None  # live membership: the owner's lease
    running_workflows: int
    closed_workflows: int
    events: int
    outbox_depth: int
    pending_timers: int


class Cluster(BaseModel):
    cluster_name: str
    membership: str = "static"  # or "live": processes find each other in the database
    history_shard_count: int
    task_queue_partitions: int
    members: list[ClusterMember]
    shards: list[Shard]


class Partition(BaseModel):
    partition: int
    owner: str
    backlog: int
    pollers: int
    tasks_added: int
    tasks_dispatched: int
    sync_matched: int


class TaskQueueKind(BaseModel):
    partitions: list[Partition]
    recent_poller_identities: list[str]


class TaskQueue(BaseModel):
    name: str
    workflow: TaskQueueKind
    activity: TaskQueueKind


class TaskQueueName(BaseModel):
    name: str
    seen_in: str = Field(description="where the name was found: running workflows, or asked for")


class TaskQueues(BaseModel):
    task_queues: list[TaskQueueName]


class Me(BaseModel):
    auth: bool = Field(description="whether the cluster asks for API keys")
    logged_in: bool
    namespace: str | None = None
    admin: bool | None = None
