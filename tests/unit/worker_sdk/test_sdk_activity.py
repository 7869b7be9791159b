"""Decorators, registries, options, retry policy, activity context."""
from __future__ import annotations

import asyncio
import datetime
import importlib

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from fanflow import timeutil
from protos import common_pb2, workflow_service_pb2
from support.activity_options import options_flaky
from worker_sdk import converter
from worker_sdk.activity import ActivityContext, ActivityInfo


class Doc(BaseModel):
    id: str
    words: int


@workflows.activity()
async def count_words(doc_id: str, text: str) -> Doc:
    return Doc(id=doc_id, words=len(text.split()))


@workflows.activity
def sync_add(a: int, b: int = 1) -> int:
    return a + b


@workflows.activity(
    name="t_custom_name",
    start_to_close_timeout=datetime.timedelta(seconds=20),
    schedule_to_close_timeout=60,
    schedule_to_start_timeout=5,
    heartbeat_timeout=2.5,
    retry_policy=workflows.RetryPolicy(initial_interval=0.5, maximum_attempts=4, non_retryable_error_types=["KeyError"]),
    task_queue="special",
)
async def configured(x: int) -> int:
    return x


def test_import_shape():
    assert callable(workflows.activity)
    assert importlib.import_module("worker_sdk.activity") is workflows.activity
    assert workflows.workflow.define and workflows.workflow.entrypoint
    for name in ("RetryPolicy", "ApplicationError", "ActivityError", "WorkflowFailureError", "NonDeterminismError"):
        assert hasattr(workflows, name)


async def test_calling_an_activity_outside_a_workflow_runs_it():
    assert await count_words("d1", "a b c") == Doc(id="d1", words=3)
    assert await sync_add(2) == 3  # the wrapper is async even for a sync function


def test_registry_and_definition():
    defn = workflows.activity.get_activity("count_words")
    assert defn.fn.__name__ == "count_words" and defn.is_async and defn.return_type is Doc
    assert workflows.activity.get_definition(count_words) is defn
    assert count_words.__fanflow_activity__ is defn and count_words.__name__ == "count_words"
    assert "t_custom_name" in workflows.activity.all_activities()
    assert not workflows.activity.get_activity("sync_add").is_async
    with pytest.raises(workflows.UnknownActivityTypeError, match="no activity named 'nope'"):
        workflows.activity.get_activity("nope")
    with pytest.raises(ValueError, match="must be an activity"):
        workflows.activity.get_definition(lambda: None)
    # A worker decodes an activity task's input and runs the function.
    payload = defn.encode_input("d2", text="x y")
    args, kwargs = defn.decode_input(payload)
    result = asyncio.run(defn.fn(*args, **kwargs))
    assert defn.decode_result(converter.to_payload(result)) == Doc(id="d2", words=2)


def test_options_fill_the_schedule_command():
    attrs = common_pb2.ScheduleActivityTaskCommandAttributes()
    workflows.activity.get_activity("t_custom_name").options.apply_to(attrs)
    assert attrs.start_to_close_timeout.seconds == 20
    assert attrs.schedule_to_close_timeout.seconds == 60
    assert attrs.schedule_to_start_timeout.seconds == 5
    assert attrs.heartbeat_timeout.seconds == 2 and attrs.heartbeat_timeout.nanos == 500_000_000
    assert attrs.task_queue.name == "special"
    rp = attrs.retry_policy
    assert rp.initial_interval.nanos == 500_000_000 and rp.maximum_interval.seconds == 50
    assert rp.maximum_attempts == 4 and list(rp.non_retryable_error_types) == ["KeyError"]
    # Defaults: no timeouts (history's defaults apply) and Temporal's retry policy.
    attrs = common_pb2.ScheduleActivityTaskCommandAttributes()
    workflows.activity.get_activity("count_words").options.apply_to(attrs)
    assert not attrs.HasField("start_to_close_timeout") and not attrs.HasField("schedule_to_close_timeout")
    assert attrs.retry_policy.maximum_interval.seconds == 100
    assert not attrs.task_queue.name


def test_retry_policy_defaults_and_proto():
    rp = workflows.RetryPolicy()
    assert rp.initial_interval == datetime.timedelta(seconds=1)
    assert rp.backoff_coefficient == 2.0 and rp.maximum_attempts == 0
    assert rp.effective_maximum_interval == datetime.timedelta(seconds=100)
    proto = rp.to_proto()
    assert proto.initial_interval.seconds == 1 and proto.maximum_interval.seconds == 100
    assert workflows.RetryPolicy.from_proto(proto) == workflows.RetryPolicy(maximum_interval=100)
    assert workflows.RetryPolicy.from_proto(common_pb2.RetryPolicy()) == rp
    with pytest.raises(ValueError):
        workflows.RetryPolicy(backoff_coefficient=0.5)
    with pytest.raises(ValueError):
        workflows.RetryPolicy(initial_interval=0)
    with pytest.raises(ValueError):
        workflows.RetryPolicy(maximum_attempts=-1)
    with pytest.raises(TypeError):
        workflows.activity(retry_policy={"maximum_attempts": 3})


def test_activity_context_info_and_heartbeat():
    # Without a context: blank info, heartbeat is a no-op.
    assert workflows.activity.info().attempt == 1 and workflows.activity.info().activity_id == ""
    workflows.activity.heartbeat({"progress": 1})
    assert not workflows.activity.in_activity()

    beats = []

    @workflows.activity()
    async def resumable(n: int) -> list:
        info = workflows.activity.info()
        start = info.heartbeat_details or 0
        for i in range(start, n):
            workflows.activity.heartbeat(i + 1)
        return [info.attempt, info.activity_id, info.workflow_id, start]

    resp = workflow_service_pb2.PollActivityTaskQueueResponse(
        task_token=b"tok",
        workflow_execution=common_pb2.WorkflowExecution(workflow_id="wf", run_id="r"),
        workflow_type=common_pb2.WorkflowType(name="wt"),
        activity_id="3",
        activity_type=common_pb2.ActivityType(name="resumable"),
        attempt=2,
        heartbeat_details=converter.to_payload(2),
        heartbeat_timeout=timeutil.duration(5),
    )
    info = ActivityInfo.from_poll_response(resp, namespace="default")
    assert info.heartbeat_details == 2 and info.attempt == 2 and info.task_token == b"tok"
    assert info.heartbeat_timeout == datetime.timedelta(seconds=5) and info.started_time is None
    ctx = ActivityContext(info=info, heartbeat=beats.append)

    async def run():
        with ctx.activate():
            assert ActivityContext.current() is ctx
            return await resumable(4)

    assert asyncio.run(run()) == [2, "3", "wf", 2]
    assert beats == [3, 4]
    assert ActivityContext.current() is None


# ---------------------------------------------------------- workflow decls


def test_workflow_define_errors_and_registry():
    with pytest.raises(ValueError, match="exactly one @workflow.entrypoint"):

        @workflows.workflow.define(name="t_no_entry")
        class NoEntry:
            async def run(self) -> None: ...

    with pytest.raises(TypeError, match="async def"):

        class Sync:
            @workflows.workflow.entrypoint
            def run(self) -> None: ...

    @workflows.workflow.define
    class Bare:
        @workflows.workflow.entrypoint()
        async def go(self, a: int, b: str = "x") -> dict[str, int]: ...

    defn = workflows.workflow.get_definition(Bare)
    assert defn.name == "Bare" and defn.run_name == "go"
    assert defn.param_types == {"a": int, "b": str} and defn.return_type == dict[str, int]
    assert workflows.workflow.get_workflow("Bare") is defn and workflows.workflow.get_definition("Bare") is defn
    assert converter.from_payload(defn.encode_input(1)) == {"a": 1}
    with pytest.raises(workflows.UnknownWorkflowTypeError):
        workflows.workflow.get_workflow("t_nope")
    with pytest.raises(ValueError, match="not a workflow"):
        workflows.workflow.get_definition(int)


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="unknown activity option"):
        options_flaky.with_options(start_to_close=3)
