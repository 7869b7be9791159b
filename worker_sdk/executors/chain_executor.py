"""The Chain executor (``get_item_from_prev_item_activity=``): the fetch activity runs
sequentially (``None`` first, then each item it returned, until it returns ``None``); each
fetched item is dispatched for processing at once while fetching continues. A
continue-as-new checkpoint keeps the cursor and the last item fetched.
"""
from __future__ import annotations

import asyncio
import functools
from typing import Any, Awaitable

from .. import converter
from ..activity import ActivityDefinition
from .checkpoint import new_run
from .results import result_list
from .shape import CallShape, run_activity
from .window import ExecutorState, complete_unit, gather_or_cancel

__all__ = ["run_chain"]


async def run_chain(defn: ActivityDefinition, fetch: ActivityDefinition, extra_params: dict[str, Any] | None) -> None | list:
    shape = CallShape.of(defn)
    fetch_shape = CallShape.of(fetch)
    if not fetch_shape.params:
        raise ValueError(f"'get_item_from_prev_item_activity' ({fetch.name!r}) must take the previous item as its parameter")
    prev_name = fetch_shape.params[0].name
    run = new_run("chain", defn)
    prev: Any = None
    state = ExecutorState("chain", total=None)
    if run is not None:
        if run.checkpoint.get("done"):
            run.marker(int(run.checkpoint["total"]))
            return await run.finish(int(run.checkpoint["total"]))
        run.marker(0)
        state.cursor = int(run.checkpoint.get("cursor", 0))
        prev = run.checkpoint.get("prev")
        # The items processing, and the one the next fetch dispatches (should_stop adds the fetch).
        run.track(lambda: len(state.in_flight) + 1)
    tasks: list[asyncio.Future] = []
    stopped = False

    def process(kwargs: dict[str, Any], i: int) -> Awaitable[Any]:
        return run_activity(defn, kwargs, sink=(run.executor_id, i) if run is not None else None)

    try:
        while not state.failed:
            if run is not None and run.should_stop():
                stopped = True
                break
            fetch_kwargs = {prev_name: prev}
            if extra_params is not None and any(p.name == "extra_params" for p in fetch_shape.params[1:]):
                fetch_kwargs["extra_params"] = extra_params
            item = await run_activity(fetch, fetch_kwargs)
            if item is None:
                break
            i = state.start()
            where = f"item at index {i} (from {fetch.name!r})"
            raw = shape.raw_kwargs(item, extra_params, where)
            shape.validate(raw, where)
            tasks.append(asyncio.ensure_future(complete_unit(state, i, functools.partial(process, raw), run)))
            prev = item
        if not stopped:
            state.total = state.cursor
        await gather_or_cancel(tasks)
    except (Exception, asyncio.CancelledError):  # not GeneratorExit (see gather_or_cancel)
        for t in tasks:
            if not t.done():
                t.cancel()
        raise
    if run is None:
        return result_list([state.results[i] for i in range(state.total)], defn.return_type)  # type: ignore[arg-type]
    if stopped:
        await run.continue_as_new({"cursor": state.cursor, "prev": converter.to_jsonable(prev)})
    run.marker(state.cursor)
    return await run.finish(state.cursor)
