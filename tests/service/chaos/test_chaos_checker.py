"""The chaos checker (chaos/checker.py) on a real cluster's records: a clean run passes,
and a duplicate, a gap and a lost item planted in a shard's SQLite file, or in PostgreSQL's
tables, are each caught and named (a checker that cannot fail proves nothing)."""
from __future__ import annotations

import sqlite3

import pytest

from chaos import checker
from chaos.workflows import ChaosList, ChaosTimers, chaos_item, chaos_tick, list_result, timers_result
from protos import common_pb2, persistence_pb2
from worker_sdk import Worker

QUEUE = "chaos-checker"


def _db_of(files, workflow_id):
    for path in files:
        db = sqlite3.connect(path)
        if db.execute("SELECT 1 FROM events WHERE workflow_id=?", (workflow_id,)).fetchone():
            return db
        db.close()
    raise AssertionError(f"no shard holds {workflow_id}")


async def test_the_checker_passes_a_clean_run_and_catches_what_is_planted(embedded_cluster, client):
    worker = await Worker(client, task_queue=QUEUE, workflows=[ChaosList, ChaosTimers], activities=[chaos_item, chaos_tick]).start()
    try:
        expected = [checker.Expected("planted-list", list_result(12), list_items=12),
                    checker.Expected("planted-timers", timers_result(2)),
                    checker.Expected("planted-clean", list_result(5), list_items=5)]
        await client.start_workflow(ChaosList, 12, id="planted-list", task_queue=QUEUE)
        await client.start_workflow(ChaosTimers, {"k": 2, "seconds": 0.2}, id="planted-timers", task_queue=QUEUE)
        await client.start_workflow(ChaosList, 5, id="planted-clean", task_queue=QUEUE)
        for exp in expected:
            assert await client.get_workflow_handle(exp.workflow_id).result(timeout=60) == exp.result
    finally:
        await worker.shutdown()
    files = sorted(embedded_cluster.config.data_dir.glob("history-shard-*.db"))

    clean = await checker.check(client, expected, files)
    assert clean.ok, clean.problems
    assert clean.workflows == 3 and clean.items == 17 and clean.timers == 2 and clean.activities >= 12 + 2 + 5

    # A duplicate: an event of planted-list rewritten as a second copy of an activity's completion.
    db = _db_of(files, "planted-list")
    rows = {n: common_pb2.HistoryEvent.FromString(d) for n, d in db.execute(
        "SELECT event_id, data FROM events WHERE workflow_id='planted-list' ORDER BY event_id")}
    completion = next(e for e in rows.values() if e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    victim = next(n for n, e in rows.items() if n > completion.event_id and e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    copy = common_pb2.HistoryEvent()
    copy.CopyFrom(completion)
    copy.event_id = victim
    with db:
        db.execute("UPDATE events SET data=? WHERE workflow_id='planted-list' AND event_id=?", (copy.SerializeToString(), victim))
    # A lost item: one stored result of planted-list gone.
    with db:
        db.execute("DELETE FROM executor_results WHERE workflow_id='planted-list' AND item_index=7")
    db.close()
    # A gap: an event in the middle of planted-timers deleted.
    db = _db_of(files, "planted-timers")
    with db:
        db.execute("DELETE FROM events WHERE workflow_id='planted-timers' AND event_id=5")
    db.close()

    # A write from a stale owner: planted-clean's state put back two events (what a fenced
    # process holding old state would write if its write were accepted).
    db = _db_of(files, "planted-clean")
    from protos import persistence_pb2

    (blob,) = db.execute("SELECT state FROM executions WHERE workflow_id='planted-clean'").fetchone()
    stale = persistence_pb2.ExecutionState.FromString(blob)
    stale.next_event_id -= 2
    with db:
        db.execute("UPDATE executions SET state=? WHERE workflow_id='planted-clean'", (stale.SerializeToString(),))
    db.close()

    report = await checker.check(client, expected, files)
    assert not report.ok
    assert report.duplicated >= 1 and any(p.startswith("duplicated: planted-list: activity scheduled at event "
                                                       f"{completion.activity_task_completed.scheduled_event_id} has 2 outcomes") for p in report.problems), report.problems
    assert report.gaps == 1 and "gaps: planted-timers: event ids 5..5 missing" in report.problems, report.problems
    assert "lost: planted-list: 1 item results not stored (first [7])" in report.problems, report.problems
    assert report.fenced_accepted == 1 and any(p.startswith("fenced_accepted: planted-clean/") and
                                               f"state says next event {stale.next_event_id}, the last event stored is {stale.next_event_id + 1}" in p
                                               for p in report.problems), report.problems
    assert len(report.problems) == report.duplicated + report.gaps + report.lost + report.fenced_accepted


@pytest.mark.backends("postgres")
async def test_the_checker_reads_postgresql_tables_and_catches_what_is_planted(embedded_cluster, client):
    """The same checks on PostgreSQL's tables (Records.from_postgres): a duplicate event and a
    duplicate item result written under another shard (as a wrong owner's write would be;
    the API never shows them), a gap, a lost item and a stale state."""
    import asyncpg

    worker = await Worker(client, task_queue=QUEUE, workflows=[ChaosList, ChaosTimers], activities=[chaos_item, chaos_tick]).start()
    try:
        expected = [checker.Expected("pg-planted-list", list_result(12), list_items=12),
                    checker.Expected("pg-planted-timers", timers_result(2)),
                    checker.Expected("pg-planted-clean", list_result(5), list_items=5)]
        await client.start_workflow(ChaosList, 12, id="pg-planted-list", task_queue=QUEUE)
        await client.start_workflow(ChaosTimers, {"k": 2, "seconds": 0.2}, id="pg-planted-timers", task_queue=QUEUE)
        await client.start_workflow(ChaosList, 5, id="pg-planted-clean", task_queue=QUEUE)
        for exp in expected:
            assert await client.get_workflow_handle(exp.workflow_id).result(timeout=60) == exp.result
    finally:
        await worker.shutdown()
    dsn = embedded_cluster.config.postgres_dsn

    clean = await checker.check(client, expected, postgres_dsn=dsn)
    assert clean.ok, clean.problems
    assert clean.workflows == 3 and clean.items == 17 and clean.timers == 2

    conn = await asyncpg.connect(dsn)
    try:
        shard = await conn.fetchval("SELECT shard_id FROM history_events WHERE workflow_id='pg-planted-list' LIMIT 1")
        other = shard + 1  # a shard that does not own the workflow
        await conn.execute("INSERT INTO history_events SELECT $1, namespace, workflow_id, run_id, event_id, data FROM history_events "
                           "WHERE workflow_id='pg-planted-list' AND event_id=3", other)
        await conn.execute("INSERT INTO executor_results SELECT $1, namespace, workflow_id, executor_id, item_index, data FROM executor_results "
                           "WHERE workflow_id='pg-planted-list' AND item_index=4", other)
        await conn.execute("DELETE FROM executor_results WHERE workflow_id='pg-planted-list' AND item_index=7")
        await conn.execute("DELETE FROM history_events WHERE workflow_id='pg-planted-timers' AND event_id=5")
        run_id, blob = await conn.fetchrow("SELECT run_id, state FROM executions WHERE workflow_id='pg-planted-clean'")
        stale = persistence_pb2.ExecutionState.FromString(blob)
        stale.next_event_id -= 2
        await conn.execute("UPDATE executions SET state=$1 WHERE workflow_id='pg-planted-clean'", stale.SerializeToString())
    finally:
        await conn.close()

    report = await checker.check(client, expected, postgres_dsn=dsn)
    assert not report.ok
    assert any(p.startswith("duplicated: pg-planted-list: run ") and p.endswith(": event id 3 stored 2 times (PostgreSQL)")
               for p in report.problems), report.problems
    assert "duplicated: pg-planted-list: item results stored more than once: [4]" in report.problems, report.problems
    assert "lost: pg-planted-list: 1 item results not stored (first [7])" in report.problems, report.problems
    assert report.gaps == 1 and "gaps: pg-planted-timers: event ids 5..5 missing" in report.problems, report.problems  # seen twice, counted once
    assert report.fenced_accepted == 1 and any(
        p == f"fenced_accepted: pg-planted-clean/{run_id}: state says next event {stale.next_event_id}, the last event stored is {stale.next_event_id + 1}"
        for p in report.problems), report.problems
    # duplicated: the event, the item, and the timer whose TimerStarted (event 5) was deleted firing unstarted
    assert (report.duplicated, report.lost) == (3, 1), report.problems
    assert len(report.problems) == report.duplicated + report.gaps + report.lost + report.fenced_accepted
