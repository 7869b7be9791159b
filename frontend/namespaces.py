"""The frontend's cache of registered namespaces.

Namespaces live in history (cluster metadata, served by one history host; by default
the owner of shard 0). Every request names one, so
the frontend keeps the list in memory: a hit costs a dict lookup; a miss
refreshes from history, but at most once per `miss_refresh_interval` (so a
client hammering an unknown namespace cannot hammer history); and a background
task refreshes every `refresh_interval` so the cache follows registrations
made through other frontends.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import grpc
import structlog

from fanflow.errors import FanflowError, NotFound, Unavailable
from frontend.validation import show
from protos import admin_service_pb2

log = structlog.get_logger("fanflow.frontend")

Fetch = Callable[[], Awaitable[list[admin_service_pb2.NamespaceInfo]]]


class NamespaceCache:
    def __init__(
        self,
        fetch: Fetch,
        *,
        miss_refresh_interval: float = 1.0,
        refresh_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        source: str = "history (shard 0)",
    ):
        """source: who answers `fetch`, for error messages."""
        self._fetch = fetch
        self._source = source
        self._miss_refresh_interval = miss_refresh_interval
        self._refresh_interval = refresh_interval
        self._clock = clock
        self._by_name: dict[str, admin_service_pb2.NamespaceInfo] = {}
        self._last_attempt = float("-inf")
        self._last_error: str | None = None
        self._lock = asyncio.Lock()
        self._refresher: asyncio.Task | None = None
        self._closed = False
        self.refreshes = 0  # successful fetches, for tests and debugging

    # ------------------------------------------------------------ lookups

    def get(self, name: str) -> admin_service_pb2.NamespaceInfo | None:
        """Cached only; never calls history."""
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    async def require(self, name: str) -> admin_service_pb2.NamespaceInfo:
        """The namespace's info, or NotFound (or Unavailable if history cannot
        be asked and the namespace is not cached)."""
        self.ensure_refresher()
        info = self._by_name.get(name)
        if info is not None:
            return info
        # A refresh in flight may be about to bring it: wait for that one too.
        if self._lock.locked() or self._clock() - self._last_attempt >= self._miss_refresh_interval:
            with contextlib.suppress(Unavailable):  # reported below via _last_error
                await self.refresh(min_age=self._miss_refresh_interval)
            info = self._by_name.get(name)
            if info is not None:
                return info
        if self._last_error is not None:
            raise Unavailable(
                f"cannot check that namespace {show(name)} is registered: {self._source} did not answer: {self._last_error}"
            )
        raise NotFound(f"namespace {show(name)} is not registered; register it with AdminService/RegisterNamespace")

    # ------------------------------------------------------------ updates

    def put(self, info: admin_service_pb2.NamespaceInfo) -> None:
        """Record a namespace we just learned about (e.g. our own RegisterNamespace)."""
        self._by_name[info.name] = info

    def replace(self, infos: list[admin_service_pb2.NamespaceInfo]) -> None:
        self._by_name = {info.name: info for info in infos}
        self._last_error = None

    async def refresh(self, min_age: float = 0.0) -> list[admin_service_pb2.NamespaceInfo]:
        """Fetch the list from history (single-flight: callers that queued behind
        a refresh newer than `min_age` seconds reuse its result)."""
        requested_at = self._clock()
        async with self._lock:
            if min_age > 0 and self._last_attempt >= requested_at - min_age:
                # Someone refreshed while we waited for the lock: reuse that outcome.
                if self._last_error is not None:
                    raise Unavailable(f"cannot list namespaces: {self._source} did not answer: {self._last_error}")
                return list(self._by_name.values())
            self._last_attempt = self._clock()
            try:
                infos = list(await self._fetch())
            except grpc.aio.AioRpcError as exc:
                self._last_error = f"{exc.code().name}: {exc.details()}"
                log.warning("namespace refresh failed", error=self._last_error)
                raise Unavailable(f"cannot list namespaces: {self._source} did not answer: {self._last_error}") from exc
            except FanflowError as exc:
                self._last_error = exc.message
                log.warning("namespace refresh failed", error=self._last_error)
                raise Unavailable(f"cannot list namespaces: {exc.message}") from exc
            self.replace(infos)
            self.refreshes += 1
            return infos

    # ------------------------------------------------------------ background refresh

    def ensure_refresher(self) -> None:
        """Start the periodic refresh in the running loop (lazily: the cache is
        built before the server's loop runs)."""
        if self._closed or self._refresh_interval <= 0:
            return
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop(), name="namespace-refresh")

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_interval)
            try:
                await self.refresh()
            except Unavailable:
                pass  # logged in refresh(); keep serving from the cache
            except Exception:  # pragma: no cover - a bug must not kill the loop
                log.exception("namespace refresh crashed")

    async def close(self) -> None:
        self._closed = True
        task, self._refresher = self._refresher, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await task
