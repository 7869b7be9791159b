"""Bad state as an operator meets it after a bad restore: `fanflow dev` started on a data
folder where one file is damaged (header overwritten, truncated, or written by a newer
version). The process keeps running, logs one line naming the file and what to do,
answers requests that need that file with UNAVAILABLE saying the same, serves
everything else; and once the file is restored nothing acknowledged is missing."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3

import grpc
import pytest

import worker_sdk as workflows
from conftest import free_port, wait_for_port
from fanflow.routing import shard_for
from history.shard_count import DEV_SHARDS
from protos import workflow_service_pb2 as ws
from protos import common_pb2
from worker_sdk import Client, Worker

SHARDS = DEV_SHARDS  # fanflow dev's count for a new data folder
QUEUE = "bad-storage"


@workflows.workflow.define(name="bad_storage_echo")
class BadStorageEcho:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        return await bad_storage_square(n)


@workflows.activity(start_to_close_timeout=10)
async def bad_storage_square(n: int) -> int:
    return n * n


def _overwrite_header(path):
    with open(path, "r+b") as f:
        f.write(b"restored-from-the-wrong-tape!!!!")


def _truncate(path):
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 2)


def _future_schema(path):
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")


DAMAGE = {
    "header overwritten": (_overwrite_header, "is not a SQLite database"),
    "truncated": (_truncate, "is truncated"),
    "future schema": (_future_schema, "was written by a newer fanflow (schema version 99"),
}


class Dev:
    def __init__(self, processes, data):
        self.processes, self.data, self.port, self.proc = processes, data, free_port(), None

    def start(self, name: str):
        self.proc = self.processes.fanflow("dev", "--port", str(self.port), "--data-dir", str(self.data), name=name)
        wait_for_port(self.port, proc=self.proc)
        return self.proc

    def stop(self):
        self.proc.terminate()  # graceful: the files are closed (WAL checkpointed) as after a clean shutdown
        assert self.proc.wait(30) == 0

    def log(self) -> str:
        return open(self.proc.log_path, encoding="utf-8", errors="replace").read()


async def _run_workflows(port: int, ids: list[str]) -> None:
    client = await Client.connect(f"127.0.0.1:{port}")
    worker = await Worker(client, task_queue=QUEUE, workflows=[BadStorageEcho], activities=[bad_storage_square]).start()
    try:
        handles = [await client.start_workflow(BadStorageEcho, i, id=wid, task_queue=QUEUE) for i, wid in enumerate(ids)]
        assert [await h.result(timeout=60) for h in handles] == [i * i for i in range(len(ids))]
    finally:
        await worker.shutdown()
        await client.close()


async def _results(port: int, ids: list[str]) -> dict[str, object]:
    """Each workflow's result, or the (code, message) its describe was refused with."""
    client = await Client.connect(f"127.0.0.1:{port}")
    out: dict[str, object] = {}
    try:
        for wid in ids:
            try:
                await client.call("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(
                    namespace="default", execution=common_pb2.WorkflowExecution(workflow_id=wid)), retry=False)
                out[wid] = await client.get_workflow_handle(wid).result(timeout=30)
            except grpc.aio.AioRpcError as exc:
                out[wid] = (exc.code(), exc.details())
    finally:
        await client.close()
    return out


@pytest.mark.parametrize("damage", list(DAMAGE))
async def test_a_damaged_shard_file_refuses_clearly_and_the_others_serve(tmp_path, processes, damage):
    data = tmp_path / "data"
    ids = [f"bad-storage-{i}" for i in range(24)]
    victim_shard = shard_for("default", ids[0], SHARDS)
    on_victim = [wid for wid in ids if shard_for("default", wid, SHARDS) == victim_shard]
    elsewhere = [wid for wid in ids if wid not in on_victim]
    dev = Dev(processes, data)
    dev.start("dev")
    await _run_workflows(dev.port, ids)  # every result acknowledged
    dev.stop()

    victim = data / f"history-shard-{victim_shard}.db"
    backup = tmp_path / "backup"
    backup.mkdir()
    for f in data.glob(f"history-shard-{victim_shard}.db*"):
        shutil.copy2(f, backup / f.name)
    damage_fn, says = DAMAGE[damage]
    damage_fn(victim)

    dev.start("dev-damaged")
    results = await _results(dev.port, ids)
    assert dev.proc.poll() is None, "fanflow dev must keep serving"
    for wid in elsewhere:
        assert results[wid] == ids.index(wid) ** 2, (wid, results[wid])
    for wid in on_victim:
        code, message = results[wid]
        assert code == grpc.StatusCode.UNAVAILABLE
        assert str(victim) in message and says in message, message
    log = dev.log()
    lines = [line for line in log.splitlines() if str(victim) in line]
    assert len(lines) == 1 and says in lines[0] and f"shard {victim_shard} not served" in lines[0], lines
    if damage != "future schema":
        assert "restore" in lines[0] and "move it" in lines[0] and "aside" in lines[0]
    else:
        assert "run the newer fanflow" in lines[0]
    assert "Traceback" not in log
    # A new workflow on a healthy shard is served as usual.
    await _run_workflows(dev.port, [wid for wid in (f"bad-storage-new-{i}" for i in range(40))
                                    if shard_for("default", wid, SHARDS) != victim_shard][:3])
    dev.stop()

    # The operator restores the file: nothing acknowledged is missing.
    for f in data.glob(f"history-shard-{victim_shard}.db*"):
        f.unlink()
    for f in backup.iterdir():
        shutil.copy2(f, data / f.name)
    if damage == "future schema":  # the backup was taken after the run stamped it; a newer fanflow would read it as is
        pass
    dev.start("dev-restored")
    results = await _results(dev.port, ids)
    assert results == {wid: i * i for i, wid in enumerate(ids)}
    dev.stop()


async def test_a_damaged_matching_file_refuses_polls_and_history_still_answers(tmp_path, processes):
    data = tmp_path / "data"
    ids = [f"bad-backlog-{i}" for i in range(6)]
    dev = Dev(processes, data)
    dev.start("dev")
    await _run_workflows(dev.port, ids)
    dev.stop()
    backlog = data / "matching-matching-0.db"
    saved = backlog.read_bytes()
    _overwrite_header(backlog)

    dev.start("dev-damaged")
    assert await _results(dev.port, ids) == {wid: i * i for i, wid in enumerate(ids)}  # history reads need no matching
    client = await Client.connect(f"127.0.0.1:{dev.port}")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.call("PollWorkflowTaskQueue", ws.PollWorkflowTaskQueueRequest(
                namespace="default", task_queue=common_pb2.TaskQueue(name=QUEUE), identity="t"), retry=False)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert str(backlog) in refused.value.details() and "is not a SQLite database" in refused.value.details()
        # A start is acknowledged (history holds its task until matching takes it) ...
        late = await client.start_workflow(BadStorageEcho, 7, id="bad-backlog-late", task_queue=QUEUE)
    finally:
        await client.close()
    log = dev.log()
    assert sum("matching matching-0 not served" in line and str(backlog) in line for line in log.splitlines()) == 1
    assert "Traceback" not in log
    dev.stop()

    backlog.write_bytes(saved)  # ... and runs once the file is restored
    dev.start("dev-restored")
    client = await Client.connect(f"127.0.0.1:{dev.port}")
    worker = await Worker(client, task_queue=QUEUE, workflows=[BadStorageEcho], activities=[bad_storage_square]).start()
    try:
        assert await client.get_workflow_handle(late.workflow_id).result(timeout=60) == 49
    finally:
        await worker.shutdown()
        await client.close()
    dev.stop()


async def test_a_damaged_metadata_file_refuses_namespace_calls_and_workflows_run(tmp_path, processes):
    data = tmp_path / "data"
    dev = Dev(processes, data)
    dev.start("dev")
    await _run_workflows(dev.port, ["bad-metadata-0"])
    dev.stop()
    metadata = data / "cluster-metadata.db"
    _overwrite_header(metadata)

    dev.start("dev-damaged")
    await _run_workflows(dev.port, ["bad-metadata-1", "bad-metadata-2"])  # the default namespace still works
    from protos import admin_service_pb2, admin_service_pb2_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{dev.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await admin_service_pb2_grpc.AdminServiceStub(channel).RegisterNamespace(admin_service_pb2.RegisterNamespaceRequest(name="orders"), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert str(metadata) in refused.value.details() and "is not a SQLite database" in refused.value.details()
    log = dev.log()
    assert "cluster metadata not served" in log and "Traceback" not in log
    dev.stop()
