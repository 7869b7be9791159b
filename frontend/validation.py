"""Pure request checks of the frontend: no I/O, no clock, no global state.

Every check raises `fanflow.errors.InvalidArgument` with a message that names the
field, what is wrong with it and what is allowed, so a client knows what to fix.
Checks that the namespace is *registered* need the cache and live in
`frontend.namespaces`; everything here can be decided from the request alone.

The per-request validators (`validate_*`) return the payloads that are allowed
but large (above `settings.warn_payload_bytes`) as `[(field path, size)]`, so
the caller can log them; they also normalise the request in place where the
API gives a default (task queue kind UNSPECIFIED → NORMAL).
"""
from __future__ import annotations

import re

from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.message import Message

from fanflow import routing, task_tokens
from fanflow import search_keys as search_key_rules
from fanflow.protocol import iter_payloads, payload_too_large_message
from fanflow.errors import InvalidArgument
from frontend.settings import FrontendSettings
from protos import admin_service_pb2, common_pb2, internal_pb2, workflow_service_pb2

DEFAULT_SETTINGS = FrontendSettings()

NAMESPACE_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")

LargePayloads = list[tuple[str, int]]

_MAX_DURATION_SECONDS = 315_576_000_000  # protobuf Duration's own limit (10,000 years)


def show(value: str, limit: int = 80) -> str:
    """repr() of a user-supplied string, shortened so a message stays readable."""
    if len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value)} characters)"
    return repr(value)


# ---------------------------------------------------------------- building blocks


def check_string(field: str, value: str, *, required: bool, limit: int) -> str:
    if required and not value:
        raise InvalidArgument(f"{field} is required and must not be empty")
    if len(value) > limit:
        raise InvalidArgument(f"{field} is {len(value):,} characters long; the limit is {limit:,} characters")
    return value


def check_id(field: str, value: str, settings: FrontendSettings = DEFAULT_SETTINGS, *, required: bool = True) -> str:
    """An identifier: workflow id, workflow type, task queue, signal name, run id, identity..."""
    return check_string(field, value, required=required, limit=settings.max_id_length)


def check_namespace(namespace: str, settings: FrontendSettings = DEFAULT_SETTINGS) -> str:
    if not namespace:
        raise InvalidArgument(
            "namespace is required and must not be empty (register one with AdminService/RegisterNamespace)"
        )
    return check_id("namespace", namespace, settings)


def check_namespace_name(name: str, settings: FrontendSettings = DEFAULT_SETTINGS) -> str:
    """The rule for a new namespace's name: 1..64 characters of [A-Za-z0-9._-]."""
    limit = settings.max_namespace_length
    if not name:
        raise InvalidArgument(f"name is required: 1 to {limit} characters of letters, digits, '.', '_' or '-'")
    if len(name) > limit:
        raise InvalidArgument(f"name is {len(name):,} characters long; a namespace name may have at most {limit}")
    if not NAMESPACE_NAME_RE.fullmatch(name):
        bad = sorted({c for c in name if not NAMESPACE_NAME_RE.fullmatch(c)})
        raise InvalidArgument(
            f"name {show(name)} contains {''.join(bad)!r}; a namespace name may only use letters, digits, '.', '_' and '-'"
        )
    return name


def check_enum(field: str, value: int, enum_type, *, allow_unspecified: bool = True) -> int:
    """proto3 enums are open: any int32 arrives. Accept only the declared values."""
    descriptor = enum_type.DESCRIPTOR
    names = [v.name for v in descriptor.values if v.number != 0]
    if value not in descriptor.values_by_number:
        raise InvalidArgument(f"{field} has unknown value {value}; use one of {', '.join(names)}")
    if value == 0 and not allow_unspecified:
        raise InvalidArgument(f"{field} is required; use one of {', '.join(names)}")
    return value


def check_task_queue(
    field: str,
    task_queue: common_pb2.TaskQueue,
    settings: FrontendSettings = DEFAULT_SETTINGS,
    *,
    allow_sticky: bool = True,
) -> common_pb2.TaskQueue:
    """Name required and bounded, kind known; UNSPECIFIED is rewritten to NORMAL in place."""
    check_id(f"{field}.name", task_queue.name, settings)
    check_enum(f"{field}.kind", task_queue.kind, common_pb2.TaskQueueKind)
    if task_queue.kind == common_pb2.TASK_QUEUE_KIND_UNSPECIFIED:
        task_queue.kind = common_pb2.TASK_QUEUE_KIND_NORMAL
    if task_queue.kind == common_pb2.TASK_QUEUE_KIND_STICKY and not allow_sticky:
        raise InvalidArgument(
            f"{field}.kind is TASK_QUEUE_KIND_STICKY; sticky queues belong to one worker's cache, use a NORMAL task queue here"
        )
    return task_queue


def check_duration(field: str, value: duration_pb2.Duration) -> float:
    """A non-negative, well-formed Duration; returns it in seconds."""
    if value.seconds < 0 or value.nanos < 0:
        raise InvalidArgument(f"{field} is negative ({value.seconds}s {value.nanos}ns); it must be zero or positive")
    if value.nanos >= 1_000_000_000 or value.seconds > _MAX_DURATION_SECONDS:
        raise InvalidArgument(f"{field} is not a valid duration ({value.seconds}s {value.nanos}ns)")
    return value.seconds + value.nanos / 1e9


def check_page_size(field: str, value: int, maximum: int, default_note: str) -> int:
    if not 0 <= value <= maximum:
        raise InvalidArgument(f"{field} is {value}; it must be between 0 and {maximum:,} (0 = {default_note})")
    return value


def check_payload(field: str, payload: common_pb2.Payload, settings: FrontendSettings = DEFAULT_SETTINGS) -> int:
    """Size of one Payload as serialized; raises when above the limit."""
    size = payload.ByteSize()
    limit = settings.max_payload_bytes
    if size > limit:
        raise InvalidArgument(payload_too_large_message(field, size, limit))
    if payload.blob_id or payload.blob_workflow_id:
        check_blob_reference(field, payload, settings)
    return size


def check_payloads(message: Message, settings: FrontendSettings = DEFAULT_SETTINGS, path: str = "", *, enforce: bool = True) -> LargePayloads:
    """Check every Payload set anywhere in `message` (commands, failures and their causes
    included). Returns the large-but-allowed ones; with enforce=False, payloads over the
    limit are returned too instead of refused (history decides what to do with them)."""
    large: LargePayloads = []
    for field, payload in iter_payloads(message, path):
        size = check_payload(field, payload, settings) if enforce else payload.ByteSize()
        if size > settings.warn_payload_bytes:
            large.append((field, size))
    return large


def check_execution(
    field: str,
    execution: common_pb2.WorkflowExecution,
    settings: FrontendSettings = DEFAULT_SETTINGS,
) -> None:
    check_id(f"{field}.workflow_id", execution.workflow_id, settings)
    check_id(f"{field}.run_id", execution.run_id, settings, required=False)


# ---------------------------------------------------------------- task tokens

_TASK_TYPE_NAMES = {
    common_pb2.TASK_TYPE_WORKFLOW: "a workflow task",
    common_pb2.TASK_TYPE_ACTIVITY: "an activity task",
}


def parse_task_token(
    raw: bytes,
    *,
    namespace: str,
    expected_type: int,
    shard_count: int,
) -> internal_pb2.TaskToken:
    """Decode a task token and check it could have been issued by history for
    this call: ids present, shard in range and owning the workflow, same
    namespace as the request, right task type. Raises "malformed task token: ..."."""

    bad = task_tokens.malformed
    token = task_tokens.decode(raw)
    if not token.namespace or not token.workflow_id or not token.run_id:
        missing = [n for n in ("namespace", "workflow_id", "run_id") if not getattr(token, n)]
        raise bad(f"it has no {', '.join(missing)}")
    if token.scheduled_event_id <= 0:
        raise bad(f"scheduled_event_id is {token.scheduled_event_id}")
    if token.task_type != expected_type:
        got = _TASK_TYPE_NAMES.get(token.task_type, f"task type {token.task_type}")
        raise bad(f"it is for {got}, but this call is for {_TASK_TYPE_NAMES[expected_type]}")
    if expected_type == common_pb2.TASK_TYPE_WORKFLOW and token.started_event_id <= 0:
        raise bad(f"started_event_id is {token.started_event_id}")
    if token.namespace != namespace:
        raise bad(f"it was issued in namespace {show(token.namespace)}, not {show(namespace)}")
    if not 0 <= token.shard_id < shard_count:
        raise bad(f"shard_id {token.shard_id} is outside 0..{shard_count - 1}")
    if routing.shard_for(token.namespace, token.workflow_id, shard_count) != token.shard_id:
        raise bad(f"shard_id {token.shard_id} does not own workflow {show(token.workflow_id)}")
    return token


# ---------------------------------------------------------------- WorkflowService requests


def validate_start_workflow(
    req: workflow_service_pb2.StartWorkflowExecutionRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> LargePayloads:
    check_namespace(req.namespace, settings)
    check_id("workflow_id", req.workflow_id, settings)
    check_id("workflow_type.name", req.workflow_type.name, settings)
    check_task_queue("task_queue", req.task_queue, settings, allow_sticky=False)
    check_duration("workflow_execution_timeout", req.workflow_execution_timeout)
    check_duration("workflow_run_timeout", req.workflow_run_timeout)
    check_duration("workflow_task_timeout", req.workflow_task_timeout)
    check_id("identity", req.identity, settings, required=False)
    check_id("request_id", req.request_id, settings, required=False)
    check_enum("workflow_id_reuse_policy", req.workflow_id_reuse_policy, workflow_service_pb2.WorkflowIdReusePolicy)
    check_search_keys("search_keys", req.search_keys, allow_reserved=False)  # search keys
    if req.HasField("parent"):
        raise InvalidArgument(
            "parent is set by history when a workflow starts a child workflow; a client's start must leave it unset "
            "(start children from workflow code: execute_workflow inside the parent)"
        )
    return check_payloads(req.input, settings, "input") if req.HasField("input") else []


def validate_get_workflow_result(
    req: workflow_service_pb2.GetWorkflowResultRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> float:
    """Returns the requested wait in seconds (not yet capped)."""
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    return check_duration("wait_timeout", req.wait_timeout)


def validate_describe_workflow(
    req: workflow_service_pb2.DescribeWorkflowExecutionRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> None:
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)


def validate_get_history(
    req: workflow_service_pb2.GetWorkflowExecutionHistoryRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> None:
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    check_page_size("maximum_page_size", req.maximum_page_size, settings.max_history_page_size, "the server default")
    if req.first_event_id < 0:
        raise InvalidArgument(f"first_event_id is {req.first_event_id}; event ids start at 1 (0 = from the first event)")


def validate_list_workflows(
    req: workflow_service_pb2.ListWorkflowExecutionsRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> int:
    """Returns the effective page size. The page token is checked by `frontend.listing`."""
    check_namespace(req.namespace, settings)
    check_page_size("page_size", req.page_size, settings.max_list_page_size, f"{settings.default_list_page_size}")
    check_run_filters(req, settings)  # search keys
    return req.page_size or settings.default_list_page_size


def validate_terminate_workflow(
    req: workflow_service_pb2.TerminateWorkflowExecutionRequest | workflow_service_pb2.RequestCancelWorkflowExecutionRequest,
    settings: FrontendSettings = DEFAULT_SETTINGS,
) -> None:
    """TerminateWorkflowExecution and RequestCancelWorkflowExecution (the same fields)."""
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    check_string("reason", req.reason, required=False, limit=settings.max_text_length)
    check_id("identity", req.identity, settings, required=False)


def validate_signal_workflow(
    req: workflow_service_pb2.SignalWorkflowExecutionRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> LargePayloads:
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    check_id("signal_name", req.signal_name, settings)
    check_id("identity", req.identity, settings, required=False)
    return check_payloads(req.input, settings, "input") if req.HasField("input") else []


def validate_poll(
    req: workflow_service_pb2.PollWorkflowTaskQueueRequest | workflow_service_pb2.PollActivityTaskQueueRequest,
    settings: FrontendSettings = DEFAULT_SETTINGS,
) -> None:
    check_namespace(req.namespace, settings)
    check_task_queue("task_queue", req.task_queue, settings)
    check_id("identity", req.identity, settings, required=False)
    if getattr(req, "rate_limited", False) and req.task_queue.kind == common_pb2.TASK_QUEUE_KIND_STICKY:
        raise InvalidArgument("rate_limited is set but task_queue.kind is TASK_QUEUE_KIND_STICKY; rate-limited activities have a NORMAL queue of their own")


def validate_respond(
    req,
    expected_type: int,
    shard_count: int,
    settings: FrontendSettings = DEFAULT_SETTINGS,
) -> tuple[internal_pb2.TaskToken, LargePayloads]:
    """Any Respond*/RecordActivityTaskHeartbeat request: namespace, identity,
    task token, payloads anywhere in the request (commands, failures, details)."""
    check_namespace(req.namespace, settings)
    check_id("identity", req.identity, settings, required=False)
    token = parse_task_token(req.task_token, namespace=req.namespace, expected_type=expected_type, shard_count=shard_count)
    if isinstance(req, workflow_service_pb2.RespondWorkflowTaskCompletedRequest) and req.HasField("sticky_attributes"):
        sticky = req.sticky_attributes
        if sticky.worker_task_queue.name or sticky.worker_task_queue.kind:
            check_task_queue("sticky_attributes.worker_task_queue", sticky.worker_task_queue, settings)
        check_duration("sticky_attributes.schedule_to_start_timeout", sticky.schedule_to_start_timeout)
    if isinstance(req, workflow_service_pb2.RespondWorkflowTaskFailedRequest):
        check_enum("cause", req.cause, common_pb2.WorkflowTaskFailedCause)
    if isinstance(req, workflow_service_pb2.RespondActivityTaskCompletedRequest):
        check_id("sticky_task_queue", req.sticky_task_queue, settings, required=False)
    if isinstance(req, workflow_service_pb2.RespondWorkflowTaskCompletedRequest):
        # An oversized payload in a command is history's to refuse: it fails the workflow
        # task and terminates the run, so the caller learns why instead of waiting forever.
        return token, check_payloads(req, settings, enforce=False)
    return token, check_payloads(req, settings)


#: Completions in one RespondActivityTasksCompleted or RespondWorkflowTasksCompleted call.
MAX_COMPLETIONS_PER_CALL = 1000


def validate_respond_activities_completed(
    req: workflow_service_pb2.RespondActivityTasksCompletedRequest,
    shard_count: int,
    settings: FrontendSettings = DEFAULT_SETTINGS,
) -> list[tuple[internal_pb2.TaskToken, LargePayloads]]:
    """Each completion as validate_respond checks RespondActivityTaskCompleted (an empty
    namespace is the request's); an error names the completion's index."""
    return _validate_completions(req, common_pb2.TASK_TYPE_ACTIVITY, "activity", shard_count, settings)


def validate_respond_workflow_tasks_completed(
    req: workflow_service_pb2.RespondWorkflowTasksCompletedRequest,
    shard_count: int,
    settings: FrontendSettings = DEFAULT_SETTINGS,
) -> list[tuple[internal_pb2.TaskToken, LargePayloads]]:
    """Each completion as validate_respond checks RespondWorkflowTaskCompleted."""
    return _validate_completions(req, common_pb2.TASK_TYPE_WORKFLOW, "workflow task", shard_count, settings)


def _validate_completions(req, task_type: int, what: str, shard_count: int, settings: FrontendSettings):
    check_namespace(req.namespace, settings)
    count = len(req.completions)
    if not count:
        raise InvalidArgument(f"completions is empty: send 1 to {MAX_COMPLETIONS_PER_CALL:,} {what} completions")
    if count > MAX_COMPLETIONS_PER_CALL:
        raise InvalidArgument(f"{count:,} completions in one call; send at most {MAX_COMPLETIONS_PER_CALL:,} per call")
    checked = []
    for i, item in enumerate(req.completions):
        if item.namespace and item.namespace != req.namespace:
            raise InvalidArgument(f"completions[{i}].namespace is {item.namespace!r}; leave it empty or give the request's namespace {req.namespace!r}")
        item.namespace = req.namespace
        try:
            checked.append(validate_respond(item, task_type, shard_count, settings))
        except InvalidArgument as exc:
            raise InvalidArgument(f"completions[{i}]: {exc.message}") from None
    return checked


# ---------------------------------------------------------------- AdminService requests


def validate_register_namespace(
    req: admin_service_pb2.RegisterNamespaceRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> None:
    check_namespace_name(req.name, settings)
    check_string("description", req.description, required=False, limit=settings.max_description_length)


def validate_create_api_key(
    req: admin_service_pb2.CreateApiKeyRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> None:
    check_namespace(req.namespace, settings)
    check_string("description", req.description, required=False, limit=settings.max_description_length)


def validate_describe_task_queue(
    req: admin_service_pb2.DescribeTaskQueueRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> None:
    check_namespace(req.namespace, settings)
    check_task_queue("task_queue", req.task_queue, settings)
    check_enum("task_type", req.task_type, common_pb2.TaskType, allow_unspecified=False)


def check_shard_id(shard_id: int, shard_count: int) -> int:
    if not 0 <= shard_id < shard_count:
        raise InvalidArgument(f"shard_id is {shard_id}; this cluster has shards 0..{shard_count - 1}")
    return shard_id


MAX_PARALLEL_RESULTS_PER_CALL = 10_000


def validate_parallel_key(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_id("workflow_id", req.workflow_id, settings)
    if hasattr(req, "executor_id"):
        check_id("executor_id", req.executor_id, settings)


def validate_put_parallel_results(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> LargePayloads:
    validate_parallel_key(req, settings)
    if len(req.results) > MAX_PARALLEL_RESULTS_PER_CALL:
        raise InvalidArgument(f"{len(req.results):,} results in one call; send at most {MAX_PARALLEL_RESULTS_PER_CALL:,} per call")
    if req.failed_attempts < 0:
        raise InvalidArgument("failed_attempts must not be negative")
    for i, result in enumerate(req.results):
        if result.index < 0:
            raise InvalidArgument(f"results[{i}].index is {result.index}; item indexes start at 0")
    _check_item_failures(req, settings)
    return check_payloads(req, settings)


def validate_get_parallel_results(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    validate_parallel_key(req, settings)
    if req.start_index < 0:
        raise InvalidArgument("start_index must not be negative")
    if not 0 <= req.limit <= MAX_PARALLEL_RESULTS_PER_CALL:
        raise InvalidArgument(f"limit is {req.limit}; it must be between 0 (default 1,000) and {MAX_PARALLEL_RESULTS_PER_CALL:,}")


def validate_get_workflow_progress(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    validate_parallel_key(req, settings)
    if not 0 <= req.max_events <= 10_000:
        raise InvalidArgument(f"max_events is {req.max_events}; it must be between 0 (default 100) and 10,000")


# ---------------------------------------------------------------- schedules

MAX_SCHEDULE_SPEC_ITEMS = 100  # calendars, intervals, cron expressions or skip calendars per spec
MAX_BACKFILLS_PER_PATCH = 100


def check_spec(field: str, spec) -> None:
    """The spec compiles (cron fields, ranges, intervals, zone, start before end); the message
    names the part that is wrong."""
    from fanflow.schedule_spec import SpecError, compile_spec

    for name in ("calendars", "intervals", "cron_expressions", "skip"):
        count = len(getattr(spec, name))
        if count > MAX_SCHEDULE_SPEC_ITEMS:
            raise InvalidArgument(f"{field}.{name} has {count} items; a schedule may have at most {MAX_SCHEDULE_SPEC_ITEMS}")
    check_duration(f"{field}.jitter", spec.jitter)
    for i, interval in enumerate(spec.intervals):
        check_duration(f"{field}.intervals[{i}].every", interval.every)
        check_duration(f"{field}.intervals[{i}].offset", interval.offset)
    try:
        compile_spec(spec, field)
    except SpecError as exc:
        raise InvalidArgument(str(exc)) from None


def validate_create_schedule(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> LargePayloads:
    from protos import schedule_pb2

    check_namespace(req.namespace, settings)
    check_id("schedule_id", req.schedule_id, settings)
    check_id("identity", req.identity, settings, required=False)
    check_id("request_id", req.request_id, settings, required=False)
    schedule = req.schedule
    check_spec("schedule.spec", schedule.spec)
    action = schedule.action
    check_id("schedule.action.workflow_type.name", action.workflow_type.name, settings)
    check_task_queue("schedule.action.task_queue", action.task_queue, settings, allow_sticky=False)
    for name in ("workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout"):
        check_duration(f"schedule.action.{name}", getattr(action, name))
    policies = schedule.policies
    check_enum("schedule.policies.overlap_policy", policies.overlap_policy, schedule_pb2.ScheduleOverlapPolicy)
    check_duration("schedule.policies.catchup_window", policies.catchup_window)
    check_string("schedule.state.notes", schedule.state.notes, required=False, limit=settings.max_text_length)
    if schedule.state.remaining_actions < 0:
        raise InvalidArgument(f"schedule.state.remaining_actions is {schedule.state.remaining_actions}; it must not be negative")
    if schedule.state.limited_actions and schedule.state.remaining_actions == 0:
        raise InvalidArgument("schedule.state.limited_actions is set with remaining_actions 0: the schedule could never start anything; give remaining_actions >= 1 (max executions)")
    return check_payloads(action.input, settings, "schedule.action.input") if action.HasField("input") else []


def validate_schedule_key(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    """Describe / Delete: namespace and schedule id."""
    check_namespace(req.namespace, settings)
    check_id("schedule_id", req.schedule_id, settings)
    if hasattr(req, "identity"):
        check_id("identity", req.identity, settings, required=False)
    if hasattr(req, "future_action_count") and not 0 <= req.future_action_count <= 1000:
        raise InvalidArgument(f"future_action_count is {req.future_action_count}; it must be between 0 (default 10) and 1,000")


def validate_patch_schedule(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    from protos import schedule_pb2

    validate_schedule_key(req, settings)
    check_id("request_id", req.request_id, settings, required=False)
    patch = req.patch
    if patch.pause and patch.unpause:
        raise InvalidArgument("patch.pause and patch.unpause are both set; send one of them")
    if not (patch.pause or patch.unpause or patch.backfill or patch.HasField("trigger_immediately")):
        raise InvalidArgument("patch is empty: set pause, unpause, trigger_immediately or backfill")
    check_string("patch.note", patch.note, required=False, limit=settings.max_text_length)
    if patch.HasField("trigger_immediately"):
        check_enum("patch.trigger_immediately.overlap_policy", patch.trigger_immediately.overlap_policy, schedule_pb2.ScheduleOverlapPolicy)
    if len(patch.backfill) > MAX_BACKFILLS_PER_PATCH:
        raise InvalidArgument(f"patch.backfill has {len(patch.backfill)} ranges; send at most {MAX_BACKFILLS_PER_PATCH} per patch")
    for i, backfill in enumerate(patch.backfill):
        where = f"patch.backfill[{i}]"
        if not backfill.HasField("start_time") or not backfill.HasField("end_time"):
            raise InvalidArgument(f"{where} needs start_time and end_time")
        if backfill.end_time.ToNanoseconds() < backfill.start_time.ToNanoseconds():
            raise InvalidArgument(f"{where}.end_time is before its start_time")
        check_enum(f"{where}.overlap_policy", backfill.overlap_policy, schedule_pb2.ScheduleOverlapPolicy)


def validate_list_schedules(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> int:
    check_namespace(req.namespace, settings)
    check_page_size("page_size", req.page_size, settings.max_list_page_size, f"{settings.default_list_page_size}")
    return req.page_size or settings.default_list_page_size


def validate_register_workflow_types(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_id("task_queue", req.task_queue, settings)
    check_id("identity", req.identity, settings, required=False)
    if not req.workflow_types:
        raise InvalidArgument("workflow_types is empty: list the workflow types this worker serves")
    if len(req.workflow_types) > 10_000:
        raise InvalidArgument(f"workflow_types has {len(req.workflow_types):,} names; register at most 10,000 per call")
    for i, name in enumerate(req.workflow_types):
        check_id(f"workflow_types[{i}]", name, settings)


def validate_list_workflow_types(req, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    for i, name in enumerate(req.workflow_types):
        check_id(f"workflow_types[{i}]", name, settings)
# ---------------------------------------------------------------- queries, updates and human input


def validate_query_workflow(
    req: workflow_service_pb2.QueryWorkflowRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> tuple[float, LargePayloads]:
    """Returns the requested wait in seconds (0 = the default) and the large payloads."""
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    if not req.HasField("query"):
        raise InvalidArgument("query is required: query.query_type names the @workflow.query handler, query.query_args is its input")
    check_id("query.query_type", req.query.query_type, settings)
    check_enum("query.kind", req.query.kind, common_pb2.QueryKind)
    if req.query.kind not in (common_pb2.QUERY_KIND_UNSPECIFIED, common_pb2.QUERY_KIND_QUERY) or req.query.update_id:
        raise InvalidArgument("query.kind and query.update_id are set by history for updates; leave them empty in a query")
    wait = check_duration("timeout", req.timeout)
    return wait, check_payloads(req.query, settings, "query")


def parse_query_task_token(raw: bytes, *, namespace: str, partitions_of) -> internal_pb2.QueryTaskToken:
    """Decode a query task's token (RespondQueryTaskCompleted). partitions_of(task_queue):
    how many partitions that queue has."""
    bad = task_tokens.malformed
    if not raw:
        raise InvalidArgument("task_token is required: pass back the task_token of the query task exactly as the poll returned it")
    try:
        token = internal_pb2.QueryTaskToken.FromString(raw)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends
        raise bad("it is not a query task token") from None
    if not token.query_id or not token.task_queue.name:
        raise bad("it is not a query task token (no query id or task queue): answer a workflow task with RespondWorkflowTaskCompleted")
    if token.namespace != namespace:
        raise bad(f"it was issued in namespace {show(token.namespace)}, not {show(namespace)}")
    if not 0 <= token.partition < partitions_of(token.task_queue):
        raise bad(f"partition {token.partition} is out of range for task queue {show(token.task_queue.name)}")
    return token


def validate_respond_query(
    req: workflow_service_pb2.RespondQueryTaskCompletedRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> LargePayloads:
    """The token is checked by `parse_query_task_token` (it needs the partition count)."""
    check_namespace(req.namespace, settings)
    check_id("identity", req.identity, settings, required=False)
    check_enum("completed_type", req.completed_type, workflow_service_pb2.QueryResultType, allow_unspecified=False)
    return check_payloads(req, settings)


def validate_update_workflow(
    req: workflow_service_pb2.UpdateWorkflowExecutionRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> tuple[float, LargePayloads]:
    """Returns the requested wait in seconds (0 = the default) and the large payloads."""
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    check_id("update_id", req.update_id, settings, required=False)
    check_id("name", req.name, settings)
    check_id("identity", req.identity, settings, required=False)
    check_enum("wait_for_stage", req.wait_for_stage, workflow_service_pb2.UpdateWorkflowExecutionLifecycleStage)
    wait = check_duration("wait_timeout", req.wait_timeout)
    return wait, check_payloads(req.input, settings, "input") if req.HasField("input") else []


def validate_poll_update(
    req: workflow_service_pb2.PollWorkflowExecutionUpdateRequest, settings: FrontendSettings = DEFAULT_SETTINGS
) -> float:
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    check_id("update_id", req.update_id, settings)
    return check_duration("wait_timeout", req.wait_timeout)



# ---------------------------------------------------------------- executor item failures
MAX_FAILURES_PAGE = 1_000


def _check_item_failures(req: workflow_service_pb2.PutParallelResultsRequest, settings: FrontendSettings) -> None:
    if len(req.item_failures) > MAX_PARALLEL_RESULTS_PER_CALL:
        raise InvalidArgument(f"{len(req.item_failures):,} item_failures in one call; send at most {MAX_PARALLEL_RESULTS_PER_CALL:,} per call")
    for i, failure in enumerate(req.item_failures):
        if failure.index < 0:
            raise InvalidArgument(f"item_failures[{i}].index is {failure.index}; item indexes start at 0")
        if failure.executor_id and failure.executor_id != req.executor_id:
            raise InvalidArgument(f"item_failures[{i}].executor_id is {failure.executor_id!r}; leave it empty or give the request's executor_id")
        check_id(f"item_failures[{i}].activity_type", failure.activity_type, settings, required=False)


def validate_get_parallel_failures(req: workflow_service_pb2.GetParallelFailuresRequest, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_id("workflow_id", req.workflow_id, settings)
    check_id("executor_id", req.executor_id, settings, required=False)
    check_page_size("page_size", req.page_size, MAX_FAILURES_PAGE, "100")
# ---------------------------------------------------------------- search keys

_MIN_TIMESTAMP_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z, protobuf Timestamp's own range
_MAX_TIMESTAMP_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z


def check_timestamp(field: str, value: timestamp_pb2.Timestamp) -> int:
    """A well-formed Timestamp (years 1..9999, nanos below a second); returns it in ns."""
    if not 0 <= value.nanos < 1_000_000_000 or not _MIN_TIMESTAMP_SECONDS <= value.seconds <= _MAX_TIMESTAMP_SECONDS:
        raise InvalidArgument(
            f"{field} is not a valid time ({value.seconds}s {value.nanos}ns); give an RFC 3339 time between years 1 and 9999, "
            "e.g. \"2026-05-01T09:00:00Z\""
        )
    return value.seconds * 1_000_000_000 + value.nanos


def check_search_keys(field: str, keys, *, allow_reserved: bool) -> None:
    """SearchKey messages: the seed's key rules, value length, at most 20, no key twice."""
    problems = search_key_rules.search_key_problems(keys, allow_reserved=allow_reserved, field=field)
    if problems:
        raise InvalidArgument("; ".join(problems))


def check_run_filters(
    req: workflow_service_pb2.ListWorkflowExecutionsRequest | workflow_service_pb2.CountWorkflowExecutionsRequest,
    settings: FrontendSettings = DEFAULT_SETTINGS,
) -> None:
    """The filters ListWorkflowExecutions and CountWorkflowExecutions share."""
    check_enum("status_filter", req.status_filter, common_pb2.WorkflowExecutionStatus)
    check_id("workflow_type_filter", req.workflow_type_filter, settings, required=False)
    check_id("workflow_id_prefix", req.workflow_id_prefix, settings, required=False)
    check_string("display_name_filter", req.display_name_filter, required=False, limit=settings.max_text_length)
    start = check_timestamp("start_time_from", req.start_time_from) if req.HasField("start_time_from") else None
    end = check_timestamp("start_time_to", req.start_time_to) if req.HasField("start_time_to") else None
    if start is not None and end is not None and start >= end:
        raise InvalidArgument(
            f"start_time_from ({req.start_time_from.ToJsonString()}) must be before start_time_to ({req.start_time_to.ToJsonString()}): "
            "the range would hold no run"
        )
    check_search_keys("search_key_filters", req.search_key_filters, allow_reserved=True)


def validate_count_workflows(req: workflow_service_pb2.CountWorkflowExecutionsRequest, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_run_filters(req, settings)
    check_enum("group_by", req.group_by, workflow_service_pb2.CountGroupBy)


def validate_update_search_keys(req: workflow_service_pb2.UpdateWorkflowSearchKeysRequest, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_execution("execution", req.execution, settings)
    check_id("identity", req.identity, settings, required=False)
    if bool(req.upsert) == bool(req.delete_keys):
        raise InvalidArgument("give search keys to set (upsert) or keys to remove (delete_keys), one of the two")
    check_search_keys("upsert", req.upsert, allow_reserved=False)
    problems = []
    if len(req.delete_keys) > search_key_rules.MAX_SEARCH_KEYS:
        problems.append(f"delete_keys has {len(req.delete_keys)} keys; at most {search_key_rules.MAX_SEARCH_KEYS} at a time")
    for i, key in enumerate(req.delete_keys):
        problems += [f"delete_keys[{i}]: {p}" for p in search_key_rules.key_problems(key)]
    if problems:
        raise InvalidArgument("; ".join(problems))
# ---------------------------------------------------------------- streaming state and large data

MAX_TASK_FIELD = 200  # task id and type


def validate_watch_workflow(req: workflow_service_pb2.WatchWorkflowRequest, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_id("workflow_id", req.workflow_id, settings)
    if req.cursor < 0:
        raise InvalidArgument(f"cursor is {req.cursor}; pass 0 (from the start) or a cursor a WatchWorkflow response gave")


def validate_record_task_state(
    req: workflow_service_pb2.RecordTaskStateRequest, shard_count: int, settings: FrontendSettings = DEFAULT_SETTINGS
) -> internal_pb2.TaskToken:
    check_namespace(req.namespace, settings)
    token = parse_task_token(req.task_token, namespace=req.namespace, expected_type=common_pb2.TASK_TYPE_ACTIVITY, shard_count=shard_count)
    task = req.task
    for field in ("id", "type"):
        value = getattr(task, field)
        if not value:
            raise InvalidArgument(f"task.{field} is required")
        if len(value) > MAX_TASK_FIELD:
            raise InvalidArgument(f"task.{field} is {len(value)} characters; at most {MAX_TASK_FIELD}")
    check_enum("task.status", task.status, workflow_service_pb2.TaskStatus, allow_unspecified=False)
    if task.HasField("state"):
        check_payload("task.state", task.state, settings)
    return token


def validate_put_payload_blob(req: workflow_service_pb2.PutPayloadBlobRequest, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_id("workflow_id", req.workflow_id, settings)
    check_id("blob_id", req.blob_id, settings)


def validate_get_payload_blob(req: workflow_service_pb2.GetPayloadBlobRequest, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    check_namespace(req.namespace, settings)
    check_id("workflow_id", req.workflow_id, settings)
    check_id("blob_id", req.blob_id, settings)


def check_blob_reference(field: str, payload: common_pb2.Payload, settings: FrontendSettings = DEFAULT_SETTINGS) -> None:
    """A payload stored beside history (worker_sdk.offload): a well-formed reference, no data beside it."""
    if not _BLOB_ID.fullmatch(payload.blob_id):
        raise InvalidArgument(f"{field}.blob_id must be the sha256 of the stored data as 64 lowercase hex digits, got {payload.blob_id[:80]!r}")
    check_id(f"{field}.blob_workflow_id", payload.blob_workflow_id, settings)
    if payload.data:
        raise InvalidArgument(f"{field} has both data and a blob reference ({payload.blob_id}); send one or the other")
    if payload.blob_size < 0:
        raise InvalidArgument(f"{field}.blob_size must not be negative")


_BLOB_ID = re.compile(r"[0-9a-f]{64}")
