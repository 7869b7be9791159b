"""The Offset executor (``get_item_from_index_activity=`` + ``n_items=``) and its group
activity.

Indices are cut into groups of ``max_concurrent_executions_per_worker``; each group is ONE
execution of the internal activity ``fanflow.offset_group`` which, on the worker, calls the
user's fetch and processing functions directly for each index of its range (concurrently).
At most ``max_concurrent_scheduled_tasks`` groups are pending at once (the sliding window).
Inside a workflow a group stores its items' results beside history as they finish and a
retried group skips the indexes already stored; outside, it heartbeats the finished indices
with their results, so a retried group only runs the items not done yet.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import Any, Callable

from pydantic import BaseModel

from .. import activity as activity_module
from .. import converter
from ..activity import ActivityContext, ActivityDefinition, ActivityOptions
from ..exceptions import ApplicationError
from .checkpoint import new_run
from .results import READ_RESULTS_ACTIVITY, READ_RESULTS_DEFN, ResultWriter, result_list, stored_indexes
from .list_group import bind_list_group
from .shape import CallShape, call_directly, run_activity
from .window import ExecutorState, sliding_window
from protos import workflow_service_pb2 as ws

__all__ = ["ExtraItemParams", "GetItemFromIndexParams", "OFFSET_GROUP_ACTIVITY", "OffsetGroupSpec", "offset_group", "bind_offset_group", "run_offset"]

#: Registered name of the internal activity that runs one Offset group.
OFFSET_GROUP_ACTIVITY = "fanflow.offset_group"


class ExtraItemParams(BaseModel):
    """The ``extra_params`` an executor passes along to an item's activity (the seed's base
    class of ``GetItemFromIndexParams``)."""

    extra_params: Any | None = None


class GetItemFromIndexParams(ExtraItemParams):
    """What the Offset pattern's fetch activity receives for each index."""

    idx: int


class OffsetGroupSpec(BaseModel):
    """One group: the indexes ``[start, end)`` and the two activities, by name."""

    fetch: str
    process: str
    start: int
    end: int
    extra_params: dict[str, Any] | None = None
    #: Inside a workflow: results go beside history under this executor id (not in the
    #: group's result, not in heartbeats).
    executor_id: str | None = None


# ------------------------------------------------------ the group activity


@activity_module.activity(name=OFFSET_GROUP_ACTIVITY)
async def offset_group(spec: OffsetGroupSpec) -> list[Any]:
    """One Offset group: fetch + process each index of ``[start, end)`` concurrently.

    With ``spec.executor_id`` (inside a workflow) each item's result is stored beside history
    (``PutParallelResults``, batched) as soon as it is done, a retried attempt skips the indexes
    already stored, heartbeats only say how many are done (liveness) and the group returns
    ``[]``. Without (outside a workflow): finished indices and their (JSON) results are heartbeated as
    ``{"start": s, "end": e, "done": {"<idx>": result}}``; a retried attempt skips them. When
    items fail, the others' results are kept (heartbeat) and the attempt fails with the first
    failure. This registered version finds the user's activities in the global registry; a
    ``Worker`` runs a copy bound to its own activities first (``bind_offset_group``)."""
    return await _offset_group(spec, activity_module.get_activity)


def bind_offset_group(activities: dict[str, ActivityDefinition]) -> None:
    """Put a group activity that resolves names in ``activities`` first (then the global
    registry) into ``activities`` (a worker's name -> definition map), with the results
    reader; no-op when empty."""
    if not activities:
        return

    def lookup(name: str) -> ActivityDefinition:
        defn = activities.get(name)
        return defn if defn is not None else activity_module.get_activity(name)

    activities.setdefault(READ_RESULTS_ACTIVITY, READ_RESULTS_DEFN)

    async def offset_group(spec: OffsetGroupSpec) -> list[Any]:
        return await _offset_group(spec, lookup)

    activities[OFFSET_GROUP_ACTIVITY] = dataclasses.replace(_OFFSET_GROUP_DEFN, fn=offset_group)
    bind_list_group(activities, lookup)  # the List executor's groups run wherever user activities run


async def _offset_group(spec: OffsetGroupSpec, lookup: Callable[[str], ActivityDefinition]) -> list[Any]:
    fetch = lookup(spec.fetch)
    process = lookup(spec.process)
    fetch_shape, shape = CallShape.of(fetch), CallShape.of(process)
    parent = ActivityContext.current()
    info = activity_module.info()

    done: dict[int, Any] = {}
    client = parent.client if parent is not None else None
    writer: ResultWriter | None = None
    if spec.executor_id and client is not None:
        writer = ResultWriter(client, info.workflow_id, spec.executor_id)
        if info.attempt > 1:  # a retry: skip the items an earlier attempt stored
            for idx in await stored_indexes(client, info.workflow_id, spec.executor_id, spec.start, spec.end):
                done[idx] = None
    details = info.heartbeat_details
    if writer is None and info.attempt > 1 and isinstance(details, dict) and isinstance(details.get("done"), dict):
        for key, value in details["done"].items():
            try:
                idx = int(key)
            except ValueError:
                continue
            if spec.start <= idx < spec.end:
                done[idx] = value

    def record() -> None:
        if writer is not None:
            activity_module.heartbeat({"start": spec.start, "end": spec.end, "done": len(done)})
            return
        activity_module.heartbeat({"start": spec.start, "end": spec.end, "done": {str(k): v for k, v in sorted(done.items())}})

    async def one(idx: int) -> None:
        # The user's functions run with their own context: their heartbeats must not
        # overwrite the group's progress record.
        child_info = dataclasses.replace(info, heartbeat_details=None)
        deps = parent.dependencies if parent is not None else None  # the worker's Depends values
        ctx = ActivityContext(info=dataclasses.replace(child_info, activity_type=fetch.name), heartbeat=None, dependencies=deps)
        if parent is not None:
            ctx.cancel_requested = parent.cancel_requested
        where = f"item at index {idx} (from {fetch.name!r})"
        with ctx.activate():
            fetch_raw = fetch_shape.raw_kwargs({"idx": idx, "extra_params": spec.extra_params}, None, f"index {idx}")
            if fetch_shape.single:
                fetch_raw = {fetch_shape.params[0].name: GetItemFromIndexParams(idx=idx, extra_params=spec.extra_params)}
            item = await call_directly(fetch, fetch_shape.validate(fetch_raw, f"index {idx}"))
        try:
            kwargs = shape.validate(shape.raw_kwargs(converter.to_jsonable(item), spec.extra_params, where), where)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidItem", non_retryable=True) from None
        with ActivityContext(info=dataclasses.replace(child_info, activity_type=process.name), heartbeat=None, dependencies=deps).activate():
            result = await call_directly(process, kwargs)
        if writer is not None:
            writer.add(idx, result)
            done[idx] = None
        else:
            done[idx] = converter.to_jsonable(result)
        record()

    todo = [i for i in range(spec.start, spec.end) if i not in done]
    outcomes = await asyncio.gather(*(one(i) for i in todo), return_exceptions=True)
    failures = [(i, exc) for i, exc in zip(todo, outcomes) if isinstance(exc, BaseException)]
    if writer is not None:
        writer.add_failed(len(failures), _item_failures(failures, process.name, info.attempt))
        await writer.close()  # what finished is stored even when others failed
    if failures:
        record()
        idx, exc = failures[0]
        if isinstance(exc, asyncio.CancelledError):
            raise exc
        kind = exc.type if isinstance(exc, ApplicationError) and exc.type else type(exc).__name__
        raise ApplicationError(
            f"{len(failures)} of {spec.end - spec.start} items of offset group [{spec.start}, {spec.end}) failed; "
            f"first: item at index {idx}: {kind}: {exc}",
            type=kind,
            non_retryable=bool(getattr(exc, "non_retryable", False)),
        ) from exc
    if writer is not None:
        return []
    return [done[i] for i in range(spec.start, spec.end)]


def _item_failures(failures: list[tuple[int, BaseException]], activity_type: str, attempt: int) -> list[ws.ExecutorItemFailure]:
    """Executor item failures: what the web UI lists for each failed item of this group attempt
    (`final` when the error says no retry; the group's own retry policy decides the rest)."""
    return [
        ws.ExecutorItemFailure(
            index=idx, attempt=attempt, activity_type=activity_type, final=bool(getattr(exc, "non_retryable", False)),
            failure=converter.failure_from_exception(exc, source="activity"),
        )
        for idx, exc in failures if not isinstance(exc, asyncio.CancelledError)
    ]


_OFFSET_GROUP_DEFN: ActivityDefinition = offset_group.__fanflow_activity__  # type: ignore[attr-defined]


# ------------------------------------------------------ the workflow side


def _group_definition(fetch: ActivityDefinition, process: ActivityDefinition) -> ActivityDefinition:
    """The group activity with options derived from the user's two activities: the
    processing activity's retry policy and task queue; a start-to-close timeout long enough
    for one fetch then one process (items of a group run concurrently) when both set one."""
    def budget(o: ActivityOptions) -> datetime.timedelta | None:
        return o.start_to_close_timeout or o.schedule_to_close_timeout

    fetch_budget, process_budget = budget(fetch.options), budget(process.options)
    options = ActivityOptions(
        # Unset (history's default) unless both activities say how long they may take.
        start_to_close_timeout=fetch_budget + process_budget if fetch_budget and process_budget else None,
        retry_policy=process.options.retry_policy or fetch.options.retry_policy,
        task_queue=process.options.task_queue or fetch.options.task_queue,
    )
    return dataclasses.replace(_OFFSET_GROUP_DEFN, options=options)


async def run_offset(
    defn: ActivityDefinition,
    fetch: ActivityDefinition,
    n_items: int,
    group_size: int,
    cap: int,
    extra_params: dict[str, Any] | None,
) -> None | list:
    group_defn = _group_definition(fetch, defn)
    result_adapter = converter.type_adapter(defn.return_type)
    n_groups = -(-n_items // group_size)
    run = new_run("offset", defn)
    state = ExecutorState("offset", total=n_groups)
    if run is not None:
        run.check_total(n_items)
        run.marker(n_items)
        if run.checkpoint.get("done"):
            return await run.finish(n_items)
        if run.checkpoint and run.checkpoint.get("group_size") != group_size:
            raise ApplicationError(f"executor {run.executor_id}: the group size changed between runs", type="ExecutorItemsChanged", non_retryable=True)
        state.cursor = int(run.checkpoint.get("cursor", 0))

    async def unit(g: int) -> list[Any]:
        start, end = g * group_size, min(n_items, (g + 1) * group_size)
        spec = OffsetGroupSpec(
            fetch=fetch.name, process=defn.name, start=start, end=end, extra_params=extra_params,
            executor_id=run.executor_id if run is not None else None,
        )
        values = await run_activity(group_defn, {"spec": spec})
        return [result_adapter.validate_python(v) for v in values]

    await sliding_window(state, cap, unit, run)
    if run is None:
        results = {g * group_size + k: v for g, values in state.results.items() for k, v in enumerate(values)}
        return result_list([results[i] for i in range(n_items)], defn.return_type)
    if state.cursor < n_groups:
        await run.continue_as_new({"cursor": state.cursor, "total": n_items, "group_size": group_size})
    return await run.finish(n_items)
