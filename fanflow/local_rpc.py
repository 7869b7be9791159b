"""In-process calls between services that share a process.

When the embedded cluster (or `fanflow dev`) runs frontend, history and
matching in one process, a call from one to another need not go through
protobuf serialisation, HTTP/2 and the gRPC event machinery: `LocalStub`
calls the servicer's coroutine directly, with a `LocalContext` that offers the
slice of `grpc.aio.ServicerContext` our servicers use. Errors come back as
`grpc.aio.AioRpcError`, exactly as over the wire, so callers cannot tell the
difference. Processes on their own still talk gRPC.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc

_LOCAL: dict[str, Any] = {}  # address -> servicer living in this process


def register(address: str, servicer: Any) -> None:
    _LOCAL[address] = servicer


def unregister(address: str) -> None:
    _LOCAL.pop(address, None)


def local_servicer(address: str) -> Any | None:
    return _LOCAL.get(address)


class LocalAbort(grpc.aio.AbortError):
    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(details)
        self.code, self.details = code, details


class LocalContext:
    def __init__(self, timeout: float | None, metadata):
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._metadata = tuple(metadata or ())

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata=()) -> None:
        raise LocalAbort(code, details)

    def time_remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    def invocation_metadata(self):
        return self._metadata

    def peer(self) -> str:
        return "in-process"

    def cancelled(self) -> bool:
        return False


def _error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


class LocalStub:
    """Looks like a generated stub: `await stub.Method(request, timeout=..., metadata=...)`."""

    def __init__(self, servicer: Any):
        self._servicer = servicer

    def __getattr__(self, method: str):
        handler = getattr(self._servicer, method)

        async def call(request, timeout: float | None = None, metadata=None, **_ignored):
            context = LocalContext(timeout, metadata)
            try:
                if timeout is None:
                    return await handler(request, context)
                async with asyncio.timeout(timeout):  # no extra task, unlike wait_for on 3.11
                    return await handler(request, context)
            except LocalAbort as exc:
                raise _error(exc.code, exc.details) from None
            except asyncio.TimeoutError:
                raise _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded") from None

        return call
