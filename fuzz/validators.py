"""Fuzz target: the frontend's request validators (frontend/validation.py) on raw bytes.

The first byte picks a validator; the rest is parsed as its request message, as
FrontendGuard parses a call's body (bytes that do not parse are refused there, as
INVALID_ARGUMENT, before any validator runs). From a validator only a FanflowError with a
message may come out: anything else would reach the caller as INTERNAL."""
from __future__ import annotations

from google.protobuf import message_factory
from google.protobuf.message import DecodeError

from fanflow.errors import FanflowError
from frontend import validation
from frontend.settings import FrontendSettings
from protos import admin_service_pb2 as adm
from fanflow import routing
from protos import common_pb2 as C
from protos import internal_pb2
from protos import workflow_service_pb2 as ws

INSTRUMENT = ["frontend.validation", "fanflow.task_tokens", "fanflow.routing", "fanflow.protocol", "fanflow.timeutil", "fanflow.schedule_spec"]
COVERED = ["frontend/validation.py", "fanflow/task_tokens.py", "fanflow/schedule_spec.py"]

SETTINGS = FrontendSettings()
SHARDS = 16


def _query_token(req):
    validation.validate_respond_query(req, SETTINGS)
    validation.parse_query_task_token(req.task_token, namespace=req.namespace, partitions_of=lambda task_queue: 4)


# (request class, what the frontend does with it) for every validated call of
# frontend/workflow_service.py and frontend/admin_service.py
_VALIDATED = [
    ("StartWorkflowExecution", lambda r: validation.validate_start_workflow(r, SETTINGS)),
    ("GetWorkflowResult", lambda r: validation.validate_get_workflow_result(r, SETTINGS)),
    ("DescribeWorkflowExecution", lambda r: validation.validate_describe_workflow(r, SETTINGS)),
    ("GetWorkflowExecutionHistory", lambda r: validation.validate_get_history(r, SETTINGS)),
    ("ListWorkflowExecutions", lambda r: validation.validate_list_workflows(r, SETTINGS)),
    ("TerminateWorkflowExecution", lambda r: validation.validate_terminate_workflow(r, SETTINGS)),
    ("RequestCancelWorkflowExecution", lambda r: validation.validate_terminate_workflow(r, SETTINGS)),
    ("SignalWorkflowExecution", lambda r: validation.validate_signal_workflow(r, SETTINGS)),
    ("PollWorkflowTaskQueue", lambda r: validation.validate_poll(r, SETTINGS)),
    ("PollActivityTaskQueue", lambda r: validation.validate_poll(r, SETTINGS)),
    ("RespondWorkflowTaskCompleted", lambda r: validation.validate_respond(r, C.TASK_TYPE_WORKFLOW, SHARDS, SETTINGS)),
    ("RespondWorkflowTaskFailed", lambda r: validation.validate_respond(r, C.TASK_TYPE_WORKFLOW, SHARDS, SETTINGS)),
    ("RespondActivityTaskCompleted", lambda r: validation.validate_respond(r, C.TASK_TYPE_ACTIVITY, SHARDS, SETTINGS)),
    ("RespondActivityTaskFailed", lambda r: validation.validate_respond(r, C.TASK_TYPE_ACTIVITY, SHARDS, SETTINGS)),
    ("RecordActivityTaskHeartbeat", lambda r: validation.validate_respond(r, C.TASK_TYPE_ACTIVITY, SHARDS, SETTINGS)),
    ("RecordWorkflowTaskHeartbeat", lambda r: validation.validate_respond(r, C.TASK_TYPE_WORKFLOW, SHARDS, SETTINGS)),
    ("RespondActivityTaskCanceled", lambda r: validation.validate_respond(r, C.TASK_TYPE_ACTIVITY, SHARDS, SETTINGS)),
    ("PutParallelResults", lambda r: validation.validate_put_parallel_results(r, SETTINGS)),
    ("GetParallelResults", lambda r: validation.validate_get_parallel_results(r, SETTINGS)),
    ("GetWorkflowProgress", lambda r: validation.validate_get_workflow_progress(r, SETTINGS)),
    ("CreateSchedule", lambda r: validation.validate_create_schedule(r, SETTINGS)),
    ("DescribeSchedule", lambda r: validation.validate_schedule_key(r, SETTINGS)),
    ("PatchSchedule", lambda r: validation.validate_patch_schedule(r, SETTINGS)),
    ("DeleteSchedule", lambda r: validation.validate_schedule_key(r, SETTINGS)),
    ("ListSchedules", lambda r: validation.validate_list_schedules(r, SETTINGS)),
    ("RegisterWorkflowTypes", lambda r: validation.validate_register_workflow_types(r, SETTINGS)),
    ("ListWorkflowTypes", lambda r: validation.validate_list_workflow_types(r, SETTINGS)),
    ("QueryWorkflow", lambda r: validation.validate_query_workflow(r, SETTINGS)),
    ("RespondQueryTaskCompleted", _query_token),
    ("UpdateWorkflowExecution", lambda r: validation.validate_update_workflow(r, SETTINGS)),
    ("PollWorkflowExecutionUpdate", lambda r: validation.validate_poll_update(r, SETTINGS)),
    ("admin:RegisterNamespace", lambda r: validation.validate_register_namespace(r, SETTINGS)),
    ("admin:CreateApiKey", lambda r: validation.validate_create_api_key(r, SETTINGS)),
    ("admin:DescribeNamespace", lambda r: validation.check_string("name", r.name, required=True, limit=SETTINGS.max_namespace_length)),
    ("admin:DescribeShard", lambda r: validation.check_shard_id(r.shard_id, SHARDS)),
    ("admin:DescribeTaskQueue", lambda r: validation.validate_describe_task_queue(r, SETTINGS)),
]


def _request_class(method: str):
    service = adm.DESCRIPTOR.services_by_name["AdminService"] if method.startswith("admin:") else ws.DESCRIPTOR.services_by_name["WorkflowService"]
    return message_factory.GetMessageClass(service.methods_by_name[method.removeprefix("admin:")].input_type)


TARGETS = [(_request_class(method), validate) for method, validate in _VALIDATED]


class Finding(AssertionError):
    """What the fuzzer reports: a validator let out something other than a FanflowError."""


CRON_MODE = 255  # first byte: the rest is a schedule's cron expressions and zone, as text


def _schedule_from_text(data: bytes):
    """A CreateSchedule whose spec's strings are the fuzzer's bytes (line by line: time zone,
    then cron expressions): raw protobuf bytes rarely keep a string's length prefix intact."""
    lines = data.decode("utf-8", "replace").split("\n")
    request = _request_class("CreateSchedule")(namespace="default", schedule_id="s")
    request.schedule.action.workflow_type.name = "T"
    request.schedule.action.task_queue.name = "q"
    request.schedule.spec.time_zone_name = lines[0][:64]
    request.schedule.spec.cron_expressions.extend(lines[1:6])
    return request


def test_one(data: bytes) -> None:
    if not data:
        return
    if data[0] == CRON_MODE:
        request_class, validate = _request_class("CreateSchedule"), lambda r: validation.validate_create_schedule(r, SETTINGS)
        request = _schedule_from_text(data[1:])
    else:
        request_class, validate = TARGETS[data[0] % len(TARGETS)]
        try:
            request = request_class.FromString(data[1:])
        except DecodeError:
            return  # FrontendGuard: INVALID_ARGUMENT "the request body is not a valid protobuf message"
    try:
        validate(request)
    except FanflowError as exc:
        if not exc.message:
            raise Finding(f"{request_class.__name__}: {type(exc).__name__} without a message") from exc


def _seed(index: int, request) -> bytes:
    return bytes([index]) + request.SerializeToString()


def _seeds() -> list[bytes]:
    """A valid request for each validator, so the fuzzer starts from the accepted shapes."""
    execution = C.WorkflowExecution(workflow_id="w", run_id="r")
    queue = C.TaskQueue(name="q")
    by_method = {
        "StartWorkflowExecution": ws.StartWorkflowExecutionRequest(
            namespace="default", workflow_id="w", workflow_type=C.WorkflowType(name="T"), task_queue=queue,
            input=C.Payload(data=b"1")),
        "GetWorkflowResult": ws.GetWorkflowResultRequest(namespace="default", execution=execution),
        "SignalWorkflowExecution": ws.SignalWorkflowExecutionRequest(namespace="default", execution=execution, signal_name="s"),
        "PollActivityTaskQueue": ws.PollActivityTaskQueueRequest(namespace="default", task_queue=queue, identity="me"),
        "admin:DescribeTaskQueue": adm.DescribeTaskQueueRequest(namespace="default", task_queue=queue, task_type=C.TASK_TYPE_ACTIVITY),
        "admin:RegisterNamespace": adm.RegisterNamespaceRequest(name="team"),
    }
    shard = routing.shard_for("default", "w", SHARDS)
    for method, task_type, started in (("RespondWorkflowTaskCompleted", C.TASK_TYPE_WORKFLOW, 6), ("RespondActivityTaskCompleted", C.TASK_TYPE_ACTIVITY, 0),
                                       ("RespondActivityTaskFailed", C.TASK_TYPE_ACTIVITY, 0), ("RecordActivityTaskHeartbeat", C.TASK_TYPE_ACTIVITY, 0)):
        token = internal_pb2.TaskToken(namespace="default", workflow_id="w", run_id="r", scheduled_event_id=5, started_event_id=started,
                                       task_type=task_type, shard_id=shard)
        by_method[method] = _request_class(method)(namespace="default", task_token=token.SerializeToString(), identity="me")
    schedule = _request_class("CreateSchedule")(namespace="default", schedule_id="s")
    schedule.schedule.spec.cron_expressions.extend(["*/5 * * * *", "0 9 * * MON-FRI", "@every 90s"])
    schedule.schedule.spec.intervals.add().every.seconds = 60
    calendar = schedule.schedule.spec.calendars.add()
    calendar.hour.add(start=9, end=17, step=2)
    schedule.schedule.action.workflow_type.name = "T"
    schedule.schedule.action.task_queue.name = "q"
    by_method["CreateSchedule"] = schedule
    by_method["PatchSchedule"] = _request_class("PatchSchedule")(namespace="default", schedule_id="s", request_id="r")
    seeds = [bytes([CRON_MODE]) + b"Europe/Paris\n*/5 * * * *\n0 0 1 1 *\n@every 1h/5m", bytes([CRON_MODE]) + b"\nCRON_TZ=UTC 30 2 * * SUN#2"]
    for index, ((method, _), (request_class, _)) in enumerate(zip(_VALIDATED, TARGETS)):
        request = by_method.get(method) or request_class()
        if hasattr(request, "namespace") and not request.namespace:
            request.namespace = "default"
        seeds.append(_seed(index, request))
    return seeds


SEEDS = _seeds()
