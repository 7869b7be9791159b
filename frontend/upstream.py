"""Calling history and matching: error context, deadlines, concurrent fan-out."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import NoReturn, TypeVar

import grpc

from fanflow.errors import FanflowError

T = TypeVar("T")

# Codes that say something about the path to the upstream service rather than
# about the request: we prefix their message with which service we called.
_TRANSPORT_CODES = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.UNKNOWN,
}


class UpstreamError(FanflowError):
    """An error a service we called answered, with its status code kept."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


@contextlib.contextmanager
def upstream(target: str) -> Iterator[None]:
    """Name `target` (e.g. "history shard 3 (history-0 at 10.0.0.5:7234)") in
    transport errors; business errors (NOT_FOUND, ALREADY_EXISTS, ...) pass
    through untouched so the client sees history's own message."""
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        _raise_translated(exc, lambda detail: f"{target}: {detail}")


@contextlib.contextmanager
def upstream_answer(target: str) -> Iterator[None]:
    """Like `upstream`, for calls whose UNAVAILABLE / DEADLINE_EXCEEDED is usually the
    upstream's own answer (no worker took a query, none answered in time) rather than a
    failure to reach it: its message comes first, `target` after it."""
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        _raise_translated(exc, lambda detail: f"{detail} (from {target})")


def _raise_translated(exc: grpc.aio.AioRpcError, message: Callable[[str], str]) -> NoReturn:
    """A transport failure becomes an UpstreamError (CANCELLED read as UNAVAILABLE); any
    other status is re-raised as it came."""
    code = exc.code()
    if code not in _TRANSPORT_CODES:
        raise exc
    if code == grpc.StatusCode.CANCELLED:
        code = grpc.StatusCode.UNAVAILABLE
    raise UpstreamError(code, message(exc.details() or code.name)) from exc


def deadline(context: grpc.aio.ServicerContext | None, budget: float) -> float:
    """The upstream deadline: `budget` seconds, but never past our caller's own deadline."""
    if context is None:
        return budget
    remaining = context.time_remaining()
    if remaining is None:
        return budget
    return max(0.001, min(budget, remaining))


async def gather_all(aws: Iterable[Awaitable[T]]) -> list[T]:
    """Run concurrently; on the first failure cancel the rest and raise it."""
    tasks: list[asyncio.Task] = []
    try:
        async with asyncio.TaskGroup() as group:
            for aw in aws:
                tasks.append(group.create_task(_as_coro(aw)))
    except BaseExceptionGroup as group_error:
        raise _first_leaf(group_error) from None
    return [task.result() for task in tasks]


async def _as_coro(aw: Awaitable[T]) -> T:
    return await aw


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
