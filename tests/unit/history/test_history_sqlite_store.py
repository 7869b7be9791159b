"""History's store on SQLite (history/persistence/sqlite.py, real files in tmp_path) and on
PostgreSQL (history/persistence/postgres.py, a database of the session's throwaway server):
each test runs on both (`history_backend`). A commit is atomic and one failing commit leaves
the others of its transaction; fencing (a newer owner takes the shard, the stale one writes
nothing, in the store and with two stores on one file or database); outbox rows of a previous
owner. (The SQLite layer under it: tests/unit/fanflow/test_fanflow_sqlite.py; PostgreSQL's
fencing under concurrent writers: tests/unit/history/test_history_postgres_store.py.)"""
from __future__ import annotations

import asyncio

import pytest

from fanflow.errors import ShardOwnershipLost
from history.persistence.store import ExecutionCommit, RunWrite
from protos import common_pb2, internal_pb2, persistence_pb2
from support.store_backends import history_backend, is_integrity_error  # noqa: F401  (fixture)

NS = "default"


def _state(workflow_id: str, run_id: str = "r1") -> persistence_pb2.ExecutionState:
    return persistence_pb2.ExecutionState(
        namespace=NS, workflow_id=workflow_id, run_id=run_id, first_run_id=run_id, workflow_type="T",
        status=common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING, next_event_id=2, request_id="req",
    )


def _commit(workflow_id: str, event_id: int = 1) -> ExecutionCommit:
    event = common_pb2.HistoryEvent(event_id=event_id, event_type=common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    task = internal_pb2.TaskInfo(namespace=NS, workflow_id=workflow_id, run_id="r1", scheduled_event_id=2, task_type=common_pb2.TASK_TYPE_WORKFLOW)
    timer = persistence_pb2.TimerTask(kind=persistence_pb2.TIMER_TASK_KIND_USER_TIMER, namespace=NS, workflow_id=workflow_id, run_id="r1")
    return ExecutionCommit(
        runs=[RunWrite(state=_state(workflow_id), events=[event], timers=[(123, timer)], outbox=[task])], current_changed=True
    )


async def _stored(backend, table: str) -> list:
    return [row[0] for row in await backend.rows(f"SELECT workflow_id FROM {table} ORDER BY workflow_id")]


async def test_a_commit_is_atomic_and_a_failing_one_leaves_the_others_in_its_transaction(history_backend):
    store = history_backend.store(0, "a")
    await store.open()
    try:
        first = await store.commit(_commit("wf-1"))
        assert [t.task.workflow_id for t in first] == ["wf-1"] and first[0].id >= 1
        before = store.commits
        outcomes = await asyncio.gather(store.commit(_commit("wf-2")), store.commit(_commit("wf-1")), store.commit(_commit("wf-3")),
                                        return_exceptions=True)
        assert store.commits == before + 1
        assert is_integrity_error(outcomes[1]), outcomes  # wf-1's event 1 exists: that commit, and only it, is undone
        assert [o[0].id for o in (outcomes[0], outcomes[2])] == [first[0].id + 1, first[0].id + 3]  # ids grow per commit
        for table in ("executions", "current_executions", "events"):
            assert await _stored(history_backend, table) == ["wf-1", "wf-2", "wf-3"]
        assert await history_backend.rows("SELECT COUNT(*) FROM outbox") == [(3,)]  # not 4: the failed commit's row went too
        assert await history_backend.rows("SELECT COUNT(*) FROM timers") == [(3,)]
        loaded = await store.load_run((NS, "wf-2", "r1"))
        assert loaded is not None and loaded.state == _state("wf-2")
        assert (await store.current_run(NS, "wf-2")).run_id == "r1"
    finally:
        await store.close()


async def test_a_stale_owner_writes_nothing_and_stays_fenced(history_backend):
    old = history_backend.store(3, "history-old")
    await old.open()
    await old.commit(_commit("wf-before"))
    new = history_backend.store(3, "history-new")
    await new.open()
    try:
        assert new.range_id == old.range_id + 1 and new.token_key == old.token_key
        outcomes = await asyncio.gather(old.commit(_commit("wf-late")), old.put_setting("x", "y"), return_exceptions=True)
        assert all(isinstance(o, ShardOwnershipLost) for o in outcomes), outcomes
        assert "ownership lost" in str(outcomes[0])
        assert old.lost
        with pytest.raises(ShardOwnershipLost):  # refused at once from now on
            await old.delete_timers([1])
        await new.commit(_commit("wf-new"))
        for table in ("executions", "events", "current_executions"):
            assert await _stored(history_backend, table) == ["wf-before", "wf-new"]
        assert await new.setting("x") is None
        assert await history_backend.rows("SELECT owner, range_id FROM shard") == [("history-new", new.range_id)]
    finally:
        await old.close()
        await new.close()


async def test_outbox_rows_of_a_previous_owner_are_listed_once_ours_are_not(history_backend):
    old = history_backend.store(0, "a")
    await old.open()
    left = await old.commit(_commit("wf-left"))
    await old.close()
    new = history_backend.store(0, "b")
    await new.open()
    try:
        ours = await new.commit(_commit("wf-ours"))
        assert ours[0].id > left[0].id
        recovered = await new.outbox_from_previous_owners(0, 100)
        assert [(t.id, t.task.workflow_id) for t in recovered] == [(left[0].id, "wf-left")]
        assert await new.outbox_from_previous_owners(left[0].id, 100) == []
    finally:
        await new.close()


@pytest.mark.parametrize("shard_id", [0])
async def test_fenced_store_rejects_writes_in_process(history_backend, shard_id):
    """Two stores on one file (or database): the second takes the shard, the first writes
    nothing from then on (two history processes: tests/cluster/faults/test_shard_fencing.py)."""
    a = history_backend.store(shard_id, "a")
    await a.open()
    await a.put_setting("from-a", "1")
    b = history_backend.store(shard_id, "b")
    await b.open()
    try:
        assert b.range_id == a.range_id + 1
        with pytest.raises(ShardOwnershipLost, match="ownership lost"):
            await a.put_setting("from-a-late", "2")
        assert a.lost
        await b.put_setting("from-b", "3")
        names = [name for name in ("from-a", "from-a-late", "from-b") if await b.setting(name) is not None]
        assert names == ["from-a", "from-b"]
    finally:
        await a.close()
        await b.close()
