"""Schedule declarations for ``@workflow.define(schedules=[...])``, shaped like the seed's
(``Schedule`` / ``ScheduleDefinition``, ``ScheduleCalendar``, ``ScheduleInterval``,
``ScheduleRange``, ``SchedulePolicy``, ``ScheduleOverlapPolicy``).

A worker serving the workflow registers them with the cluster when it starts
(``worker_sdk.schedules_client``), where they run; ``Client.create_schedule`` takes them too.
A schedule is checked when the workflow is defined:
it needs at least one of ``cron_expressions``, ``intervals`` or ``calendars``; a cron
expression has 5 to 7 fields or is a macro (``@daily``, ``@every 1h`` ...), each field in its
range (``fanflow.schedule_spec`` names the one that is not); intervals are
positive; ``end_at`` is after ``start_at``; ``max_executions`` is positive; and ``input``
must fit the entrypoint's parameters (the same rule as ``execute_workflow(params=...)``).
"""
from __future__ import annotations

import datetime
import enum
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fanflow.schedule_spec import SpecError, parse_cron

__all__ = [
    "ScheduleRange",
    "ScheduleCalendar",
    "ScheduleInterval",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleDefinition",
    "Schedule",
]

_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


class ScheduleRange(BaseModel):
    """Inclusive range ``start``..``end`` (``end`` < ``start`` means just ``start``), every ``step`` (0 = 1)."""

    model_config = ConfigDict(frozen=True)
    start: int
    end: int = 0
    step: int = Field(0, ge=0)


class ScheduleCalendar(BaseModel):
    """Calendar times: a time matches when one range of every field matches (``year`` empty = any year)."""

    second: Sequence[ScheduleRange] = (ScheduleRange(start=0),)
    minute: Sequence[ScheduleRange] = (ScheduleRange(start=0),)
    hour: Sequence[ScheduleRange] = (ScheduleRange(start=0),)
    day_of_month: Sequence[ScheduleRange] = (ScheduleRange(start=1, end=31),)
    month: Sequence[ScheduleRange] = (ScheduleRange(start=1, end=12),)
    year: Sequence[ScheduleRange] = ()
    day_of_week: Sequence[ScheduleRange] = (ScheduleRange(start=0, end=6),)
    comment: str | None = None


class ScheduleInterval(BaseModel):
    """Every ``every`` (from the epoch), shifted by ``offset``."""

    every: datetime.timedelta
    offset: datetime.timedelta | None = None

    @field_validator("every")
    @classmethod
    def _positive(cls, v: datetime.timedelta) -> datetime.timedelta:
        if v <= datetime.timedelta(0):
            raise ValueError("every must be a positive duration")
        return v


class ScheduleOverlapPolicy(enum.IntEnum):
    """What to do when a scheduled run is due while the previous one still runs (Temporal's values)."""

    SKIP = 1
    BUFFER_ONE = 2
    BUFFER_ALL = 3
    CANCEL_OTHER = 4
    TERMINATE_OTHER = 5
    ALLOW_ALL = 6


class SchedulePolicy(BaseModel):
    """Also takes ``catchup_window=timedelta(...)`` and ``overlap_policy=`` (the spellings the
    seed's scheduling guide uses); any other unknown name is an error."""

    model_config = ConfigDict(extra="forbid")
    catchup_window_seconds: int = Field(31_536_000, ge=0)
    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP
    pause_on_failure: bool = False

    @model_validator(mode="before")
    @classmethod
    def _spellings(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "catchup_window" in data:
                window = data.pop("catchup_window")
                data["catchup_window_seconds"] = int(window.total_seconds()) if isinstance(window, datetime.timedelta) else window
            if "overlap_policy" in data:
                data["overlap"] = data.pop("overlap_policy")
        return data

    @property
    def catchup_window(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=self.catchup_window_seconds)


class ScheduleDefinition(BaseModel):
    """When to start the workflow (the union of ``calendars``, ``intervals`` and
    ``cron_expressions``, minus ``skip``) and with which ``input`` (its params)."""

    input: Any = None
    calendars: list[ScheduleCalendar] = Field(default_factory=list)
    intervals: list[ScheduleInterval] = Field(default_factory=list)
    cron_expressions: list[str] = Field(default_factory=list)
    skip: list[ScheduleCalendar] = Field(default_factory=list)
    start_at: datetime.datetime | None = None
    end_at: datetime.datetime | None = None
    jitter: datetime.timedelta | None = None
    time_zone_name: str | None = None
    policy: SchedulePolicy = Field(default_factory=SchedulePolicy)
    max_executions: int | None = Field(None, ge=1)
    schedule_id: str | None = None

    @field_validator("cron_expressions")
    @classmethod
    def _cron(cls, expressions: list[str]) -> list[str]:
        for expr in expressions:
            text = expr.strip()
            if text.startswith(("CRON_TZ=", "TZ=")):
                text = text.partition(" ")[2].strip()
            if text.startswith("@"):
                if text in _CRON_MACROS or (text.startswith("@every ") and text[7:].strip()):
                    continue
                raise ValueError(f"cron expression {expr!r}: unknown macro (use one of {sorted(_CRON_MACROS)} or '@every <duration>')")
            if not 5 <= len(text.split("#")[0].split()) <= 7:
                raise ValueError(f"cron expression {expr!r} must have 5 fields (minute hour day-of-month month day-of-week), or 6-7 with seconds/years")
        for expr in expressions:
            try:
                parse_cron(expr)
            except SpecError as exc:
                raise ValueError(str(exc)) from None
        return expressions

    @model_validator(mode="after")
    def _has_times(self) -> "ScheduleDefinition":
        if not (self.calendars or self.intervals or self.cron_expressions):
            raise ValueError("a schedule needs at least one of cron_expressions, intervals or calendars")
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        if self.jitter is not None and self.jitter < datetime.timedelta(0):
            raise ValueError("jitter must not be negative")
        return self


Schedule = ScheduleDefinition
