"""The seed system's workflow-definition and client API on fanflow: programs written in the
shapes of the seed's documentation (only `import mistralai.workflows as workflows` changed),
run on a real embedded cluster.

Calling convention: `execute_workflow(W, params=Model(...))` spreads the model's fields (or a
dict's keys) onto an entrypoint with several parameters or a scalar one, a single-model
entrypoint gets the model whole; the same rule for `continue_as_new(params)` and for signal
values. Options of `@workflow.define` are checked when the class is defined.
"""
from __future__ import annotations

import asyncio
import datetime
import inspect
from typing import Any

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from protos import common_pb2 as E
from worker_sdk import Worker, converter
from worker_sdk import embedded as embedded_module
from fanflow import timeutil

# --------------------------------------------------------------------------- programs
# Shapes from the seed's documentation pages (building-workflows/workflows, core concepts,
# local execution, signals-queries-updates, execution context, scheduling).


@workflows.activity()
async def process_report(report_type: str) -> str:
    return f"report:{report_type}"


@workflows.workflow.define(name="seed_api_report")
class ReportWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, report_type: str, include_details: bool = False) -> dict:
        return {"result": await process_report(report_type), "details": include_details}


class ReportParams(BaseModel):
    report_type: str
    include_details: bool = False


@workflows.workflow.define(name="seed_api_report_model")
class ReportModelWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: ReportParams) -> dict:
        return {"result": await process_report(params.report_type), "details": params.include_details}


class DataInput(BaseModel):
    data: str


@workflows.workflow.define(name="seed_api_scalar")
class ScalarWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, data: str) -> str:
        return data.upper()


class FullParams(BaseModel):
    config: str
    options: dict[str, str]


class SimpleParams(BaseModel):
    prompt: str


@workflows.workflow.define(name="seed_api_two_required")
class TwoRequired:
    @workflows.workflow.entrypoint
    async def run(self, a: int, b: str) -> str:
        return f"{b}{a}"


@workflows.workflow.define(name="seed_api_union")
class UnionWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: FullParams | SimpleParams) -> str:
        return f"simple:{params.prompt}" if isinstance(params, SimpleParams) else f"full:{params.config}"


@workflows.workflow.define(name="seed_api_returns_none")
class ReturnsNone:
    @workflows.workflow.entrypoint
    async def run(self, data: str) -> str:
        return None  # type: ignore[return-value]  (the seed gives the caller None)


class PageState(BaseModel):
    page: int = 0
    total_processed: int = 0


@workflows.workflow.define(name="seed_api_paginated")
class PaginatedProcessor:
    """continue_as_new(params) with the run's parameters as a model (the seed's signature)."""

    @workflows.workflow.entrypoint
    async def run(self, page: int = 0, total_processed: int = 0) -> dict:
        if page < 3:
            workflows.workflow.continue_as_new(PageState(page=page + 1, total_processed=total_processed + 100))
        return {"page": page, "total_processed": total_processed, "run": workflows.workflow.info().run_id}


@workflows.workflow.define(name="seed_api_paginated_dict")
class PaginatedDict:
    """continue_as_new({...}) as the seed's guide writes it, and fanflow's keyword form."""

    @workflows.workflow.entrypoint
    async def run(self, page: int = 0, total_processed: int = 0) -> dict:
        if page == 0:
            workflows.workflow.continue_as_new({"page": 1, "total_processed": 100})
        if page == 1:
            workflows.workflow.continue_as_new(page=2, total_processed=total_processed + 100)
        return {"page": page, "total_processed": total_processed}


@workflows.workflow.define(name="seed_api_paginated_model")
class PaginatedModel:
    """A single-model entrypoint continues as new with its model, as before."""

    @workflows.workflow.entrypoint
    async def run(self, params: PageState) -> PageState:
        if params.page < 2:
            workflows.workflow.continue_as_new(PageState(page=params.page + 1, total_processed=params.total_processed + 10))
        return params


@workflows.workflow.define(name="seed_api_notifications")
class NotificationWorkflow:
    def __init__(self) -> None:
        self.notifications: list[dict] = []
        self.done = False

    @workflows.workflow.signal(name="add_notification", description="queue one notification")
    async def add_notification(self, message: str, priority: int = 1) -> None:
        self.notifications.append({"message": message, "priority": priority})

    @workflows.workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflows.workflow.entrypoint
    async def run(self) -> list[dict]:
        await workflows.workflow.wait_condition(lambda: self.done, timeout=datetime.timedelta(seconds=60), timeout_summary="finish")
        return self.notifications


class SignalInput(BaseModel):
    message: str


@workflows.workflow.define(name="seed_api_signal_kwargs")
class SignalKwargsWorkflow:
    def __init__(self) -> None:
        self.received: list[dict] = []

    @workflows.workflow.signal(name="notify")
    async def notify(self, name: str, **kwargs: Any) -> None:
        self.received.append({"name": name, **kwargs})

    @workflows.workflow.signal(name="notify_model")
    def notify_model(self, data: SignalInput, **kwargs: Any) -> None:
        self.received.append({"message": data.message, **kwargs})

    @workflows.workflow.signal(name="approve")
    def approve(self, data: SignalInput) -> None:  # one parameter: the value may come bare
        self.received.append({"approved": data.message})

    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        await workflows.workflow.wait_condition(lambda: len(self.received) >= 5)
        return {"entries": self.received}


class MyParams(BaseModel):
    value: int


@workflows.workflow.define(name="seed_api_context")
class ContextWorkflow:
    """get_execution_id, should_continue_as_new, sleep(summary=), unsafe blocks in workflow code."""

    @workflows.workflow.entrypoint
    async def run(self, params: MyParams) -> dict:
        with workflows.workflow.unsafe.imports_passed_through():
            import json  # noqa: F401 - a seed program's pass-through import
        with workflows.workflow.unsafe.skip_determinism_enforcement():
            doubled = params.value * 2
        await workflows.workflow.sleep(datetime.timedelta(milliseconds=50), summary="short pause")
        return {
            "execution_id": workflows.get_execution_id(),
            "continue": workflows.workflow.should_continue_as_new(),
            "doubled": doubled,
        }


@workflows.workflow.define(name="seed_api_child")
class ChildWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, value: str) -> str:
        return f"Child: {value}"


@workflows.workflow.define(name="seed_api_parent")
class ParentWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, data: str) -> str:
        child_result = await workflows.execute_workflow(ChildWorkflow, params={"value": data})
        return f"Parent got: {child_result}"


@workflows.workflow.define(name="seed_api_parent_via_workflow")
class ParentViaWorkflowModule:
    @workflows.workflow.entrypoint
    async def run(self, data: str) -> str:
        handle = await workflows.workflow.execute_workflow(ChildWorkflow, params={"value": data}, wait=False)
        return f"Parent got: {await handle}"


@workflows.workflow.define(
    name="seed_api_hello",
    workflow_display_name="Hello World",
    workflow_description="A minimal hello-world workflow.",
    is_technical=True,
    execution_timeout=datetime.timedelta(minutes=30),
    search_keys=["data"],
)
class HelloWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, input: DataInput) -> str:
        return f"Hello, {input.data}!"


@workflows.workflow.define(name="seed_api_no_timeout", execution_timeout=None)
class NoTimeout:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        return "done"


ALL = [ReportWorkflow, ReportModelWorkflow, TwoRequired, ScalarWorkflow, UnionWorkflow, ReturnsNone, PaginatedProcessor, PaginatedDict,
       PaginatedModel, NotificationWorkflow, SignalKwargsWorkflow, ContextWorkflow, ChildWorkflow, ParentWorkflow,
       ParentViaWorkflowModule, NoTimeout]


# --------------------------------------------------------------------------- calling convention


async def test_params_are_spread_onto_several_parameters_a_scalar_or_kept_whole(client):
    async with Worker(client, task_queue="seed-api", workflows=ALL, activities=[process_report]):
        # several parameters: a model's fields or a dict's keys, by name (defaults kept)
        assert await client.execute_workflow(ReportWorkflow, ReportParams(report_type="daily", include_details=True), task_queue="seed-api") == {"result": "report:daily", "details": True}
        assert await client.execute_workflow(ReportWorkflow, {"report_type": "weekly"}, task_queue="seed-api") == {"result": "report:weekly", "details": False}
        class AB(BaseModel):
            a: int
            b: str

        assert await client.execute_workflow(TwoRequired, AB(a=1, b="x"), task_queue="seed-api") == "x1"
        assert await client.execute_workflow(TwoRequired, {"b": "y", "a": 2}, task_queue="seed-api") == "y2"
        # a scalar parameter: the model's field of that name
        assert await client.execute_workflow(ScalarWorkflow, DataInput(data="abc"), task_queue="seed-api") == "ABC"
        assert await client.execute_workflow(ScalarWorkflow, "plain", task_queue="seed-api") == "PLAIN"  # fanflow's bare value still works
        # a single-model entrypoint: the model whole (as before), or a dict of its fields
        assert await client.execute_workflow(ReportModelWorkflow, ReportParams(report_type="monthly"), task_queue="seed-api") == {"result": "report:monthly", "details": False}
        assert await client.execute_workflow(ReportModelWorkflow, {"report_type": "yearly", "include_details": True}, task_queue="seed-api") == {"result": "report:yearly", "details": True}
        # a union of models: the first member that validates
        assert await client.execute_workflow(UnionWorkflow, SimpleParams(prompt="hi"), task_queue="seed-api") == "simple:hi"
        assert await client.execute_workflow(UnionWorkflow, FullParams(config="c", options={}), task_queue="seed-api") == "full:c"
        # Temporal style: the entrypoint method names the workflow
        assert await client.execute_workflow(ReportWorkflow.run, {"report_type": "t"}, id="seed-api-by-method", task_queue="seed-api") == {"result": "report:t", "details": False}


async def test_params_that_do_not_match_name_the_missing_and_unexpected_fields(client):
    class Wrong(BaseModel):
        kind: str
        include_details: bool = True

    with pytest.raises(TypeError, match=r"missing 'report_type'.*unexpected 'kind'"):
        await client.start_workflow(ReportWorkflow, Wrong(kind="x"), task_queue="seed-api")
    with pytest.raises(TypeError, match=r"missing 'data'; unexpected 'text'"):
        await client.start_workflow(ScalarWorkflow, {"text": "x"}, task_queue="seed-api")
    with pytest.raises(TypeError, match=r"no params do not match its parameters \['report_type', 'include_details'\]: missing 'report_type'"):
        await client.start_workflow(ReportWorkflow, task_queue="seed-api")
    with pytest.raises(TypeError, match=r"workflow 'seed_api_two_required' takes parameters \['a', 'b'\]: pass a pydantic model or a dict"):
        await client.start_workflow(TwoRequired, 42, task_queue="seed-api")
    with pytest.raises(TypeError, match=r"missing 'b'"):
        await client.start_workflow(TwoRequired, {"a": 1}, task_queue="seed-api")
    assert not await client.list_workflows()  # nothing was started


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


async def test_a_workflow_returning_none_gives_none_for_a_str_annotation(client):
    async with Worker(client, task_queue="seed-api-none", workflows=[ReturnsNone]):
        assert await client.execute_workflow(ReturnsNone, DataInput(data="x"), task_queue="seed-api-none") is None


async def test_continue_as_new_takes_a_params_model_or_dict(client):
    async with Worker(client, task_queue="seed-api-can", workflows=[PaginatedProcessor, PaginatedDict, PaginatedModel]):
        handle = await client.start_workflow(PaginatedProcessor, PageState(), task_queue="seed-api-can")
        result = await handle.result(timeout=60)
        assert result["page"] == 3 and result["total_processed"] == 300 and result["run"] != handle.run_id
        assert await client.execute_workflow(PaginatedDict, {}, task_queue="seed-api-can") == {"page": 2, "total_processed": 200}
        assert await client.execute_workflow(PaginatedModel, PageState(), task_queue="seed-api-can") == PageState(page=2, total_processed=20)


@workflows.activity()
async def process_batch(page: int) -> int:
    return page * 10


class ProcessorParams(BaseModel):
    page: int = 0
    processed: list[int] = []


@workflows.workflow.define(name="seed_api_paginated_processor")
class HistoryBoundProcessor:
    """The seed's continue-as-new docstring shape: work in pages, and when history suggests
    it, `continue_as_new(next_params)` with a model."""

    @workflows.workflow.entrypoint
    async def run(self, params: ProcessorParams) -> dict:
        page, processed = params.page, list(params.processed)
        while page < 30:
            processed.append(await process_batch(page))
            page += 1
            if workflows.workflow.should_continue_as_new():
                workflows.workflow.continue_as_new(ProcessorParams(page=page, processed=processed))
        return {"processed": processed, "first_page_of_last_run": params.page}


@pytest.fixture
async def low_limit_client(tmp_path):
    """A cluster that suggests continue-as-new after 40 events (Temporal's default is 4,096)."""
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig, HistoryLimits

    cluster = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, limits=HistoryLimits(suggest_continue_as_new_events=40))).start()
    client = await workflows.Client.connect(cluster.frontend_address)
    yield client
    await client.close()
    await cluster.stop()


async def test_should_continue_as_new_follows_history(low_limit_client):
    client = low_limit_client
    async with Worker(client, task_queue="seed-api-paged", workflows=[HistoryBoundProcessor], activities=[process_batch]):
        handle = await client.start_workflow(HistoryBoundProcessor, ProcessorParams(), task_queue="seed-api-paged")
        result = await handle.result(timeout=60)
    assert result["processed"] == [p * 10 for p in range(30)]
    assert result["first_page_of_last_run"] > 0  # the last run started where a previous one stopped
    first_run = await handle.history()
    assert first_run[-1].event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert converter.from_payload(first_run[-1].workflow_execution_continued_as_new.input)["params"]["page"] > 0


# --------------------------------------------------------------------------- signals


async def test_signal_values_are_spread_onto_handler_parameters(client):
    async with Worker(client, task_queue="seed-api-signals", workflows=[NotificationWorkflow, SignalKwargsWorkflow]):
        handle = await client.start_workflow(NotificationWorkflow, task_queue="seed-api-signals")
        await handle.signal("add_notification", {"message": "disk full", "priority": 3})
        await handle.signal("add_notification", {"message": "backup done"})  # the default priority
        await handle.signal("add_notification", "bare text")  # a bare value: the first parameter
        await handle.signal("add_notification", {"priority": 9})  # no message: dropped with a warning, the run goes on
        await handle.signal(NotificationWorkflow.finish)  # the handler method names the signal
        assert await handle.result(timeout=30) == [
            {"message": "disk full", "priority": 3},
            {"message": "backup done", "priority": 1},
            {"message": "bare text", "priority": 1},
        ]

        # The seed's own **kwargs shapes, started Temporal-style by type name with a dict.
        handle = await client.start_workflow("seed_api_signal_kwargs", {}, id="seed-api-kwargs", task_queue="seed-api-signals")
        await handle.signal("notify", {"name": "alice", "priority": 10, "tag": "urgent"})
        await handle.signal("notify", {"name": "bob"})
        await handle.signal("notify_model", {"data": {"message": "hello"}, "source": "api"})
        await handle.signal("approve", {"message": "ops"})  # one model parameter: the model's fields bare
        await handle.signal("approve", {"data": {"message": "keyed"}})  # or keyed by the parameter name
        result = await handle.result(timeout=30)
    assert result["entries"] == [
        {"name": "alice", "priority": 10, "tag": "urgent"},
        {"name": "bob"},
        {"message": "hello", "source": "api"},
        {"approved": "ops"},
        {"approved": "keyed"},
    ]


# --------------------------------------------------------------------------- execute_workflow's arguments


async def test_execution_timeout_and_metadata_are_sent_with_the_start(client):
    hello = client.start_workflow_request(HelloWorkflow, DataInput(data="x"))
    assert timeutil.seconds(hello.workflow_execution_timeout) == 1800  # the definition's
    assert hello.metadata.display_name == "Hello World" and hello.metadata.description == "A minimal hello-world workflow." and hello.metadata.is_technical
    report = client.start_workflow_request(ReportWorkflow, {"report_type": "x"})
    assert timeutil.seconds(report.workflow_execution_timeout) == 3600  # the seed's default: 1 hour
    assert report.metadata == E.WorkflowMetadata()
    explicit = client.start_workflow_request(ReportWorkflow, {"report_type": "x"}, execution_timeout=datetime.timedelta(minutes=5))
    assert timeutil.seconds(explicit.workflow_execution_timeout) == 300  # the call's wins
    assert timeutil.seconds(client.start_workflow_request(ReportWorkflow, {"report_type": "x"}, execution_timeout=90).workflow_execution_timeout) == 90
    assert not client.start_workflow_request(NoTimeout).HasField("workflow_execution_timeout")  # define(execution_timeout=None)
    assert not client.start_workflow_request("seed_api_report", {"report_type": "x"}).HasField("workflow_execution_timeout")  # a bare type name
    assert client.start_workflow_request(ReportWorkflow, {"report_type": "x"}, execution_id="my-run-2024").workflow_id == "my-run-2024"
    for bad in (0, -5, datetime.timedelta(0)):
        with pytest.raises(ValueError, match="execution_timeout must be a positive duration"):
            client.start_workflow_request(ReportWorkflow, {"report_type": "x"}, execution_timeout=bad)
    with pytest.raises(TypeError, match="execution_timeout must be a timedelta or a number of seconds"):
        client.start_workflow_request(ReportWorkflow, {"report_type": "x"}, execution_timeout="1h")
    with pytest.raises(ValueError, match="pass the workflow id once"):
        client.start_workflow_request(ReportWorkflow, {"report_type": "x"}, id="a", execution_id="b")

    # A run with these options completes; history keeps the execution timeout it was started with.
    async with Worker(client, task_queue="seed-api-hello", workflows=[HelloWorkflow]):
        handle = await client.start_workflow(HelloWorkflow, DataInput(data="Ann"), execution_id="hello-ann", task_queue="seed-api-hello")
        assert handle.workflow_id == "hello-ann" and await handle.result(timeout=30) == "Hello, Ann!"
    started = (await handle.history())[0].workflow_execution_started
    assert timeutil.seconds(started.workflow_execution_timeout) == 1800


@pytest.fixture
def embedded_settings(tmp_path, monkeypatch):
    """workflows.execute_workflow on an embedded cluster in tmp_path (configure(data_dir=...))."""
    monkeypatch.delenv("FANFLOW_ADDRESS", raising=False)
    monkeypatch.setattr(embedded_module, "_settings", {})
    workflows.configure(data_dir=tmp_path / "data", task_queue="seed-api-embedded")
    yield tmp_path / "data"


async def test_top_level_execute_workflow_with_the_seeds_arguments(embedded_settings):
    result = await workflows.execute_workflow(
        workflow=ReportWorkflow,
        params=ReportParams(report_type="daily"),
        execution_timeout=datetime.timedelta(minutes=30),
        execution_id="report-daily",
    )
    assert result == {"result": "report:daily", "details": False}
    # the local-execution guide's dict form; the entrypoint method as the reference
    assert await workflows.execute_workflow(ReportWorkflow.run, params={"report_type": "x", "include_details": True}) == {"result": "report:x", "details": True}

    handle = await workflows.execute_workflow(ContextWorkflow, MyParams(value=21), execution_id="ctx-1", wait=False, parent_close_policy=workflows.ParentClosePolicy.ABANDON)
    assert isinstance(handle, workflows.WorkflowHandle) and handle.workflow_id == "ctx-1"
    assert await handle.result(timeout=30) == {"execution_id": "ctx-1", "continue": False, "doubled": 42}

    # workflows.workflow.execute_workflow: the same call, the same signature
    assert await workflows.workflow.execute_workflow(ScalarWorkflow, DataInput(data="via workflow module")) == "VIA WORKFLOW MODULE"
    top = inspect.signature(workflows.execute_workflow).parameters
    inner = inspect.signature(workflows.workflow.execute_workflow).parameters
    seed_order = ["workflow", "params", "execution_timeout", "execution_id", "wait", "parent_close_policy"]
    assert list(top)[:6] == seed_order and list(inner)[:6] == seed_order

    with pytest.raises(TypeError, match="parent_close_policy"):
        await workflows.execute_workflow(ScalarWorkflow, DataInput(data="x"), parent_close_policy="abandon")
    with pytest.raises(TypeError, match=r"wait=\.\.\.\) must be True or False"):
        await workflows.execute_workflow(ScalarWorkflow, DataInput(data="x"), wait="no")
    with pytest.raises(TypeError, match="unexpected 'nope'"):
        await workflows.execute_workflow(ScalarWorkflow, {"data": "x", "nope": 1})


async def test_execute_workflow_inside_a_workflow_starts_a_child_workflow(embedded_settings):
    # (child workflows in depth: tests/test_child_workflows.py)
    for parent in (ParentWorkflow, ParentViaWorkflowModule):
        assert await workflows.execute_workflow(parent, params={"data": "test"}) == "Parent got: Child: test"


# --------------------------------------------------------------------------- define options


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
