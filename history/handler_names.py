"""A run's message handlers, as its starter declared them (WorkflowMetadata's signal, query
and update names): history refuses an unknown query or update name at once, without asking
a worker (even when none is up), naming the handlers the workflow has."""
from __future__ import annotations

from fanflow.errors import InvalidArgument
from protos import persistence_pb2


def check_handler_name(state: persistence_pb2.ExecutionState, kind: str, name: str) -> None:
    """kind: "query" or "update". A run whose starter did not declare its handlers (a start
    by type name, or an older client) is not checked here: the worker refuses unknown names."""
    metadata = state.metadata
    if not metadata.handler_names_declared:
        return
    known = metadata.query_names if kind == "query" else metadata.update_names
    if name in known:
        return
    listed = ", ".join(repr(n) for n in sorted(known)) or "none"
    raise InvalidArgument(
        f"workflow {state.workflow_id!r} ({state.workflow_type}) has no {kind} handler named {name!r}; its {kind} handlers: {listed}"
    )
