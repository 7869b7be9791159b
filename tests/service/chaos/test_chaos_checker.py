"""The chaos checker (chaos/checker.py) on a real cluster's records: a clean run passes,
and a duplicate, a gap and a lost item planted in a shard's SQLite file are each caught
and named (a checker that cannot fail proves nothing)."""
from __future__ import annotations

import sqlite3

from chaos import checker
from chaos.workflows import ChaosList, ChaosTimers, chaos_item, chaos_tick, list_result, timers_result
from protos import common_pb2
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
