"""Updates (issue 13) on the embedded cluster: the seed's documented update snippet (an update
that runs an activity) with only the import changed, validators, idempotency by update id,
waiting with a deadline and polling later, handler failures, and every refusal with its gRPC
status and nothing in history. (A worker killed mid-update: test_queries_updates_cluster.py.)"""
from __future__ import annotations


import grpc
import pytest

import worker_sdk as workflows
from conftest import wait_for_event
from support.seed_message_snippets import DataProcessingWorkflow, process_update_data
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from worker_sdk import ApplicationError, Worker, WorkflowUpdateFailedError, WorkflowUpdateRejectedError

# ------------------------------------------------------------------ the seed's snippet (docs: Updates)
# DataProcessingWorkflow and its activity live in seed_message_snippets.py (worker processes import it too).


@pytest.mark.parametrize("cached", [True, False], ids=["cached-instance", "replay"])
async def test_seed_update_runs_an_activity_and_returns_its_result(client, cached):
    queue = f"updates-seed-{cached}"
    async with Worker(client, task_queue=queue, workflows=[DataProcessingWorkflow], activities=[process_update_data], max_cached_workflows=1000 if cached else 0):
        handle = await client.start_workflow(DataProcessingWorkflow, task_queue=queue)
        result = await handle.execute_update("update_data", "hello")  # the seed's (temporalio's) call
        assert result == {"success": True, "processed_value": "Processed: HELLO", "message": "Updated from 'default' to 'Processed: HELLO'"}
        assert await handle.result(timeout=30) == "Processed: HELLO"
    events = await handle.history()
    kinds = [e.event_type for e in events]
    accepted = kinds.index(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    completed = kinds.index(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    assert accepted < kinds.index(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) < completed < kinds.index(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    attrs = events[accepted].workflow_execution_update_accepted
    assert attrs.name == "update_data" and attrs.input.data == b'"hello"' and attrs.update_id
    done = events[completed].workflow_execution_update_completed
    assert done.update_id == attrs.update_id and done.accepted_event_id == events[accepted].event_id and b"Processed: HELLO" in done.result.data


async def test_seed_update_input_that_does_not_fit_is_refused(client):
    async with Worker(client, task_queue="updates-seed-input", workflows=[DataProcessingWorkflow], activities=[process_update_data]):
        handle = await client.start_workflow(DataProcessingWorkflow, task_queue="updates-seed-input")
        await wait_for_event(handle, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        before = [e.event_type for e in await handle.history()]
        with pytest.raises(WorkflowUpdateRejectedError) as refused:
            await handle.execute_update("update_data", {"new_value": 5})
        assert refused.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT
        assert "parameter 'new_value'" in refused.value.message and "valid string" in refused.value.message and "nothing recorded" in refused.value.message
        assert [e.event_type for e in await handle.history()] == before
        await handle.execute_update("update_data", new_value="x")  # fanflow's spelling: by name
        assert await handle.result(timeout=30) == "Processed: X"


# ------------------------------------------------------------------ validators, waits, ids, failures


@workflows.activity()
async def updates_double(n: int) -> int:
    return n * 2


@workflows.workflow.define(name="updates_priority")
class Priority:
    def __init__(self) -> None:
        self.priority = 1
        self.release = False
        self.done = False
        self.locked = False

    # The seed's docstring example of @workflow.update, with Temporal's validator.
    @workflows.workflow.update(name="set_priority")
    async def update_priority(self, new_priority: int) -> dict:
        old = self.priority
        self.priority = new_priority
        return {"old": old, "new": new_priority}

    @update_priority.validator
    def check_priority(self, new_priority: int) -> None:
        if not 1 <= new_priority <= 5:
            raise ValueError(f"new_priority must be between 1 and 5, got {new_priority}")
        if self.locked:
            raise ApplicationError("priorities are locked", type="Locked")

    @workflows.workflow.update
    async def slow_double(self, n: int) -> int:
        await workflows.workflow.wait_condition(lambda: self.release)
        return await updates_double(n)

    @workflows.workflow.update
    def explode(self, message: str) -> int:
        raise ApplicationError(message, type="Exploded")

    @workflows.workflow.signal
    def lock(self) -> None:
        self.locked = True

    @workflows.workflow.signal
    def release_all(self) -> None:
        self.release = True

    @workflows.workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflows.workflow.entrypoint
    async def run(self) -> int:
        await workflows.workflow.wait_condition(lambda: self.done)
        return self.priority


def _kinds(events) -> list[int]:
    return [e.event_type for e in events]


async def test_refused_updates_record_nothing(client):
    # No worker at all: an unknown name is refused from the names the start declared.
    idle = await client.start_workflow(Priority, task_queue="updates-nobody")
    with pytest.raises(WorkflowUpdateRejectedError) as unknown:
        await idle.execute_update("set_colour", "red", timeout=2)
    assert unknown.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT
    assert "no update handler named 'set_colour'" in unknown.value.message and "'set_priority'" in unknown.value.message and "'slow_double'" in unknown.value.message
    assert _kinds(await idle.history()) == [E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]
    await idle.terminate("done")

    async with Worker(client, task_queue="updates-refused", workflows=[Priority], activities=[updates_double]):
        handle = await client.start_workflow(Priority, task_queue="updates-refused")
        await wait_for_event(handle, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        before = _kinds(await handle.history())
        cases = [
            (("set_priority", "high"), grpc.StatusCode.INVALID_ARGUMENT, "parameter 'new_priority'"),  # does not fit the handler
            (("set_priority", 9), grpc.StatusCode.INVALID_ARGUMENT, "new_priority must be between 1 and 5, got 9"),  # validator: ValueError
            (("set_priority", {"new_priority": 2, "colour": "red"}), grpc.StatusCode.INVALID_ARGUMENT, "colour"),  # unexpected field
        ]
        for args, code, says in cases:
            with pytest.raises(WorkflowUpdateRejectedError) as refused:
                await handle.execute_update(*args)
            assert refused.value.grpc_code == code, (args, refused.value.message)
            assert says in refused.value.message and "nothing recorded" in refused.value.message, refused.value.message
        await handle.signal("lock")
        with pytest.raises(WorkflowUpdateRejectedError) as locked:
            await handle.execute_update("set_priority", 3)  # the validator refuses in the workflow's state
        assert locked.value.grpc_code == grpc.StatusCode.FAILED_PRECONDITION and "priorities are locked" in locked.value.message
        assert [k for k in _kinds(await handle.history()) if k in (E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)] == []
        assert _kinds(await handle.history())[: len(before)] == before
        await handle.signal("finish")
        assert await handle.result(timeout=30) == 1
        closed_events = _kinds(await handle.history())
        with pytest.raises(WorkflowUpdateRejectedError) as closed:
            await handle.execute_update("set_priority", 2)
        assert closed.value.grpc_code == grpc.StatusCode.FAILED_PRECONDITION and "is closed (COMPLETED)" in closed.value.message
        assert _kinds(await handle.history()) == closed_events


async def test_update_ids_waits_and_failures(client):
    async with Worker(client, task_queue="updates-ids", workflows=[Priority], activities=[updates_double]) as worker:
        handle = await client.start_workflow(Priority, task_queue="updates-ids")
        assert await handle.update("set_priority", new_priority=4) == {"old": 1, "new": 4}  # fanflow's spelling
        # Accepted now, finished later: wait with a deadline, poll again by id.
        pending = await handle.start_update(Priority.slow_double, 21, id="double-21")
        assert pending.id == "double-21" and pending.run_id
        with pytest.raises(TimeoutError):
            await pending.result(timeout=0.5)
        again = await handle.start_update("slow_double", 21, id="double-21")  # the same id: applied once
        assert again.run_id == pending.run_id
        await handle.signal("release_all")
        assert await handle.get_update_handle("double-21", result_type=int).result(timeout=30) == 42
        assert await pending.result() == 42
        assert await handle.execute_update("slow_double", 21, id="double-21") == 42  # known: its outcome, no new events
        # A handler that raises fails the update, not the workflow.
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update("explode", "boom")
        assert failed.value.failure.type == "Exploded" and "boom" in str(failed.value)
        # An update still running when the run closes fails with the reason.
        await handle.signal("release_all")
        handle2 = await client.start_workflow(Priority, task_queue="updates-ids")
        stuck = await handle2.start_update("slow_double", 1)
        await handle2.signal("finish")
        assert await handle2.result(timeout=30) == 1
        with pytest.raises(WorkflowUpdateFailedError) as abandoned:
            await stuck.result(timeout=30)
        assert abandoned.value.failure.type == "UpdateAbandoned" and "closed (completed) before" in str(abandoned.value)
        await handle.signal("finish")
        assert await handle.result(timeout=30) == 4
    events = await handle.history()
    ids = [e.workflow_execution_update_accepted.update_id for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    assert ids.count("double-21") == 1 and len(ids) == 3
    outcomes = [e.workflow_execution_update_completed for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED]
    assert [o.failure.type for o in outcomes] == ["", "", "Exploded"]
    assert worker.workflow_worker.queries_answered >= 4  # each new update was checked by a worker first


async def test_update_rpcs_check_their_requests(embedded_cluster):
    channel = grpc.aio.insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as no_name:
            await stub.UpdateWorkflowExecution(ws.UpdateWorkflowExecutionRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="x")))
        assert no_name.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "name is required" in no_name.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as bad_stage:
            await stub.UpdateWorkflowExecution(ws.UpdateWorkflowExecutionRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="x"), name="u", wait_for_stage=7))
        assert bad_stage.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "wait_for_stage" in bad_stage.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.UpdateWorkflowExecution(ws.UpdateWorkflowExecutionRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="no-such-workflow"), name="u"))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as no_id:
            await stub.PollWorkflowExecutionUpdate(ws.PollWorkflowExecutionUpdateRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="x")))
        assert no_id.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "update_id" in no_id.value.details()
    finally:
        await channel.close()


async def test_polling_an_update_that_was_never_accepted_is_not_found(client):
    handle = await client.start_workflow(Priority, task_queue="updates-poll-nobody")
    with pytest.raises(workflows.WorkflowNotFoundError, match="never accepted"):
        await handle.get_update_handle("never-sent").result(timeout=1)
    await handle.terminate("done")
