"""PutParallelResults / GetParallelResults: executor item results stored beside
history (an Offset group stores its items' results as they finish; at the end the
executor reads them back in pages). Results that travel in an activity completion
are stored by that completion's commit instead (history/shard.py)."""
from __future__ import annotations

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
    return len(request.results)


async def get_parallel_results(shard: Shard, request: workflow_service_pb2.GetParallelResultsRequest) -> workflow_service_pb2.GetParallelResultsResponse:
    rows = await shard.store.executor_results(
        request.namespace, request.workflow_id, request.executor_id, request.start_index, request.limit or DEFAULT_PAGE
    )
    response = workflow_service_pb2.GetParallelResultsResponse()
    size = 0
    for i, payload in rows:
        response.results.append(workflow_service_pb2.IndexedPayload(index=i, payload=payload))
        size += payload.ByteSize()
        if size >= REPLY_BYTES:
            break
    return response
