"""Human input (issue 13): `InteractiveWorkflow.wait_for_input` with the seed's names (the
`__get_pending_inputs` query, the `__submit_input` update) so the seed's documented client code
runs unchanged; the pending requests with their label and JSON schema; input checked against
the schema before the workflow sees it (INVALID_ARGUMENT naming the field, nothing recorded);
timeouts as durable timers raising asyncio.TimeoutError; answers that survive a replay."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import grpc
import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from protos import common_pb2 as E
from support.seed_message_snippets import ApprovalRequest, ApprovalWorkflow, submit_approval
from worker_sdk import Worker, WorkflowUpdateRejectedError


# ------------------------------------------------------------------ the seed's example (InteractiveWorkflow's docstring)
# ApprovalWorkflow and the documented client code (submit_approval) live in seed_message_snippets.py.


async def _wait_for_pending(handle, count: int = 1) -> list[dict]:
    for _ in range(200):
        pending = await handle.pending_inputs()
        if len(pending) >= count:
            return pending
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.workflow_id} never opened {count} input request(s)")


@pytest.mark.parametrize("cached", [True, False], ids=["cached-instance", "replay"])
async def test_seed_client_code_answers_a_wait_for_input(client, cached):
    queue = f"human-seed-{cached}"
    async with Worker(client, task_queue=queue, workflows=[ApprovalWorkflow], max_cached_workflows=1000 if cached else 0):
        handle = await client.start_workflow(ApprovalWorkflow, "doc-42", task_queue=queue)
        await _wait_for_pending(handle)

        pending = await handle.query("__get_pending_inputs")
        assert [(p["label"], p["input_schema"]) for p in pending["pending_inputs"]] == [("Manager Approval", ApprovalRequest.model_json_schema())]
        await submit_approval(handle)  # the seed's documented client code
        assert await handle.result(timeout=30) == "Document approved by Alice"
        assert await handle.pending_inputs() == []  # closed: replayed, nothing open
    accepted = [e.workflow_execution_update_accepted for e in await handle.history() if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    assert [a.name for a in accepted] == ["__submit_input"] and b"Alice" in accepted[0].input.data


# ------------------------------------------------------------------ several requests, labels, schema checks, timeouts


class Budget(BaseModel):
    amount: int
    currency: str = "EUR"


class Comment(BaseModel):
    text: str


@workflows.workflow.define(name="human_two_steps")
class TwoSteps(workflows.InteractiveWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self.notes: list[str] = []

    @workflows.workflow.entrypoint
    async def run(self, project: str) -> dict:
        budget, comment = await asyncio.gather(
            self.wait_for_input(Budget, label="budget"),
            self.wait_for_input(Comment, label="comment"),
        )
        try:
            await self.wait_for_input(Comment, label="optional follow-up", timeout=timedelta(seconds=0.5))
            follow_up = "answered"
        except asyncio.TimeoutError:
            follow_up = "timed out"
        return {"project": project, "amount": budget.amount, "currency": budget.currency, "comment": comment.text, "follow_up": follow_up}


async def test_pending_inputs_schema_checks_and_timeouts(client):
    async with Worker(client, task_queue="human-two", workflows=[TwoSteps]):
        handle = await client.start_workflow(TwoSteps, "apollo", task_queue="human-two")
        pending = await _wait_for_pending(handle, 2)
        by_label = {p["label"]: p for p in pending}
        assert set(by_label) == {"budget", "comment"}
        assert by_label["budget"]["input_schema"]["required"] == ["amount"] and "currency" in by_label["budget"]["input_schema"]["properties"]
        before = [e.event_type for e in await handle.history()]

        # Checked against the schema before the workflow sees it: the field is named, nothing recorded.
        with pytest.raises(WorkflowUpdateRejectedError) as wrong:
            await handle.submit_input({"amount": "a lot"}, label="budget")
        assert wrong.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT
        assert "amount" in wrong.value.message and "does not match Budget" in wrong.value.message
        with pytest.raises(WorkflowUpdateRejectedError) as missing:
            await handle.execute_update("__submit_input", {"task_id": by_label["comment"]["task_id"], "input": {}})
        assert missing.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT and "text" in missing.value.message
        with pytest.raises(WorkflowUpdateRejectedError) as unknown:
            await handle.execute_update("__submit_input", {"task_id": "no-such-task", "input": {"text": "hi"}})
        assert unknown.value.grpc_code == grpc.StatusCode.FAILED_PRECONDITION and "no pending input request with task id 'no-such-task'" in unknown.value.message
        with pytest.raises(ValueError, match="2 input requests open"):
            await handle.submit_input({"text": "which one?"})  # two open, none named
        assert [e.event_type for e in await handle.history()] == before  # nothing recorded

        await handle.submit_input({"amount": 1200}, label="budget")
        await handle.submit_input(Comment(text="go"), task_id=by_label["comment"]["task_id"])
        result = await handle.result(timeout=30)
    assert result == {"project": "apollo", "amount": 1200, "currency": "EUR", "comment": "go", "follow_up": "timed out"}
    events = await handle.history()
    assert [e.workflow_execution_update_accepted.name for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED] == ["__submit_input"] * 2
    assert sum(e.event_type == E.EVENT_TYPE_TIMER_FIRED for e in events) == 1  # the timeout was a durable timer


def test_reserved_names_and_bad_arguments():
    with pytest.raises(ValueError, match="reserved by InteractiveWorkflow"):
        @workflows.workflow.query(name="__get_pending_inputs")
        def mine(self) -> int:
            return 1
    with pytest.raises(ValueError, match="reserved by InteractiveWorkflow"):
        @workflows.workflow.update(name="__submit_input")
        async def also_mine(self, x: int) -> int:
            return x
