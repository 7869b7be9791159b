"""PutParallelResults / GetParallelResults: executor item results stored beside
history (an Offset group stores its items' results as they finish; at the end the
executor reads them back in pages). Results that travel in an activity completion
are stored by that completion's commit instead (history/shard.py)."""
from __future__ import annotations

import json

from fanflow.errors import InvalidArgument
from history.persistence.store import ExecutorItemFailed
from history.shard import Shard
from protos import workflow_service_pb2

DEFAULT_PAGE = 1000
#: A reply stops after the result that brings it past this many bytes (at least one result):
#: results may be up to 2 MiB each, a reply must stay far below the 64 MiB message limit.
REPLY_BYTES = 4 * 1024 * 1024


async def put_parallel_results(shard: Shard, request: workflow_service_pb2.PutParallelResultsRequest) -> int:
    """Store the results (idempotent per index) and count failed attempts; returns how many results."""
    if request.results or request.failed_attempts:
        await shard.store.put_executor_results(
            request.namespace, request.workflow_id, request.executor_id,
            [(r.index, r.payload) for r in request.results], request.failed_attempts,
        )
    if request.item_failures:  # executor item failures of an Offset group
        await shard.store.put_executor_item_failures(request.namespace, request.workflow_id, [
            ExecutorItemFailed(request.executor_id, f.index, f.attempt, f.final, f.activity_type, f.failure) for f in request.item_failures
        ])
    return len(request.results)


async def get_parallel_results(shard: Shard, request: workflow_service_pb2.GetParallelResultsRequest) -> workflow_service_pb2.GetParallelResultsResponse:
    rows = await shard.store.executor_result_bytes(
        request.namespace, request.workflow_id, request.executor_id, request.start_index, request.limit or DEFAULT_PAGE
    )
    # The reply's bytes written directly from the stored Payload bytes (pages of thousands of
    # results: building an IndexedPayload message per result costs ten times more).
    parts: list[bytes] = []
    size = 0
    for index, data in rows:
        item = b"\x08" + _varint(index) + b"\x12" + _varint(len(data)) + data  # IndexedPayload{index=1, payload=2}
        parts.append(b"\x0a" + _varint(len(item)) + item)  # GetParallelResultsResponse.results = 1
        size += len(data)
        if size >= REPLY_BYTES:
            break
    return workflow_service_pb2.GetParallelResultsResponse.FromString(b"".join(parts))


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


# ---------------------------------------------------------------- executor item failures
DEFAULT_FAILURES_PAGE = 100


async def get_parallel_failures(shard: Shard, request: workflow_service_pb2.GetParallelFailuresRequest) -> workflow_service_pb2.GetParallelFailuresResponse:
    """A page of the workflow's failed executor items (latest failure per item), by executor and index."""
    after = None
    if request.next_page_token:
        try:
            executor_id, index = json.loads(request.next_page_token)["after"]
            after = (str(executor_id), int(index))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidArgument(f"next_page_token is not one this server issued: {exc}") from None
    size = request.page_size or DEFAULT_FAILURES_PAGE
    store = shard.store
    failures = await store.executor_item_failures(request.namespace, request.workflow_id, request.executor_id, after, size + 1)
    response = workflow_service_pb2.GetParallelFailuresResponse(
        failures=failures[:size], total=await store.executor_item_failure_count(request.namespace, request.workflow_id, request.executor_id),
    )
    if len(failures) > size:
        last = failures[size - 1]
        response.next_page_token = json.dumps({"after": [last.executor_id, last.index]}).encode()
    return response
