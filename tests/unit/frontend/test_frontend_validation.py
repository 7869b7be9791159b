"""Unit tests of frontend.validation (pure: no servers, no I/O)."""
from __future__ import annotations

import pytest

from fanflow import routing
from fanflow.errors import InvalidArgument
from frontend import validation as v
from frontend.settings import (
    MAX_ID_LENGTH,
    MAX_PAYLOAD_BYTES,
    WARN_PAYLOAD_BYTES,
    FrontendSettings,
)
from google.protobuf import duration_pb2
from protos import admin_service_pb2, common_pb2, internal_pb2, workflow_service_pb2 as ws

SHARDS = 16
NS = "orders"


def payload_of_size(n: int) -> common_pb2.Payload:
    """A Payload whose serialized size is exactly n bytes."""
    k = n
    while common_pb2.Payload(data=b"x" * k).ByteSize() > n:
        k -= 1
    p = common_pb2.Payload(data=b"x" * k)
    assert p.ByteSize() == n
    return p


def token(**overrides) -> internal_pb2.TaskToken:
    fields = dict(
        namespace=NS,
        workflow_id="wf-1",
        run_id="run-1",
        scheduled_event_id=2,
        started_event_id=3,
        task_type=common_pb2.TASK_TYPE_WORKFLOW,
    )
    fields.update(overrides)
    if "shard_id" not in fields:
        fields["shard_id"] = routing.shard_for(fields["namespace"], fields["workflow_id"], SHARDS)
    return internal_pb2.TaskToken(**fields)


def raw(t: internal_pb2.TaskToken) -> bytes:
    return t.SerializeToString()


def start_request(**overrides) -> ws.StartWorkflowExecutionRequest:
    req = ws.StartWorkflowExecutionRequest(
        namespace=NS,
        workflow_id="wf-1",
        workflow_type=common_pb2.WorkflowType(name="Order"),
        task_queue=common_pb2.TaskQueue(name="orders-tq"),
        input=common_pb2.Payload(data=b"{}", encoding="json/plain"),
    )
    for key, value in overrides.items():
        if isinstance(value, (str, int)):
            setattr(req, key, value)
        else:
            getattr(req, key).CopyFrom(value)
    return req


def rejects(fn, *args, match: str, **kwargs) -> str:
    with pytest.raises(InvalidArgument) as info:
        fn(*args, **kwargs)
    assert match in info.value.message, info.value.message
    return info.value.message


# ---------------------------------------------------------------- settings


def test_limits_are_module_constants_and_defaults():
    s = FrontendSettings()
    assert (s.max_id_length, s.max_payload_bytes, s.warn_payload_bytes) == (1_000, 2 * 1024 * 1024, 512 * 1024)
    assert (MAX_ID_LENGTH, MAX_PAYLOAD_BYTES, WARN_PAYLOAD_BYTES) == (1_000, 2 * 1024 * 1024, 512 * 1024)
    assert (s.max_history_page_size, s.max_list_page_size, s.default_list_page_size) == (10_000, 1_000, 100)


def test_settings_from_env_overrides_and_rejects_garbage():
    s = FrontendSettings.from_env(
        {"FANFLOW_FRONTEND_MAX_PAYLOAD_BYTES": "1024", "FANFLOW_FRONTEND_POLL_ERROR_BACKOFF": "0.25"},
        max_id_length=10,
    )
    assert s.max_payload_bytes == 1024 and s.poll_error_backoff == 0.25 and s.max_id_length == 10
    assert FrontendSettings.from_env({}) == FrontendSettings()
    with pytest.raises(ValueError, match="FANFLOW_FRONTEND_MAX_ID_LENGTH"):
        FrontendSettings.from_env({"FANFLOW_FRONTEND_MAX_ID_LENGTH": "lots"})
    with pytest.raises(ValueError, match="negative"):
        FrontendSettings(max_payload_bytes=-1)


# ---------------------------------------------------------------- strings and ids


def test_namespace_required():
    msg = rejects(v.check_namespace, "", match="namespace is required")
    assert "RegisterNamespace" in msg
    assert v.check_namespace("default") == "default"


@pytest.mark.parametrize("field", ["workflow_id", "signal_name", "task_queue.name"])
def test_id_required_and_bounded(field):
    rejects(v.check_id, field, "", match=f"{field} is required")
    assert v.check_id(field, "x" * 1000) == "x" * 1000
    msg = rejects(v.check_id, field, "x" * 1001, match=field)
    assert "1,001 characters" in msg and "1,000" in msg


def test_optional_id_may_be_empty_but_is_bounded():
    assert v.check_id("run_id", "", required=False) == ""
    rejects(v.check_id, "identity", "i" * 1001, required=False, match="identity is 1,001 characters")


def test_id_limit_comes_from_settings():
    s = FrontendSettings(max_id_length=5)
    v.check_id("workflow_id", "abcde", s)
    rejects(v.check_id, "workflow_id", "abcdef", s, match="limit is 5")


def test_length_counts_characters_not_bytes():
    assert v.check_id("workflow_id", "é" * 1000) == "é" * 1000


def test_show_truncates_long_values():
    shown = v.show("a" * 500)
    assert len(shown) < 120 and "500 characters" in shown


@pytest.mark.parametrize("name", ["default", "a", "A-b_c.d", "x" * 64, "0.9"])
def test_namespace_name_valid(name):
    assert v.check_namespace_name(name) == name


@pytest.mark.parametrize(
    "name, match",
    [
        ("", "name is required"),
        ("x" * 65, "at most 64"),
        ("has space", "' '"),
        ("slash/ns", "'/'"),
        ("ünïcode", "letters, digits"),
    ],
)
def test_namespace_name_invalid(name, match):
    rejects(v.check_namespace_name, name, match=match)


# ---------------------------------------------------------------- enums, task queues, durations


def test_task_queue_kind_unspecified_means_normal():
    tq = common_pb2.TaskQueue(name="q")
    v.check_task_queue("task_queue", tq)
    assert tq.kind == common_pb2.TASK_QUEUE_KIND_NORMAL


def test_task_queue_kind_unknown_rejected():
    tq = common_pb2.TaskQueue(name="q", kind=7)
    msg = rejects(v.check_task_queue, "task_queue", tq, match="task_queue.kind has unknown value 7")
    assert "TASK_QUEUE_KIND_NORMAL" in msg and "TASK_QUEUE_KIND_STICKY" in msg


def test_task_queue_name_required():
    rejects(v.check_task_queue, "task_queue", common_pb2.TaskQueue(), match="task_queue.name is required")


def test_sticky_allowed_for_polls_not_for_start():
    sticky = common_pb2.TaskQueue(name="worker-1-sticky", kind=common_pb2.TASK_QUEUE_KIND_STICKY)
    v.check_task_queue("task_queue", sticky)
    rejects(v.check_task_queue, "task_queue", sticky, allow_sticky=False, match="STICKY")


def test_enum_required():
    rejects(v.check_enum, "task_type", 0, common_pb2.TaskType, allow_unspecified=False, match="task_type is required")
    assert v.check_enum("task_type", common_pb2.TASK_TYPE_ACTIVITY, common_pb2.TaskType) == 2


def test_durations():
    assert v.check_duration("t", duration_pb2.Duration(seconds=1, nanos=500_000_000)) == 1.5
    assert v.check_duration("t", duration_pb2.Duration()) == 0
    rejects(v.check_duration, "workflow_run_timeout", duration_pb2.Duration(seconds=-1), match="workflow_run_timeout is negative")
    rejects(v.check_duration, "t", duration_pb2.Duration(nanos=2_000_000_000), match="not a valid duration")


# ---------------------------------------------------------------- payloads


def test_payload_at_limit_accepted_above_rejected():
    assert v.check_payload("input", payload_of_size(MAX_PAYLOAD_BYTES)) == MAX_PAYLOAD_BYTES
    msg = rejects(v.check_payload, "input", payload_of_size(MAX_PAYLOAD_BYTES + 1), match="input is 2,097,153 bytes")
    assert "2,097,152 bytes (2 MiB)" in msg


def test_payload_limit_from_settings():
    s = FrontendSettings(max_payload_bytes=100, warn_payload_bytes=50)
    assert v.check_payloads(ws.SignalWorkflowExecutionRequest(input=payload_of_size(60)), s) == [("input", 60)]
    rejects(v.check_payload, "input", payload_of_size(101), s, match="at most 100 bytes")


def test_large_payloads_are_reported_not_rejected():
    req = start_request(input=payload_of_size(WARN_PAYLOAD_BYTES + 1))
    assert v.validate_start_workflow(req) == [("input", WARN_PAYLOAD_BYTES + 1)]
    assert v.validate_start_workflow(start_request(input=payload_of_size(WARN_PAYLOAD_BYTES))) == []


def test_payloads_inside_commands_are_passed_to_history_with_their_path():
    """An oversized payload in a workflow-task completion is history's to refuse (it fails the
    task and terminates the run, tests/service/history/test_history_workflow_task_failures.py); the frontend names it."""
    big = payload_of_size(MAX_PAYLOAD_BYTES + 1)
    req = ws.RespondWorkflowTaskCompletedRequest(
        namespace=NS,
        task_token=raw(token()),
        commands=[
            common_pb2.Command(
                command_type=common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
                schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(
                    activity_id="1", input=common_pb2.Payload(data=b"ok")
                ),
            ),
            common_pb2.Command(
                command_type=common_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
                complete_workflow_execution=common_pb2.CompleteWorkflowExecutionCommandAttributes(result=big),
            ),
        ],
    )
    _, large = v.validate_respond(req, common_pb2.TASK_TYPE_WORKFLOW, SHARDS)
    assert large == [("commands[1].complete_workflow_execution.result", big.ByteSize())]
    # Elsewhere (here: an activity's result) the frontend refuses it itself, naming the field.
    completed = ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=raw(token(task_type=common_pb2.TASK_TYPE_ACTIVITY)), result=big)
    rejects(v.validate_respond, completed, common_pb2.TASK_TYPE_ACTIVITY, SHARDS, match="result is 2,097,153 bytes")


@pytest.mark.parametrize(
    "command",
    [
        common_pb2.Command(schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(input=payload_of_size(MAX_PAYLOAD_BYTES + 1))),
        common_pb2.Command(continue_as_new_workflow_execution=common_pb2.ContinueAsNewWorkflowExecutionCommandAttributes(input=payload_of_size(MAX_PAYLOAD_BYTES + 1))),
        common_pb2.Command(record_marker=common_pb2.RecordMarkerCommandAttributes(details=payload_of_size(MAX_PAYLOAD_BYTES + 1))),
        common_pb2.Command(fail_workflow_execution=common_pb2.FailWorkflowExecutionCommandAttributes(failure=common_pb2.Failure(details=payload_of_size(MAX_PAYLOAD_BYTES + 1)))),
    ],
    ids=["activity-input", "continue-as-new-input", "marker-details", "failure-details"],
)
def test_every_command_payload_is_checked(command):
    """The frontend names an oversized payload anywhere in a command and passes it on;
    history (which terminates the run for it) finds the same one."""
    from history.api.respond import _oversized_payload

    req = ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=raw(token()), commands=[command])
    _, large = v.validate_respond(req, common_pb2.TASK_TYPE_WORKFLOW, SHARDS)
    assert len(large) == 1 and large[0][0].startswith("commands[0].") and large[0][1] > MAX_PAYLOAD_BYTES
    message = _oversized_payload(req, MAX_PAYLOAD_BYTES)
    assert message is not None and message.startswith(large[0][0] + " is ")


def test_failure_cause_chain_details_are_checked():
    failure = common_pb2.Failure(
        message="outer", cause=common_pb2.Failure(message="inner", details=payload_of_size(MAX_PAYLOAD_BYTES + 1))
    )
    req = ws.RespondActivityTaskFailedRequest(
        namespace=NS, task_token=raw(token(task_type=common_pb2.TASK_TYPE_ACTIVITY, started_event_id=0)), failure=failure
    )
    rejects(v.validate_respond, req, common_pb2.TASK_TYPE_ACTIVITY, SHARDS, match="failure.cause.details is")


def test_activity_result_heartbeat_and_last_heartbeat_details_are_checked():
    act = raw(token(task_type=common_pb2.TASK_TYPE_ACTIVITY))
    big = payload_of_size(MAX_PAYLOAD_BYTES + 1)
    for req, field in [
        (ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=act, result=big), "result is"),
        (ws.RecordActivityTaskHeartbeatRequest(namespace=NS, task_token=act, details=big), "details is"),
        (ws.RespondActivityTaskFailedRequest(namespace=NS, task_token=act, last_heartbeat_details=big), "last_heartbeat_details is"),
    ]:
        rejects(v.validate_respond, req, common_pb2.TASK_TYPE_ACTIVITY, SHARDS, match=field)


def test_workflow_task_failed_failure_details_checked():
    req = ws.RespondWorkflowTaskFailedRequest(
        namespace=NS, task_token=raw(token()), failure=common_pb2.Failure(details=payload_of_size(MAX_PAYLOAD_BYTES + 1))
    )
    rejects(v.validate_respond, req, common_pb2.TASK_TYPE_WORKFLOW, SHARDS, match="failure.details is")


# ---------------------------------------------------------------- task tokens


def test_valid_tokens_parse():
    t = v.parse_task_token(raw(token()), namespace=NS, expected_type=common_pb2.TASK_TYPE_WORKFLOW, shard_count=SHARDS)
    assert t.workflow_id == "wf-1" and t.shard_id == routing.shard_for(NS, "wf-1", SHARDS)
    a = token(task_type=common_pb2.TASK_TYPE_ACTIVITY, started_event_id=0, attempt=3)
    assert v.parse_task_token(raw(a), namespace=NS, expected_type=common_pb2.TASK_TYPE_ACTIVITY, shard_count=SHARDS).attempt == 3


def _other_shard() -> int:
    return (routing.shard_for(NS, "wf-1", SHARDS) + 1) % SHARDS


@pytest.mark.parametrize(
    "raw_token, why",
    [
        (b"", "task_token is empty"),
        (b"\xff\xff\xff\xff", "does not decode"),
        (b"garbage that is not a protobuf at all \x00\x01", "malformed task token"),
        (raw(token(namespace="")), "no namespace"),
        (raw(token(workflow_id="")), "no workflow_id"),
        (raw(token(run_id="")), "no run_id"),
        (raw(token(scheduled_event_id=0)), "scheduled_event_id is 0"),
        (raw(token(started_event_id=0)), "started_event_id is 0"),
        (raw(token(task_type=common_pb2.TASK_TYPE_ACTIVITY)), "it is for an activity task, but this call is for a workflow task"),
        (raw(token(task_type=common_pb2.TASK_TYPE_UNSPECIFIED)), "task type 0"),
        (raw(token(namespace="other")), "issued in namespace 'other', not 'orders'"),
        (raw(token(shard_id=SHARDS)), f"shard_id {SHARDS} is outside 0..{SHARDS - 1}"),
        (raw(token(shard_id=-1)), "shard_id -1 is outside"),
        (raw(token(shard_id=_other_shard())), "does not own workflow"),
    ],
)
def test_malformed_tokens_rejected(raw_token, why):
    msg = rejects(
        v.parse_task_token, raw_token, namespace=NS, expected_type=common_pb2.TASK_TYPE_WORKFLOW, shard_count=SHARDS,
        match="malformed task token",
    )
    assert why in msg


def test_token_shard_checked_against_cluster_size():
    t = raw(token())  # valid for 16 shards
    rejects(v.parse_task_token, t, namespace=NS, expected_type=common_pb2.TASK_TYPE_WORKFLOW, shard_count=4, match="malformed task token")


def test_respond_validates_namespace_and_identity_first():
    rejects(v.validate_respond, ws.RespondWorkflowTaskCompletedRequest(task_token=raw(token())), common_pb2.TASK_TYPE_WORKFLOW, SHARDS, match="namespace is required")
    req = ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=raw(token()), identity="i" * 1001)
    rejects(v.validate_respond, req, common_pb2.TASK_TYPE_WORKFLOW, SHARDS, match="identity")


def test_respond_sticky_attributes_checked():
    req = ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=raw(token()))
    req.sticky_attributes.worker_task_queue.name = "host-1:sticky"
    req.sticky_attributes.worker_task_queue.kind = common_pb2.TASK_QUEUE_KIND_STICKY
    tok, large = v.validate_respond(req, common_pb2.TASK_TYPE_WORKFLOW, SHARDS)
    assert tok.run_id == "run-1" and large == []
    req.sticky_attributes.schedule_to_start_timeout.seconds = -5
    rejects(v.validate_respond, req, common_pb2.TASK_TYPE_WORKFLOW, SHARDS, match="sticky_attributes.schedule_to_start_timeout is negative")


def test_respond_workflow_task_failed_cause_must_be_known():
    req = ws.RespondWorkflowTaskFailedRequest(namespace=NS, task_token=raw(token()), cause=99)
    rejects(v.validate_respond, req, common_pb2.TASK_TYPE_WORKFLOW, SHARDS, match="cause has unknown value 99")


# ---------------------------------------------------------------- whole requests


def test_start_valid_and_normalised():
    req = start_request()
    assert v.validate_start_workflow(req) == []
    assert req.task_queue.kind == common_pb2.TASK_QUEUE_KIND_NORMAL


@pytest.mark.parametrize(
    "overrides, match",
    [
        (dict(namespace=""), "namespace is required"),
        (dict(workflow_id=""), "workflow_id is required"),
        (dict(workflow_id="w" * 1001), "workflow_id is 1,001 characters long; the limit is 1,000"),
        (dict(workflow_type=common_pb2.WorkflowType()), "workflow_type.name is required"),
        (dict(workflow_type=common_pb2.WorkflowType(name="t" * 1001)), "workflow_type.name is 1,001"),
        (dict(task_queue=common_pb2.TaskQueue()), "task_queue.name is required"),
        (dict(task_queue=common_pb2.TaskQueue(name="q" * 1001)), "task_queue.name is 1,001"),
        (dict(task_queue=common_pb2.TaskQueue(name="q", kind=3)), "task_queue.kind has unknown value 3"),
        (dict(workflow_execution_timeout=duration_pb2.Duration(seconds=-1)), "workflow_execution_timeout is negative"),
        (dict(workflow_task_timeout=duration_pb2.Duration(nanos=-1)), "workflow_task_timeout is negative"),
        (dict(request_id="r" * 1001), "request_id is 1,001"),
        (dict(workflow_id_reuse_policy=42), "workflow_id_reuse_policy has unknown value 42"),
        (dict(input=payload_of_size(MAX_PAYLOAD_BYTES + 1)), "input is 2,097,153 bytes"),
    ],
)
def test_start_rejections(overrides, match):
    rejects(v.validate_start_workflow, start_request(**overrides), match=match)


def test_get_result_and_describe():
    req = ws.GetWorkflowResultRequest(namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="w"))
    req.wait_timeout.seconds = 30
    assert v.validate_get_workflow_result(req) == 30
    req.wait_timeout.seconds = -1
    rejects(v.validate_get_workflow_result, req, match="wait_timeout is negative")
    rejects(v.validate_describe_workflow, ws.DescribeWorkflowExecutionRequest(namespace=NS), match="execution.workflow_id is required")
    bad_run = ws.DescribeWorkflowExecutionRequest(namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="w", run_id="r" * 1001))
    rejects(v.validate_describe_workflow, bad_run, match="execution.run_id is 1,001")


@pytest.mark.parametrize("size, ok", [(0, True), (1, True), (10_000, True), (10_001, False), (-1, False)])
def test_history_page_size(size, ok):
    req = ws.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="w"), maximum_page_size=size)
    if ok:
        v.validate_get_history(req)
    else:
        rejects(v.validate_get_history, req, match=f"maximum_page_size is {size}; it must be between 0 and 10,000")


@pytest.mark.parametrize("size, effective", [(0, 100), (1, 1), (1000, 1000)])
def test_list_page_size_ok(size, effective):
    assert v.validate_list_workflows(ws.ListWorkflowExecutionsRequest(namespace=NS, page_size=size)) == effective


@pytest.mark.parametrize("size", [-1, 1001, 100_000])
def test_list_page_size_bad(size):
    rejects(v.validate_list_workflows, ws.ListWorkflowExecutionsRequest(namespace=NS, page_size=size), match=f"page_size is {size}; it must be between 0 and 1,000")


def test_list_filters():
    rejects(v.validate_list_workflows, ws.ListWorkflowExecutionsRequest(namespace=NS, status_filter=17), match="status_filter has unknown value 17")
    rejects(v.validate_list_workflows, ws.ListWorkflowExecutionsRequest(namespace=NS, workflow_type_filter="t" * 1001), match="workflow_type_filter")


def test_signal():
    base = dict(namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="w"), signal_name="go")
    assert v.validate_signal_workflow(ws.SignalWorkflowExecutionRequest(**base)) == []
    rejects(v.validate_signal_workflow, ws.SignalWorkflowExecutionRequest(**{**base, "signal_name": ""}), match="signal_name is required")
    rejects(v.validate_signal_workflow, ws.SignalWorkflowExecutionRequest(**{**base, "signal_name": "s" * 1001}), match="signal_name is 1,001")
    big = ws.SignalWorkflowExecutionRequest(**base, input=payload_of_size(MAX_PAYLOAD_BYTES + 1))
    rejects(v.validate_signal_workflow, big, match="input is 2,097,153 bytes")


def test_terminate():
    base = dict(namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="w"))
    v.validate_terminate_workflow(ws.TerminateWorkflowExecutionRequest(**base, reason="r" * 1000))
    rejects(v.validate_terminate_workflow, ws.TerminateWorkflowExecutionRequest(**base, reason="r" * 40_000), match="reason is 40,000")


def test_poll():
    req = ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=common_pb2.TaskQueue(name="q"))
    v.validate_poll(req)
    assert req.task_queue.kind == common_pb2.TASK_QUEUE_KIND_NORMAL
    rejects(v.validate_poll, ws.PollWorkflowTaskQueueRequest(namespace=NS), match="task_queue.name is required")
    rejects(v.validate_poll, ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=common_pb2.TaskQueue(name="q", kind=9)), match="unknown value 9")


def test_admin_requests():
    v.validate_register_namespace(admin_service_pb2.RegisterNamespaceRequest(name="prod", description="d"))
    rejects(v.validate_register_namespace, admin_service_pb2.RegisterNamespaceRequest(name="prod", description="d" * 1001), match="description is 1,001")
    rejects(v.validate_register_namespace, admin_service_pb2.RegisterNamespaceRequest(name="bad name"), match="' '")
    dtq = admin_service_pb2.DescribeTaskQueueRequest(namespace=NS, task_queue=common_pb2.TaskQueue(name="q"))
    msg = rejects(v.validate_describe_task_queue, dtq, match="task_type is required")
    assert "TASK_TYPE_WORKFLOW" in msg
    dtq.task_type = common_pb2.TASK_TYPE_WORKFLOW
    v.validate_describe_task_queue(dtq)
    assert v.check_shard_id(15, 16) == 15
    rejects(v.check_shard_id, 16, 16, match="shard_id is 16; this cluster has shards 0..15")
    rejects(v.check_shard_id, -1, 16, match="shard_id is -1")
