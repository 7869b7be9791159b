"""What bounds one run: history's limits and default timeouts."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    """History's limits and defaults; see fanflow.config.ClusterConfig."""

    workflow_task_timeout: float = 10.0
    sticky_schedule_to_start_timeout: float = 5.0
    default_activity_start_to_close_timeout: float = 300.0
    max_pending_activities: int = 2000
    suggest_continue_as_new_events: int = 4096
    suggest_continue_as_new_bytes: int = 4 * 1024 * 1024
    history_count_warn: int = 10_240
    history_count_error: int = 51_200
    history_size_error: int = 50 * 1024 * 1024
    max_workflow_task_retry_backoff: float = 600.0


