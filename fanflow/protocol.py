"""Facts of the workflow protocol that the server and the SDK must agree on."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.protobuf.message import Message

from protos import common_pb2

# Commands that close a run; each must be the last command of its workflow task.
CLOSING_COMMANDS = frozenset({
    common_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    common_pb2.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    common_pb2.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    common_pb2.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
})

# The largest single Payload (Temporal's default blob size limit), and the size above
# which one is logged as large.
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
WARN_PAYLOAD_BYTES = 512 * 1024
# The largest payload stored beside history as a blob (it travels in one gRPC message).
MAX_BLOB_BYTES = 48 * 1024 * 1024


def iter_payloads(message: Message, path: str = "") -> Iterator[tuple[str, common_pb2.Payload]]:
    """Every Payload set anywhere in `message` (commands, failures and their causes
    included), with its field path, e.g. ``commands[0].complete_workflow_execution.result``.
    Only fields through which a Payload can be reached are looked at (`_payload_fields`)."""
    descriptor = message.DESCRIPTOR
    if descriptor is _PAYLOAD:
        yield (path or "payload"), message
        return
    for field in _payload_fields(descriptor):
        name = f"{path}.{field.name}" if path else field.name
        if field.is_repeated:
            for i, item in enumerate(getattr(message, field.name)):
                yield from iter_payloads(item, f"{name}[{i}]")
        elif message.HasField(field.name):
            yield from iter_payloads(getattr(message, field.name), name)


_PAYLOAD = common_pb2.Payload.DESCRIPTOR
_PAYLOAD_FIELDS: dict[Any, tuple[Any, ...]] = {}


def _payload_fields(descriptor) -> tuple[Any, ...]:
    """The message fields of a message type through which a Payload can be reached, in field
    number order (maps carry none in this API). Worked out once per type: most of a request's
    fields (types, queues, durations) cannot hold one, and walking them cost every request."""
    fields = _PAYLOAD_FIELDS.get(descriptor)
    if fields is None:
        fields = _PAYLOAD_FIELDS[descriptor] = tuple(sorted(
            (f for f in descriptor.fields
             if f.message_type is not None and not f.message_type.GetOptions().map_entry and _reaches_payload(f.message_type)),
            key=lambda f: f.number,
        ))
    return fields


def _reaches_payload(descriptor) -> bool:
    seen, stack = set(), [descriptor]
    while stack:
        d = stack.pop()
        if d is _PAYLOAD:
            return True
        if d in seen:
            continue
        seen.add(d)
        stack.extend(f.message_type for f in d.fields if f.message_type is not None and not f.message_type.GetOptions().map_entry)
    return False


def human_bytes(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def payload_too_large_message(field: str, size: int, limit: int) -> str:
    return (
        f"{field} is {size:,} bytes; a single payload may be at most {limit:,} bytes ({human_bytes(limit)}). "
        "Pass large data by reference (e.g. a blob-store key) instead"
    )
