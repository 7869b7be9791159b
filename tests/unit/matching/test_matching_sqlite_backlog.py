"""Matching's backlog on one SQLite file (matching/persistence/sqlite.py): adds group-committed
and acknowledged only once committed, lazy deletes, reads in id order, a bad synchronous
setting refused by name, and a file written before tasks could expire upgraded in place."""
from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from matching.keys import PartitionKey, QueueKey
from matching.persistence.sqlite import SqliteBacklog as Backlog
from support.matching_tasks import NS, TQ, WF, expiring, make_task


async def test_group_commit_acks_only_committed_rows(tmp_path):
    seen: list = []
    backlog = Backlog(tmp_path / "sub" / "b.db", "FULL", on_committed=seen.append)
    await backlog.open()
    key = PartitionKey(QueueKey(NS, TQ, WF), 0)
    ids = await asyncio.gather(*(backlog.insert(key, make_task(f"wf-{i}")) for i in range(50)))
    assert len(set(ids)) == 50 and ids == sorted(ids)
    with sqlite3.connect(tmp_path / "sub" / "b.db") as db:
        assert db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 50
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sum(c[key] for c in seen) == 50
    assert len(seen) < 50  # several adds shared a transaction

    for task_id in ids[:20]:
        backlog.delete_later(task_id)
    await backlog.flush()
    assert await backlog.count(key) == 30
    assert [t.id for t in await backlog.read(key, after_id=ids[25], limit=3)] == ids[26:29]
    await backlog.close()
    with pytest.raises(Exception):
        await backlog.insert(key, make_task("late"))


def test_bad_synchronous_setting_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        Backlog(tmp_path / "x.db", "FULL; DROP TABLE tasks")


async def test_a_backlog_file_from_before_expiry_is_upgraded(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE tasks (id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, task_queue TEXT NOT NULL,"
            " task_type INTEGER NOT NULL, partition INTEGER NOT NULL, data BLOB NOT NULL);"
        )
        db.execute("INSERT INTO tasks VALUES (1, ?, ?, ?, 0, ?)", (NS, TQ, WF, make_task("wf-old").SerializeToString()))
    backlog = Backlog(path, "FULL")
    await backlog.open()
    key = PartitionKey(QueueKey(NS, TQ, WF), 0)
    await backlog.insert(key, make_task("wf-new", **expiring(-1)))
    assert await backlog.delete_expired(time.time_ns()) == 1
    assert [t.task.workflow_id for t in await backlog.read(key, 0, 10)] == ["wf-old"]
    await backlog.close()
