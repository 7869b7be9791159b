"""`KeyedLocks`: one asyncio.Lock per key, created on first use and dropped when
nobody holds or waits for it (history locks each workflow this way)."""
from __future__ import annotations

import asyncio
from collections.abc import Hashable


class KeyedLocks:
    """`async with locks.hold(key): ...` serialises everything done under one key."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}  # key -> (lock, holders and waiters)

    def hold(self, key: Hashable) -> "_Held":
        return _Held(self, key)

    def __len__(self) -> int:
        return len(self._locks)


class _Held:
    def __init__(self, owner: KeyedLocks, key: Hashable) -> None:
        self.owner, self.key = owner, key

    async def __aenter__(self) -> None:
        lock, users = self.owner._locks.get(self.key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self.owner._locks[self.key] = (lock, users + 1)
        self.lock = lock
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: no longer a user
            self._leave()
            raise

    async def __aexit__(self, *exc) -> None:
        self.lock.release()
        self._leave()

    def _leave(self) -> None:
        lock, users = self.owner._locks[self.key]
        if users <= 1:
            del self.owner._locks[self.key]
        else:
            self.owner._locks[self.key] = (lock, users - 1)
