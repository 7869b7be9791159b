"""Large data: payloads over a threshold travel by reference, stored beside history.

Every call the SDK makes goes through ``Client.call``, which hands its request to
``offload_request`` and its response to ``resolve_response``:

- **Offloading** (off unless configured, as the seed's payload offloading: a client's
  ``payload_offload_bytes``, or ``FANFLOW_PAYLOAD_OFFLOAD_BYTES`` for every client of the process;
  ``True`` means 512 KiB). A payload of a request that carries data for a workflow (a start or
  signal input, an update input, a workflow task's commands, an activity's result, failure or
  heartbeat details, executor results) whose data is larger than the threshold is stored with PutPayloadBlob in the
  shard of that workflow (the workflow a task token names), under its sha256, and the payload
  keeps only the reference (``blob_id``, ``blob_size``, ``blob_workflow_id``). Markers stay inline
  (history reads them).
- **Resolving.** Payloads with a reference in a response (a result, query and update answers)
  get their data back (GetPayloadBlob, through a per-client cache) before anyone
  decodes them; workers resolve the tasks they get (history, activity input) the same way, so
  workflow and activity code see values. Executor results are resolved one by one as
  ``fanflow.read_results`` pages through them (its page budget counts their full size).

History stores the references, so no payload in history is larger than the threshold; the blobs
are deleted with the workflow's last run at retention. A reference whose blob is gone raises
``PayloadBlobNotFoundError`` naming the blob and the workflow.

The seed's field-level helpers, ``OffloadableModel`` / ``OffloadableField``, are here too.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, get_args, get_origin

import grpc
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from pydantic import BaseModel, TypeAdapter

from fanflow import task_tokens
from fanflow.protocol import MAX_PAYLOAD_BYTES, WARN_PAYLOAD_BYTES
from protos import common_pb2, workflow_service_pb2 as ws

if TYPE_CHECKING:
    from .client import Client

__all__ = [
    "DEFAULT_OFFLOAD_BYTES",
    "OffloadableField",
    "OffloadableFieldException",
    "OffloadableModel",
    "PayloadBlobNotFoundError",
    "offload_threshold",
    "offload_request",
    "resolve_response",
    "resolve_payloads",
]

DEFAULT_OFFLOAD_BYTES = WARN_PAYLOAD_BYTES  # 512 KiB (offloading turned on without a size): well under the 2 MiB payload limit
ENV_OFFLOAD_BYTES = "FANFLOW_PAYLOAD_OFFLOAD_BYTES"
CACHE_BYTES = 256 * 1024 * 1024  # blobs kept per client (a replay reads them again)

_PAYLOAD = common_pb2.Payload.DESCRIPTOR
_MARKER = common_pb2.RecordMarkerCommandAttributes.DESCRIPTOR


class PayloadBlobNotFoundError(LookupError):
    """A payload refers to a blob that is not stored (never stored, or deleted at retention)."""


def offload_threshold(value: int | bool | None) -> int:
    """The client's threshold (0: off): ``value`` (``True``: 512 KiB), else
    ``FANFLOW_PAYLOAD_OFFLOAD_BYTES``, else off (the seed offloads only when configured to)."""
    source = "payload_offload_bytes"
    if value is True:
        return DEFAULT_OFFLOAD_BYTES
    if value is False:
        return 0
    if value is None:
        text = os.environ.get(ENV_OFFLOAD_BYTES)
        if text is None:
            return 0
        source = ENV_OFFLOAD_BYTES
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{ENV_OFFLOAD_BYTES} must be a whole number of bytes (0: off), got {text!r}") from None
    if not isinstance(value, int) or not 0 <= value < MAX_PAYLOAD_BYTES:
        raise ValueError(f"{source} must be 0 (never offload) or a size in bytes below the {MAX_PAYLOAD_BYTES:,}-byte payload limit, got {value!r}")
    return value


# ---------------------------------------------------------------- walking payloads
@lru_cache(maxsize=None)
def _payload_field_numbers(descriptor: Descriptor) -> frozenset[int]:
    """Numbers of the message fields of `descriptor` that may hold a Payload, at any depth."""
    reaches = _reaching_types(descriptor)
    return frozenset(
        field.number for field in descriptor.fields
        if field.message_type is not None and not field.message_type.GetOptions().map_entry
        and (field.message_type is _PAYLOAD or field.message_type.full_name in reaches)
    )


def _reaching_types(root: Descriptor) -> set[str]:
    """The message types reachable from `root` that hold a Payload at some depth (a fixed
    point, so recursive types such as Failure.cause count)."""
    types: dict[str, Descriptor] = {}
    stack = [root]
    while stack:
        d = stack.pop()
        if d.full_name in types:
            continue
        types[d.full_name] = d
        stack.extend(f.message_type for f in d.fields if f.message_type is not None)
    reaches: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, d in types.items():
            if name in reaches:
                continue
            if any(f.message_type is not None and (f.message_type is _PAYLOAD or f.message_type.full_name in reaches) for f in d.fields):
                reaches.add(name)
                changed = True
    return reaches


def iter_payloads(message: Message, *, skip_markers: bool = False) -> list[common_pb2.Payload]:
    """Every Payload set in `message` (the objects themselves: changing one changes the message)."""
    found: list[common_pb2.Payload] = []
    _collect(message, skip_markers, found)
    return found


def _collect(message: Message, skip_markers: bool, found: list[common_pb2.Payload]) -> None:
    descriptor = message.DESCRIPTOR
    if descriptor is _PAYLOAD:
        found.append(cast(common_pb2.Payload, message))
        return
    if skip_markers and descriptor is _MARKER:
        return
    numbers = _payload_field_numbers(descriptor)
    if not numbers:
        return
    for field, value in message.ListFields():
        if field.number in numbers:
            if field.is_repeated:
                for item in value:
                    _collect(item, skip_markers, found)
            else:
                _collect(value, skip_markers, found)


# ---------------------------------------------------------------- requests: offloading
def _request_workflow_id(method: str, request: Message) -> str | None:
    """The workflow whose shard keeps the blobs of this request; None: not offloaded."""
    if method == "StartWorkflowExecution":
        return request.workflow_id  # type: ignore[attr-defined]
    if method in ("SignalWorkflowExecution", "UpdateWorkflowExecution"):
        return request.execution.workflow_id  # type: ignore[attr-defined]
    if method == "PutParallelResults":
        return request.workflow_id  # type: ignore[attr-defined]
    if method in _TOKEN_METHODS:
        try:
            return task_tokens.decode(request.task_token).workflow_id  # type: ignore[attr-defined]
        except Exception:
            return None  # the server will say what is wrong with the token
    return None


_TOKEN_METHODS = frozenset({
    "RespondWorkflowTaskCompleted",
    "RespondWorkflowTaskFailed",
    "RespondActivityTaskCompleted",
    "RespondActivityTaskFailed",
    "RespondActivityTaskCanceled",
    "RecordActivityTaskHeartbeat",
})
# Tasks a worker receives (polls, and the tasks handed back with a completion) are resolved by
# the worker itself, which turns a missing blob into the task's failure.
_RESOLVED_RESPONSES = frozenset({
    "GetParallelResults",  # an executor's results as the workflow pages through them
    "GetWorkflowResult",
    "QueryWorkflow",
    "UpdateWorkflowExecution",
    "PollWorkflowExecutionUpdate",
})


async def offload_request(client: "Client", method: str, request: Message) -> None:
    """Store this request's large payloads as blobs and leave references in their place."""
    threshold = client.payload_offload_bytes
    if not threshold:
        return
    workflow_id = _request_workflow_id(method, request)
    if not workflow_id:
        return
    large = [p for p in iter_payloads(request, skip_markers=True) if len(p.data) > threshold and not p.blob_id]
    if large:
        await offload_payloads(client, workflow_id, large)


async def offload_payloads(client: "Client", workflow_id: str, payloads: list[common_pb2.Payload]) -> None:
    by_id: dict[str, bytes] = {}
    for payload in payloads:
        data = payload.data
        blob_id = hashlib.sha256(data).hexdigest()
        by_id[blob_id] = data
        payload.data = b""
        payload.blob_id = blob_id
        payload.blob_size = len(data)
        payload.blob_workflow_id = workflow_id
    await asyncio.gather(*(put_blob(client, workflow_id, blob_id, data) for blob_id, data in by_id.items()))


async def put_blob(client: "Client", workflow_id: str, blob_id: str, data: bytes) -> None:
    await client.call("PutPayloadBlob", ws.PutPayloadBlobRequest(namespace=client.namespace, workflow_id=workflow_id, data=data, blob_id=blob_id))
    client.blob_cache.put((workflow_id, blob_id), data)


# ---------------------------------------------------------------- responses: resolving
async def resolve_response(client: "Client", method: str, response: Message) -> None:
    if method in _RESOLVED_RESPONSES:
        await resolve_payloads(client, response)


async def resolve_payloads(client: "Client", message: Message) -> None:
    """Put the data back into every payload of `message` that has a blob reference."""
    refs = [p for p in iter_payloads(message) if p.blob_id and not p.data]
    if not refs:
        return
    keys = {(p.blob_workflow_id, p.blob_id) for p in refs}
    found = dict(zip(keys, await asyncio.gather(*(get_blob(client, *key) for key in keys))))
    for payload in refs:
        payload.data = found[(payload.blob_workflow_id, payload.blob_id)]


async def get_blob(client: "Client", workflow_id: str, blob_id: str) -> bytes:
    cached = client.blob_cache.get((workflow_id, blob_id))
    if cached is not None:
        return cached
    try:
        response = await client.call("GetPayloadBlob", ws.GetPayloadBlobRequest(namespace=client.namespace, workflow_id=workflow_id, blob_id=blob_id))
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            raise PayloadBlobNotFoundError(exc.details() or f"payload blob {blob_id} of workflow {workflow_id!r} not found") from None
        raise
    client.blob_cache.put((workflow_id, blob_id), response.data)
    return response.data


class BlobCache:
    """Blobs a client stored or read, newest kept, up to `max_bytes` (a replay reads them again)."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self._size = 0
        self._blobs: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def get(self, key: tuple[str, str]) -> bytes | None:
        data = self._blobs.get(key)
        if data is not None:
            self._blobs.move_to_end(key)
        return data

    def put(self, key: tuple[str, str], data: bytes) -> None:
        if len(data) > self.max_bytes or key in self._blobs:
            return
        self._blobs[key] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _, old = self._blobs.popitem(last=False)
            self._size -= len(old)


# ---------------------------------------------------------------- the seed's field offloading
OffloadableType = TypeVar("OffloadableType")


class OffloadableFieldException(Exception):
    """An offloadable field's value is not there (in workflow code, or not restored yet)."""


class OffloadableModel(BaseModel):
    """The seed's marker base: an activity argument or result whose ``OffloadableField`` fields
    are stored beside history on the way out of an activity and restored on the way in, so the
    workflow (and its history) only ever holds their references."""


class OffloadableField(BaseModel, Generic[OffloadableType]):
    """One offloadable value: ``value`` inside activities, ``blob_ref`` in between."""

    value: OffloadableType | None
    blob_ref: str | None = None

    def get_value(self) -> OffloadableType:
        if self.value is None:
            from ._runtime import current_instance

            if current_instance() is not None:
                raise OffloadableFieldException("Offloadable attributes cannot be accessed in a workflow context.")
            raise OffloadableFieldException("Offloadable attribute not loaded yet.")
        return self.value

    def serialized_value(self) -> bytes:
        if isinstance(self.value, bytes):
            return self.value
        return TypeAdapter(Any).dump_json(self.value)


def _inner_type(annotation: Any) -> Any:
    """T of an ``OffloadableField[T]`` annotation (bytes when unknown, as in the seed)."""
    meta = getattr(annotation, "__pydantic_generic_metadata__", None)
    if meta and meta.get("args"):
        return meta["args"][0]
    return bytes


def _restored(data: bytes, type_hint: Any) -> Any:
    if type_hint is bytes:
        return data
    if get_origin(type_hint) in (list, dict) or isinstance(type_hint, type) or get_args(type_hint):
        return TypeAdapter(type_hint).validate_json(data)
    return TypeAdapter(Any).validate_json(data)


async def offload_fields(client: "Client", workflow_id: str, model: Any) -> Any:
    """An activity's result: its set offloadable fields stored, references left (the seed's
    ``offload_if_needed``: only when the model's JSON reaches the offload threshold)."""
    threshold = client.payload_offload_bytes
    if not isinstance(model, OffloadableModel) or not threshold or len(model.model_dump_json()) < threshold:
        return model
    for name in type(model).model_fields:
        field = getattr(model, name)
        if not isinstance(field, OffloadableField) or field.value is None:
            continue
        data = field.serialized_value()
        blob_id = hashlib.sha256(data).hexdigest()
        await put_blob(client, workflow_id, blob_id, data)
        setattr(model, name, type(field)(value=None, blob_ref=f"{workflow_id}/{blob_id}"))
    return model


async def restore_fields(client: "Client", model: Any) -> Any:
    """An activity's argument: its offloaded fields read back (the seed's ``restore_if_needed``)."""
    if not isinstance(model, OffloadableModel):
        return model
    for name, info in type(model).model_fields.items():
        field = getattr(model, name)
        if not isinstance(field, OffloadableField) or not field.blob_ref:
            continue
        workflow_id, _, blob_id = field.blob_ref.rpartition("/")
        if not workflow_id or not blob_id:
            raise OffloadableFieldException(f"field {name!r} has blob_ref {field.blob_ref!r}, which is not '<workflow id>/<blob id>'")
        data = await get_blob(client, workflow_id, blob_id)
        setattr(model, name, type(field)(value=_restored(data, _inner_type(info.annotation)), blob_ref=None))
    return model
