"""Cluster-wide rate limits: ``@workflows.activity(rate_limit=workflows.RateLimit(time_window_in_sec=1,
max_execution=20, key=None))`` starts at most ``max_execution`` of the activity per
``time_window_in_sec`` seconds across every worker and workflow of the task queue. Activities
with the same ``key`` share one limit (default key: the activity's name).

How it works

* In a workflow, a rate-limited activity is scheduled on a queue of its own,
  ``<task queue>/rate-limited/<key>`` (the task queue is the activity's ``task_queue`` option or
  the workflow's), with its limit (``ScheduleActivityTaskCommandAttributes.rate_limit``).
* History hands its tasks to partition 0 of that queue; matching stores them and dispatches one
  only when the queue's sliding window has a free slot (``matching/rate_limiter.py``), so the
  limit is held in one place for the whole cluster and survives a matching restart.
* A worker polls, besides its task queue, the rate-limited queue of each key among its
  activities (at partition 0: ``PollActivityTaskQueueRequest.rate_limited``).
* Called outside a workflow, the activity just runs (no limit). Inside
  ``run_activities_locally()`` it still goes through its limit. A sticky activity inside a
  session runs on the session's worker without the limit (``worker_sdk.sticky_sessions``).

``Worker(max_activities_per_second=...)`` is a different thing: one worker's own start rate.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from fanflow import timeutil
from protos import common_pb2

from .rate_limit import RateLimit

if TYPE_CHECKING:  # pragma: no cover
    from .activity import ActivityDefinition

__all__ = ["RateLimit", "MAX_KEY_LENGTH", "limit_key", "limited_queue", "check_activity", "route_activity", "queues_for"]

#: A key names a task queue (with the task queue's name, at most 1,000 characters).
MAX_KEY_LENGTH = 200


def limit_key(defn: "ActivityDefinition") -> str:
    """What the activity's limit is counted per: its ``RateLimit.key``, else its name."""
    limit = defn.options.rate_limit
    assert limit is not None
    return limit.key or defn.name


def limited_queue(task_queue: str, key: str) -> str:
    """The queue of the rate-limited activities of ``task_queue`` with this key."""
    return f"{task_queue}/rate-limited/{key}"


def check_activity(name: str, rate_limit: RateLimit | None) -> None:
    """At decoration: a key that can name a queue (ValueError naming ``RateLimit.key``)."""
    if rate_limit is None or not rate_limit.key:
        return
    key = rate_limit.key
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"activity {name!r}: RateLimit.key must be 1 to {MAX_KEY_LENGTH} characters, not blank "
            f"(got {len(key)} characters: {key[:40]!r}{'...' if len(key) > 40 else ''})"
        )


def to_proto(rate_limit: RateLimit, key: str) -> common_pb2.ActivityRateLimit:
    return common_pb2.ActivityRateLimit(
        key=key, max_execution=rate_limit.max_execution, time_window=timeutil.duration(rate_limit.time_window_in_sec)
    )


def route_activity(defn: "ActivityDefinition", attrs: common_pb2.ScheduleActivityTaskCommandAttributes, workflow_queue: str) -> None:
    """Schedule a rate-limited activity on its limit's queue, carrying the limit."""
    limit = defn.options.rate_limit
    assert limit is not None
    key = limit_key(defn)
    attrs.task_queue.CopyFrom(common_pb2.TaskQueue(name=limited_queue(attrs.task_queue.name or workflow_queue, key), kind=common_pb2.TASK_QUEUE_KIND_NORMAL))
    attrs.rate_limit.CopyFrom(to_proto(limit, key))


def queues_for(task_queue: str, activities: Iterable["ActivityDefinition"]) -> list[common_pb2.TaskQueue]:
    """The rate-limited queues a worker of ``task_queue`` polls for these activities, one per key
    (the activity's own ``task_queue`` option, if set, replaces the worker's). Activities sharing
    a key must declare the same limit: ValueError naming them otherwise."""
    limits: dict[str, tuple[str, RateLimit]] = {}
    for defn in activities:
        limit = defn.options.rate_limit
        if limit is None or defn.options.sticky_to_worker:  # sticky wins: it runs in sessions only
            continue
        key = limit_key(defn)
        queue = limited_queue(defn.options.task_queue or task_queue, key)
        seen = limits.get(queue)
        if seen is None:
            limits[queue] = (defn.name, limit)
        elif (seen[1].time_window_in_sec, seen[1].max_execution) != (limit.time_window_in_sec, limit.max_execution):
            raise ValueError(
                f"activities {seen[0]!r} and {defn.name!r} share the rate limit key {key!r} but declare different limits "
                f"({seen[1].max_execution} per {seen[1].time_window_in_sec} s and {limit.max_execution} per {limit.time_window_in_sec} s); "
                "give them the same RateLimit, or different keys"
            )
    return [common_pb2.TaskQueue(name=queue, kind=common_pb2.TASK_QUEUE_KIND_NORMAL) for queue in sorted(limits)]
