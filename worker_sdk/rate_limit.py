"""``RateLimit``: the seed's per-activity rate limit option (``@activity(rate_limit=...)``).

The model and its bounds are the seed's. The limit holds across the whole cluster: matching
meters the starts of the activity's own queue (``worker_sdk.rate_limits`` says how). A worker's
own start rate is another option: ``Worker(max_activities_per_second=...)``.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RateLimit"]


class RateLimit(BaseModel):
    """At most ``max_execution`` executions per ``time_window_in_sec`` seconds, counted per
    ``key`` (default: the activity's name) across all workers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_window_in_sec: int = Field(..., ge=1, le=3600, description="The time window in seconds (1..3600).")
    max_execution: int = Field(..., ge=1, le=100000, description="Executions allowed per window (1..100000).")
    key: str | None = Field(default=None, description="What the limit is counted per; default: the activity's name.")
