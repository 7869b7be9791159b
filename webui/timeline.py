"""A run's timeline from its history events: activity executions, timers, workflow tasks as
spans (start, end, outcome), signals as points; what is still open ends "pending".

fanflow writes ActivityTaskStarted together with the activity's outcome, so a span runs
from the activity's scheduling to its outcome (retries inside it write no events)."""
from __future__ import annotations

from collections.abc import Iterable

from protos import common_pb2
from webui.convert import timestamp

_ACTIVITY_CLOSES = {
    "activity_task_completed": "completed",
    "activity_task_failed": "failed",
    "activity_task_timed_out": "timed_out",
    "activity_task_canceled": "canceled",
}
_TIMER_CLOSES = {"timer_fired": "fired", "timer_canceled": "canceled"}
_TASK_CLOSES = {"workflow_task_completed": "completed", "workflow_task_failed": "failed", "workflow_task_timed_out": "timed_out"}


def build_timeline(events: Iterable[common_pb2.HistoryEvent]) -> list[dict]:
    spans: list[dict] = []
    open_activities: dict[int, dict] = {}
    open_timers: dict[str, dict] = {}
    open_tasks: dict[int, dict] = {}
    for e in events:
        which = e.WhichOneof("attributes")
        at = timestamp(e.event_time)
        if which == "activity_task_scheduled":
            a = e.activity_task_scheduled
            span = {"kind": "activity", "name": a.activity_type.name, "first_event_id": e.event_id, "start": at, "outcome": "pending"}
            open_activities[e.event_id] = span
            spans.append(span)
        elif which == "activity_task_started":
            span = open_activities.get(e.activity_task_started.scheduled_event_id)
            if span is not None:
                span["attempt"] = e.activity_task_started.attempt
        elif which in _ACTIVITY_CLOSES:
            span = open_activities.pop(getattr(e, which).scheduled_event_id, None)
            if span is not None:
                span.update(end=at, last_event_id=e.event_id, outcome=_ACTIVITY_CLOSES[which])
        elif which == "timer_started":
            span = {"kind": "timer", "name": e.timer_started.timer_id, "first_event_id": e.event_id, "start": at, "outcome": "pending"}
            open_timers[e.timer_started.timer_id] = span
            spans.append(span)
        elif which in _TIMER_CLOSES:
            span = open_timers.pop(getattr(e, which).timer_id, None)
            if span is not None:
                span.update(end=at, last_event_id=e.event_id, outcome=_TIMER_CLOSES[which])
        elif which == "workflow_task_scheduled":
            span = {"kind": "workflow_task", "name": "workflow task", "first_event_id": e.event_id, "start": at, "outcome": "pending",
                    "attempt": e.workflow_task_scheduled.attempt}
            open_tasks[e.event_id] = span
            spans.append(span)
        elif which in _TASK_CLOSES:
            span = open_tasks.pop(getattr(e, which).scheduled_event_id, None)
            if span is not None:
                span.update(end=at, last_event_id=e.event_id, outcome=_TASK_CLOSES[which])
        elif which == "workflow_execution_signaled":
            spans.append({"kind": "signal", "name": e.workflow_execution_signaled.signal_name, "first_event_id": e.event_id,
                          "last_event_id": e.event_id, "start": at, "end": at, "outcome": "received"})
    return spans
