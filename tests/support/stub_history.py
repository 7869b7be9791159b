"""A workflow's history read through a raw WorkflowService stub (tests that drive the API by hand)."""
from __future__ import annotations

from protos import common_pb2, workflow_service_pb2 as ws


async def stub_history(stub, workflow_id: str, namespace: str = "default") -> list[common_pb2.HistoryEvent]:
    """The first 1,000 events of the workflow's latest run."""
    reply = await stub.GetWorkflowExecutionHistory(ws.GetWorkflowExecutionHistoryRequest(
        namespace=namespace, execution=common_pb2.WorkflowExecution(workflow_id=workflow_id), maximum_page_size=1000))
    return list(reply.history.events)
