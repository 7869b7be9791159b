"""How the command line prints protobuf messages and statuses (shared by its command modules)."""
from __future__ import annotations

import json

from google.protobuf import json_format


def print_message(message) -> None:
    print(json.dumps(json_format.MessageToDict(message), indent=2))


def status_name(status: int) -> str:
    from protos import common_pb2

    return common_pb2.WorkflowExecutionStatus.Name(status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()
