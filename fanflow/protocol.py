"""Facts of the workflow protocol that the server and the SDK must agree on."""
from __future__ import annotations

from collections.abc import Iterator

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
    included), with its field path, e.g. ``commands[0].complete_workflow_execution.result``."""
    if message.DESCRIPTOR is common_pb2.Payload.DESCRIPTOR:
        yield (path or "payload"), message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        name = f"{path}.{field.name}" if path else field.name
        if field.is_repeated:
            if field.message_type.GetOptions().map_entry:
                continue  # no maps carry payloads in this API
            for i, item in enumerate(value):
                yield from iter_payloads(item, f"{name}[{i}]")
        else:
            yield from iter_payloads(value, name)


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
