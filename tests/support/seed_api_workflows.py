"""Workflows in the shapes of the seed system's documentation pages (building-workflows/workflows,
core concepts, local execution, signals-queries-updates, execution context, scheduling), with
only `import mistralai.workflows as workflows` changed: their definitions are checked in
tests/unit/worker_sdk/test_seed_workflow_definitions.py, and they run on a cluster in
tests/service/worker_sdk/test_seed_workflow_api.py."""
from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel

import worker_sdk as workflows


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
    """A single-model entrypoint continues as new with its model."""

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
