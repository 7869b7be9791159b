"""Child workflows: what another history shard asks of this one (history/child_transfers.py
sends it). Each call is idempotent, because the sender repeats it until it got an answer.

- StartChildWorkflowExecution: start the child (its request names the parent). A start with
  the request id of the workflow id's current run returns that run, even once it closed.
- RecordChildExecutionCompleted: the child closed; the parent records it once per initiated
  event (a run that is gone or closed, or a child no longer open, is left as it is).
- ApplyParentClosePolicy: terminate or ask to cancel the workflow id's current run, only if
  it is still the child of that parent (same parent run and initiated event).
"""
from __future__ import annotations

from fanflow.errors import InvalidArgument
from history.api.start import start_workflow
from history.run_state import RunState
from history.shard import Shard
from protos import common_pb2, history_service_pb2, workflow_service_pb2

TERMINATE = common_pb2.PARENT_CLOSE_POLICY_TERMINATE
REQUEST_CANCEL = common_pb2.PARENT_CLOSE_POLICY_REQUEST_CANCEL


async def start_child(shard: Shard, request: workflow_service_pb2.StartWorkflowExecutionRequest) -> str:
    if not request.HasField("parent") or not request.parent.execution.workflow_id or not request.request_id:
        raise InvalidArgument("StartChildWorkflowExecution needs the parent (workflow id, run id, initiated event) and a request id")
    return await start_workflow(shard, request)


async def record_child_closed(shard: Shard, request: history_service_pb2.RecordChildExecutionCompletedRequest) -> None:
    if not request.close_event.WhichOneof("attributes"):
        raise InvalidArgument("RecordChildExecutionCompleted needs the child's close event")
    await shard.update(
        request.namespace,
        request.parent_execution,
        lambda run, now: run.child_closed(request.parent_initiated_event_id, request.child_execution, request.close_event, now),
        missing_ok=True,
    )


async def apply_parent_close_policy(shard: Shard, request: history_service_pb2.ApplyParentClosePolicyRequest) -> None:
    if request.policy not in (TERMINATE, REQUEST_CANCEL):
        raise InvalidArgument(f"ApplyParentClosePolicy: policy must be TERMINATE or REQUEST_CANCEL, got {request.policy}")
    parent = request.parent

    def act(run: RunState, now: int) -> None:
        mine = run.state.parent
        if (
            not run.running
            or not run.state.HasField("parent")
            or mine.execution.workflow_id != parent.execution.workflow_id
            or mine.execution.run_id != parent.execution.run_id
            or mine.initiated_event_id != parent.initiated_event_id
        ):
            return  # closed already, or not that parent's child (the id was reused)
        if request.policy == TERMINATE:
            run.terminate(request.reason, "parent close policy", now)
        else:
            run.request_cancel(request.reason, f"parent workflow {parent.execution.workflow_id}", now)

    await shard.update(request.namespace, common_pb2.WorkflowExecution(workflow_id=request.child_workflow_id), act)
