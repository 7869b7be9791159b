"""The seed's documented task snippets (`workflows.task`, `workflows.task_from`, from its
`Task` / `task` / `task_from` docstrings), with only the import changed, and what the tests
around them need. Shared by the service tests and the worker processes of the cluster tests."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

import worker_sdk as workflows
from worker_sdk import task, task_from


# ---------------------------------------------------------------- the seed's Task docstring
# In activities
@workflows.activity(name="seed_tasks_process_file")
async def process_file():
    async with task("file_processing", state={"progress": 0}) as t:
        await t.set_state({"progress": 50})
        await t.set_state({"progress": 100})


@workflows.activity(name="seed_tasks_call_activity_1")
async def call_activity_1() -> str:
    return "one"


@workflows.activity(name="seed_tasks_call_activity_2")
async def call_activity_2() -> str:
    return "two"


# In workflows - can span multiple activities!
@workflows.workflow.define(name="seed_tasks_my_workflow")
class MyWorkflow:
    @workflows.workflow.entrypoint
    async def run(self):
        async with task("llm_generation", state={"tokens": 0}) as t:
            result1 = await call_activity_1()
            await t.set_state({"tokens": 100})

            result2 = await call_activity_2()
            await t.set_state({"tokens": 200})
        await process_file()
        return [result1, result2]


# ---------------------------------------------------------------- the seed's task / task_from docstrings
class ExportState(BaseModel):
    progress: int = 0
    status: str = "pending"


class ProcessingState(BaseModel):
    model_config = ConfigDict(title="document_processing")
    progress: float = 0.0


@workflows.workflow.define(name="seed_tasks_docstring_examples")
class DocstringExamples:
    @workflows.workflow.entrypoint
    async def run(self, task_id: str) -> dict:
        async with task("cleanup"):
            pass

        async with task("export", state={"progress": 0}) as t:
            await t.update_state({"progress": 50})  # Partial update
            await t.set_state({"progress": 100})    # Full replacement

        async with task("export", state=ExportState()) as t:
            await t.update_state({"progress": 50, "status": "processing"})
            await t.set_state(ExportState(progress=100, status="done"))
        model_final = t.state

        async with task("wait_for_input", state={"asked": True}, id=task_id) as t:
            # Task will use the provided id instead of generating one
            pass

        async with task_from(ProcessingState()) as t:  # type="document_processing"
            await t.update_state({"progress": 0.5})

        async with task_from({"progress": 0}, type="export") as t:  # Explicit type required for dict
            await t.update_state({"progress": 100})

        async with task_from(ProcessingState(), id="custom-id") as t:
            await t.update_state({"progress": 0.5})
        return model_final.model_dump()
