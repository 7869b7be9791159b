"""What bounds one run: the cluster config's `[limits]` section and the default
timeouts a run falls back on, in the one object the state machine reads."""
from __future__ import annotations

from fanflow.config import ClusterConfig, HistoryLimits
from fanflow.protocol import MAX_PAYLOAD_BYTES


def _config_default(name: str) -> float:
    return ClusterConfig.model_fields[name].default


class Limits(HistoryLimits):
    """`HistoryLimits` plus the cluster's default timeouts (seconds). `Limits()` has the
    config's defaults; `Limits.from_config(config)` a cluster's values."""

    workflow_task_timeout: float = _config_default("workflow_task_timeout")
    sticky_schedule_to_start_timeout: float = _config_default("sticky_schedule_to_start_timeout")
    default_activity_start_to_close_timeout: float = _config_default("default_activity_start_to_close_timeout")
    max_workflow_task_retry_backoff: float = 600.0  # longest wait before retrying a workflow task that keeps failing
    max_payload_bytes: int = MAX_PAYLOAD_BYTES  # a workflow-task completion carrying a larger payload terminates the run

    @classmethod
    def from_config(cls, config: ClusterConfig) -> "Limits":
        return cls(
            workflow_task_timeout=config.workflow_task_timeout,
            sticky_schedule_to_start_timeout=config.sticky_schedule_to_start_timeout,
            default_activity_start_to_close_timeout=config.default_activity_start_to_close_timeout,
            **config.limits.model_dump(),
        )
