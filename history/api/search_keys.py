"""UpdateWorkflowSearchKeys: a run's search keys set or removed from outside its code (an
activity's `workflows.workflow.add_search_keys`, a client). One update of the run: the keys and
their event are committed together with the run's index rows (history/search_attributes.py)."""
from __future__ import annotations

from history.shard import Shard
from protos import common_pb2, workflow_service_pb2


async def update_search_keys(shard: Shard, request: workflow_service_pb2.UpdateWorkflowSearchKeysRequest) -> workflow_service_pb2.UpdateWorkflowSearchKeysResponse:
    def apply(run, now: int) -> workflow_service_pb2.UpdateWorkflowSearchKeysResponse:
        dropped = run.update_search_keys(list(request.upsert), list(request.delete_keys), request.identity, now)
        execution = common_pb2.WorkflowExecution(workflow_id=run.state.workflow_id, run_id=run.state.run_id)
        return workflow_service_pb2.UpdateWorkflowSearchKeysResponse(execution=execution, dropped_keys=dropped)

    return await shard.update(request.namespace, request.execution, apply)
