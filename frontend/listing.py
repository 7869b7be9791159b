"""ListWorkflowExecutions across shards: fan out, merge newest-first, paginate.

Order: newest first by the key (start_time in ns, workflow_id, run_id),
compared as a tuple, descending. Each history shard honours `page_size`,
returns its executions in that order, and accepts as next_page_token
`{"before": [start_time_ns, workflow_id, run_id]}` meaning "strictly older
than (smaller than) this key".

The frontend's own page token is the key of the last execution it returned
(plus the query it belongs to). For the next page it asks every shard for
`page_size` executions older than that key, merges and keeps the first
`page_size`: the global top-N is always inside the union of the per-shard
top-Ns, so no execution is skipped or repeated, and the token is stateless.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence

from fanflow.errors import InvalidArgument
from frontend.upstream import gather_all
from protos import history_service_pb2, workflow_service_pb2

TOKEN_VERSION = 1

Key = tuple[int, str, str]
Fetch = Callable[[history_service_pb2.ListWorkflowExecutionsRequest], Awaitable[workflow_service_pb2.ListWorkflowExecutionsResponse]]


def execution_key(info: workflow_service_pb2.WorkflowExecutionInfo) -> Key:
    return (info.start_time.ToNanoseconds(), info.execution.workflow_id, info.execution.run_id)


def _query(request: workflow_service_pb2.ListWorkflowExecutionsRequest) -> dict:
    query = {"ns": request.namespace, "status": int(request.status_filter), "type": request.workflow_type_filter}
    filters = _filters_digest(request)
    if filters:
        query["f"] = filters
    return query


# Search keys: every filter after status and type, as a digest the page token carries (a token
# is only good for the query it came from).
_NOT_FILTERS = ("namespace", "page_size", "next_page_token", "status_filter", "workflow_type_filter")


def _filters_digest(request: workflow_service_pb2.ListWorkflowExecutionsRequest) -> str:
    filters = workflow_service_pb2.ListWorkflowExecutionsRequest()
    filters.CopyFrom(request)
    for name in _NOT_FILTERS:
        filters.ClearField(name)
    raw = filters.SerializeToString(deterministic=True)
    return hashlib.sha256(raw).hexdigest()[:32] if raw else ""


def encode_page_token(request: workflow_service_pb2.ListWorkflowExecutionsRequest, key: Key) -> bytes:
    body = {"v": TOKEN_VERSION, **_query(request), "before": list(key)}
    return json.dumps(body, separators=(",", ":")).encode()


def decode_page_token(request: workflow_service_pb2.ListWorkflowExecutionsRequest) -> Key | None:
    """The cursor in the request's next_page_token (None for the first page)."""
    raw = request.next_page_token
    if not raw:
        return None
    try:
        body = json.loads(raw)
        if not isinstance(body, dict) or body.get("v") != TOKEN_VERSION:
            raise ValueError("unknown version")
        start_ns, workflow_id, run_id = body["before"]
        if not (isinstance(start_ns, int) and isinstance(workflow_id, str) and isinstance(run_id, str)):
            raise ValueError("bad cursor")
        query = {"ns": body["ns"], "status": body["status"], "type": body["type"]}
        if "f" in body:
            query["f"] = body["f"]
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument(
            "next_page_token is malformed; pass the next_page_token of the previous "
            "ListWorkflowExecutions response unchanged, or none for the first page"
        ) from None
    if query != _query(request):
        raise InvalidArgument(
            "next_page_token belongs to a different query (namespace, status_filter, "
            "workflow_type_filter or another filter changed); start again without a next_page_token"
        )
    return (start_ns, workflow_id, run_id)


def shard_page_token(key: Key | None) -> bytes:
    """The token a history shard understands: strictly older than `key`."""
    if key is None:
        return b""
    return json.dumps({"before": list(key)}, separators=(",", ":")).encode()


def merge_pages(
    pages: Sequence[workflow_service_pb2.ListWorkflowExecutionsResponse],
    page_size: int,
    before: Key | None = None,
) -> tuple[list[workflow_service_pb2.WorkflowExecutionInfo], bool]:
    """Newest-first union of the shards' pages, cut to `page_size`; and whether
    anything is left after it. Entries not strictly older than `before` are
    dropped (defensive: a shard that ignored the cursor cannot repeat rows)."""
    merged = [info for page in pages for info in page.executions if before is None or execution_key(info) < before]
    merged.sort(key=execution_key, reverse=True)
    more_in_shards = any(page.next_page_token for page in pages)
    has_more = bool(merged) and (len(merged) > page_size or more_in_shards)
    return merged[:page_size], has_more


async def list_across_shards(
    fetch: Fetch,
    shard_count: int,
    request: workflow_service_pb2.ListWorkflowExecutionsRequest,
    page_size: int,
) -> workflow_service_pb2.ListWorkflowExecutionsResponse:
    """One page of the cluster-wide list. `fetch` sends one shard's request."""
    before = decode_page_token(request)
    shard_request = workflow_service_pb2.ListWorkflowExecutionsRequest()
    shard_request.CopyFrom(request)
    shard_request.page_size = page_size
    shard_request.next_page_token = shard_page_token(before)
    pages = await gather_all(
        fetch(history_service_pb2.ListWorkflowExecutionsRequest(shard_id=shard, request=shard_request))
        for shard in range(shard_count)
    )
    executions, has_more = merge_pages(pages, page_size, before)
    response = workflow_service_pb2.ListWorkflowExecutionsResponse(executions=executions)
    if has_more:
        response.next_page_token = encode_page_token(request, execution_key(executions[-1]))
    return response


# ---------------------------------------------------------------- search keys: counts

CountFetch = Callable[[int], Awaitable[workflow_service_pb2.CountWorkflowExecutionsResponse]]


async def count_across_shards(fetch: CountFetch, shard_count: int) -> workflow_service_pb2.CountWorkflowExecutionsResponse:
    """The cluster-wide count: every shard's count added up, groups merged (largest first,
    then by name). `fetch(shard)` sends one shard's request."""
    pages = await gather_all(fetch(shard) for shard in range(shard_count))
    return merge_counts(pages)


def merge_counts(pages: Sequence[workflow_service_pb2.CountWorkflowExecutionsResponse]) -> workflow_service_pb2.CountWorkflowExecutionsResponse:
    groups: dict[tuple[str, int], int] = {}
    for page in pages:
        for group in page.groups:
            groups[(group.value, group.status)] = groups.get((group.value, group.status), 0) + group.count
    ordered = sorted(groups.items(), key=lambda item: (-item[1], item[0][0]))
    return workflow_service_pb2.CountWorkflowExecutionsResponse(
        count=sum(page.count for page in pages),
        groups=[workflow_service_pb2.CountGroup(value=value, status=status, count=count) for (value, status), count in ordered],
    )
