"""Matching's backlog on both backends (SQLite file, PostgreSQL database; `backlog_factory`):
adds acknowledged once committed and sharing transactions, ids growing in insertion order
per partition, lazy deletes, partitions kept apart, expired tasks swept, and everything still
there when the backlog is opened again."""
from __future__ import annotations

import asyncio
import time

from matching.keys import PartitionKey, QueueKey
from support.matching_tasks import NS, TQ, WF, expiring, make_task
from support.store_backends import backlog_factory  # noqa: F401  (fixture)


async def test_backlog_adds_reads_deletes_and_survives_reopening(backlog_factory):
    seen: list = []
    backlog = backlog_factory(on_committed=seen.append)
    await backlog.open()
    key = PartitionKey(QueueKey(NS, TQ, WF), 0)
    other = PartitionKey(QueueKey(NS, TQ, WF), 1)
    try:
        ids = await asyncio.gather(*(backlog.insert(key, make_task(f"wf-{i}")) for i in range(50)))
        assert len(set(ids)) == 50 and ids == sorted(ids)
        assert sum(c[key] for c in seen) == 50 and len(seen) < 50  # several adds shared a transaction
        other_id = await backlog.insert(other, make_task("wf-other"))
        assert await backlog.count(key) == 50 and await backlog.count(other) == 1
        assert set(await backlog.partitions()) == {key, other}
        for task_id in ids[:20]:
            backlog.delete_later(task_id)
        await backlog.flush()
        assert await backlog.count(key) == 30
        assert [t.id for t in await backlog.read(key, after_id=ids[25], limit=3)] == ids[26:29]
        assert [t.task.workflow_id for t in await backlog.read(other, 0, 10)] == ["wf-other"]
        await backlog.insert(key, make_task("wf-stale", **expiring(-1)))
        assert await backlog.delete_expired(time.time_ns()) == 1
    finally:
        await backlog.close()
    reopened = backlog_factory()
    await reopened.open()
    try:
        assert [t.id for t in await reopened.read(key, 0, 100)] == ids[20:]
        newer = await reopened.insert(key, make_task("wf-after-reopen"))
        assert newer > max(ids) and newer > other_id  # reads forward by id keep working across restarts
    finally:
        await reopened.close()
