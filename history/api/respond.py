"""What workers and clients tell a running run: workflow-task completion and failure;
activity completion, failure, heartbeat and cancellation; terminate, cancel request
and signal. Each is one update of the run (history/shard.py `Shard.update`)."""
from __future__ import annotations


import structlog

from fanflow import aio
from fanflow.errors import FailedPrecondition, FanflowError, InvalidArgument
from fanflow.timeutil import ts_from_ns
from fanflow.protocol import iter_payloads, payload_too_large_message
from history.api.task_started import activity_task_response, with_new_events, workflow_task_response
from history.run_state import RunState
from history.shard import Shard
from protos import common_pb2, internal_pb2, workflow_service_pb2

log = structlog.get_logger("fanflow.history.shard")


def _execution(token: internal_pb2.TaskToken) -> common_pb2.WorkflowExecution:
    return common_pb2.WorkflowExecution(workflow_id=token.workflow_id, run_id=token.run_id)


async def complete_workflow_task(
    shard: Shard, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondWorkflowTaskCompletedRequest
) -> workflow_service_pb2.RespondWorkflowTaskCompletedResponse:
    """Apply the commands; the reply carries the activities started eagerly for this
    worker and, if events arrived meanwhile, the run's next workflow task."""
    sticky = request.sticky_attributes if request.HasField("sticky_attributes") else None
    oversized = _oversized_payload(request, shard.limits.max_payload_bytes)
    if oversized is not None:
        log.warning("workflow task completion carries a payload over the limit; terminating the run", workflow_id=token.workflow_id, error=oversized)
        await shard.update(token.namespace, _execution(token), lambda run, now: run.refuse_oversized_completion(token, oversized, request.identity, now))
        raise InvalidArgument(f"{oversized}; the run was terminated")

    def complete(run: RunState, now: int) -> workflow_service_pb2.RespondWorkflowTaskCompletedResponse:
        outcome = run.complete_workflow_task(token, list(request.commands), sticky, request.identity, now, request.return_new_workflow_task)
        response = workflow_service_pb2.RespondWorkflowTaskCompletedResponse(
            activity_tasks=[activity_task_response(shard, run, info, scheduled=scheduled) for info, scheduled in outcome.eager_activities]
        )
        if outcome.new_task is not None:
            response.workflow_task.CopyFrom(workflow_task_response(shard, run, *outcome.new_task))
        return response

    try:
        response = await shard.update(token.namespace, _execution(token), complete)
    except (InvalidArgument, FailedPrecondition) as exc:
        # Commands history cannot apply: fail the task (recorded in history,
        # retried with backoff) and tell the worker why.
        cause = (
            common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED
            if isinstance(exc, FailedPrecondition)
            else common_pb2.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND
        )
        failure = common_pb2.Failure(message=exc.message, type=type(exc).__name__, source="server")
        await shard.update(token.namespace, _execution(token), lambda run, now: run.fail_workflow_task(token, cause, failure, request.identity, now))
        raise
    if response.HasField("workflow_task"):
        await with_new_events(shard, token.namespace, response.workflow_task)
    return response


def _oversized_payload(request: workflow_service_pb2.RespondWorkflowTaskCompletedRequest, limit: int) -> str | None:
    """The message for the first payload of the commands over `limit`, else None."""
    for i, command in enumerate(request.commands):
        for field, payload in iter_payloads(command, f"commands[{i}]"):
            size = payload.ByteSize()
            if size > limit:
                return payload_too_large_message(field, size, limit)
    return None


async def fail_workflow_task(shard: Shard, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondWorkflowTaskFailedRequest) -> None:
    log.warning(
        "workflow task failed",
        workflow_id=token.workflow_id,
        cause=common_pb2.WorkflowTaskFailedCause.Name(request.cause),
        message=request.failure.message[:500],
    )
    await shard.update(
        token.namespace, _execution(token), lambda run, now: run.fail_workflow_task(token, request.cause, request.failure, request.identity, now)
    )


async def heartbeat_workflow_task(
    shard: Shard, token: internal_pb2.TaskToken, request: workflow_service_pb2.RecordWorkflowTaskHeartbeatRequest
) -> workflow_service_pb2.RecordWorkflowTaskHeartbeatResponse:
    """The worker still runs the task's code: move its deadline (RunState.heartbeat_workflow_task)."""
    deadline, at_cap = await shard.update(token.namespace, _execution(token), lambda run, now: run.heartbeat_workflow_task(token, now))
    return workflow_service_pb2.RecordWorkflowTaskHeartbeatResponse(deadline=ts_from_ns(deadline), at_cap=at_cap)


async def complete_activity(
    shard: Shard, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondActivityTaskCompletedRequest
) -> workflow_service_pb2.RespondActivityTaskCompletedResponse:
    """Record the result; the reply carries the run's next workflow task when the
    completing worker is the run's sticky worker."""

    def complete(run: RunState, now: int) -> workflow_service_pb2.RespondActivityTaskCompletedResponse:
        new_task = run.complete_activity(token, request.result, request.identity, now, request.sticky_task_queue)
        response = workflow_service_pb2.RespondActivityTaskCompletedResponse()
        if new_task is not None:
            response.workflow_task.CopyFrom(workflow_task_response(shard, run, *new_task))
        return response

    response = await shard.update(token.namespace, _execution(token), complete)
    if response.HasField("workflow_task"):
        await with_new_events(shard, token.namespace, response.workflow_task)
    return response


async def complete_activities(
    shard: Shard, tokens: list[internal_pb2.TaskToken], request: workflow_service_pb2.RespondActivityTasksCompletedRequest
) -> workflow_service_pb2.RespondActivityTasksCompletedResponse:
    """Each completion as `complete_activity`, all at once: completions of one run join one
    turn of its lock and one commit (`Shard.update`). Each is answered on its own."""

    async def one(token: internal_pb2.TaskToken, item: workflow_service_pb2.RespondActivityTaskCompletedRequest):
        outcome = workflow_service_pb2.ActivityCompletionOutcome()
        try:
            reply = await complete_activity(shard, token, item)
        except FanflowError as exc:
            outcome.code, outcome.message = exc.code.value[0], exc.message
        else:
            if reply.HasField("workflow_task"):
                outcome.workflow_task.CopyFrom(reply.workflow_task)
        return outcome

    outcomes = await aio.gather(*(one(t, item) for t, item in zip(tokens, request.completions)))
    return workflow_service_pb2.RespondActivityTasksCompletedResponse(outcomes=outcomes)


async def complete_workflow_tasks(
    shard: Shard, tokens: list[internal_pb2.TaskToken], request: workflow_service_pb2.RespondWorkflowTasksCompletedRequest
) -> workflow_service_pb2.RespondWorkflowTasksCompletedResponse:
    """Each completion as `complete_workflow_task`, all at once (each one's run has its own
    turn of its lock and commit; the group commit writes them together). Each is answered on its own."""

    async def one(token: internal_pb2.TaskToken, item: workflow_service_pb2.RespondWorkflowTaskCompletedRequest):
        outcome = workflow_service_pb2.WorkflowTaskCompletionOutcome()
        try:
            outcome.response.CopyFrom(await complete_workflow_task(shard, token, item))
        except FanflowError as exc:
            outcome.code, outcome.message = exc.code.value[0], exc.message
        return outcome

    outcomes = await aio.gather(*(one(t, item) for t, item in zip(tokens, request.completions)))
    return workflow_service_pb2.RespondWorkflowTasksCompletedResponse(outcomes=outcomes)


async def fail_activity(shard: Shard, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondActivityTaskFailedRequest) -> None:
    details = request.last_heartbeat_details if request.HasField("last_heartbeat_details") else None
    await shard.update(token.namespace, _execution(token), lambda run, now: run.fail_activity(token, request.failure, details, request.identity, now))


async def heartbeat(shard: Shard, token: internal_pb2.TaskToken, request: workflow_service_pb2.RecordActivityTaskHeartbeatRequest) -> bool:
    """Returns whether the workflow asked to cancel the activity."""
    return await shard.update(token.namespace, _execution(token), lambda run, now: run.heartbeat(token, request.details, now))


async def cancel_activity(shard: Shard, token: internal_pb2.TaskToken, request: workflow_service_pb2.RespondActivityTaskCanceledRequest) -> None:
    details = request.details if request.HasField("details") else None
    await shard.update(token.namespace, _execution(token), lambda run, now: run.activity_canceled(token, details, request.identity, now))


async def terminate(shard: Shard, request: workflow_service_pb2.TerminateWorkflowExecutionRequest) -> None:
    await shard.update(request.namespace, request.execution, lambda run, now: run.terminate(request.reason, request.identity, now))


async def request_cancel(shard: Shard, request: workflow_service_pb2.RequestCancelWorkflowExecutionRequest) -> None:
    await shard.update(request.namespace, request.execution, lambda run, now: run.request_cancel(request.reason, request.identity, now))


async def signal(shard: Shard, request: workflow_service_pb2.SignalWorkflowExecutionRequest) -> None:
    await shard.update(request.namespace, request.execution, lambda run, now: run.signal(request.signal_name, request.input, request.identity, now))
