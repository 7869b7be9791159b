"""Where a scheduled activity goes, for sticky worker sessions and rate limits (issue 13).

* A **sticky session** activity names its session's queue with kind STICKY: one worker polls
  it, so it has one partition (``routing.partition_count_for``), like a sticky workflow queue.
  The SDK gives it a schedule-to-start timeout: if that worker is gone, the timer ends the
  activity with a ``StickyWorkerSessionLost`` failure (``session_lost_failure``) instead of
  leaving it in a queue nobody polls, and matching drops the expired row.
* A **rate-limited** activity names its own queue and carries ``rate_limit``; its tasks go to
  partition 0 of that queue, where matching meters the starts (``matching/rate_limiter.py``).

``schedule_task_queue`` checks what a ScheduleActivityTask command asks for (an
``InvalidArgument`` names the field) and returns the queue to record.
"""
from __future__ import annotations

from fanflow.errors import InvalidArgument
from fanflow.timeutil import seconds
from protos import common_pb2, persistence_pb2

STICKY = common_pb2.TASK_QUEUE_KIND_STICKY
MAX_EXECUTION = 100_000  # the seed's bounds of RateLimit
MAX_WINDOW_SECONDS = 3600
SESSION_LOST_TYPE = "StickyWorkerSessionLost"
MAX_QUEUE_NAME = 1000  # what matching accepts (a longer name would never be delivered)


def schedule_task_queue(attrs: common_pb2.ScheduleActivityTaskCommandAttributes, workflow_queue: str) -> common_pb2.TaskQueue:
    """The task queue to record for a ScheduleActivityTask command: the one it names (kind
    STICKY kept for a session's queue) or the workflow's."""
    name = attrs.task_queue.name or workflow_queue
    if len(name) > MAX_QUEUE_NAME:
        raise InvalidArgument(
            f"ScheduleActivityTask {attrs.activity_type.name!r}: task_queue.name is {len(name):,} characters; the limit is {MAX_QUEUE_NAME:,} "
            "(a sticky session's or a rate limit's queue adds to the task queue's name)"
        )
    if attrs.task_queue.kind == STICKY and not attrs.task_queue.name:
        raise InvalidArgument("ScheduleActivityTask: task_queue.kind is STICKY but task_queue.name is empty (name the session's queue)")
    if attrs.HasField("rate_limit"):
        _check_rate_limit(attrs, workflow_queue)
    kind = STICKY if attrs.task_queue.kind == STICKY else common_pb2.TASK_QUEUE_KIND_NORMAL
    return common_pb2.TaskQueue(name=name, kind=kind)


def _check_rate_limit(attrs: common_pb2.ScheduleActivityTaskCommandAttributes, workflow_queue: str) -> None:
    limit = attrs.rate_limit
    where = f"ScheduleActivityTask {attrs.activity_type.name!r}: rate_limit"
    if not limit.key:
        raise InvalidArgument(f"{where}.key is required (what the limit is counted per)")
    if not 1 <= limit.max_execution <= MAX_EXECUTION:
        raise InvalidArgument(f"{where}.max_execution is {limit.max_execution}; use 1..{MAX_EXECUTION}")
    window = seconds(limit.time_window)
    if not 0 < window <= MAX_WINDOW_SECONDS:
        raise InvalidArgument(f"{where}.time_window is {window:g} s; use more than 0 and at most {MAX_WINDOW_SECONDS} s")
    if not attrs.task_queue.name or attrs.task_queue.name == workflow_queue:
        raise InvalidArgument(f"{where} needs a task_queue of its own (not the workflow's {workflow_queue!r}): matching meters that whole queue")
    if attrs.task_queue.kind == STICKY:
        raise InvalidArgument(f"{where} cannot apply to a sticky (one worker's) task queue {attrs.task_queue.name!r}")


def is_session_activity(info: persistence_pb2.ActivityInfo) -> bool:
    return info.task_queue.kind == STICKY


def session_lost_failure(info: persistence_pb2.ActivityInfo) -> common_pb2.Failure:
    """What a session activity's schedule-to-start time-out says: its worker did not take it."""
    waited = seconds(info.schedule_to_start_timeout)
    return common_pb2.Failure(
        message=(
            f"activity {info.activity_type} (id {info.activity_id}) attempt {info.attempt} was not started within {waited:g} s "
            f"by the worker of its sticky worker session (task queue {info.task_queue.name!r}): that worker is gone "
            "(stopped or crashed) or kept all its activity slots busy that long. Open a new session "
            "(get_sticky_worker_session / run_sticky_worker_session) to go on"
        ),
        type=SESSION_LOST_TYPE,
        source="server",
    )
