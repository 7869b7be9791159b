"""The List executor (``items=``): a sliding window over the items; at most
``max_concurrent_scheduled_tasks`` activity executions are pending at any moment (the next
one is scheduled only when one finishes). Every item is checked against the activity's type
hints before anything is scheduled. Inside a workflow each item is scheduled with a
``result_sink`` ``(executor id, item index)``: history stores its result beside history.
"""
from __future__ import annotations

from typing import Any

from .. import converter
from ..activity import ActivityDefinition
from .checkpoint import new_run
from .results import result_list
from .shape import CallShape, run_activity
from .window import ExecutorState, sliding_window

__all__ = ["run_list"]


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
    if run is None or not run.checkpoint:
        for i, item in enumerate(items):  # all checked before anything runs (first run)
            where = f"item at index {i}"
            raw = shape.raw_kwargs(item, extra_params, where)
            shape.validate(raw, where)
            try:
                converter.to_json_bytes(raw)
            except TypeError as exc:
                raise ValueError(f"{where} cannot be sent to activity {defn.name!r}: {exc}") from None
            calls.append(raw)
    state = ExecutorState("list", total=total, cursor=int(run.checkpoint.get("cursor", 0)) if run is not None else 0)

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
