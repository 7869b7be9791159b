"""Limits and timing knobs of the frontend.

Every number is a module-level constant (the default) and a field of
`FrontendSettings`, which `frontend_registrations` takes. `FrontendSettings.from_env()`
applies `FANFLOW_FRONTEND_<FIELD>` environment overrides, e.g.
`FANFLOW_FRONTEND_MAX_PAYLOAD_BYTES=4194304`. (ClusterConfig has no frontend
section yet, so the environment is the way to override them per process.)
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from fanflow.protocol import MAX_PAYLOAD_BYTES, WARN_PAYLOAD_BYTES

# Sizes.
MAX_ID_LENGTH = 1_000  # workflow id, workflow type, task queue, signal name, run id, identity...
# MAX_PAYLOAD_BYTES (any single Payload) and WARN_PAYLOAD_BYTES (log a warning above it)
# are the protocol's, shared with the SDK: fanflow/protocol.py.
MAX_HISTORY_PAGE_SIZE = 10_000  # GetWorkflowExecutionHistory.maximum_page_size
MAX_LIST_PAGE_SIZE = 1_000  # ListWorkflowExecutions.page_size
DEFAULT_LIST_PAGE_SIZE = 100  # ListWorkflowExecutions.page_size = 0
MAX_NAMESPACE_LENGTH = 64  # RegisterNamespace.name
MAX_DESCRIPTION_LENGTH = 1_000  # RegisterNamespace.description
MAX_TEXT_LENGTH = 32 * 1024  # free text such as a termination reason

# Timing (seconds).
RPC_TIMEOUT = 30.0  # deadline of an ordinary call to history / matching
MAX_RESULT_WAIT = 60.0  # GetWorkflowResult.wait_timeout is capped to this
RESULT_DEADLINE_MARGIN = 5.0  # upstream deadline = wait + this
POLL_DEADLINE_MARGIN = 5.0  # poll deadline = config.poll_timeout + this
POLL_SLICE = 2.0  # a poll of a queue spread over several matching processes moves on after this
POLL_ERROR_BACKOFF = 1.0  # sleep before answering a poll whose upstream call failed
NAMESPACE_MISS_REFRESH_INTERVAL = 1.0  # a namespace miss refreshes the cache at most this often
NAMESPACE_REFRESH_INTERVAL = 10.0  # the cache is also refreshed in the background this often
QUERY_TIMEOUT = 20.0  # QueryWorkflow.timeout = 0: wait this long for a worker's answer
UPDATE_WAIT = 20.0  # UpdateWorkflowExecution.wait_timeout = 0: wait this long for the stage asked for

# Rate limits (per namespace, per frontend process; 0 = off). See frontend/ratelimit.py.
NAMESPACE_RPS = 10_000.0  # WorkflowService requests per second
NAMESPACE_BURST = 0.0  # requests admitted at once; 0 = one second's worth

ENV_PREFIX = "FANFLOW_FRONTEND_"


@dataclasses.dataclass(frozen=True)
class FrontendSettings:
    max_id_length: int = MAX_ID_LENGTH
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    warn_payload_bytes: int = WARN_PAYLOAD_BYTES
    max_history_page_size: int = MAX_HISTORY_PAGE_SIZE
    max_list_page_size: int = MAX_LIST_PAGE_SIZE
    default_list_page_size: int = DEFAULT_LIST_PAGE_SIZE
    max_namespace_length: int = MAX_NAMESPACE_LENGTH
    max_description_length: int = MAX_DESCRIPTION_LENGTH
    max_text_length: int = MAX_TEXT_LENGTH
    rpc_timeout: float = RPC_TIMEOUT
    max_result_wait: float = MAX_RESULT_WAIT
    result_deadline_margin: float = RESULT_DEADLINE_MARGIN
    poll_deadline_margin: float = POLL_DEADLINE_MARGIN
    poll_slice: float = POLL_SLICE
    poll_error_backoff: float = POLL_ERROR_BACKOFF
    namespace_miss_refresh_interval: float = NAMESPACE_MISS_REFRESH_INTERVAL
    namespace_refresh_interval: float = NAMESPACE_REFRESH_INTERVAL
    namespace_rps: float = NAMESPACE_RPS
    namespace_burst: float = NAMESPACE_BURST
    query_timeout: float = QUERY_TIMEOUT
    update_wait: float = UPDATE_WAIT

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value < 0:
                raise ValueError(f"frontend setting {field.name} must not be negative, got {value}")
        if self.default_list_page_size > self.max_list_page_size:
            raise ValueError("default_list_page_size must not exceed max_list_page_size")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "FrontendSettings":
        """Defaults, then FANFLOW_FRONTEND_<FIELD> variables, then keyword overrides."""
        environ = os.environ if environ is None else environ
        values: dict = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is None:
                continue
            kind = int if field.type in ("int", int) else float
            try:
                values[field.name] = kind(raw)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{field.name.upper()}={raw!r} is not a valid {kind.__name__}") from None
        values.update(overrides)
        return cls(**values)
