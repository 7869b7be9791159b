"""Cluster-wide activity rate limits: at most ``max_execution`` starts per ``time_window`` on one
task queue, metered by the matching process that holds the queue's partition 0.

The SDK sends a rate-limited activity (``@activity(rate_limit=RateLimit(...))``) to a queue of its
own (``<task queue>/rate-limited/<key>``, activities with the same key share it) and each task
carries its ``ActivityRateLimit``. History hands every such task to partition 0 and workers poll
that queue at partition 0 only, so one process sees every start. Matching never sync-matches
these tasks: they are stored, and a poll takes one only when the window has a free slot.

**The window.** A start takes a slot from when matching decides to dispatch the task (before it
asks history to start it) until one ``time_window`` after history answered. History records the
start (ActivityTaskStarted's time) in between, so two starts that share a slot are at least one
window apart in history too: no window of history holds more than ``max_execution`` starts. A
task history refuses as stale gives its slot back; an unknown outcome (history did not answer,
the poll went away) keeps it, as if it started.

**Across a restart.** Each start is written to the backlog file before history is asked
(``Backlog.record_start``), held until ``now + window + HISTORY_MARGIN`` (history answers within
``matching.matcher.HISTORY_CALL_TIMEOUT``), then shortened to ``answer + window`` with a lazy
write. A restarted process reads back the starts still in their window, so the limit holds across
a crash; at worst a start whose shortening was lost holds its slot up to ``HISTORY_MARGIN``
longer. Rows past their window are deleted by the housekeeping sweep.

Times are the matching process's wall clock; history's clock is assumed to agree with it (one
host, or synchronised clocks: a skew of s lets a window of history hold starts s apart).
"""
from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass

from matching.keys import QueueKey
from matching.persistence.store import Backlog
from protos import common_pb2

#: How long history may take to answer RecordActivityTaskStarted (HISTORY_CALL_TIMEOUT), plus slack.
HISTORY_MARGIN_NS = 11 * 1_000_000_000


@dataclass(eq=False, slots=True)
class Reservation:
    """One start's slot in its queue's window, held until ``until_ns``."""

    key: QueueKey
    until_ns: int
    window_ns: int
    record_id: int = 0  # its row in the backlog file (0: not written)
    live: bool = True


class _Window:
    """The slots held on one queue: a heap of (until, seq, reservation); an entry whose
    reservation moved on (released, or its until changed) is skipped when it surfaces."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, Reservation]] = []
        self.held = 0

    def add(self, reservation: Reservation, seq: int) -> None:
        heapq.heappush(self.heap, (reservation.until_ns, seq, reservation))

    def purge(self, now_ns: int) -> None:
        heap = self.heap
        while heap:
            until, _, reservation = heap[0]
            current = reservation.live and reservation.until_ns == until
            if current and until > now_ns:
                return
            heapq.heappop(heap)
            if current:  # its window passed: the slot is free
                reservation.live = False
                self.held -= 1

    def next_free_ns(self) -> int:
        return self.heap[0][0]  # after purge, the earliest current entry


class StartMeter:
    """The rate limits of the rate-limited queues this matching process dispatches."""

    def __init__(self, backlog: Backlog) -> None:
        self._backlog = backlog
        self._windows: dict[QueueKey, _Window] = {}
        self._seq = itertools.count()
        self.refused = 0  # polls that found the window full (observability)

    async def restore(self) -> int:
        """Take back the slots of starts made before a restart; how many are still held."""
        now = time.time_ns()
        count = 0
        for start in await self._backlog.starts(now):
            reservation = Reservation(start.key, start.until_ns, 0, record_id=start.id)
            self._window(start.key).add(reservation, next(self._seq))
            self._windows[start.key].held += 1
            count += 1
        return count

    def _window(self, key: QueueKey) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        return window

    async def reserve(self, key: QueueKey, limit: common_pb2.ActivityRateLimit) -> Reservation | float:
        """A slot for one start, written to the backlog file; or, when the window is full, the
        seconds until a slot frees. Raises what the write raised (the slot is given back)."""
        now = time.time_ns()
        window = self._window(key)
        window.purge(now)
        if window.held >= limit.max_execution:
            self.refused += 1
            return max(window.next_free_ns() - now, 0) / 1e9
        window_ns = limit.time_window.ToNanoseconds()
        reservation = Reservation(key, now + window_ns + HISTORY_MARGIN_NS, window_ns)
        window.add(reservation, next(self._seq))
        window.held += 1
        try:
            reservation.record_id = await self._backlog.record_start(key, reservation.until_ns)
        except BaseException:
            self._free(reservation)
            raise
        return reservation

    def started(self, reservation: Reservation) -> None:
        """History answered (it started the task), or the outcome is unknown: hold the slot one
        window from now."""
        if not reservation.live:
            return
        reservation.until_ns = time.time_ns() + reservation.window_ns
        self._window(reservation.key).add(reservation, next(self._seq))
        if reservation.record_id:
            self._backlog.update_start_later(reservation.record_id, reservation.until_ns)

    def not_started(self, reservation: Reservation) -> None:
        """History refused the task (stale) or it was not sent: the slot is free again."""
        if not reservation.live:
            return
        self._free(reservation)
        if reservation.record_id:
            self._backlog.delete_start_later(reservation.record_id)

    def _free(self, reservation: Reservation) -> None:
        if reservation.live:
            reservation.live = False
            self._windows[reservation.key].held -= 1

    def evict_idle(self) -> None:
        """Forget the queues whose windows are empty."""
        now = time.time_ns()
        for key in list(self._windows):
            window = self._windows[key]
            window.purge(now)
            if window.held == 0:
                del self._windows[key]

    def held(self, key: QueueKey) -> int:
        """Slots held on a queue now (its starts within their window)."""
        window = self._windows.get(key)
        if window is None:
            return 0
        window.purge(time.time_ns())
        return window.held
