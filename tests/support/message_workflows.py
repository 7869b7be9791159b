"""Workflows with queries, updates and human input for the cluster tests, imported by worker
processes (`fanflow worker message_workflows`) and by the tests themselves."""
import os

from pydantic import BaseModel

import worker_sdk as workflows


@workflows.activity(start_to_close_timeout=10)
async def message_double(n: int) -> dict:
    return {"value": n * 2, "pid": os.getpid()}


class Approval(BaseModel):
    approved: bool
    reviewer: str


@workflows.workflow.define(name="message_ledger")
class Ledger(workflows.InteractiveWorkflow):
    """Updates that wait for a signal, then run an activity; a query; a human approval."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[int] = []
        self.released = False
        self.closing = False

    @workflows.workflow.query(name="get_status")
    def get_status(self) -> dict:
        return {"entries": self.entries, "released": self.released}

    @workflows.workflow.update(name="add_entry")
    async def add_entry(self, amount: int) -> dict:
        await workflows.workflow.wait_condition(lambda: self.released)
        doubled = await message_double(amount)
        self.entries.append(doubled["value"])
        return doubled

    @add_entry.validator
    def check_amount(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"amount must be positive, got {amount}")

    @workflows.workflow.signal
    def release(self) -> None:
        self.released = True

    @workflows.workflow.signal
    def close(self) -> None:
        self.closing = True

    @workflows.workflow.entrypoint
    async def run(self, owner: str) -> dict:
        await workflows.workflow.wait_condition(lambda: self.closing)
        approval = await self.wait_for_input(Approval, label="sign-off")
        return {"owner": owner, "entries": self.entries, "approved_by": approval.reviewer if approval.approved else None}
