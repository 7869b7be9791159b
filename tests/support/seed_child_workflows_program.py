"""The seed's documented child-workflow snippets (docs.mistral.ai/workflows/building-workflows/
sub_workflows), with only the import changed (`import mistralai.workflows as workflows` ->
`import worker_sdk as workflows`, `from mistralai.workflows import ...` -> `from worker_sdk
import ...`). The "Basic usage" program is whole; the "Fire and forget" and "Parent close
policy" fragments sit in parent workflows of their own (the lines between the markers are the
documentation's)."""
import asyncio
from datetime import timedelta

import worker_sdk as workflows
from pydantic import BaseModel
from worker_sdk import ParentClosePolicy, workflow


# ---- "Basic usage" (whole program)
@workflows.activity()
async def process_item(value: str) -> str:
    return f"processed:{value}"


class ChildInput(BaseModel):
    value: str


@workflows.workflow.define(name="child_workflow")
class ChildWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: ChildInput) -> str:
        return await process_item(params.value)


class ParentInput(BaseModel):
    data: str


@workflows.workflow.define(name="parent_workflow")
class ParentWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: ParentInput) -> str:
        child_result = await workflows.execute_workflow(
            ChildWorkflow, params=ChildInput(value=params.data)
        )
        return f"Parent got: {child_result}"


async def main():
    result = await workflows.execute_workflow(
        ParentWorkflow,
        params=ParentInput(data="hello"),
    )
    print(result)
    return result


# ---- "Fire and forget"
@workflows.workflow.define(name="seed_fire_and_forget_parent")
class FireAndForgetParent:
    @workflows.workflow.entrypoint
    async def run(self, params: ParentInput) -> dict:
        child_params = ChildInput(value=params.data)
        # --- documented lines
        handle = await workflow.execute_workflow(
            ChildWorkflow,
            params=child_params,
            execution_timeout=timedelta(hours=1),
            wait=False,
        )
        # Parent continues immediately — child runs independently
        # Optionally await later: result = await handle
        # --- end
        result = await handle
        return {"child_id": handle.id, "result": result}


# ---- "Parent close policy"
@workflows.workflow.define(name="seed_close_policy_parent")
class ClosePolicyParent:
    @workflows.workflow.entrypoint
    async def run(self, params: ParentInput) -> str:
        child_params = ChildInput(value=params.data)
        # --- documented lines
        handle = await workflow.execute_workflow(
            ChildWorkflow,
            params=child_params,
            execution_timeout=timedelta(hours=1),
            wait=False,
            parent_close_policy=ParentClosePolicy.TERMINATE,
        )
        # --- end
        return handle.id


async def fragments() -> dict:
    """Run the two fragments' parents and print what they returned (not documentation: what
    the test reads back)."""
    import json

    outcome = await workflows.execute_workflow(FireAndForgetParent, params=ParentInput(data="later"))
    handle = await workflows.execute_workflow(ClosePolicyParent, params=ParentInput(data="x"), wait=False)
    report = {"fire_and_forget": outcome, "close_policy_child": await handle.result(), "close_policy_parent": handle.workflow_id}
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    import sys

    asyncio.run(fragments() if sys.argv[1:] == ["fragments"] else main())
