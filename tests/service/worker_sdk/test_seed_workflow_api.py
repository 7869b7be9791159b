"""The seed system's workflow-definition and client API on fanflow: programs written in the
shapes of the seed's documentation (only `import mistralai.workflows as workflows` changed),
run on a real embedded cluster.

Calling convention: `execute_workflow(W, params=Model(...))` spreads the model's fields (or a
dict's keys) onto an entrypoint with several parameters or a scalar one, a single-model
entrypoint gets the model whole; the same rule for `continue_as_new(params)` and for signal
values. (The definitions and their checks without a cluster:
tests/unit/worker_sdk/test_seed_workflow_definitions.py.)
"""
from __future__ import annotations

import datetime
import inspect

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from protos import common_pb2 as E
from support.seed_api_workflows import (
    ALL,
    ContextWorkflow,
    DataInput,
    FullParams,
    HelloWorkflow,
    MyParams,
    NotificationWorkflow,
    NoTimeout,
    PageState,
    PaginatedDict,
    PaginatedModel,
    PaginatedProcessor,
    ParentViaWorkflowModule,
    ParentWorkflow,
    process_report,
    ReportModelWorkflow,
    ReportParams,
    ReportWorkflow,
    ReturnsNone,
    ScalarWorkflow,
    SignalKwargsWorkflow,
    SimpleParams,
    TwoRequired,
    UnionWorkflow,
)
from worker_sdk import Worker, converter
from worker_sdk import embedded as embedded_module
from fanflow import timeutil

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
        assert await client.execute_workflow(ScalarWorkflow, "plain", task_queue="seed-api") == "PLAIN"  # fanflow's bare value works too
        # a single-model entrypoint: the model whole, or a dict of its fields
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
    # (child workflows in depth: tests/service/worker_sdk/test_sdk_child_workflows.py)
    for parent in (ParentWorkflow, ParentViaWorkflowModule):
        assert await workflows.execute_workflow(parent, params={"data": "test"}) == "Parent got: Child: test"
