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
    if request.as_json_array:
        count, array = json_array(rows, request.start_index)
        if count:
            return workflow_service_pb2.GetParallelResultsResponse(json_array=array, json_count=count)
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


#: How a plain JSON result's stored Payload ends (field 2, encoding "json/plain"); it starts
#: with field 1 (data), length-prefixed. Payloads are stored serialized in field order.
_JSON_TAIL = b"\x12\njson/plain"


def json_array(rows: list[tuple[int, bytes]], start: int) -> tuple[int, bytes]:
    """(count, the JSON data of results ``start, start+1, ...`` comma-separated) for the rows
    that are contiguous from ``start`` and hold plain JSON payloads (data and the json/plain
    encoding, nothing else: not a blob reference), stopping before the first other one and
    after the one that brings the reply past ``REPLY_BYTES``. The data are cut out of the
    stored bytes without parsing messages (a small result's in one slice): a page costs a
    fraction of a microsecond a result, and the reader decodes the array in one call."""
    n = len(rows)
    if not n or rows[0][0] != start:
        return 0, b""
    if rows[-1][0] != start + n - 1:  # a gap (rows are sorted, unique): keep what precedes it
        n = next(i for i, (index, _) in enumerate(rows) if index != start + i)
    tail = _JSON_TAIL
    parts = [
        s[2:-12] if 14 <= len(s) < 142 and s[1] == len(s) - 14 and s[0] == 0x0A and s.endswith(tail) else _json_data(s)
        for _, s in rows[:n]
    ]
    if None in parts:
        parts = parts[:parts.index(None)]
    total = 0
    for i, length in enumerate(map(len, parts)):
        total += length
        if total >= REPLY_BYTES:
            parts = parts[:i + 1]
            break
    return len(parts), b",".join(parts)  # type: ignore[arg-type]


def _json_data(stored: bytes) -> bytes | None:
    """The JSON data of a stored plain-JSON Payload (b"null" for empty data), else None."""
    if not stored.endswith(_JSON_TAIL):
        return None
    end = len(stored) - len(_JSON_TAIL)
    if end == 0:
        return b"null"
    if stored[0] != 0x0A:
        return None
    length, pos, shift = 0, 1, 0
    while pos < end:
        byte = stored[pos]
        length |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            break
        shift += 7
    return stored[pos:end] if pos + length == end else None


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
