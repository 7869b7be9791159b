"""The front half of a group-commit writer, shared by SQLite's (fanflow/sqlite.py GroupCommit) and
PostgreSQL's (fanflow/postgres.py PgGroupCommit): the queue of writes callers wait for, the lazy
writes that ride along, flush and close. Each writer keeps its own loop and commit step (how a
batch becomes one transaction differs entirely between the two databases)."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger("fanflow.group_commit")

W = TypeVar("W")


class WriteQueue(Generic[W]):
    """`write(item)` returns once the transaction holding it committed (or raises what went wrong
    with it). `write_later(item)` is not waited for: it rides with the next transaction, or gets
    one of its own after `linger` seconds. drain_on_close: close() commits what is queued first
    (else it fails queued writes with closed_error()). on_committed(items): after each commit,
    with the waited-for items it committed."""

    def __init__(
        self,
        *,
        name: str,
        max_batch: int | None,
        linger: float,
        drain_on_close: bool,
        closed_error: Callable[[], Exception],
        on_committed: Callable[[list[W]], None] | None,
    ):
        self.name = name
        self._max_batch = max_batch
        self._linger_seconds = linger
        self._drain_on_close = drain_on_close
        self._closed_error = closed_error
        self._on_committed = on_committed
        self._waited: list[tuple[W, asyncio.Future]] = []
        self._taken: list[tuple[W, asyncio.Future]] = []  # the waited-for writes of the batch in flight
        self._later: list[W] = []
        self._flush_waiters: list[asyncio.Future] = []
        self._wake = asyncio.Event()
        self._linger: asyncio.TimerHandle | None = None
        self._writer: asyncio.Task | None = None
        self._in_flight = False
        self._closing = False
        self.commits = 0  # transactions committed (observability)

    @property
    def closing(self) -> bool:
        return self._closing

    async def write(self, item: W) -> None:
        await self.submit(item)

    def submit(self, item: W) -> asyncio.Future:
        """`write` without the coroutine: queue `item` now; the future is resolved once its
        transaction committed (or fails with what went wrong)."""
        future = asyncio.get_running_loop().create_future()
        if self._closing or self._writer is None:
            future.set_exception(self._closed_error())
            return future
        self._waited.append((item, future))
        self._wake.set()
        return future

    def write_later(self, item: W) -> None:
        if self._closing or self._writer is None:
            return  # the caller accepted that a lazy write may be lost
        self._later.append(item)
        if self._linger is None and not self._wake.is_set():
            self._linger = asyncio.get_running_loop().call_later(self._linger_seconds, self._wake.set)

    async def flush(self) -> None:
        """Wait until everything queued so far (lazy writes too) is committed (or, on PostgreSQL,
        failed once: lazy writes that failed stay queued)."""
        if self._writer is None or self._writer.done():
            return
        if not self._waited and not self._later and not self._in_flight:
            return
        future = asyncio.get_running_loop().create_future()
        self._flush_waiters.append(future)
        self._wake.set()
        await future

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if not self._drain_on_close:
            waited, self._waited = self._waited, []
            for _, future in waited:
                if not future.done():
                    future.set_exception(self._closed_error())
            self._later.clear()
        self._wake.set()
        if self._writer is not None:
            await self._writer  # ends once nothing is queued (the batch in flight completes)
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None

    # ------------------------------------------------------------ for the writer loops
    async def _writer_loop(self, run: Callable[[], Awaitable[None]]) -> None:
        """The writer task: `run()`; however it ends (closed, cancelled, crashed), no write is
        left waiting for it."""
        try:
            await run()
        finally:
            # the batch in flight (its outcome unknown: it may still land) and the queued writes
            waited, self._waited = self._taken + self._waited, []
            self._taken = []
            for _, future in waited:
                if not future.done():
                    future.set_exception(self._closed_error())
            self._release_flush_waiters()

    def _take_batch(self) -> tuple[list[tuple[W, asyncio.Future]], list[W], list[W]]:
        """The next batch: (waited-for writes with their futures, lazy writes, all items in order)."""
        if self._max_batch is None:
            waited, self._waited = self._waited, []
        else:
            waited, self._waited = self._waited[: self._max_batch], self._waited[self._max_batch:]
        self._taken = waited
        later, self._later = self._later, []
        return waited, later, [item for item, _ in waited] + later

    def _stop_lingering(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None

    def _release_flush_waiters(self) -> None:
        for waiter in self._flush_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._flush_waiters.clear()

    def _settle(self, waited: list[tuple[W, asyncio.Future]], later: list[W], outcomes: Sequence[BaseException | None]) -> list[W]:
        """After a transaction: resolve each waited-for write's future with its outcome, queue the
        lazy writes that failed again (first), tell on_committed; the lazy writes that failed."""
        self._taken = []
        committed: list[W] = []
        for (item, future), outcome in zip(waited, outcomes):
            if outcome is None:
                committed.append(item)
            if not future.done():  # the caller may have given up; the write stands all the same
                if outcome is None:
                    future.set_result(None)
                else:
                    future.set_exception(outcome)
        retry = [item for item, outcome in zip(later, outcomes[len(waited):]) if outcome is not None]
        if retry and not self._closing:
            self._later = retry + self._later
        if committed and self._on_committed is not None:
            try:
                self._on_committed(committed)
            except Exception:
                log.exception("commit callback failed", database=self.name)
        return retry
