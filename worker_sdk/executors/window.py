"""The sliding window: units (List items, Offset groups) run with at most ``cap`` in flight;
a lane takes the next unit as soon as its own finished. All progress of one executor call
lives in one ``ExecutorState`` (cursor, units in flight, results).
"""
from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, Awaitable, Callable

from .checkpoint import ExecutorRun

__all__ = ["ExecutorState", "sliding_window", "complete_unit", "gather_or_cancel"]


@dataclasses.dataclass
class ExecutorState:
    """Everything one ``execute_activities_in_parallel`` call knows about its progress.

    ``cursor`` is the next unit to start (an item for List / Chain, a group for Offset);
    ``in_flight`` the units started and not finished; ``results`` the finished units' results
    by unit index. ``total`` is ``None`` for Chain until the fetch activity returned ``None``.
    """

    pattern: str
    total: int | None
    cursor: int = 0
    in_flight: set[int] = dataclasses.field(default_factory=set)
    results: dict[int, Any] = dataclasses.field(default_factory=dict)
    peak_in_flight: int = 0
    failed: bool = False

    def start(self) -> int:
        unit = self.cursor
        self.cursor += 1
        self.in_flight.add(unit)
        self.peak_in_flight = max(self.peak_in_flight, len(self.in_flight))
        return unit

    def finish(self, unit: int, result: Any) -> None:
        self.in_flight.discard(unit)
        self.results[unit] = result


async def sliding_window(state: ExecutorState, cap: int, run_unit: Callable[[int], Awaitable[Any]], run: ExecutorRun | None = None) -> None:
    """Run units ``state.cursor .. state.total-1`` with at most ``cap`` in flight (lanes pull
    the next unit when theirs finishes; deterministic: lanes run in FIFO order on the
    workflow loop). With ``run``, lanes stop taking units when the run should continue as
    new; the call returns once the units in flight finished (``state.cursor < total``)."""
    assert state.total is not None
    if run is not None:
        run.track(lambda: len(state.in_flight))

    async def lane() -> None:
        while not state.failed and state.cursor < state.total and not (run is not None and run.should_stop()):  # type: ignore[operator]
            unit = state.start()
            await complete_unit(state, unit, run_unit, run)
            # Let every result of this workflow task land before taking the next unit: a
            # failure that history recorded after other completions still stops us first.
            await asyncio.sleep(0)

    lanes = [asyncio.ensure_future(lane()) for _ in range(min(cap, state.total - state.cursor))]
    await gather_or_cancel(lanes)


async def complete_unit(state: ExecutorState, unit: int, run_unit: Callable[[int], Awaitable[Any]], run: ExecutorRun | None) -> None:
    """Run a started unit (``await run_unit(unit)``) and record the outcome: its result, or
    the executor failed."""
    try:
        result = await run_unit(unit)
    except BaseException:
        state.failed = True
        raise
    state.finish(unit, result)
    if run is not None:
        run.finished_in_run += 1


async def gather_or_cancel(tasks: list[asyncio.Future]) -> list[Any]:
    """``gather``, but the first failure cancels the others (no further work is started)."""
    try:
        return await asyncio.gather(*tasks)
    except (Exception, asyncio.CancelledError):  # not GeneratorExit: an evicted instance is being dropped
        for t in tasks:
            if not t.done():
                t.cancel()
        raise
