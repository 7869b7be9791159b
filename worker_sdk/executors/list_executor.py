"""The List executor (``items=``): a sliding window over the items; at most
``max_concurrent_scheduled_tasks`` items are in flight at any moment (the next is scheduled
only when one finishes). Every item is checked against the activity's type hints before
anything is scheduled. Inside a workflow, two dispatch paths:

* **groups** (a window of at least ``list_group.GROUP_MIN_WINDOW`` items; runs recorded with
  the ``fanflow.list-groups`` patch marker): consecutive items travel together in one
  ``fanflow.list_group`` activity, ``cap // group size`` groups pending (``list_group``);
* **one activity per item**, scheduled with a ``result_sink`` ``(executor id, item index)``:
  history stores its result beside history.
"""
from __future__ import annotations

import asyncio
from typing import Any

from .. import converter
from ..activity import ActivityDefinition
from .checkpoint import ExecutorRun, new_run
from .list_group import GROUP_BYTES, ListGroupSpec, group_size, groups_apply, list_group_definition
from .results import result_list
from .shape import CallShape, run_activity
from .window import ExecutorState, gather_or_cancel, sliding_window

__all__ = ["run_list", "LIST_GROUPS_PATCH"]

#: The patch id under which List executors dispatch their items in groups; runs recorded
#: without its marker replay with one activity per item.
LIST_GROUPS_PATCH = "fanflow.list-groups"


async def run_list(defn: ActivityDefinition, items: list[Any], cap: int, extra_params: dict[str, Any] | None) -> None | list:
    shape = CallShape.of(defn)
    run = new_run("list", defn)
    total = len(items)
    if run is not None:
        run.check_total(total)
        run.marker(total)
        if run.checkpoint.get("done"):
            return await run.finish(total)
    calls: list[dict[str, Any]] = []
    sizes: list[int] = []
    if run is None or not run.checkpoint:
        for i, item in enumerate(items):  # all checked before anything runs (first run)
            where = f"item at index {i}"
            raw = shape.raw_kwargs(item, extra_params, where)
            shape.validate(raw, where)
            try:
                sizes.append(len(converter.to_json_bytes(raw)))
            except TypeError as exc:
                raise ValueError(f"{where} cannot be sent to activity {defn.name!r}: {exc}") from None
            calls.append(raw)
    state = ExecutorState("list", total=total, cursor=int(run.checkpoint.get("cursor", 0)) if run is not None else 0)
    if run is not None and total > state.cursor and groups_apply(defn, cap) and run.host.patched(LIST_GROUPS_PATCH):
        def call(i: int) -> tuple[dict[str, Any], int]:
            if calls:
                return calls[i], sizes[i]
            raw = shape.raw_kwargs(items[i], extra_params, f"item at index {i}")
            return raw, len(converter.to_json_bytes(raw))

        await _grouped_window(defn, state, cap, call, run)
        if state.cursor < total:
            await run.continue_as_new({"cursor": state.cursor, "total": total})
        return await run.finish(total)

    async def unit(i: int) -> Any:
        raw = calls[i] if calls else shape.raw_kwargs(items[i], extra_params, f"item at index {i}")
        if run is None:
            return await run_activity(defn, raw)
        return await run_activity(defn, raw, sink=(run.executor_id, i))

    await sliding_window(state, cap, unit, run)
    if run is None:
        return result_list([state.results[i] for i in range(total)], defn.return_type)
    if state.cursor < total:
        await run.continue_as_new({"cursor": state.cursor, "total": total})
    return await run.finish(total)


async def _grouped_window(defn: ActivityDefinition, state: ExecutorState, cap: int, call: Any, run: ExecutorRun) -> None:
    """The sliding window over groups of items: ``cap // size`` lanes, each takes the next
    group (up to ``size`` items from the cursor, at most ``GROUP_BYTES`` of input) when its
    own finished; deterministic (lanes run in FIFO order on the workflow loop). Stops taking
    groups when the run should continue as new; returns once the groups in flight finished."""
    size = group_size(cap)
    group_defn = list_group_definition(defn)
    total = state.total
    assert total is not None

    def next_group() -> ListGroupSpec:
        start = state.cursor
        raws: list[dict[str, Any]] = []
        used = 0
        while state.cursor < total and len(raws) < size:
            raw, n = call(state.cursor)
            if raws and used + n > GROUP_BYTES:
                break
            raws.append(converter.to_jsonable(raw))
            used += n
            state.cursor += 1
        return ListGroupSpec(activity=defn.name, executor_id=run.executor_id, start=start, items=raws)

    async def lane() -> None:
        while not state.failed and state.cursor < total and not run.should_stop():
            spec = next_group()
            n = len(spec.items)
            state.in_flight.add(spec.start)
            state.peak_in_flight = max(state.peak_in_flight, len(state.in_flight))
            try:
                await run_activity(group_defn, {"spec": spec})
            except BaseException:
                state.failed = True
                raise
            state.in_flight.discard(spec.start)
            run.finished_in_run += n
            # as sliding_window: let every result of this workflow task land first
            await asyncio.sleep(0)

    run.track(lambda: len(state.in_flight))
    lanes = [asyncio.ensure_future(lane()) for _ in range(max(1, cap // size))]
    await gather_or_cancel(lanes)
