"""The end-state checker: what the cluster's own records say after a run.

From the API (every workflow the run started and had acknowledged):
- closed COMPLETED with the right result (else `lost`);
- its history's event ids are 1, 2, 3, ... with no gap (`gaps`) and none twice (`duplicated`);
- every activity scheduled has one outcome event, never two (`duplicated`; none: `lost`);
- every timer started fired (or was canceled) once (`lost` / `duplicated`), none fired unstarted.
From the store's own tables (read-only): the history shards' SQLite files, or the
PostgreSQL database (`Records.from_sqlite` / `Records.from_postgres`):
- every item of a List executor has its result stored once (executor_results), indexes
  0..n-1 (`lost` for a missing one; on PostgreSQL a second row under another shard is a
  duplicate);
- every run's stored event ids, the runs a workflow continued from included, are 1..N with
  no gap and none twice (`gaps` / `duplicated`; a problem the API check saw already is not
  counted again);
- each run's mutable state agrees with its events (next_event_id = last event + 1): a write
  accepted from a fenced owner (stale state committed over newer) shows up here or as a
  gap/duplicate above (`fenced_accepted`).
Every problem is also listed in `problems`, so a failing run says what and where."""
from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from protos import common_pb2, persistence_pb2

E = common_pb2
ACTIVITY_OUTCOMES = {
    E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed",
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed",
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out",
    E.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "activity_task_canceled",
}


@dataclass
class Expected:
    """A workflow the run started (its start acknowledged) and what it must return."""

    workflow_id: str
    result: object
    list_items: int = 0  # a List executor's item count (results stored beside history)


@dataclass
class Report:
    workflows: int = 0
    events: int = 0
    activities: int = 0
    timers: int = 0
    items: int = 0
    lost: int = 0
    duplicated: int = 0
    gaps: int = 0
    fenced_accepted: int = 0
    problems: list[str] = field(default_factory=list)
    _seen: set = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return self.lost == self.duplicated == self.gaps == self.fenced_accepted == 0

    def problem(self, kind: str, text: str, key: tuple | None = None) -> None:
        """Count a problem; one with a `key` already counted (the same fault seen by two checks) is not counted again."""
        if key is not None:
            if key in self._seen:
                return
            self._seen.add(key)
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problems) < 200:
            self.problems.append(f"{kind}: {text}")

    def summary(self) -> str:
        return (f"workflows {self.workflows}, events {self.events}, activities {self.activities}, timers {self.timers}, "
                f"items {self.items}: lost {self.lost}, duplicated {self.duplicated}, event-id gaps {self.gaps}, "
                f"fenced writes accepted {self.fenced_accepted}")


def check_history(workflow_id: str, events: list[common_pb2.HistoryEvent], report: Report) -> None:
    """The checks of one run's history."""
    report.events += len(events)
    ids = [e.event_id for e in events]
    for event_id, count in Counter(ids).items():
        if count > 1:
            report.problem("duplicated", f"{workflow_id}: event id {event_id} {count} times", key=("event", workflow_id, event_id))
    expected = 1
    for event_id in sorted(set(ids)):
        if event_id != expected:
            report.problem("gaps", f"{workflow_id}: event ids {expected}..{event_id - 1} missing", key=("gap", workflow_id, expected, event_id))
        expected = event_id + 1
    scheduled = {e.event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    outcomes = Counter(getattr(e, ACTIVITY_OUTCOMES[e.event_type]).scheduled_event_id for e in events if e.event_type in ACTIVITY_OUTCOMES)
    report.activities += len(scheduled)
    for sid in scheduled:
        if outcomes[sid] == 0:
            report.problem("lost", f"{workflow_id}: activity scheduled at event {sid} has no outcome")
        elif outcomes[sid] > 1:
            report.problem("duplicated", f"{workflow_id}: activity scheduled at event {sid} has {outcomes[sid]} outcomes")
    for sid in set(outcomes) - scheduled:
        report.problem("duplicated", f"{workflow_id}: an outcome for activity {sid}, which was never scheduled")
    started = {e.event_id for e in events if e.event_type == E.EVENT_TYPE_TIMER_STARTED}
    ends = Counter([e.timer_fired.started_event_id for e in events if e.event_type == E.EVENT_TYPE_TIMER_FIRED]
                   + [e.timer_canceled.started_event_id for e in events if e.event_type == E.EVENT_TYPE_TIMER_CANCELED])
    report.timers += len(started)
    for sid in started:
        if ends[sid] == 0:
            tail = ", ".join(f"{e.event_id}:{E.EventType.Name(e.event_type).removeprefix('EVENT_TYPE_')}" for e in events[-6:])
            report.problem("lost", f"{workflow_id}: timer started at event {sid} never fired (last events: {tail})")
        elif ends[sid] > 1:
            report.problem("duplicated", f"{workflow_id}: timer started at event {sid} fired {ends[sid]} times")
    for sid in set(ends) - started:
        report.problem("duplicated", f"{workflow_id}: a timer fired that was never started (event {sid})")


async def check_workflows(client, expected: list[Expected], report: Report) -> None:
    """Result and history of every workflow, through the API."""
    for exp in expected:
        report.workflows += 1
        handle = client.get_workflow_handle(exp.workflow_id)
        try:
            result = await handle.result(timeout=3)  # the run waited for them already
        except Exception as exc:  # failed, still running, ...
            report.problem("lost", f"{exp.workflow_id}: no result ({type(exc).__name__}: {str(exc)[:200]})")
        else:
            if result != exp.result:
                report.problem("lost", f"{exp.workflow_id}: result {str(result)[:120]} is not the expected {str(exp.result)[:120]}")
        check_history(exp.workflow_id, await handle.history(), report)


@dataclass
class Records:
    """The rows the checker reads from the store, for the workflows it checks."""

    where: str
    items: list[tuple[str, int]] = field(default_factory=list)  # (workflow id, item index), one per stored result row
    events: list[tuple[str, str, int]] = field(default_factory=list)  # (workflow id, run id, event id), one per stored event row
    states: list[tuple[str, str, bytes]] = field(default_factory=list)  # (workflow id, run id, serialized ExecutionState)
    timers: list[tuple[int, bytes]] = field(default_factory=list)  # (fire at, serialized TimerTask): every pending timer row

    @classmethod
    def from_sqlite(cls, files: list[Path], workflow_ids: set[str], namespace: str = "default") -> "Records":
        """The history shards' SQLite files, opened read-only."""
        records = cls(where="the shard files")
        for path in files:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                records.items += [r for r in db.execute("SELECT workflow_id, item_index FROM executor_results WHERE namespace=?", (namespace,))
                                  if r[0] in workflow_ids]
                records.events += [r for r in db.execute("SELECT workflow_id, run_id, event_id FROM events WHERE namespace=?", (namespace,))
                                   if r[0] in workflow_ids]
                records.states += [r for r in db.execute("SELECT workflow_id, run_id, state FROM executions WHERE namespace=?", (namespace,))
                                   if r[0] in workflow_ids]
                records.timers += list(db.execute("SELECT fire_at_ns, data FROM timers"))
            finally:
                db.close()
        return records

    @classmethod
    async def from_postgres(cls, dsn: str, workflow_ids: set[str], namespace: str = "default") -> "Records":
        """The PostgreSQL database's tables (every shard's rows: a row under a wrong shard counts too)."""
        import asyncpg

        ids = sorted(workflow_ids)
        conn = await asyncpg.connect(dsn, timeout=30)
        try:
            records = cls(where="PostgreSQL")
            records.items = [tuple(r) for r in await conn.fetch(
                "SELECT workflow_id, item_index FROM executor_results WHERE namespace=$1 AND workflow_id = ANY($2::text[])", namespace, ids)]
            records.events = [tuple(r) for r in await conn.fetch(
                "SELECT workflow_id, run_id, event_id FROM history_events WHERE namespace=$1 AND workflow_id = ANY($2::text[])", namespace, ids)]
            records.states = [tuple(r) for r in await conn.fetch(
                "SELECT workflow_id, run_id, state FROM executions WHERE namespace=$1 AND workflow_id = ANY($2::text[])", namespace, ids)]
            records.timers = [tuple(r) for r in await conn.fetch("SELECT fire_at_ns, data FROM timers")]
        finally:
            await conn.close()
        return records


def check_records(records: Records, expected: list[Expected], report: Report) -> None:
    """Executor results, stored event ids and mutable state against events, in the store's own rows."""
    per_run: dict[tuple[str, str], Counter] = {}
    for wid, rid, event_id in records.events:
        per_run.setdefault((wid, rid), Counter())[event_id] += 1
    for (wid, rid), counts in sorted(per_run.items()):
        for event_id, count in sorted(counts.items()):
            if count > 1:
                report.problem("duplicated", f"{wid}: run {rid}: event id {event_id} stored {count} times ({records.where})",
                               key=("event", wid, event_id))
        expected_id = 1
        for event_id in sorted(counts):
            if event_id != expected_id:
                report.problem("gaps", f"{wid}: run {rid}: event ids {expected_id}..{event_id - 1} not stored ({records.where})",
                               key=("gap", wid, expected_id, event_id))
            expected_id = event_id + 1
    user_timer_rows = {}
    for fire_at, blob in records.timers:
        task = persistence_pb2.TimerTask.FromString(bytes(blob))
        if task.kind == persistence_pb2.TIMER_TASK_KIND_USER_TIMER:
            user_timer_rows[(task.workflow_id, task.run_id, task.timer_id)] = fire_at
    for wid, rid, blob in records.states:
        state = persistence_pb2.ExecutionState.FromString(bytes(blob))
        if state.status == common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
            for timer_id, info in state.timers.items():  # what a stuck timer looks like in the store (not counted again)
                fire_at = user_timer_rows.get((wid, rid, timer_id))
                where = "no timer row" if fire_at is None else f"its row fires at {fire_at} ns"
                report.problems.append(f"detail: {wid}/{rid}: pending timer {timer_id} (started at event {info.started_event_id}): "
                                       f"{where}; state next event {state.next_event_id}")
        counts = per_run.get((wid, rid))
        if counts and state.next_event_id != max(counts) + 1:
            report.problem("fenced_accepted", f"{wid}/{rid}: state says next event {state.next_event_id}, "
                                              f"the last event stored is {max(counts)}")
    lists = {e.workflow_id: e.list_items for e in expected if e.list_items}
    seen: dict[str, Counter] = {wid: Counter() for wid in lists}
    for wid, index in records.items:
        if wid in seen:
            seen[wid][index] += 1
    for wid, n in lists.items():
        report.items += n
        counts = seen[wid]
        missing = [i for i in range(n) if counts[i] == 0]
        if missing:
            report.problem("lost", f"{wid}: {len(missing)} item results not stored (first {missing[:5]})")
        twice = [i for i, c in counts.items() if c > 1]
        if twice:
            report.problem("duplicated", f"{wid}: item results stored more than once: {sorted(twice)[:5]}")
        extra = [i for i in counts if not 0 <= i < n]
        if extra:
            report.problem("duplicated", f"{wid}: results of items that do not exist: {extra[:5]}")


def check_shard_files(files: list[Path], expected: list[Expected], report: Report, namespace: str = "default") -> None:
    """check_records on the history shards' SQLite files."""
    check_records(Records.from_sqlite(files, {e.workflow_id for e in expected}, namespace), expected, report)


async def check(client, expected: list[Expected], shard_files: list[Path] | None = None, *, postgres_dsn: str | None = None) -> Report:
    """The API's view, then the store's rows: the shard files (SQLite) or the database at `postgres_dsn`."""
    report = Report()
    await check_workflows(client, expected, report)
    if postgres_dsn:
        records = await Records.from_postgres(postgres_dsn, {e.workflow_id for e in expected})
    else:
        records = Records.from_sqlite(shard_files or [], {e.workflow_id for e in expected})
    check_records(records, expected, report)
    return report
