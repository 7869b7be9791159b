"""The seed system's workflow definitions without a cluster: how params bind to an entrypoint's
parameters, `@workflow.define`'s options stored and each bad one named, search keys as dot
paths into the input, signal / query / update handlers recorded (and two of one name refused),
`get_workflow_definition` shaped like the seed's WorkflowSpec, and the in-workflow helpers
called outside a workflow. (The same workflows on a cluster:
tests/service/worker_sdk/test_seed_workflow_api.py.)"""
from __future__ import annotations

import asyncio
import datetime

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from support.seed_api_workflows import (
    DataInput,
    HelloWorkflow,
    NotificationWorkflow,
    NoTimeout,
    ReportModelWorkflow,
    ReportParams,
    ReportWorkflow,
    ScalarWorkflow,
    SignalInput,
)
from worker_sdk import converter


def test_bind_rule_cases():
    """The exact rule, on definitions (no cluster needed)."""
    report = workflows.workflow.get_definition(ReportWorkflow)
    assert report.bind_params(ReportParams(report_type="d")) == {"report_type": "d", "include_details": False}
    assert report.bind_params({"report_type": "d"}) == {"report_type": "d"}
    assert report.bind_params("d") == {"report_type": "d"}  # fits the first parameter, the rest have defaults
    model = workflows.workflow.get_definition(ReportModelWorkflow)
    assert model.bind_params(ReportParams(report_type="d")) == {"params": ReportParams(report_type="d")}
    assert model.bind_params({"report_type": "d"}) == {"params": {"report_type": "d"}}
    scalar = workflows.workflow.get_definition(ScalarWorkflow)
    assert scalar.bind_params(DataInput(data="x")) == {"data": "x"}
    with pytest.raises(TypeError, match="missing 'data'"):
        scalar.bind_params(None)
    none_needed = workflows.workflow.get_definition(NoTimeout)
    assert none_needed.bind_params(None) == {} and none_needed.bind_params({}) == {}
    with pytest.raises(TypeError, match="unexpected 'x'"):
        none_needed.bind_params({"x": 1})


def test_define_options_are_stored_on_the_definition():
    defn = workflows.workflow.get_definition(HelloWorkflow)
    assert (defn.name, defn.display_name, defn.description, defn.is_technical) == ("seed_api_hello", "Hello World", "A minimal hello-world workflow.", True)
    assert defn.execution_timeout == datetime.timedelta(minutes=30) and defn.search_keys == ("data",)
    assert defn.enforce_determinism is True and defn.on_behalf_of is False and defn.schedules == ()
    assert workflows.workflow.get_definition(NoTimeout).execution_timeout is None
    assert workflows.workflow.get_definition(ReportWorkflow).execution_timeout == datetime.timedelta(hours=1)

    schedule = workflows.Schedule(
        input={"report_type": "daily"},
        cron_expressions=["0 0 * * *"],
        policy=workflows.SchedulePolicy(catchup_window=datetime.timedelta(days=1), overlap_policy=workflows.ScheduleOverlapPolicy.SKIP),
    )

    @workflows.workflow.define("seed_api_scheduled", schedules=[schedule], enforce_determinism=False, on_behalf_of=False)
    class Scheduled:
        @workflows.workflow.entrypoint
        async def run(self, report_type: str = "daily", include_details: bool = False) -> None: ...

    scheduled = workflows.workflow.get_definition(Scheduled)
    assert scheduled.name == "seed_api_scheduled" and scheduled.enforce_determinism is False
    assert scheduled.schedules == (schedule,) and scheduled.schedules[0].policy.catchup_window_seconds == 86400
    assert workflows.get_workflow_definition(Scheduled).schedules[0].cron_expressions == ["0 0 * * *"]

    @workflows.workflow.define(on_behalf_of=True)
    class OnBehalf:  # no name: the class name
        @workflows.workflow.entrypoint
        async def run(self) -> None: ...

    assert workflows.workflow.get_definition(OnBehalf).name == "OnBehalf" and workflows.workflow.get_definition(OnBehalf).on_behalf_of


def test_bad_define_options_name_the_option():
    def entry_class():
        class W:
            @workflows.workflow.entrypoint
            async def run(self, params: ReportParams) -> str: ...
        return W

    with pytest.raises(TypeError, match=r"unknown option\(s\) 'workflow_descripton' \(did you mean 'workflow_description'\?\); the options are: name, workflow_description, schedules"):
        workflows.workflow.define(name="x", workflow_descripton="typo")
    with pytest.raises(ValueError, match=r"execution_timeout=\.\.\.\) must be a positive duration"):
        workflows.workflow.define(name="x", execution_timeout=datetime.timedelta(seconds=-1))
    with pytest.raises(ValueError, match=r"execution_timeout=\.\.\.\) must be a positive duration"):
        workflows.workflow.define(name="x", execution_timeout=0)
    with pytest.raises(TypeError, match=r"execution_timeout=\.\.\.\) must be a timedelta or a number of seconds"):
        workflows.workflow.define(name="x", execution_timeout="1h")
    with pytest.raises(TypeError, match=r"is_technical=\.\.\.\) must be True or False"):
        workflows.workflow.define(name="x", is_technical="yes")
    with pytest.raises(TypeError, match=r"enforce_determinism=\.\.\.\) must be True, False or None"):
        workflows.workflow.define(name="x", enforce_determinism=1)
    with pytest.raises(TypeError, match=r"workflow_description=\.\.\.\) must be a string"):
        workflows.workflow.define(name="x", workflow_description=3)
    with pytest.raises(ValueError, match=r"workflow_display_name=\.\.\.\) must not be empty"):
        workflows.workflow.define(name="x", workflow_display_name="  ")
    with pytest.raises(ValueError, match=r"name=\.\.\.\): 'has space' is not a valid workflow name"):
        workflows.workflow.define(name="has space")
    with pytest.raises(TypeError, match=r"search_keys=\.\.\.\) must be a list of dot paths"):
        workflows.workflow.define(name="x", search_keys="report_type")
    with pytest.raises(TypeError, match=r"schedules=\.\.\.\) must be a list"):
        workflows.workflow.define(name="x", schedules=workflows.Schedule(cron_expressions=["0 0 * * *"]))
    with pytest.raises(ValueError, match=r"schedules\[0\] is not a valid schedule.*at least one of cron_expressions, intervals or calendars"):
        workflows.workflow.define(name="x", schedules=[{"input": {}}])
    with pytest.raises(ValueError, match=r"schedules\[0\] is not a valid schedule.*must have 5 fields"):
        workflows.workflow.define(name="x", schedules=[{"input": {}, "cron_expressions": ["* *"]}])
    with pytest.raises(ValueError, match="on_behalf_of=True\\) cannot be combined with schedules"):
        workflows.workflow.define(name="x", on_behalf_of=True, schedules=[workflows.Schedule(cron_expressions=["@daily"])])
    with pytest.raises(ValueError, match=r"schedules\[0\]\.input does not fit the entrypoint: parameter 'params'.*report_type"):
        workflows.workflow.define(name="seed_api_bad_schedule", schedules=[workflows.Schedule(input={"kind": 1}, cron_expressions=["@daily"])])(entry_class())


class Customer(BaseModel):
    name: str
    tags: list[str] = []


class Order(BaseModel):
    id: str
    customer: Customer
    total: float | None = None


def test_search_keys_are_dot_paths_into_the_input():
    @workflows.workflow.define(name="seed_api_keys_model", search_keys=["id", "customer.name", "total"])
    class KeysOnModel:
        @workflows.workflow.entrypoint
        async def run(self, order: Order) -> str: ...

    assert workflows.workflow.get_definition(KeysOnModel).search_keys == ("id", "customer.name", "total")

    @workflows.workflow.define(name="seed_api_keys_params", search_keys=["payload.customer.name", "n"])
    class KeysOnParams:  # several parameters: paths start at a parameter name
        @workflows.workflow.entrypoint
        async def run(self, payload: Order, n: int) -> str: ...

    assert workflows.workflow.get_definition(KeysOnParams).search_keys == ("payload.customer.name", "n")

    def order_workflow():
        class W:
            @workflows.workflow.entrypoint
            async def run(self, order: Order) -> str: ...
        return W

    with pytest.raises(ValueError) as bad:
        workflows.workflow.define(name="seed_api_keys_bad", search_keys=["customer", "customer.tags", "nope", "id.x", "a:b", "internal.x", "id", "id", "customer..name"])(order_workflow())
    message = str(bad.value)
    assert "search_keys=...) of workflow 'seed_api_keys_bad'" in message
    assert "'customer': the last step must be a scalar" in message
    assert "'customer.tags': the last step must be a scalar" in message
    assert "'nope': 'nope' is not a field of the workflow's input (fields: id, customer, total)" in message
    assert "'id.x': 'id' must be a nested model" in message
    assert "'a:b': must not contain ':'" in message and "'internal.x': must not start with 'internal.'" in message
    assert "'id': duplicate search key" in message and "'customer..name': has an empty path segment" in message
    with pytest.raises(ValueError, match="at most 20 search keys, got 21"):
        workflows.workflow.define(name="x", search_keys=[f"k{i}" for i in range(21)])


def test_handlers_are_recorded_with_name_description_method_and_parameters():
    @workflows.workflow.define(name="seed_api_handlers")
    class Handlers:
        @workflows.workflow.signal
        def bare(self) -> None: ...

        @workflows.workflow.signal()
        def called(self, a: int, b: str = "x") -> None: ...

        @workflows.workflow.signal(name="approve", description="Approval signal")
        async def approve_signal(self, data: SignalInput) -> None: ...

        @workflows.workflow.query(name="get_status", description="Get current status")
        def get_status(self) -> dict: ...

        @workflows.workflow.query
        def progress(self, detail: bool = False) -> float: ...

        @workflows.workflow.update(name="update_config", description="Update workflow configuration")
        async def update_config(self, config: ReportParams) -> ReportParams: ...

        @workflows.workflow.update()
        def bump(self, by: int) -> int: ...

        @workflows.workflow.entrypoint
        async def run(self) -> None: ...

    defn = workflows.workflow.get_definition(Handlers)
    assert sorted(defn.signals) == ["approve", "bare", "called"]
    approve = defn.signals["approve"]
    assert (approve.kind, approve.name, approve.description, approve.method_name, approve.parameter_names, approve.is_async) == ("signal", "approve", "Approval signal", "approve_signal", ("data",), True)
    assert defn.signals["called"].parameter_names == ("a", "b") and defn.signals["bare"].description is None
    assert sorted(defn.queries) == ["get_status", "progress"] and defn.queries["get_status"].description == "Get current status"
    assert defn.queries["progress"].parameter_names == ("detail",) and defn.queries["progress"].method_name == "progress"
    assert sorted(defn.updates) == ["bump", "update_config"] and defn.updates["update_config"].method_name == "update_config"

    with pytest.raises(ValueError, match="query 'get_status' has two handlers"):
        @workflows.workflow.define(name="seed_api_dup")
        class Dup:
            @workflows.workflow.query(name="get_status")
            def a(self) -> int: ...

            @workflows.workflow.query(name="get_status")
            def b(self) -> int: ...

            @workflows.workflow.entrypoint
            async def run(self) -> None: ...
    with pytest.raises(TypeError, match="must be a plain `def`"):
        @workflows.workflow.query
        async def slow(self) -> int: ...
    with pytest.raises(TypeError, match="must return a value"):
        @workflows.workflow.update(name="nothing")
        def nothing(self) -> None: ...
    with pytest.raises(TypeError, match=r"workflow.signal\(name=...\) must be a non-empty string"):
        workflows.workflow.signal(name="")
    with pytest.raises(TypeError, match=r"workflow.query\(description=...\) must be a string"):
        workflows.workflow.query(name="q", description=5)


def test_get_workflow_definition_is_shaped_like_the_seeds_workflow_spec():
    spec = workflows.get_workflow_definition(HelloWorkflow)
    assert isinstance(spec, workflows.models.WorkflowSpec)
    assert (spec.name, spec.display_name, spec.description, spec.is_technical, spec.on_behalf_of) == ("seed_api_hello", "Hello World", "A minimal hello-world workflow.", True, False)
    assert spec.input_schema == DataInput.model_json_schema()  # a single-model entrypoint: the model's schema
    assert spec.output_schema["properties"]["result"]["type"] == "string"
    assert spec.execution_timeout == datetime.timedelta(minutes=30) and spec.enforce_determinism is True
    assert spec.model_dump()["execution_timeout"] == 1800.0

    report = workflows.get_workflow_definition(ReportWorkflow)
    assert report.input_schema["required"] == ["report_type"] and set(report.input_schema["properties"]) == {"report_type", "include_details"}
    assert report.input_schema["additionalProperties"] is False

    notif = workflows.get_workflow_definition(NotificationWorkflow)
    assert [s.name for s in notif.signals] == ["add_notification", "finish"]
    assert notif.signals[0].description == "queue one notification" and set(notif.signals[0].input_schema["properties"]) == {"message", "priority"}
    assert workflows.get_workflow_definition(NoTimeout).execution_timeout is None
    assert workflows.get_workflow_definition(ReportWorkflow.run).name == "seed_api_report"
    with pytest.raises(ValueError, match="not a workflow"):
        workflows.get_workflow_definition(int)


def test_in_workflow_helpers_outside_a_workflow():
    assert workflows.get_execution_id() is None
    assert workflows.workflow.should_continue_as_new() is False
    with workflows.workflow.unsafe.imports_passed_through():
        pass
    with workflows.workflow.unsafe.skip_determinism_enforcement():
        pass
    with pytest.raises(RuntimeError, match="only be called from workflow code"):
        asyncio.run(workflows.workflow.wait_condition(lambda: True, timeout=1, timeout_summary="x"))
    with pytest.raises(RuntimeError, match="only be called from workflow code"):
        asyncio.run(workflows.workflow.sleep(datetime.timedelta(seconds=1), summary="x"))
    assert converter.from_payload(workflows.workflow.get_definition(ReportWorkflow).encode_params({"report_type": "r"})) == {"report_type": "r"}


def test_two_signal_handlers_may_not_share_a_name():
    # (Handlers take any number of parameters: tests/service/worker_sdk/test_seed_workflow_api.py
    # sends them keyed values.)
    with pytest.raises(ValueError, match="signal 'go' has two handlers"):
        @workflows.workflow.define(name="signals_bad")
        class Bad:
            @workflows.workflow.signal(name="go")
            def one(self, a: int, b: int) -> None: ...

            @workflows.workflow.signal(name="go")
            def two(self) -> None: ...

            @workflows.workflow.entrypoint
            async def run(self) -> None: ...
