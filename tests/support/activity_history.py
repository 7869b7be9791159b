"""Reading activity starts out of a workflow's history, for the sticky-session and rate-limit
tests: which worker started each activity (ActivityTaskStarted.identity) and when (its time)."""
from __future__ import annotations

from protos import common_pb2 as E


def activity_starts(events) -> list[tuple[str, str, float]]:
    """(activity type, worker identity, start time in s) of each ActivityTaskStarted, in history order."""
    types = {e.event_id: e.activity_task_scheduled.activity_type.name for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    return [
        (types[e.activity_task_started.scheduled_event_id], e.activity_task_started.identity, e.event_time.ToNanoseconds() / 1e9)
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]


async def starts_of(handles, types: set[str]) -> list[tuple[float, str]]:
    """(start time, identity) of the activities of these types, over several workflows."""
    out = []
    for handle in handles:
        out += [(t, identity) for kind, identity, t in activity_starts(await handle.history()) if kind in types]
    return out


def busiest_window(times: list[float], window: float) -> int:
    """The most starts any half-open window [t, t + window) holds (a window at every start is
    enough to check: the busiest one can be slid to begin at a start)."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while j < len(times) and times[j] < t + window:
            j += 1
        best = max(best, j - i)
    return best
