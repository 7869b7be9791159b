"""Listing and counting a shard's runs (search keys): ListWorkflowExecutions (one page of this
shard's runs; the frontend merges the shards' pages, frontend/listing.py) and
CountWorkflowExecutions (this shard's counts; the frontend adds them up). Both read committed
rows of the shard's index (the store's `list_executions` / `count_executions`), never the cache:
a change still being committed is not shown."""
from __future__ import annotations

import json

from fanflow.errors import InvalidArgument
from history.api.reads import execution_info
from history.persistence.store import ListCursor, RunFilter
from history.run_state import RunState
from history.shard import Shard
from protos import common_pb2, workflow_service_pb2

DEFAULT_LIST_PAGE = 100

_GROUP_BY = {
    workflow_service_pb2.COUNT_GROUP_BY_UNSPECIFIED: "",
    workflow_service_pb2.COUNT_GROUP_BY_STATUS: "status",
    workflow_service_pb2.COUNT_GROUP_BY_WORKFLOW_TYPE: "workflow_type",
}


def run_filter(request: workflow_service_pb2.ListWorkflowExecutionsRequest | workflow_service_pb2.CountWorkflowExecutionsRequest) -> RunFilter:
    """The filters of a list or count request (the two share their field names)."""
    return RunFilter(
        status=request.status_filter,
        workflow_type=request.workflow_type_filter,
        started_from_ns=request.start_time_from.ToNanoseconds() if request.HasField("start_time_from") else None,
        started_before_ns=request.start_time_to.ToNanoseconds() if request.HasField("start_time_to") else None,
        workflow_id_prefix=request.workflow_id_prefix,
        display_name=request.display_name_filter,
        search_keys=tuple((k.key, None if k.unset else k.value) for k in request.search_key_filters),
    )


async def list_executions(shard: Shard, request: workflow_service_pb2.ListWorkflowExecutionsRequest) -> workflow_service_pb2.ListWorkflowExecutionsResponse:
    """A page of this shard's matching runs, newest first; next_page_token when the page is full."""
    size = request.page_size or DEFAULT_LIST_PAGE
    before = None
    if request.next_page_token:
        try:
            cursor = json.loads(request.next_page_token)["before"]
            before = ListCursor(int(cursor[0]), str(cursor[1]), str(cursor[2]))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise InvalidArgument(f"next_page_token is not one this server issued: {exc}") from None
    states = await shard.store.list_executions(request.namespace, before=before, limit=size, where=run_filter(request))
    infos = [execution_info(shard, RunState(state, {}, shard.shard_id, shard.limits)) for state in states]
    token = b""
    if len(states) == size:
        last = infos[-1]
        token = json.dumps({"before": [last.start_time.ToNanoseconds(), last.execution.workflow_id, last.execution.run_id]}).encode()
    return workflow_service_pb2.ListWorkflowExecutionsResponse(executions=infos, next_page_token=token)


async def count_executions(shard: Shard, request: workflow_service_pb2.CountWorkflowExecutionsRequest) -> workflow_service_pb2.CountWorkflowExecutionsResponse:
    group_by = _GROUP_BY[request.group_by]
    rows = await shard.store.count_executions(request.namespace, run_filter(request), group_by)
    response = workflow_service_pb2.CountWorkflowExecutionsResponse(count=sum(count for _, count in rows))
    if group_by == "status":
        response.groups.extend(workflow_service_pb2.CountGroup(value=status_name(status), status=status, count=count) for status, count in rows)
    elif group_by:
        response.groups.extend(workflow_service_pb2.CountGroup(value=str(value), count=count) for value, count in rows)
    return response


def status_name(status: int) -> str:
    """"running", "completed", ... (the CLI's and the client's names of statuses)."""
    return common_pb2.WorkflowExecutionStatus.Name(status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()
