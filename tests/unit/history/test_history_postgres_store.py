"""History's store on PostgreSQL (history/persistence/postgres.py) where it differs from SQLite:
fencing in the database while a stale owner has many writes in flight (each of its writes
either committed before the shard was taken, or wrote nothing), a server restart in the middle
of a stream of commits (writes meanwhile fail as UNAVAILABLE, never as lost ownership; nothing
acknowledged is lost; the store carries on by itself), and merged batches that keep each
write's own order; under live membership, a lapsed holder whose session still holds the shard's
row has its sessions ended by the next owner. (What both backends share: test_history_sqlite_store.py.)"""
from __future__ import annotations

import asyncio

import asyncpg
import pytest

from fanflow.errors import ShardHeld, ShardOwnershipLost, Unavailable
from fanflow.postgres import Database, session_name
from history.persistence.postgres import PostgresHistoryStore
from history.persistence.store import ExecutionCommit, RunWrite
from protos import common_pb2, internal_pb2, persistence_pb2

NS = "default"


def _commit(workflow_id: str, events: int = 1) -> ExecutionCommit:
    state = persistence_pb2.ExecutionState(
        namespace=NS, workflow_id=workflow_id, run_id="r1", first_run_id="r1", workflow_type="T",
        status=common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING, next_event_id=events + 1, request_id="req",
    )
    task = internal_pb2.TaskInfo(namespace=NS, workflow_id=workflow_id, run_id="r1", task_type=common_pb2.TASK_TYPE_WORKFLOW)
    return ExecutionCommit(
        runs=[RunWrite(state=state, events=[common_pb2.HistoryEvent(event_id=i) for i in range(1, events + 1)], outbox=[task])],
        current_changed=True,
    )


async def _workflow_ids(dsn: str, table: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r[0] for r in await conn.fetch(f"SELECT DISTINCT workflow_id FROM {table}")}
    finally:
        await conn.close()


async def test_a_stale_owner_with_writes_in_flight_commits_all_or_nothing_of_each(postgres_dsn):
    old = PostgresHistoryStore(Database(postgres_dsn), 5, "history-old")
    await old.open()
    new = PostgresHistoryStore(Database(postgres_dsn), 5, "history-new")
    acked: list[str] = []
    refused: list[str] = []
    taken = asyncio.Event()

    async def one(i: int) -> None:
        workflow_id = f"wf-{i}"
        try:
            await old.commit(_commit(workflow_id, events=3))
            acked.append(workflow_id)
        except ShardOwnershipLost:
            refused.append(workflow_id)

    async def writer() -> None:
        i, after_take = 0, 0
        while after_take < 2 or i < 400:  # and at least two batches begun after the shard was taken
            if taken.is_set():
                after_take += 1
            await asyncio.gather(*(one(i + j) for j in range(20)))
            i += 20
            if i > 5000:
                break

    async def taker() -> None:
        await asyncio.sleep(0.2)
        await new.open()
        taken.set()

    try:
        await asyncio.gather(writer(), taker())
        assert acked and refused, (len(acked), len(refused))
        assert old.lost
        for table in ("executions", "history_events", "current_executions"):
            assert await _workflow_ids(postgres_dsn, table) == set(acked)  # every acked write whole, no refused one at all
        assert new.range_id == old.range_id + 1
        await new.commit(_commit("wf-new"))
    finally:
        await old.close()
        await new.close()


async def test_a_server_restart_fails_writes_as_unavailable_and_loses_nothing_acknowledged(postgres_server, postgres_dsn):
    store = PostgresHistoryStore(Database(postgres_dsn), 0, "history-a")
    await store.open()
    acked: list[str] = []
    outage: list[BaseException] = []
    stop = asyncio.Event()

    async def writer() -> None:
        i = 0
        while not stop.is_set():
            workflow_id = f"wf-{i}"
            i += 1
            try:
                await store.commit(_commit(workflow_id))
                acked.append(workflow_id)
            except Unavailable as exc:
                outage.append(exc)
                await asyncio.sleep(0.05)

    task = asyncio.create_task(writer())
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(postgres_server.restart)
        before = len(acked)
        for _ in range(200):  # the store carries on by itself once the server is back
            await asyncio.sleep(0.05)
            if len(acked) > before + 20:
                break
        stop.set()
        await task
        assert len(acked) > before + 20, "no commit went through after the restart"
        assert outage, "the restart was not noticed (no write failed while the server was away)"
        assert not any(isinstance(e, ShardOwnershipLost) for e in outage) and not store.lost, outage[:3]
        assert "PostgreSQL is unavailable" in str(outage[0]) or "unavailable" in str(outage[0]).lower()
        assert set(acked) <= await _workflow_ids(postgres_dsn, "executions")
        reloaded = await store.load_run((NS, acked[-1], "r1"))
        assert reloaded is not None and reloaded.state.workflow_id == acked[-1]
    finally:
        stop.set()
        await store.close()


async def test_merged_batches_keep_each_writes_order_and_outbox_ids(postgres_dsn):
    """Many concurrent commits of one run-less kind share transactions: each gets its events,
    its current-run row, and outbox ids that grow with commit order."""
    store = PostgresHistoryStore(Database(postgres_dsn), 1, "a")
    await store.open()
    try:
        results = await asyncio.gather(*(store.commit(_commit(f"wf-{i}", events=2)) for i in range(300)))
        assert store.commits < 300  # they shared transactions
        ids = [r[0].id for r in results]
        assert ids == sorted(ids) and len(set(ids)) == 300
        assert len(await store.read_events((NS, "wf-123", "r1"), 1)) == 2
        assert (await store.current_run(NS, "wf-299")).run_id == "r1"
        stats = await store.stats()
        assert (stats.running, stats.events, stats.outbox) == (300, 600, 300)
        await store.delete_outbox(ids[:100])
        assert (await store.stats()).outbox == 200
    finally:
        await store.close()


async def _hold_the_shard_row(store: PostgresHistoryStore) -> asyncio.Task:
    """One of `store`'s sessions holds its shard row's fence lock inside a statement that does
    not end: like a host frozen partway through sending one (not idle in its transaction, so
    the server's idle timeout never ends it)."""
    holding = asyncio.Event()

    async def hold() -> None:
        async with store.db.connection("hold the shard row") as conn:
            await conn.execute(f"BEGIN; SELECT fanflow_fence({store.shard_id}, {store.range_id})")
            holding.set()
            await conn.execute("SELECT pg_sleep(3600)", timeout=3600)

    task = asyncio.ensure_future(hold())
    await asyncio.wait_for(holding.wait(), 10)
    return task


def _store(dsn: str, shard_id: int, owner: str) -> PostgresHistoryStore:
    return PostgresHistoryStore(Database(dsn, application_name=session_name(owner)), shard_id, owner, lease_seconds=2.0)


async def test_a_lapsed_holder_whose_session_holds_the_shard_row_has_its_sessions_ended_and_the_shard_is_taken(postgres_dsn):
    frozen = _store(postgres_dsn, 3, "history-frozen")
    await frozen.open()  # no heartbeat row in cluster_members: its lease has run out
    holder = await _hold_the_shard_row(frozen)
    taker = _store(postgres_dsn, 3, "history-taker")
    try:
        with pytest.raises(ShardHeld, match=r"'history-frozen', whose lease ran out: \d+ of its sessions ended"):
            await taker.open()
        with pytest.raises(Unavailable):  # its session was ended under it
            await asyncio.wait_for(holder, 10)
        await taker.open()  # the next try takes the shard
        assert taker.range_id == frozen.range_id + 1
        await taker.commit(_commit("wf-after"))
        with pytest.raises(ShardOwnershipLost):
            await frozen.commit(_commit("wf-stale"))
    finally:
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
        await taker.close()
        await frozen.close()


async def test_a_holder_with_a_live_heartbeat_keeps_its_sessions(postgres_dsn):
    frozen = _store(postgres_dsn, 4, "history-alive")
    await frozen.open()
    members = await asyncpg.connect(postgres_dsn)
    await members.execute("INSERT INTO cluster_members (member_id, role, address) VALUES ('history-alive', 'history', '127.0.0.1:1')")
    holder = await _hold_the_shard_row(frozen)
    taker = _store(postgres_dsn, 4, "history-taker")
    try:
        with pytest.raises(ShardHeld) as refused:
            await taker.open()
        assert "sessions" not in str(refused.value), refused.value
        await asyncio.sleep(0.5)
        assert not holder.done()  # still holding: nobody ended it
    finally:
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
        await members.close()
        await taker.close()
        await frozen.close()
