"""Payload blobs: values over the SDK's offload threshold, stored beside history in the shard
of the workflow they belong to (`payload_blobs`), by content id (sha256 hex of the bytes), and
deleted with the workflow's last run at retention. Payloads carry only the reference
(`Payload.blob_id`, `blob_size`, `blob_workflow_id`); the SDK resolves it when decoding."""
from __future__ import annotations

import hashlib
import re

from fanflow.errors import InvalidArgument, NotFound
from fanflow.protocol import MAX_BLOB_BYTES
from history.shard import Shard
from protos import workflow_service_pb2 as ws

_BLOB_ID = re.compile(r"[0-9a-f]{64}")


def check_blob_id(blob_id: str) -> None:
    if not _BLOB_ID.fullmatch(blob_id):
        raise InvalidArgument(f"blob_id must be the sha256 of the data as 64 lowercase hex digits, got {blob_id[:80]!r}")


async def put_blob(shard: Shard, request: ws.PutPayloadBlobRequest) -> ws.PutPayloadBlobResponse:
    check_blob_id(request.blob_id)
    if len(request.data) > MAX_BLOB_BYTES:
        raise InvalidArgument(f"a payload blob may be at most {MAX_BLOB_BYTES:,} bytes, got {len(request.data):,}")
    actual = hashlib.sha256(request.data).hexdigest()
    if actual != request.blob_id:
        raise InvalidArgument(f"blob_id {request.blob_id} is not the sha256 of the data ({actual}): the data was altered or the id is wrong")
    await shard.store.put_blob(request.namespace, request.workflow_id, request.blob_id, request.data)
    return ws.PutPayloadBlobResponse()


async def get_blob(shard: Shard, request: ws.GetPayloadBlobRequest) -> ws.GetPayloadBlobResponse:
    check_blob_id(request.blob_id)
    data = await shard.store.get_blob(request.namespace, request.workflow_id, request.blob_id)
    if data is None:
        raise NotFound(
            f"payload blob {request.blob_id} of workflow {request.workflow_id!r} (namespace {request.namespace!r}) does not exist: "
            "it was never stored, or the workflow was deleted at retention"
        )
    return ws.GetPayloadBlobResponse(data=data)
