"""StartWorkflowExecution: a new run, under the workflow id's reuse policy."""
from __future__ import annotations


import structlog

from fanflow import clock
from fanflow.errors import AlreadyExists
from history.run_state import RunState
from history.shard import Shard
from protos import common_pb2, workflow_service_pb2

log = structlog.get_logger("fanflow.history.shard")

RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
REUSE = workflow_service_pb2


async def start_workflow(shard: Shard, request: workflow_service_pb2.StartWorkflowExecutionRequest) -> str:
    """The new run's id. A retried start (same request id as the workflow id's current run,
    running or closed) gets that run's id again; TERMINATE_IF_RUNNING ends the running run in the same commit that starts the new one."""
    async with shard.locks.hold((request.namespace, request.workflow_id)):
        current = await shard.current(request.namespace, request.workflow_id)
        now = clock.now_ns()
        previous: RunState | None = None
        if current is not None:
            run_id, status, request_id = current
            if request.request_id and request.request_id == request_id:
                return run_id  # a retried start (even of a run that closed since): same answer, never a second run
            if status == RUNNING:
                if request.workflow_id_reuse_policy != REUSE.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING:
                    raise AlreadyExists(
                        f"workflow {request.workflow_id!r} is already running (run {run_id}); wait for it, "
                        "terminate it, or start with workflow_id_reuse_policy TERMINATE_IF_RUNNING"
                    )
                previous = await shard.require((request.namespace, request.workflow_id, run_id))
                previous.terminate("terminated by a new start with TERMINATE_IF_RUNNING", request.identity, now)
            elif request.workflow_id_reuse_policy == REUSE.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE:
                raise AlreadyExists(f"workflow id {request.workflow_id!r} was used before (run {run_id}) and the reuse policy is REJECT_DUPLICATE")
            elif request.workflow_id_reuse_policy == REUSE.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY and status in (
                common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED,
                common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
            ):
                raise AlreadyExists(f"workflow id {request.workflow_id!r} already completed (run {run_id}) and the reuse policy is ALLOW_DUPLICATE_FAILED_ONLY")
        run = RunState.start(shard_id=shard.shard_id, limits=shard.limits, request=request, now=now)
        if previous is not None:
            previous.mutation.new_runs.append(run)
            await shard.commit(previous, previous.take_mutation())
        else:
            await shard.commit(run, run.take_mutation())
        log.debug("workflow started", workflow_id=request.workflow_id, run_id=run.state.run_id, shard=shard.shard_id)
        return run.state.run_id
