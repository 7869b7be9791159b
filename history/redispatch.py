"""Re-dispatch after matching's layout changed (hosts added, removed or reordered,
or another partition count): a matching process that was removed may hold tasks in
its file that nobody will ever serve, so the shard queues every undelivered task
of its running runs again, then records the layout it now runs with."""
from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from fanflow import clock

if TYPE_CHECKING:
    from history.shard import Shard

log = structlog.get_logger("fanflow.history.shard")

LAYOUT_SETTING = "matching_layout"  # the shard setting holding the layout the shard last ran with


async def redispatch_after_layout_change(shard: "Shard") -> None:
    """Queue the tasks again, and only then record the new layout, so a crash or a lost
    shard midway means the next owner does it all again (duplicates are refused as stale)."""
    store = shard.store
    recorded = await store.setting(LAYOUT_SETTING)
    if recorded == shard.matching_layout:
        return
    if recorded is None:
        # First start (or a file from before this check): nothing was sent under another layout
        # that we know of. Record it, so the next change is noticed.
        await store.put_setting(LAYOUT_SETTING, shard.matching_layout)
        return
    runs = tasks = 0
    try:
        for key in await store.running_runs():
            async with shard.locks.hold(key[:2]):
                run = await shard.load(key)
                if run is None or not run.running:
                    continue
                queued = run.queue_undelivered_tasks(clock.now_ns())
                if queued:
                    await shard.commit(run, run.take_mutation())
                    runs, tasks = runs + 1, tasks + queued
        await store.put_setting(LAYOUT_SETTING, shard.matching_layout)
    except Exception as exc:  # e.g. the shard was taken over: its next owner does it all again
        log.error("re-queueing undelivered tasks after a matching layout change failed", shard=shard.shard_id, error=repr(exc))
        return
    shard.tasks_redispatched += tasks
    log.info("matching layout changed: undelivered tasks queued again", shard=shard.shard_id, runs=runs, tasks=tasks)
