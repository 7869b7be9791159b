"""A seed-system worker program (the shape of the seed's quickstart and "Workers" page, only
the import changed): run as a script it serves these workflows on the cluster at
FANFLOW_ADDRESS until it is stopped. Tests import it too, to start the workflows."""
import asyncio

from pydantic import BaseModel

import worker_sdk as workflows


class HelloInput(BaseModel):
    name: str = "World"


@workflows.activity(name="seed_program_greet")  # (tests/service/frontend/test_frontend_auth.py registers another `greet` in the same test process)
async def greet(name: str) -> str:
    """A simple activity that returns a greeting."""
    return f"Hello, {name}! Welcome to Mistral Workflows."


@workflows.workflow.define(
    name="hello-world",
    workflow_display_name="Hello World",
    workflow_description="A minimal hello-world workflow.",
)
class HelloWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, input: HelloInput) -> str:
        return await greet(input.name)


@workflows.activity()
async def hello_world(name: str) -> dict:
    return {"message": f"Hello, {name}!"}


@workflows.workflow.define(name="simple_example_workflow")
class SimpleExampleWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, name: str) -> dict:
        return await hello_world(name)


@workflows.workflow.define(name="report_workflow", execution_timeout=120)
class ReportWorkflow:
    def __init__(self) -> None:
        self.approved_by: str | None = None

    @workflows.workflow.signal(name="approve", description="Approval signal")
    async def approve(self, approver: str, note: str = "") -> None:
        self.approved_by = f"{approver}{': ' + note if note else ''}"

    @workflows.workflow.entrypoint
    async def run(self, report_type: str, include_details: bool = False) -> dict:
        await workflows.workflow.wait_condition(lambda: self.approved_by is not None, timeout=60)
        return {"report_type": report_type, "details": include_details, "approved_by": self.approved_by,
                "execution_id": workflows.get_execution_id()}


async def main() -> None:
    await workflows.run_worker([HelloWorkflow, SimpleExampleWorkflow, ReportWorkflow])


if __name__ == "__main__":
    asyncio.run(main())
