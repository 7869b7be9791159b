"""The seed system's documented snippets for queries, updates and human input, with only
the import changed (`import worker_sdk as workflows`). Imported by the tests and by worker
processes (`fanflow worker seed_message_snippets`)."""
import asyncio

from pydantic import BaseModel

import worker_sdk as workflows
from worker_sdk import InteractiveWorkflow

# ------------------------------------------------------------------ docs: Queries


@workflows.workflow.define(name="processing_workflow")
class ProcessingWorkflow:
    def __init__(self):
        self.progress = 0.0
        self.completed = False

    @workflows.workflow.query(name="get_status")
    def get_status(self) -> dict:
        return {
            "progress": self.progress,
            "completed": self.completed
        }

    @workflows.workflow.entrypoint
    async def run(self) -> None:
        # Simulate work
        for i in range(1, 11):
            self.progress = i * 10
            await asyncio.sleep(1)
        self.completed = True


# ------------------------------------------------------------------ docs: Updates


# Activity definition
@workflows.activity()
async def process_update_data(data: str) -> str:
    # Simulate processing
    await asyncio.sleep(0.5)
    return f"Processed: {data.upper()}"


@workflows.workflow.define(name="data_processing_workflow")
class DataProcessingWorkflow:
    def __init__(self):
        self.current_value = "default"

    @workflows.workflow.update(name="update_data")
    async def update_data(self, new_value: str) -> dict:
        # Execute an activity as part of the update
        processed = await process_update_data(new_value)

        # Update workflow state
        old_value = self.current_value
        self.current_value = processed

        return {
            "success": True,
            "processed_value": processed,
            "message": f"Updated from '{old_value}' to '{processed}'"
        }

    @workflows.workflow.entrypoint
    async def run(self):
        print(f"Workflow started with value: {self.current_value}")
        # Workflow continues running... (the snippet's placeholder: here, until an update landed)
        await workflows.workflow.wait_condition(lambda: self.current_value != "default")
        return self.current_value


# ------------------------------------------------------------------ InteractiveWorkflow's documented example


class ApprovalRequest(BaseModel):
    approved: bool
    reviewer: str
    comments: str


@workflows.workflow.define(name="human_approval")
class ApprovalWorkflow(InteractiveWorkflow):
    @workflows.workflow.entrypoint
    async def run(self, document_id: str) -> str:
        # Workflow pauses here until input is submitted
        approval = await self.wait_for_input(ApprovalRequest, label="Manager Approval")

        if approval.approved:
            return f"Document approved by {approval.reviewer}"
        return f"Document rejected: {approval.comments}"


async def submit_approval(handle) -> None:
    """The documented client side, as written there (`handle` is the workflow's handle)."""
    # Get pending inputs with metadata
    result = await handle.query("__get_pending_inputs")
    # result["pending_inputs"] = [
    #   {
    #     "task_id": "abc-123",
    #     "label": "Manager Approval",
    #     "input_schema": {"type": "object", "properties": {...}}
    #   }
    # ]

    # Find the specific task you want to respond to
    approval_task = next(
        inp for inp in result["pending_inputs"]
        if inp["label"] == "Manager Approval"
    )

    # Submit input for that specific task
    await handle.execute_update(
        "__submit_input",
        {
            "task_id": approval_task["task_id"],
            "input": {"approved": True, "reviewer": "Alice", "comments": "LGTM"}
        }
    )
