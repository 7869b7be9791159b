"""Facts of the workflow protocol that the server and the SDK must agree on."""
from __future__ import annotations

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
