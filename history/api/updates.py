"""UpdateWorkflowExecution and PollWorkflowExecutionUpdate.

An update is validated before it is accepted, and a refusal writes nothing: history refuses a
name the workflow did not declare, then a worker checks the name, decodes the input against
the handler's parameters and runs the handler's validator (`@my_update.validator`) on the
run's state (a query task: history/api/queries.py `ask_worker`). Only then is
WorkflowExecutionUpdateAccepted written (RunState.accept_update, idempotent by update id);
the handler runs in the workflow like a signal handler (it may run activities) and its
CompleteWorkflowUpdate command records the outcome. The caller waits for the stage it asked
for, up to its wait, and may poll for the outcome later by update id.
"""
from __future__ import annotations

import asyncio

from fanflow.errors import FailedPrecondition, NotFound
from history.api.queries import ask_worker, refusal, require_state, settled_run
from history.api.reads import read_event
from history.handler_names import check_handler_name
from history.persistence.store import RunKey
from history.shard import Shard
from protos import common_pb2, persistence_pb2, workflow_service_pb2

STAGE = workflow_service_pb2
DEFAULT_WAIT = 20.0  # seconds, when the request names none (the frontend normally does)


async def update_workflow(shard: Shard, request: workflow_service_pb2.UpdateWorkflowExecutionRequest) -> workflow_service_pb2.UpdateWorkflowExecutionResponse:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (request.wait_timeout.ToNanoseconds() / 1e9 or DEFAULT_WAIT)
    key = await _known_update(shard, request.namespace, request.execution, request.update_id)
    if key is None:
        key = await _validate_and_accept(shard, request, deadline)
    if request.wait_for_stage == STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED:
        return _response(workflow_service_pb2.UpdateWorkflowExecutionResponse, key, request.update_id, None)
    outcome = await wait_for_outcome(shard, key, request.update_id, deadline)
    return _response(workflow_service_pb2.UpdateWorkflowExecutionResponse, key, request.update_id, outcome)


async def poll_update(shard: Shard, request: workflow_service_pb2.PollWorkflowExecutionUpdateRequest) -> workflow_service_pb2.PollWorkflowExecutionUpdateResponse:
    deadline = asyncio.get_running_loop().time() + request.wait_timeout.ToNanoseconds() / 1e9
    key = await _known_update(shard, request.namespace, request.execution, request.update_id)
    if key is None:
        raise NotFound(
            f"workflow {request.execution.workflow_id!r} has no update {request.update_id!r}"
            + (f" in run {request.execution.run_id}" if request.execution.run_id else " in its current run")
            + ": it was never accepted (a refused update leaves nothing)"
        )
    outcome = await wait_for_outcome(shard, key, request.update_id, deadline)
    return _response(workflow_service_pb2.PollWorkflowExecutionUpdateResponse, key, request.update_id, outcome)


async def _known_update(shard: Shard, namespace: str, execution: common_pb2.WorkflowExecution, update_id: str) -> RunKey | None:
    """The run that accepted `update_id` (the one `execution` names), or None."""
    async with shard.locks.hold((namespace, execution.workflow_id)):
        key = await shard.resolve(namespace, execution)
        run = await shard.require(key)
        return key if update_id in run.state.updates else None


async def _validate_and_accept(shard: Shard, request: workflow_service_pb2.UpdateWorkflowExecutionRequest, deadline: float) -> RunKey:
    name = request.name
    target = await settled_run(shard, request.namespace, request.execution, deadline, check=lambda s: _check_open(s, name))
    require_state(target, f"validate update {name!r} against")
    query = common_pb2.WorkflowQuery(
        query_type=name, query_args=request.input if request.HasField("input") else None,
        kind=common_pb2.QUERY_KIND_UPDATE_VALIDATION, update_id=request.update_id,
    )
    answer, _ = await ask_worker(shard, request.namespace, target, query, deadline)
    if answer.completed_type != workflow_service_pb2.QUERY_RESULT_TYPE_ANSWERED:
        raise refusal(answer.failure, f"update {name!r} was refused (nothing recorded)")
    run_key = (request.namespace, target.state.workflow_id, target.state.run_id)
    payload = request.input if request.HasField("input") else None
    # Accepted on the run the worker validated it against (if that run closed meanwhile, refused).
    await shard.update(
        request.namespace, target.execution, lambda run, now: run.accept_update(request.update_id, name, payload, request.identity, now)
    )
    return run_key


def _check_open(state: persistence_pb2.ExecutionState, name: str) -> None:
    if state.status != common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
        status = common_pb2.WorkflowExecutionStatus.Name(state.status).removeprefix("WORKFLOW_EXECUTION_STATUS_")
        raise FailedPrecondition(f"workflow {state.workflow_id!r} run {state.run_id} is closed ({status}): update {name!r} needs a running workflow")
    check_handler_name(state, "update", name)


async def wait_for_outcome(shard: Shard, key: RunKey, update_id: str, deadline: float) -> workflow_service_pb2.UpdateOutcome | None:
    """The update's outcome once known, waiting until `deadline`; None if still running then."""
    loop = asyncio.get_running_loop()
    while True:
        async with shard.locks.hold((key[0], key[1])):
            run = await shard.require(key)
            info = run.state.updates.get(update_id)
            if info is None:
                raise NotFound(f"workflow {key[1]!r} run {key[2]} has no update {update_id!r}")
            completed_event_id = info.completed_event_id
            abandoned = common_pb2.Failure()
            abandoned.CopyFrom(info.abandoned)
            has_abandoned = info.HasField("abandoned")
            remaining = deadline - loop.time()
            fut = shard.next_commit(key) if not (completed_event_id or has_abandoned) and remaining > 0 else None
        if completed_event_id:
            event = (await read_event(shard, key, completed_event_id)).workflow_execution_update_completed
            if event.HasField("failure"):
                return workflow_service_pb2.UpdateOutcome(failure=event.failure)
            return workflow_service_pb2.UpdateOutcome(success=event.result if event.HasField("result") else common_pb2.Payload())
        if has_abandoned:
            return workflow_service_pb2.UpdateOutcome(failure=abandoned)
        if fut is None:
            return None
        try:
            await asyncio.wait_for(fut, remaining)
        except asyncio.TimeoutError:
            pass
        finally:
            shard.stop_waiting_commit(key, fut)


def _response(kind, key: RunKey, update_id: str, outcome: workflow_service_pb2.UpdateOutcome | None):
    response = kind(
        update_id=update_id,
        execution=common_pb2.WorkflowExecution(workflow_id=key[1], run_id=key[2]),
        stage=STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED if outcome is None else STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
    )
    if outcome is not None:
        response.outcome.CopyFrom(outcome)
    return response
