"""What ``get_workflow_definition(cls)`` returns, shaped like the seed's ``WorkflowSpec``, and
the schedule models (``workflows.models.ScheduleDefinition`` as in the seed)."""
from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, Field, field_serializer

from .schedules import (
    Schedule,
    ScheduleCalendar,
    ScheduleDefinition,
    ScheduleInterval,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
)

__all__ = [
    "SignalDefinition",
    "QueryDefinition",
    "UpdateDefinition",
    "WorkflowSpec",
    "Schedule",
    "ScheduleDefinition",
    "ScheduleCalendar",
    "ScheduleInterval",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
]


class SignalDefinition(BaseModel):
    name: str
    description: str | None = None
    input_schema: dict[str, Any]


class QueryDefinition(BaseModel):
    name: str
    description: str | None = None
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None


class UpdateDefinition(BaseModel):
    name: str
    description: str | None = None
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None


class WorkflowSpec(BaseModel):
    """A workflow's public description: its name, texts, the JSON schemas of its input and
    output, its handlers and its options. ``execution_timeout`` is ``None`` when the workflow
    was defined with ``execution_timeout=None`` (no limit); it serializes as seconds."""

    name: str
    display_name: str | None = None
    description: str | None = None
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None
    is_technical: bool = False
    on_behalf_of: bool = False
    signals: list[SignalDefinition] = Field(default_factory=list)
    queries: list[QueryDefinition] = Field(default_factory=list)
    updates: list[UpdateDefinition] = Field(default_factory=list)
    schedules: list[ScheduleDefinition] = Field(default_factory=list)
    enforce_determinism: bool = True
    execution_timeout: datetime.timedelta | None = datetime.timedelta(hours=1)
    search_keys: list[str] = Field(default_factory=list)
    plugin_metadata: dict[str, Any] | None = None

    @field_serializer("execution_timeout")
    def _timeout_seconds(self, v: datetime.timedelta | None) -> float | None:
        return None if v is None else v.total_seconds()
