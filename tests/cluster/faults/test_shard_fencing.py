"""Shard ownership is fenced: two real history processes are started on the same
data folder, each configured to own the same shards (a bad deploy). The second
takes the shards (range id + 1); from then on every write of the first fails
with UNAVAILABLE "ownership lost" and writes nothing, while the second writes
normally. No split brain: the SQLite files (or, on PostgreSQL, the database: both processes
get the same DSN, and the fencing is in its `shards` row) hold exactly the acknowledged writes."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid

import grpc
import pytest

from conftest import free_port, wait_for_port
from protos import admin_service_pb2 as A
from protos import common_pb2 as C
from protos import history_service_pb2 as H
from protos import history_service_pb2_grpc
from protos import workflow_service_pb2 as ws

SHARDS = 2
SHARD = 1


def write_config(path, name: str, port: int, data_dir) -> None:
    # JSON config: both processes claim every shard of the same data folder.
    path.write_text(json.dumps({
        "data_dir": str(data_dir),
        "history_shard_count": SHARDS,
        "history_hosts": [{"name": name, "address": f"127.0.0.1:{port}", "shards": list(range(SHARDS))}],
        "matching_hosts": [{"name": "matching-0", "address": f"127.0.0.1:{free_port()}"}],  # not running: the outbox retries
    }))


def start_request(workflow_id: str) -> H.StartWorkflowExecutionRequest:
    return H.StartWorkflowExecutionRequest(shard_id=SHARD, request=ws.StartWorkflowExecutionRequest(
        namespace="default", workflow_id=workflow_id, workflow_type=C.WorkflowType(name="fenced"),
        task_queue=C.TaskQueue(name="fenced"), request_id=str(uuid.uuid4()), identity="test"))


async def start(stub, workflow_id: str):
    """None on success, else the RpcError."""
    try:
        await stub.StartWorkflowExecution(start_request(workflow_id), timeout=10)
        return None
    except grpc.aio.AioRpcError as exc:
        return exc


async def exists(stub, workflow_id: str) -> bool:
    try:
        await stub.DescribeWorkflowExecution(H.DescribeWorkflowExecutionRequest(
            shard_id=SHARD, request=ws.DescribeWorkflowExecutionRequest(namespace="default", execution=C.WorkflowExecution(workflow_id=workflow_id))), timeout=10)
        return True
    except grpc.aio.AioRpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND, exc
        return False


async def _stored_rows(backend_env, data, sql: str) -> list[tuple]:
    """Rows of the shard's storage (SQLite's table names; on PostgreSQL, of SHARD only)."""
    if not backend_env:
        with sqlite3.connect(data / f"history-shard-{SHARD}.db") as db:
            return [tuple(r) for r in db.execute(sql)]
    import asyncpg

    sql = sql.replace("FROM shard", "FROM shards").replace("FROM events", "FROM history_events") + f" WHERE shard_id = {SHARD}"
    conn = await asyncpg.connect(backend_env["FANFLOW_POSTGRES_DSN"])
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


@pytest.mark.backends("sqlite", "postgres")
async def test_second_owner_fences_the_first(tmp_path, processes, backend_env):
    data = tmp_path / "data"
    ports = [free_port(), free_port()]
    names = ["history-old", "history-new"]
    for name, port in zip(names, ports):
        write_config(tmp_path / f"{name}.json", name, port, data)

    first = processes.fanflow("history", "--config", str(tmp_path / "history-old.json"), "--name", "history-old", name="history-old")
    wait_for_port(ports[0], proc=first)
    old_channel = grpc.aio.insecure_channel(f"127.0.0.1:{ports[0]}")
    old = history_service_pb2_grpc.HistoryServiceStub(old_channel)
    new_channel = grpc.aio.insecure_channel(f"127.0.0.1:{ports[1]}")
    new = history_service_pb2_grpc.HistoryServiceStub(new_channel)
    try:
        # The first owner writes while it owns the shard.
        before = [f"before-{i}" for i in range(5)]
        assert [await start(old, w) for w in before] == [None] * 5
        shard_before = await old.DescribeShard(A.DescribeShardRequest(shard_id=SHARD), timeout=10)
        assert shard_before.owner == "history-old" and shard_before.range_id >= 1

        # A second process is started owning the same shards: it takes them.
        second = processes.fanflow("history", "--config", str(tmp_path / "history-new.json"), "--name", "history-new", name="history-new")
        wait_for_port(ports[1], proc=second)
        shard_after = await new.DescribeShard(A.DescribeShardRequest(shard_id=SHARD), timeout=10)
        assert shard_after.owner == "history-new" and shard_after.range_id == shard_before.range_id + 1

        # Both are asked to write, at the same time: only the new owner can.
        old_ids = [f"old-{i}" for i in range(10)]
        new_ids = [f"new-{i}" for i in range(10)]
        results = await asyncio.gather(*(start(old, w) for w in old_ids), *(start(new, w) for w in new_ids))
        old_results, new_results = results[:10], results[10:]
        assert new_results == [None] * 10
        for error in old_results:
            assert error is not None and error.code() == grpc.StatusCode.UNAVAILABLE, error
            assert "ownership" in error.details() and "lost" in error.details(), error.details()
        # ...and the first stays fenced: it never writes again.
        again = await start(old, "old-again")
        assert again is not None and again.code() == grpc.StatusCode.UNAVAILABLE and "ownership" in again.details()
        # ...having closed the shard it lost (its timers, outbox and cache stop).
        for _ in range(100):
            if b"closing the shard" in open(first.log_path, "rb").read():
                break
            await asyncio.sleep(0.1)
        assert b"closing the shard" in open(first.log_path, "rb").read()

        # The new owner sees everything acknowledged, nothing rejected.
        for workflow_id in before + new_ids:
            assert await exists(new, workflow_id), workflow_id
        for workflow_id in old_ids + ["old-again"]:
            assert not await exists(new, workflow_id), workflow_id
    finally:
        await old_channel.close()
        await new_channel.close()

    # The SQLite file (or the database) agrees, and is sound.
    processes.kill(first)
    processes.kill(second)
    if not backend_env:
        with sqlite3.connect(data / f"history-shard-{SHARD}.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert await _stored_rows(backend_env, data, "SELECT owner, range_id FROM shard") == [("history-new", shard_after.range_id)]
    stored = {row[0] for row in await _stored_rows(backend_env, data, "SELECT workflow_id FROM executions")}
    assert stored == set(before) | set(new_ids)
    current = {row[0] for row in await _stored_rows(backend_env, data, "SELECT workflow_id FROM current_executions")}
    assert current == stored
    with_events = {row[0] for row in await _stored_rows(backend_env, data, "SELECT DISTINCT workflow_id FROM events")}
    assert with_events == stored


