"""Large data (issue 13): with offloading on (`payload_offload_bytes=True`: 512 KiB), payloads over
the threshold are stored beside history (a blob in the workflow's shard) and travel by reference. A 10 MB activity result flows to the next activity
and to the workflow's result with no payload in history over the threshold; workflow input,
signals, continue-as-new and replay with the cache off; the seed's OffloadableModel /
OffloadableField; restarts; retention deletes the blobs; bad input. The tests through the cluster
run on SQLite and PostgreSQL (`@pytest.mark.backends`)."""
from __future__ import annotations

import asyncio
import hashlib
import sqlite3

import grpc
import pytest

import worker_sdk as workflows
from conftest import backend_overrides
from fanflow import routing
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from worker_sdk import Client, OffloadableField, OffloadableFieldException, OffloadableModel, PayloadBlobNotFoundError, Worker
from worker_sdk.offload import DEFAULT_OFFLOAD_BYTES, offload_threshold, resolve_payloads

TEN_MB = 10 * 1024 * 1024
LIMIT = 2 * 1024 * 1024


@pytest.fixture
async def client(embedded_cluster):
    """A client (and the workers built on it) with offloading on, at the default 512 KiB."""
    c = await Client.connect(embedded_cluster.frontend_address, payload_offload_bytes=True)
    yield c
    await c.close()


# ------------------------------------------------------------------ workflows of these tests
@workflows.activity(name="large_data_make_text")
async def make_text(size: int) -> str:
    return "".join(chr(ord("a") + i % 26) for i in range(26)) * (size // 26) + "z" * (size % 26)


@workflows.activity(name="large_data_digest")
async def digest(text: str) -> dict:
    return {"length": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()}


@workflows.workflow.define(name="large_data_pipeline")
class Pipeline:
    def __init__(self) -> None:
        self.extra = ""

    @workflows.workflow.signal
    def attach(self, text: str) -> None:
        self.extra = text

    @workflows.workflow.entrypoint
    async def run(self, size: int, wait_for_signal: bool = False) -> dict:
        text = await make_text(size)
        summary = await digest(text)  # the 10 MB value goes on to the next activity
        if wait_for_signal:
            await workflows.workflow.wait_condition(lambda: bool(self.extra))
        return {"summary": summary, "text": text, "extra_length": len(self.extra)}


@workflows.workflow.define(name="large_data_echo_chain")
class EchoChain:
    @workflows.workflow.entrypoint
    async def run(self, blob: str, rounds: int) -> str:
        if rounds > 0:
            workflows.workflow.continue_as_new(blob + "!", rounds - 1)  # a large input on to the next run
        return blob


# The seed's activity field offloading.
class Document(OffloadableModel):
    name: str
    content: OffloadableField[str]


@workflows.activity(name="large_data_load_document")
async def load_document(name: str, size: int) -> Document:
    return Document(name=name, content=OffloadableField[str](value="d" * size))


@workflows.activity(name="large_data_count_document")
async def count_document(doc: Document) -> int:
    return len(doc.content.get_value())


@workflows.workflow.define(name="large_data_documents")
class Documents:
    @workflows.workflow.entrypoint
    async def run(self, size: int) -> dict:
        doc = await load_document("report", size)
        try:
            doc.content.get_value()
            seen_in_workflow = "value"
        except OffloadableFieldException as exc:
            seen_in_workflow = str(exc)
        return {"count": await count_document(doc), "in_workflow": seen_in_workflow, "ref": doc.content.blob_ref or ""}


@workflows.workflow.define(name="large_data_child")
class LargeChild:
    @workflows.workflow.entrypoint
    async def run(self, text: str) -> str:
        return text.upper()


@workflows.workflow.define(name="large_data_parent")
class LargeParent:
    @workflows.workflow.entrypoint
    async def run(self, size: int) -> int:
        text = await make_text(size)
        upper = await workflows.workflow.execute_workflow(LargeChild, params={"text": text}, execution_id=f"{workflows.get_execution_id()}-child")
        return len(upper)


@workflows.activity(name="large_data_megabyte")
async def megabyte(i: int) -> str:
    return str(i) * (1024 * 1024)


@workflows.workflow.define(name="large_data_fan_out")
class FanOut:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        results = await workflows.execute_activities_in_parallel(megabyte, items=list(range(n)), max_concurrent_scheduled_tasks=2)
        return [len(r) for r in results]


@workflows.workflow.define(name="large_data_updated")
class Updated:
    def __init__(self) -> None:
        self.text = ""

    @workflows.workflow.update(name="replace")
    def replace(self, text: str) -> int:
        self.text = text
        return len(text)

    @workflows.workflow.entrypoint
    async def run(self) -> int:
        await workflows.workflow.wait_condition(lambda: bool(self.text))
        return len(self.text)


def _history_payloads(events) -> list:
    from worker_sdk.offload import iter_payloads

    return [p for e in events for p in iter_payloads(e)]


def _shard_db(tmp_path, workflow_id: str, shards: int) -> sqlite3.Connection:
    shard = routing.shard_for("default", workflow_id, shards)
    return sqlite3.connect(tmp_path / "data" / f"history-shard-{shard}.db")


async def _stored(config: ClusterConfig, tmp_path, columns: str, table: str, workflow_id: str) -> list[tuple]:
    """The rows a table of the workflow's shard holds for it, read from the backend itself."""
    if config.persistence == "postgres":
        import asyncpg

        shard = routing.shard_for("default", workflow_id, config.history_shard_count)
        conn = await asyncpg.connect(config.postgres_dsn)
        try:
            rows = await conn.fetch(f"SELECT {columns} FROM {table} WHERE shard_id=$1 AND workflow_id=$2", shard, workflow_id)
        finally:
            await conn.close()
        return [tuple(r) for r in rows]
    with _shard_db(tmp_path, workflow_id, config.history_shard_count) as db:
        return [tuple(r) for r in db.execute(f"SELECT {columns} FROM {table} WHERE workflow_id=?", (workflow_id,)).fetchall()]


# ------------------------------------------------------------------ 10 MB through activities and the result
@pytest.mark.backends("sqlite", "postgres")
async def test_a_10mb_activity_result_flows_on_by_reference(client, embedded_cluster, tmp_path):
    async with Worker(client, task_queue="large-10mb", workflows=[Pipeline], activities=[make_text, digest]):
        handle = await client.start_workflow(Pipeline, TEN_MB, id="large-10mb", task_queue="large-10mb")
        result = await handle.result(timeout=120)
    text = result["text"]
    assert len(text) == TEN_MB and result["summary"] == {"length": TEN_MB, "sha256": hashlib.sha256(text.encode()).hexdigest()}
    events = await handle.history()
    assert all(e.ByteSize() < LIMIT for e in events)
    assert sum(e.ByteSize() for e in events) < 64 * 1024  # the data is not in history at all
    refs = [p for p in _history_payloads(events) if p.blob_id]
    assert refs and all(not p.data and p.blob_size >= TEN_MB and p.blob_workflow_id == "large-10mb" for p in refs)
    assert all(len(p.data) <= DEFAULT_OFFLOAD_BYTES for p in _history_payloads(events))
    # The activity's result, the next activity's input and the workflow's result, each a blob in the workflow's shard.
    assert len(refs) == 3
    rows = await _stored(embedded_cluster.config, tmp_path, "blob_id, size", "payload_blobs", "large-10mb")
    assert {blob_id for blob_id, _ in rows} == {p.blob_id for p in refs} and all(size > TEN_MB for _, size in rows)
    resolved = await handle.history(resolve=True)
    assert any(len(p.data) > TEN_MB for p in _history_payloads(resolved))


@pytest.mark.backends("sqlite", "postgres")
async def test_large_input_signal_and_continue_as_new(client):
    big = "s" * (3 * 1024 * 1024)
    async with Worker(client, task_queue="large-inputs", workflows=[Pipeline, EchoChain], activities=[make_text, digest]):
        handle = await client.start_workflow(Pipeline, args=(10, True), task_queue="large-inputs")
        await handle.signal("attach", big)
        assert (await handle.result(timeout=60))["extra_length"] == len(big)
        events = await handle.history()
        signal = next(e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        assert signal.workflow_execution_signaled.input.blob_id and signal.ByteSize() < 1024

        chain = await client.start_workflow(EchoChain, args=(big, 2), task_queue="large-inputs")
        assert await chain.result(timeout=60) == big + "!!"
        started = (await chain.history())[0]
        assert started.workflow_execution_started.input.blob_id and started.ByteSize() < 2048


@pytest.mark.backends("sqlite", "postgres")
async def test_child_workflow_input_and_result_executor_results_and_updates(client):
    size = 3 * 1024 * 1024
    async with Worker(client, task_queue="large-more", workflows=[LargeParent, LargeChild, FanOut, Updated], activities=[make_text, megabyte]):
        parent = await client.start_workflow(LargeParent, size, task_queue="large-more")
        assert await parent.result(timeout=60) == size
        child = client.get_workflow_handle(f"{parent.workflow_id}-child")
        started = (await child.history())[0].workflow_execution_started.input
        assert started.blob_id and started.blob_workflow_id == parent.workflow_id  # the child reads its input from the parent's shard
        closed = [e for e in await parent.history() if e.event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED]
        assert closed[0].child_workflow_execution_completed.result.blob_workflow_id == child.workflow_id

        fan_out = await client.start_workflow(FanOut, 5, task_queue="large-more")
        assert await fan_out.result(timeout=120) == [1024 * 1024] * 5  # results beside history, read back page by page
        assert max(e.ByteSize() for e in await fan_out.history()) < 64 * 1024

        updated = await client.start_workflow(Updated, task_queue="large-more")
        assert await updated.update("replace", "u" * size) == size
        assert await updated.result(timeout=60) == size
        accepted = [e for e in await updated.history() if e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
        assert accepted and all(e.ByteSize() < 4096 for e in accepted)


@pytest.mark.backends("sqlite", "postgres")
async def test_replay_without_cache_resolves_the_same_blobs(client):
    async with Worker(client, task_queue="large-replay", workflows=[Pipeline], activities=[make_text, digest], max_cached_workflows=0):
        handle = await client.start_workflow(Pipeline, args=(3 * 1024 * 1024, True), task_queue="large-replay")
        for _ in range(100):
            if any(e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in (await handle.history())[6:]):
                break
            await asyncio.sleep(0.1)
        await handle.signal("attach", "x" * (1024 * 1024))
        result = await handle.result(timeout=60)
    assert result["summary"]["length"] == 3 * 1024 * 1024 and result["extra_length"] == 1024 * 1024
    events = await handle.history()
    assert not any(e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in events)
    replayed = await workflows.Replayer(workflows=[Pipeline]).replay_workflow(await handle.fetch_history())
    assert replayed.replay_failure is None


async def test_the_seeds_offloadable_fields_stay_out_of_the_workflow(client):
    async with Worker(client, task_queue="large-fields", workflows=[Documents], activities=[load_document, count_document]):
        handle = await client.start_workflow(Documents, 1024 * 1024, task_queue="large-fields")
        result = await handle.result(timeout=60)
    assert result["count"] == 1024 * 1024
    assert result["in_workflow"] == "Offloadable attributes cannot be accessed in a workflow context."
    assert result["ref"].startswith(handle.workflow_id + "/")
    assert all(e.ByteSize() < 4096 for e in await handle.history())  # only the reference went through history
    small = Document(name="n", content=OffloadableField[str](value="tiny"))
    assert small.content.get_value() == "tiny"
    with pytest.raises(OffloadableFieldException, match="not loaded yet"):
        OffloadableField[str](value=None, blob_ref="w/b").get_value()


# ------------------------------------------------------------------ restarts and retention
@pytest.mark.backends("sqlite", "postgres")
async def test_blobs_survive_a_restart_of_cluster_and_worker(tmp_path, backend_env):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, **backend_overrides(backend_env))
    cluster = await embedded(config).start()
    try:
        client = await Client.connect(cluster.frontend_address, payload_offload_bytes=True)
        async with Worker(client, task_queue="large-restart", workflows=[Pipeline], activities=[make_text, digest]):
            handle = await client.start_workflow(Pipeline, args=(TEN_MB, True), id="large-restart", task_queue="large-restart")
            for _ in range(600):  # both activities done: the run waits for its signal
                if sum(e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in await handle.history()) == 2:
                    break
                await asyncio.sleep(0.1)
        await client.close()
    finally:
        await cluster.stop()
    cluster = await embedded(config).start()
    try:
        client = await Client.connect(cluster.frontend_address, payload_offload_bytes=True)  # a new client: nothing cached
        async with Worker(client, task_queue="large-restart", workflows=[Pipeline], activities=[make_text, digest]):
            handle = client.get_workflow_handle("large-restart")
            await handle.signal("attach", "go")
            result = await handle.result(timeout=120)
        assert len(result["text"]) == TEN_MB and result["summary"]["length"] == TEN_MB
        await client.close()
    finally:
        await cluster.stop()


@pytest.mark.backends("sqlite", "postgres")
async def test_retention_deletes_the_blobs_and_task_states(tmp_path, backend_env):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, retention_hours=1.0 / 3600,  # one second
                                    **backend_overrides(backend_env))
    cluster = await embedded(config).start()
    try:
        client = await Client.connect(cluster.frontend_address, payload_offload_bytes=True)

        @workflows.workflow.define(name="large_data_retained")
        class Retained:
            @workflows.workflow.entrypoint
            async def run(self, size: int) -> int:
                async with workflows.task("work", state={"done": 0}) as t:
                    text = await make_text(size)
                    await t.set_state({"done": 1})
                return len(text)

        async with Worker(client, task_queue="large-retention", workflows=[Retained], activities=[make_text]):
            assert await client.execute_workflow(Retained, 1024 * 1024, id="large-retained", task_queue="large-retention") == 1024 * 1024
        tables = ("payload_blobs", "task_states", "watch_entries")
        assert all([(await _stored(config, tmp_path, "COUNT(*)", t, "large-retained"))[0][0] for t in tables])
        for _ in range(200):
            left = [(await _stored(config, tmp_path, "COUNT(*)", t, "large-retained"))[0][0] for t in tables]
            if not any(left):
                break
            await asyncio.sleep(0.1)
        assert left == [0, 0, 0]
        await client.close()
    finally:
        await cluster.stop()


# ------------------------------------------------------------------ bad input
@pytest.mark.backends("sqlite", "postgres")
async def test_missing_and_malformed_blobs_are_refused_clearly(client):
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(client.channel)
    missing = "0" * 64
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetPayloadBlob(ws.GetPayloadBlobRequest(namespace="default", workflow_id="w", blob_id=missing))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and missing in err.value.details() and "retention" in err.value.details()
    for request, words in (
        (ws.PutPayloadBlobRequest(namespace="default", workflow_id="w", data=b"abc", blob_id=missing), "not the sha256"),
        (ws.PutPayloadBlobRequest(namespace="default", workflow_id="w", data=b"abc", blob_id="XYZ"), "64 lowercase hex"),
        (ws.PutPayloadBlobRequest(namespace="default", workflow_id="", data=b"abc", blob_id=missing), "workflow_id"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PutPayloadBlob(request)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and words in err.value.details(), err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetPayloadBlob(ws.GetPayloadBlobRequest(namespace="default", workflow_id="w", blob_id="nope"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    for payload, words in (
        (E.Payload(blob_id="xyz", blob_workflow_id="w"), "input.blob_id"),
        (E.Payload(blob_id=missing), "input.blob_workflow_id"),
        (E.Payload(blob_id=missing, blob_workflow_id="w", data=b"1"), "both data and a blob reference"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.SignalWorkflowExecution(ws.SignalWorkflowExecutionRequest(
                namespace="default", execution=E.WorkflowExecution(workflow_id="w"), signal_name="s", input=payload))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and words in err.value.details(), err.value.details()

    dangling = E.Payload(blob_id=missing, blob_size=10, blob_workflow_id="gone", encoding="json/plain")
    with pytest.raises(PayloadBlobNotFoundError, match="gone"):
        await resolve_payloads(client, E.HistoryEvent(activity_task_completed=E.ActivityTaskCompletedEventAttributes(result=dangling)))
    with pytest.raises(ValueError, match="stored beside history"):
        workflows.converter.from_payload(dangling)


async def test_a_signal_with_a_dangling_reference_fails_the_workflow_task_with_a_clear_message(client):
    async with Worker(client, task_queue="large-dangling", workflows=[Pipeline], activities=[make_text, digest]):
        handle = await client.start_workflow(Pipeline, args=(10, True), task_queue="large-dangling")
        dangling = E.Payload(blob_id="1" * 64, blob_size=10, blob_workflow_id=handle.workflow_id, encoding="json/plain")
        stub = workflow_service_pb2_grpc.WorkflowServiceStub(client.channel)
        await stub.SignalWorkflowExecution(ws.SignalWorkflowExecutionRequest(
            namespace="default", execution=E.WorkflowExecution(workflow_id=handle.workflow_id), signal_name="attach", input=dangling))
        for _ in range(300):
            progress = await handle.progress()
            if progress.HasField("last_workflow_task_failure"):
                break
            await asyncio.sleep(0.1)
        message = progress.last_workflow_task_failure.failure.message
        assert "1" * 64 in message and "does not exist" in message
        await handle.terminate("test over")


def test_the_offload_threshold_is_checked(monkeypatch):
    monkeypatch.delenv("FANFLOW_PAYLOAD_OFFLOAD_BYTES", raising=False)
    assert offload_threshold(None) == 0  # off unless configured, as in the seed
    assert offload_threshold(True) == DEFAULT_OFFLOAD_BYTES < LIMIT
    assert offload_threshold(0) == offload_threshold(False) == 0 and offload_threshold(1000) == 1000
    for bad in (-1, LIMIT, "big", 1.5):
        with pytest.raises(ValueError, match="payload_offload_bytes"):
            offload_threshold(bad)
    monkeypatch.setenv("FANFLOW_PAYLOAD_OFFLOAD_BYTES", "lots")
    with pytest.raises(ValueError, match="FANFLOW_PAYLOAD_OFFLOAD_BYTES"):
        offload_threshold(None)
    monkeypatch.setenv("FANFLOW_PAYLOAD_OFFLOAD_BYTES", "4096")
    assert offload_threshold(None) == 4096


async def test_offloading_off_keeps_the_payload_limit(embedded_cluster, monkeypatch):
    monkeypatch.delenv("FANFLOW_PAYLOAD_OFFLOAD_BYTES", raising=False)
    client = await Client.connect(embedded_cluster.frontend_address)  # the default: off
    try:
        async with Worker(client, task_queue="large-off", workflows=[Pipeline], activities=[make_text, digest]):
            handle = await client.start_workflow(Pipeline, 3 * 1024 * 1024, task_queue="large-off")
            with pytest.raises(workflows.WorkflowFailureError, match="limit"):
                await handle.result(timeout=60)
    finally:
        await client.close()
