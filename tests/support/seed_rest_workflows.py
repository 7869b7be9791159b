"""Workflows for the seed-compatible REST API tests (tests/service/ui/test_ui_seed_rest_api.py),
written as seed code is (`import worker_sdk as workflows` in place of `mistralai.workflows`)."""
from __future__ import annotations

from pydantic import BaseModel

import worker_sdk as workflows


@workflows.activity(name="seedrest_greet")
async def seedrest_greet(name: str, times: int) -> dict:
    return {"greeting": " ".join([f"hello {name}"] * times)}


@workflows.workflow.define(name="seedrest_greeter")
class SeedRestGreeter:
    @workflows.workflow.entrypoint
    async def run(self, name: str, times: int = 1) -> dict:
        greeted = await seedrest_greet(name, times)
        return {"greeting": greeted["greeting"], "length": len(greeted["greeting"])}


@workflows.workflow.define(name="seedrest_collector")
class SeedRestCollector:
    """Runs until signalled `finish`; signals add items, a query reads them, an update sets a label."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.label = "none"
        self.finished = False

    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        await workflows.workflow.wait_condition(lambda: self.finished)
        return {"items": self.items, "label": self.label}

    @workflows.workflow.signal(name="add_item")
    async def add_item(self, item: str) -> None:
        self.items.append(item)

    @workflows.workflow.signal(name="finish")
    async def finish(self) -> None:
        self.finished = True

    @workflows.workflow.query(name="items")
    def get_items(self) -> dict:
        return {"items": self.items, "label": self.label}

    @workflows.workflow.update(name="set_label")
    async def set_label(self, label: str) -> dict:
        if not label.strip():
            raise workflows.WorkflowError("label must not be blank")
        previous, self.label = self.label, label
        return {"previous": previous, "label": label}


class SeedRestApproval(BaseModel):
    approved: bool
    reviewer: str


@workflows.workflow.define(name="seedrest_approval")
class SeedRestApprovalWorkflow(workflows.InteractiveWorkflow):
    @workflows.workflow.entrypoint
    async def run(self, document: str) -> dict:
        answer = await self.wait_for_input(SeedRestApproval, label="approve document")
        return {"document": document, "approved": answer.approved, "reviewer": answer.reviewer}


@workflows.workflow.define(name="seedrest_failing")
class SeedRestFailing:
    @workflows.workflow.entrypoint
    async def run(self, reason: str) -> dict:
        raise workflows.WorkflowError(f"refused: {reason}")


RELEASED: set[str] = set()  # keys the test lets `seedrest_hold` finish (the worker runs in the test's process)


@workflows.activity(name="seedrest_hold")
async def seedrest_hold(key: str) -> dict:
    import asyncio

    while key not in RELEASED:
        await asyncio.sleep(0.05)
    return {"released": key}


@workflows.workflow.define(name="seedrest_holder")
class SeedRestHolder:
    @workflows.workflow.entrypoint
    async def run(self, key: str) -> dict:
        return await seedrest_hold(key)


@workflows.workflow.define(name="seedrest_parent")
class SeedRestParent:
    """Greets through a child workflow (SeedRestGreeter), then says how many it greeted."""

    @workflows.workflow.entrypoint
    async def run(self, names: list[str]) -> dict:
        greetings = [await workflows.workflow.execute_workflow(SeedRestGreeter, params={"name": name, "times": 1}) for name in names]
        return {"greeted": len(greetings)}


@workflows.workflow.define(name="seedrest_tasks")
class SeedRestTasks:
    """Streaming task state from workflow code: one task that completes, one that fails."""

    @workflows.workflow.entrypoint
    async def run(self, n: int) -> dict:
        async with workflows.task("count", state={"done": 0}) as t:
            for i in range(1, n + 1):
                await t.update_state({"done": i})
        try:
            async with workflows.task("doomed"):
                raise ValueError("no luck")
        except ValueError:
            pass
        return {"n": n}
