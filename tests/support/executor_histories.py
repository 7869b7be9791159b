"""Reading what executors left in history: every run of a continue-as-new chain, the activity
types scheduled, and the most activities outstanding at once (the concurrency cap as history
saw it)."""
from __future__ import annotations

from collections import Counter

from protos import common_pb2 as E

def max_outstanding(events, activity_type: str | None = None) -> int:
    """The most ActivityTaskScheduled events without their completion at any point of history."""
    open_ids: set[int] = set()
    peak = 0
    for e in events:
        t = e.event_type
        if t == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if activity_type is None or e.activity_task_scheduled.activity_type.name == activity_type:
                open_ids.add(e.event_id)
                peak = max(peak, len(open_ids))
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            open_ids.discard(e.activity_task_completed.scheduled_event_id)
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            open_ids.discard(e.activity_task_failed.scheduled_event_id)
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            open_ids.discard(e.activity_task_timed_out.scheduled_event_id)
    return peak


async def run_histories(handle) -> list[list]:
    """The history of every run of the workflow (following continue-as-new)."""
    runs, run_id = [], handle.run_id
    while run_id:
        events = await handle.history(run_id)
        runs.append(events)
        last = events[-1]
        run_id = last.workflow_execution_continued_as_new.new_execution_run_id if last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW else ""
    return runs


async def all_events(handle) -> list:
    return [e for run in await run_histories(handle) for e in run]


def scheduled_types(events) -> Counter:
    return Counter(e.activity_task_scheduled.activity_type.name for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
