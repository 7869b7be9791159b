"""Listing and counting a shard's runs in its SQLite file (history/persistence/sqlite_listing.py,
the search tables of sqlite_schema.py): every filter and combinations of them against the same
filters applied in Python, newest first, page by page; a file from before the search tables
upgraded when it opens; the index rows of a deleted run go with it; and with 10,000+ runs
every list and count is answered from an index (SQLite's query plan says so)."""
from __future__ import annotations

import asyncio
import random
import sqlite3

import pytest

from history.persistence import sqlite_listing
from history.persistence.sqlite import SqliteHistoryStore
from history.persistence.sqlite_schema import SCHEMA
from history.persistence.store import ExecutionCommit, ListCursor, RunFilter, RunWrite
from fanflow.timeutil import ts_from_ns
from protos import common_pb2 as C
from protos import persistence_pb2
from support.store_backends import history_backend  # noqa: F401  (fixture)

NS = "default"
RUNNING, COMPLETED, FAILED = C.WORKFLOW_EXECUTION_STATUS_RUNNING, C.WORKFLOW_EXECUTION_STATUS_COMPLETED, C.WORKFLOW_EXECUTION_STATUS_FAILED


def _run(i: int, *, namespace: str = NS) -> tuple[persistence_pb2.ExecutionState, list[C.SearchKey]]:
    state = persistence_pb2.ExecutionState(
        namespace=namespace, workflow_id=f"{['order', 'invoice', 'orders'][i % 3]}-{i:05d}", run_id=f"run-{i % 2}",
        workflow_type=f"type{i % 4}", status=(RUNNING, COMPLETED, FAILED)[i % 3 if i % 5 else 0],
        start_time=ts_from_ns(1_000 * (i // 2)),  # pairs share a start time: ties are ordered by workflow id, run id
        next_event_id=2,
    )
    state.metadata.display_name = ["Orders", "", "Invoices"][i % 3] if i % 7 else "Orders"
    keys = [C.SearchKey(key="tier", value=["gold", "silver", "bronze"][i % 3]), C.SearchKey(key="customer", value=f"c{i % 10}")]
    if i % 4 == 0:
        keys.append(C.SearchKey(key="note", unset=True))
    return state, keys


def _matches(state: persistence_pb2.ExecutionState, keys: list[C.SearchKey], where: RunFilter) -> bool:
    held = {k.key: (None if k.unset else k.value) for k in keys}
    start = state.start_time.ToNanoseconds()
    return (
        (not where.status or state.status == where.status)
        and (not where.workflow_type or state.workflow_type == where.workflow_type)
        and (where.started_from_ns is None or start >= where.started_from_ns)
        and (where.started_before_ns is None or start < where.started_before_ns)
        and state.workflow_id.startswith(where.workflow_id_prefix)
        and (not where.display_name or state.metadata.display_name == where.display_name)
        and all(k in held and held[k] == v for k, v in where.search_keys)
    )


async def _fill(store, runs) -> None:
    await asyncio.gather(*(store.commit(ExecutionCommit(runs=[RunWrite(state=s, search_keys=k)], current_changed=True)) for s, k in runs))


FILTERS = {
    "none": RunFilter(),
    "status": RunFilter(status=COMPLETED),
    "type": RunFilter(workflow_type="type1"),
    "time range": RunFilter(started_from_ns=20_000, started_before_ns=90_000),
    "since": RunFilter(started_from_ns=100_000),
    "until": RunFilter(started_before_ns=30_000),
    "prefix": RunFilter(workflow_id_prefix="order"),  # "order-..." and "orders-..."
    "longer prefix": RunFilter(workflow_id_prefix="orders-"),
    "display name": RunFilter(display_name="Orders"),
    "key": RunFilter(search_keys=(("tier", "gold"),)),
    "unset key": RunFilter(search_keys=(("note", None),)),
    "two keys": RunFilter(search_keys=(("tier", "silver"), ("customer", "c7"))),
    "key no match": RunFilter(search_keys=(("tier", "platinum"),)),
    "key and status and type": RunFilter(search_keys=(("customer", "c4"),), status=RUNNING, workflow_type="type0"),
    "everything": RunFilter(status=RUNNING, workflow_type="type0", started_from_ns=10_000, started_before_ns=200_000,
                            workflow_id_prefix="order", display_name="Orders", search_keys=(("tier", "gold"), ("note", None))),
}


@pytest.mark.parametrize("name", FILTERS)
async def test_lists_and_counts_match_the_filters_newest_first_page_by_page(history_backend, name):
    """On SQLite and on PostgreSQL (history/persistence/postgres_listing.py)."""
    where = FILTERS[name]
    store = history_backend.store(0, "a")
    await store.open()
    try:
        runs = [_run(i) for i in range(300)] + [_run(i, namespace="other") for i in range(20)]
        await _fill(store, runs)
        expected = sorted(
            ((s.start_time.ToNanoseconds(), s.workflow_id, s.run_id) for s, k in runs if s.namespace == NS and _matches(s, k, where)),
            reverse=True,
        )
        listed, before = [], None
        while True:
            page = await store.list_executions(NS, before=before, limit=37, where=where)
            listed += [(s.start_time.ToNanoseconds(), s.workflow_id, s.run_id) for s in page]
            if len(page) < 37:
                break
            before = ListCursor(*listed[-1])
        assert listed == expected
        assert await store.count_executions(NS, where) == [("", len(expected))]
        by_status = dict(await store.count_executions(NS, where, "status"))
        by_type = dict(await store.count_executions(NS, where, "workflow_type"))
        matching = [s for s, k in runs if s.namespace == NS and _matches(s, k, where)]
        assert by_status == {st: n for st, n in ((st, sum(s.status == st for s in matching)) for st in (RUNNING, COMPLETED, FAILED)) if n}
        assert by_type == {t: n for t, n in ((t, sum(s.workflow_type == t for s in matching)) for t in {s.workflow_type for s in matching})}
    finally:
        await store.close()


async def test_changed_keys_replace_the_index_rows_and_a_deleted_run_takes_them_along(tmp_path):
    store = SqliteHistoryStore(tmp_path / "shard.db", 0, "a")
    await store.open()
    try:
        state, keys = _run(0)
        await _fill(store, [(state, keys)])
        state.status = COMPLETED
        await store.commit(ExecutionCommit(runs=[RunWrite(state=state)]))  # keys unchanged (None): rows kept
        assert await store.count_executions(NS, RunFilter(search_keys=(("tier", "gold"),))) == [("", 1)]
        await store.commit(ExecutionCommit(runs=[RunWrite(state=state, search_keys=[C.SearchKey(key="tier", value="silver")])]))
        assert await store.count_executions(NS, RunFilter(search_keys=(("tier", "gold"),))) == [("", 0)]
        assert await store.count_executions(NS, RunFilter(search_keys=(("tier", "silver"),), status=COMPLETED)) == [("", 1)]
        await store.delete_run((NS, state.workflow_id, state.run_id))
        with sqlite3.connect(tmp_path / "shard.db") as conn:
            assert conn.execute("SELECT COUNT(*) FROM search_keys").fetchone()[0] == 0
    finally:
        await store.close()


async def test_a_file_from_before_the_search_tables_is_upgraded_when_it_opens(tmp_path):
    path = tmp_path / "old-shard.db"
    named, unnamed = _run(0)[0], _run(1)[0]
    assert named.metadata.display_name == "Orders" and not unnamed.metadata.display_name
    with sqlite3.connect(path) as conn:  # the tables as an earlier version wrote them, with two runs
        conn.executescript(SCHEMA)
        for s in (named, unnamed):
            conn.execute(
                "INSERT INTO executions (namespace, workflow_id, run_id, workflow_type, status, start_time_ns, close_time_ns, state) VALUES (?,?,?,?,?,?,?,?)",
                (s.namespace, s.workflow_id, s.run_id, s.workflow_type, s.status, s.start_time.ToNanoseconds(), 0, s.SerializeToString()),
            )
    added, _ = _run(3)
    for owner, named_ids in (("a", [named.workflow_id]), ("b", [added.workflow_id, named.workflow_id])):  # b finds it upgraded already
        store = SqliteHistoryStore(path, 0, owner)
        await store.open()
        try:
            found = await store.list_executions(NS, before=None, limit=10, where=RunFilter(display_name="Orders"))
            assert [s.workflow_id for s in found] == named_ids
            if owner == "a":
                await _fill(store, [_run(3)])
            assert await store.count_executions(NS, RunFilter()) == [("", 3)]
            assert await store.count_executions(NS, RunFilter(search_keys=(("customer", "c3"),))) == [("", 1)]
        finally:
            await store.close()


def test_prefix_upper_bound_is_the_first_string_after_every_string_with_the_prefix():
    bound = sqlite_listing.prefix_upper_bound
    assert bound("order") == "ordes"
    assert bound("a\U0010ffff") == "b" and bound("\U0010ffff") is None
    assert bound("x\ud7ff") == "x\ue000"  # surrogates are skipped
    words = ["ord", "order", "order-1", "order\U0010ffff", "ordes", "orders", "ordeR"]
    assert sorted(w for w in words if "order" <= w < bound("order")) == sorted(w for w in words if w.startswith("order"))


async def test_with_10_000_runs_every_list_and_count_is_answered_from_an_index(tmp_path):
    """No speed is asserted: SQLite's plan for each query must search an index (or the primary
    key), never scan the whole table, and the counts must be exact."""
    path = tmp_path / "big.db"
    store = SqliteHistoryStore(path, 0, "a")
    await store.open()
    rng = random.Random(7)
    runs = [_run(i) for i in range(10_500)]
    rng.shuffle(runs)
    try:
        for first in range(0, len(runs), 500):
            await _fill(store, runs[first:first + 500])
        conn = sqlite3.connect(path)
        for name, where in FILTERS.items():
            expected = sum(_matches(s, k, where) for s, k in runs)
            assert await store.count_executions(NS, where) == [("", expected)], name
            queries = [
                sqlite_listing.select_page(NS, where, None, 100),
                sqlite_listing.select_page(NS, where, ListCursor(5_000_000, "order-09999", "run-1"), 100),
                sqlite_listing.select_count(NS, where),
                sqlite_listing.select_count(NS, where, "status"),
            ]
            for sql, params in queries:
                plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
                assert not [step for step in plan if step.startswith("SCAN")], (name, sql, plan)
        conn.close()
    finally:
        await store.close()
