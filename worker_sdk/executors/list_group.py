"""List items dispatched in groups: the internal activity ``fanflow.list_group`` and how a
List executor cuts its window into groups.

One activity per item costs a dispatch, a completion RPC, three history events and a share of
a workflow task; the items themselves are often far cheaper. So, inside a workflow and with a
window of at least ``GROUP_MIN_WINDOW`` items, consecutive items travel together: one
execution of ``fanflow.list_group`` carries up to ``group_size(cap)`` items (and at most
``GROUP_BYTES`` of their input) and, on the worker, calls the user's activity for each of them
concurrently. At most ``cap // group_size`` groups are pending, so at most ``cap`` items are
in flight, as the seed promises for ``max_concurrent_scheduled_tasks``.

Per item, what the seed promises still holds:

* **own result**: each item's result is stored beside history as soon as it is done
  (``ResultWriter``: ``PutParallelResults``, batched), whatever its neighbours do;
* **own failure, retried alone**: when items fail, the group attempt fails after the others
  finished and were stored; history retries the group with the user's retry policy (its
  backoff, its maximum attempts) and the retry runs only the items with no stored result, so
  a failing item never makes another run again;
* **own attempt count**: an item runs in every attempt of its group until it succeeds, so the
  group's attempt is the item's (``activity.info().attempt`` inside the item says so); each
  failed item attempt is reported to the executor's failure list (web UI, progress).

Groups are not used when the activity has a rate limit or runs sticky to a worker session (a
group is one start for matching), nor outside a workflow, nor with a small window (there the
per-activity cost is small beside what slow items cost, and each item stays its own activity).
"""
from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, Callable

from pydantic import BaseModel

from .. import activity as activity_module
from ..activity import ActivityContext, ActivityDefinition, ActivityOptions
from ..exceptions import ApplicationError
from .results import ResultWriter, stored_indexes
from .shape import CallShape, call_directly

__all__ = ["LIST_GROUP_ACTIVITY", "GROUP_MIN_WINDOW", "GROUP_BYTES", "ListGroupSpec", "bind_list_group", "group_size", "groups_apply", "list_group_definition"]

#: Registered name of the internal activity that runs one group of List items.
LIST_GROUP_ACTIVITY = "fanflow.list_group"
#: Windows narrower than this keep one activity per item.
GROUP_MIN_WINDOW = 50
#: Lanes a window is cut into (groups pending at once); a group is window // lanes items.
GROUP_LANES = 10
#: At most this many items per group.
GROUP_MAX_ITEMS = 100
#: At most this many bytes of item input per group (a larger single item goes alone).
GROUP_BYTES = 256 * 1024


class ListGroupSpec(BaseModel):
    """One group: the user's activity by name, the executor id, and the items ``[start,
    start + len(items))`` as the activity's keyword arguments (JSON)."""

    activity: str
    executor_id: str
    start: int
    items: list[dict[str, Any]]


def group_size(cap: int) -> int:
    """Items per group for a window of ``cap`` items (1 = one activity per item)."""
    if cap < GROUP_MIN_WINDOW:
        return 1
    return min(GROUP_MAX_ITEMS, cap // GROUP_LANES)


def groups_apply(defn: ActivityDefinition, cap: int) -> bool:
    """Whether a List executor over ``defn`` with window ``cap`` dispatches groups."""
    options = defn.options
    return group_size(cap) > 1 and options.rate_limit is None and not options.sticky_to_worker


def list_group_definition(defn: ActivityDefinition) -> ActivityDefinition:
    """The group activity with the user's activity's options: its items run concurrently, so
    a group gets the timeouts one item gets, the same retry policy and task queue."""
    o = defn.options
    options = ActivityOptions(
        start_to_close_timeout=o.start_to_close_timeout,
        schedule_to_close_timeout=o.schedule_to_close_timeout,
        schedule_to_start_timeout=o.schedule_to_start_timeout,
        heartbeat_timeout=o.heartbeat_timeout,
        retry_policy=o.retry_policy,
        task_queue=o.task_queue,
    )
    return dataclasses.replace(_LIST_GROUP_DEFN, options=options)


# ------------------------------------------------------ the group activity (worker side)


@activity_module.activity(name=LIST_GROUP_ACTIVITY)
async def list_group(spec: ListGroupSpec) -> None:
    """Run the items of one group (see the module docstring); resolves the user's activity in
    the global registry (a ``Worker`` binds a copy that looks in its own activities first)."""
    await _list_group(spec, activity_module.get_activity)


_LIST_GROUP_DEFN: ActivityDefinition = list_group.__fanflow_activity__  # type: ignore[attr-defined]


def bind_list_group(activities: dict[str, ActivityDefinition], lookup: Callable[[str], ActivityDefinition]) -> None:
    """Put a group activity resolving names with ``lookup`` into a worker's activities."""

    async def list_group(spec: ListGroupSpec) -> None:
        await _list_group(spec, lookup)

    activities[LIST_GROUP_ACTIVITY] = dataclasses.replace(_LIST_GROUP_DEFN, fn=list_group)


async def _list_group(spec: ListGroupSpec, lookup: Callable[[str], ActivityDefinition]) -> None:
    from .offset_executor import _item_failures  # one format for every executor's item failures

    defn = lookup(spec.activity)
    shape = CallShape.of(defn)
    parent = ActivityContext.current()
    client = parent.client if parent is not None else None
    if parent is None or client is None:
        raise ApplicationError(f"{LIST_GROUP_ACTIVITY} runs on a worker (it stores results with the worker's client)", non_retryable=True)
    info = parent.info
    end = spec.start + len(spec.items)
    writer = ResultWriter(client, info.workflow_id, spec.executor_id)
    stored: set[int] = set()
    if info.attempt > 1:  # a retry: the items an earlier attempt finished are not run again
        stored = await stored_indexes(client, info.workflow_id, spec.executor_id, spec.start, end)
    done = len(stored)

    def beat(_details: Any = None) -> None:
        # An item's heartbeat is the group's liveness; its details are not kept (the group's
        # progress is the store).
        if parent.heartbeat is not None:
            parent.heartbeat({"start": spec.start, "end": end, "done": done})

    item_info = dataclasses.replace(info, activity_type=defn.name, heartbeat_details=None)

    async def one(idx: int) -> None:
        nonlocal done
        where = f"item at index {idx}"
        ctx = ActivityContext(info=item_info, heartbeat=beat, client=None, dependencies=parent.dependencies)
        ctx.cancel_requested = parent.cancel_requested
        try:
            kwargs = shape.validate(spec.items[idx - spec.start], where)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidItem", non_retryable=True) from None
        with ctx.activate():
            result = await call_directly(defn, kwargs)
        writer.add(idx, result)
        done += 1

    todo = [i for i in range(spec.start, end) if i not in stored]
    outcomes = await asyncio.gather(*(one(i) for i in todo), return_exceptions=True)
    failures = [(i, exc) for i, exc in zip(todo, outcomes) if isinstance(exc, BaseException)]
    writer.add_failed(len(failures), _item_failures(failures, defn.name, info.attempt))
    await writer.close()  # what finished is stored even when others failed
    if not failures:
        return None
    idx, exc = failures[0]
    if isinstance(exc, asyncio.CancelledError):
        raise exc
    kind = exc.type if isinstance(exc, ApplicationError) and exc.type else type(exc).__name__
    # Retrying helps only when every failed item may be retried.
    final = any(bool(getattr(e, "non_retryable", False)) for _, e in failures)
    raise ApplicationError(
        f"{len(failures)} of {len(spec.items)} items of list group [{spec.start}, {end}) failed; first: item at index {idx}: {kind}: {exc}",
        type=kind,
        non_retryable=final,
    ) from exc
