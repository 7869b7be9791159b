"""Retention: closed runs are deleted `retention_hours` after they closed.

A sweep every so often deletes, page by page, the runs closed before the cutoff
(events, state, activities, recorded events; with a workflow's last run its
executor results and progress too), each under its workflow's lock, and drops
them from the cache. Running runs are never touched.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from fanflow import clock

if TYPE_CHECKING:
    from history.shard import Shard

log = structlog.get_logger("fanflow.history.shard")

SWEEP_EVERY = 60.0  # seconds between passes over closed runs past retention
PAGE = 500


class Retention:
    def __init__(self, shard: "Shard", retention_seconds: float):
        self._shard = shard
        self.retention_seconds = retention_seconds
        self.runs_deleted = 0  # observability

    def start(self) -> asyncio.Task:
        return asyncio.create_task(self._loop(), name=f"shard-{self._shard.shard_id}-retention")

    async def _loop(self) -> None:
        interval = min(SWEEP_EVERY, max(0.05, self.retention_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                while await self.delete_expired_runs() == PAGE:
                    pass  # more to do: go on at once
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # retried on the next sweep
                log.warning("retention sweep failed", shard=self._shard.shard_id, error=str(exc))

    async def delete_expired_runs(self) -> int:
        """Delete up to PAGE runs closed longer than the retention period ago."""
        shard = self._shard
        cutoff = clock.now_ns() - int(self.retention_seconds * 1e9)
        keys = await shard.store.closed_runs(cutoff, PAGE)
        for key in keys:
            async with shard.locks.hold(key[:2]):
                await shard.store.delete_run(key)
                shard.forget(key)
                self.runs_deleted += 1
        if keys:
            log.info("deleted runs past retention", shard=shard.shard_id, runs=len(keys), retention_hours=self.retention_seconds / 3600)
        return len(keys)
