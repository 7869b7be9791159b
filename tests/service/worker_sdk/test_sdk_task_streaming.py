"""Streaming state (issue 13): `workflows.task` / `task_from` on the embedded cluster. The seed's
documented snippets with only the import changed; task state from workflow code and from an
activity, visible in the progress API and on the WatchWorkflow stream while the run goes; the
stream resumes from a cursor and ends when the chain closes (continue-as-new included);
replay with the cache off gives the same history; everything survives a restart; bad input.
The main cases run on SQLite and PostgreSQL (`@pytest.mark.backends`)."""
from __future__ import annotations

import asyncio
import json
import sys

import grpc
import pytest

import worker_sdk as workflows
from conftest import ROOT
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from support.seed_task_snippets import DocstringExamples, MyWorkflow, call_activity_1, call_activity_2, process_file
from worker_sdk import Client, Worker, WorkflowNotFoundError, task, task_from

SNIPPET_ACTIVITIES = [process_file, call_activity_1, call_activity_2]


def _state(task_state) -> object:
    return json.loads(task_state.state.data) if task_state.HasField("state") else None


# ------------------------------------------------------------------ workflows of these tests
# The activity below waits for the test (same process); a new event each run, since an event
# is bound to the event loop it was first awaited on and each test case has its own loop.
_released = asyncio.Event()


@workflows.activity(name="task_streaming_transcribe")
async def transcribe(chunks: int) -> int:
    async with task("transcription", state={"chunks": 0, "of": chunks}) as t:
        await t.update_state({"chunks": 1})
        await _released.wait()
        await t.update_state({"chunks": chunks})
    return chunks


@workflows.workflow.define(name="task_streaming_live")
class LiveWorkflow:
    def __init__(self) -> None:
        self.go = False

    @workflows.workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflows.workflow.entrypoint
    async def run(self, chunks: int) -> int:
        async with task("pipeline", state={"stage": "transcribing"}) as t:
            workflows.record_event("pipeline_started", {"chunks": chunks})
            done = await transcribe(chunks)
            await t.update_state({"stage": "waiting"})
            await workflows.workflow.wait_condition(lambda: self.go)
            await t.set_state({"stage": "done", "chunks": done})
        return done


@workflows.workflow.define(name="task_streaming_failing")
class FailingWorkflow:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        try:
            async with task("risky", state={"step": 1}):
                raise ValueError("the model refused")
        except ValueError as exc:
            return str(exc)


@workflows.workflow.define(name="task_streaming_chain")
class ChainWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, left: int) -> int:
        async with task("round", state={"left": left}):
            pass
        if left > 0:
            workflows.workflow.continue_as_new(left - 1)
        return left


async def _collect(handle, cursor: int = 0, progress: bool = False) -> list[ws.WatchWorkflowResponse]:
    return [r async for r in handle.watch(cursor, progress=progress)]


# ------------------------------------------------------------------ the seed's snippets
@pytest.mark.backends("sqlite", "postgres")
async def test_seed_task_docstring_snippets_show_in_progress_and_stream(client):
    async with Worker(client, task_queue="task-seed", workflows=[MyWorkflow, DocstringExamples], activities=SNIPPET_ACTIVITIES):
        handle = await client.start_workflow(MyWorkflow, task_queue="task-seed")
        assert await handle.result(timeout=60) == ["one", "two"]
        progress = await handle.progress()
        by_type = {t.type: t for t in progress.tasks}
        assert set(by_type) == {"llm_generation", "file_processing"}
        llm, file = by_type["llm_generation"], by_type["file_processing"]
        assert llm.status == file.status == ws.TASK_STATUS_COMPLETED
        assert _state(llm) == {"tokens": 200} and llm.changes == 4 and not llm.activity_id  # started, 2 set_state, completed
        assert _state(file) == {"progress": 100} and file.changes == 4 and file.activity_id  # reported by the activity
        assert llm.started_time.ToNanoseconds() <= llm.closed_time.ToNanoseconds()
        states = [(r.task.type, r.task.status, _state(r.task)) for r in await _collect(handle) if r.HasField("task")]
        assert states == [
            ("llm_generation", ws.TASK_STATUS_STARTED, {"tokens": 0}),
            ("llm_generation", ws.TASK_STATUS_IN_PROGRESS, {"tokens": 100}),
            ("llm_generation", ws.TASK_STATUS_IN_PROGRESS, {"tokens": 200}),
            ("llm_generation", ws.TASK_STATUS_COMPLETED, {"tokens": 200}),
            ("file_processing", ws.TASK_STATUS_STARTED, {"progress": 0}),
            ("file_processing", ws.TASK_STATUS_IN_PROGRESS, {"progress": 50}),
            ("file_processing", ws.TASK_STATUS_IN_PROGRESS, {"progress": 100}),
            ("file_processing", ws.TASK_STATUS_COMPLETED, {"progress": 100}),
        ]

        handle = await client.start_workflow(DocstringExamples, "my-task-id", task_queue="task-seed")
        assert await handle.result(timeout=60) == {"progress": 100, "status": "done"}
        tasks = (await handle.progress()).tasks
        assert [(t.type, _state(t)) for t in tasks] == [
            ("cleanup", None),
            ("export", {"progress": 100}),
            ("export", {"progress": 100, "status": "done"}),
            ("wait_for_input", {"asked": True}),
            ("document_processing", {"progress": 0.5}),  # type from the model's title
            ("export", {"progress": 100}),
            ("document_processing", {"progress": 0.5}),
        ]
        assert tasks[3].id == "my-task-id" and tasks[6].id == "custom-id"
        assert all(t.status == ws.TASK_STATUS_COMPLETED for t in tasks)
        assert len({t.id for t in tasks}) == 7


async def test_task_outside_a_worker_keeps_state_locally():
    async with task("local", state={"n": 1}) as t:
        await t.update_state({"n": 2})
        assert t.state == {"n": 2} and t.type == "local" and t.id
    async with task_from({"n": 0}, type="counted") as t:
        await t.set_state({"n": 5})
    assert t.state == {"n": 5}


# ------------------------------------------------------------------ live: progress and stream while running
@pytest.mark.backends("sqlite", "postgres")
async def test_task_states_from_workflow_and_activity_are_visible_while_running(client):
    global _released
    _released = asyncio.Event()
    async with Worker(client, task_queue="task-live", workflows=[LiveWorkflow], activities=[transcribe]):
        handle = await client.start_workflow(LiveWorkflow, 3, task_queue="task-live")
        seen: list[ws.WatchWorkflowResponse] = []
        activity_progress = asyncio.Event()

        async def watch() -> None:
            async for response in handle.watch():
                seen.append(response)
                if response.HasField("task") and response.task.type == "transcription" and _state(response.task) == {"chunks": 1, "of": 3}:
                    activity_progress.set()

        watcher = asyncio.create_task(watch())
        await asyncio.wait_for(activity_progress.wait(), 30)
        # While the activity runs: both tasks in progress, the run RUNNING.
        progress = await handle.progress()
        assert progress.status == E.WORKFLOW_EXECUTION_STATUS_RUNNING
        live = {t.type: t for t in progress.tasks}
        assert live["pipeline"].status == ws.TASK_STATUS_STARTED and _state(live["pipeline"]) == {"stage": "transcribing"}
        assert live["transcription"].status == ws.TASK_STATUS_IN_PROGRESS and _state(live["transcription"]) == {"chunks": 1, "of": 3}
        assert not watcher.done()
        kinds = [r.WhichOneof("item") for r in seen]
        assert kinds[0] == "progress" and "status" in kinds and "event" in kinds  # snapshot first; the start; record_event

        _released.set()
        for _ in range(300):  # the workflow now waits for its signal, its task "waiting"
            tasks = {t.type: t for t in (await handle.progress()).tasks}
            if _state(tasks["pipeline"]) == {"stage": "waiting"}:
                break
            await asyncio.sleep(0.1)
        assert tasks["transcription"].status == ws.TASK_STATUS_COMPLETED
        assert not watcher.done()
        await handle.signal("proceed")
        assert await handle.result(timeout=30) == 3
        await asyncio.wait_for(watcher, 30)  # the stream ends once the run closed

    changes = [r for r in seen if not r.HasField("progress")]
    cursors = [r.cursor for r in changes]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert changes[0].status.status == E.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert changes[-1].status.status == E.WORKFLOW_EXECUTION_STATUS_COMPLETED
    pipeline = [(r.task.status, _state(r.task)) for r in changes if r.task.type == "pipeline"]
    assert pipeline == [
        (ws.TASK_STATUS_STARTED, {"stage": "transcribing"}),
        (ws.TASK_STATUS_IN_PROGRESS, {"stage": "waiting"}),
        (ws.TASK_STATUS_IN_PROGRESS, {"stage": "done", "chunks": 3}),
        (ws.TASK_STATUS_COMPLETED, {"stage": "done", "chunks": 3}),
    ]
    event = next(r.event for r in changes if r.HasField("event"))
    assert event.name == "pipeline_started" and json.loads(event.details.data) == {"chunks": 3}
    last_progress = [r for r in seen if r.HasField("progress")][-1].progress
    assert last_progress.status == E.WORKFLOW_EXECUTION_STATUS_COMPLETED

    # Resuming from any cursor gives exactly what came after it.
    middle = cursors[len(cursors) // 2]
    resumed = await _collect(handle, middle)
    assert [r.cursor for r in resumed] == [c for c in cursors if c > middle]
    assert resumed == [r for r in changes if r.cursor > middle]
    assert await _collect(handle, cursors[-1]) == []  # closed, nothing after: ends at once


async def test_a_task_that_raises_is_failed_and_the_error_goes_on(client):
    async with Worker(client, task_queue="task-fail", workflows=[FailingWorkflow]):
        handle = await client.start_workflow(FailingWorkflow, task_queue="task-fail")
        assert await handle.result(timeout=30) == "the model refused"
        (risky,) = (await handle.progress()).tasks
        assert risky.status == ws.TASK_STATUS_FAILED and risky.error == "the model refused" and _state(risky) == {"step": 1}
        assert risky.HasField("closed_time")


@pytest.mark.backends("sqlite", "postgres")
async def test_the_stream_follows_continue_as_new_and_ends_with_the_chain(client):
    async with Worker(client, task_queue="task-chain", workflows=[ChainWorkflow]):
        handle = await client.start_workflow(ChainWorkflow, 2, task_queue="task-chain")
        assert await handle.result(timeout=30) == 0
        changes = await _collect(handle)
    statuses = [r.status.status for r in changes if r.HasField("status")]
    assert statuses == [
        E.WORKFLOW_EXECUTION_STATUS_RUNNING, E.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
        E.WORKFLOW_EXECUTION_STATUS_RUNNING, E.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
        E.WORKFLOW_EXECUTION_STATUS_RUNNING, E.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    ]
    rounds = [_state(r.task) for r in changes if r.HasField("task") and r.task.status == ws.TASK_STATUS_COMPLETED]
    assert rounds == [{"left": 2}, {"left": 1}, {"left": 0}]
    progress = await handle.progress()
    assert progress.runs == 3 and [_state(t) for t in progress.tasks] == [{"left": 2}, {"left": 1}, {"left": 0}]
    assert len({t.run_id for t in progress.tasks}) == 3


# ------------------------------------------------------------------ replay and restarts
async def test_replay_without_cache_records_the_same_history(client):
    async def marker_events(max_cached: int) -> list[tuple[int, str]]:
        async with Worker(client, task_queue=f"task-replay-{max_cached}", workflows=[MyWorkflow], activities=SNIPPET_ACTIVITIES,
                          max_cached_workflows=max_cached):
            handle = await client.start_workflow(MyWorkflow, task_queue=f"task-replay-{max_cached}")
            assert await handle.result(timeout=60) == ["one", "two"]
            history = await handle.history()
        assert not any(e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history)
        replayed = await workflows.Replayer(workflows=[MyWorkflow]).replay_workflow(await handle.fetch_history())
        assert replayed.replay_failure is None
        return [(e.event_type, e.marker_recorded.marker_name) for e in history]

    assert await marker_events(0) == await marker_events(1000)


async def test_task_states_and_the_stream_survive_a_restart(tmp_path):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0)
    cluster = await embedded(config).start()
    try:
        client = await Client.connect(cluster.frontend_address)
        async with Worker(client, task_queue="task-restart", workflows=[MyWorkflow], activities=SNIPPET_ACTIVITIES):
            handle = await client.start_workflow(MyWorkflow, id="task-restart", task_queue="task-restart")
            await handle.result(timeout=60)
        before_tasks = (await handle.progress()).tasks
        before_stream = await _collect(handle)
        await client.close()
    finally:
        await cluster.stop()
    cluster = await embedded(config).start()
    try:
        client = await Client.connect(cluster.frontend_address)
        handle = client.get_workflow_handle("task-restart")
        assert (await handle.progress()).tasks == before_tasks
        assert await _collect(handle) == before_stream
        await client.close()
    finally:
        await cluster.stop()


# ------------------------------------------------------------------ the CLI and bad input
@pytest.mark.backends("sqlite", "postgres")
async def test_cli_watch_prints_json_lines_until_the_run_closes(client, embedded_cluster):
    async with Worker(client, task_queue="task-cli", workflows=[MyWorkflow], activities=SNIPPET_ACTIVITIES):
        handle = await client.start_workflow(MyWorkflow, task_queue="task-cli")
        await handle.result(timeout=60)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fanflow.cli", "workflow", "watch", handle.workflow_id, "--address", embedded_cluster.frontend_address,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert "progress" in lines[0]
    tasks = [line["task"] for line in lines if "task" in line]
    assert tasks[0]["type"] == "llm_generation" and tasks[0]["state"] == {"tokens": 0} and tasks[0]["status"] == "TASK_STATUS_STARTED"
    assert lines[-1]["status"]["status"] == "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    resume_after = int(lines[3]["cursor"])
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fanflow.cli", "workflow", "watch", handle.workflow_id, "--address", embedded_cluster.frontend_address,
        "--cursor", str(resume_after), "--no-progress", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    resumed = [json.loads(line) for line in out.decode().splitlines()]
    assert resumed == [line for line in lines if "progress" not in line and int(line["cursor"]) > resume_after]

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fanflow.cli", "workflow", "watch", "no-such-workflow", "--address", embedded_cluster.frontend_address,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1 and "no-such-workflow" in err.decode()


async def test_watching_an_unknown_workflow_is_not_found(client, embedded_cluster):
    with pytest.raises(WorkflowNotFoundError, match="nobody-here"):
        await _collect(client.get_workflow_handle("nobody-here"))
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(client.channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for _ in stub.WatchWorkflow(ws.WatchWorkflowRequest(namespace="default", workflow_id="nobody-here")):
            pass
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    for bad, field in (
        (ws.WatchWorkflowRequest(namespace="default", workflow_id=""), "workflow_id"),
        (ws.WatchWorkflowRequest(namespace="default", workflow_id="x", cursor=-1), "cursor"),
        (ws.WatchWorkflowRequest(namespace="", workflow_id="x"), "namespace"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            async for _ in stub.WatchWorkflow(bad):
                pass
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in err.value.details()
    with pytest.raises(ValueError, match="cursor"):
        await _collect(client.get_workflow_handle("x"), -1)


@pytest.mark.backends("sqlite", "postgres")
async def test_record_task_state_refuses_bad_and_stale_tokens(client):
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(client.channel)
    good_task = ws.TaskState(id="t", type="x", status=ws.TASK_STATUS_STARTED)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.RecordTaskState(ws.RecordTaskStateRequest(namespace="default", task_token=b"garbage", task=good_task))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "task_token" in err.value.details()

    # A real token of an activity that finished: its attempt is over.
    tokens: list[bytes] = []

    @workflows.activity(name="task_streaming_keep_token")
    async def keep_token() -> None:
        tokens.append(workflows.activity.info().task_token)

    @workflows.workflow.define(name="task_streaming_token_keeper")
    class TokenKeeper:
        @workflows.workflow.entrypoint
        async def run(self) -> None:
            await keep_token()

    async with Worker(client, task_queue="task-token", workflows=[TokenKeeper], activities=[keep_token]):
        await client.execute_workflow(TokenKeeper, task_queue="task-token")
    for task_state, code, words in (
        (good_task, grpc.StatusCode.NOT_FOUND, "closed"),
        (ws.TaskState(id="t", type="x"), grpc.StatusCode.INVALID_ARGUMENT, "task.status"),
        (ws.TaskState(type="x", status=ws.TASK_STATUS_STARTED), grpc.StatusCode.INVALID_ARGUMENT, "task.id"),
        (ws.TaskState(id="t", type="x", status=7), grpc.StatusCode.INVALID_ARGUMENT, "task.status"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.RecordTaskState(ws.RecordTaskStateRequest(namespace="default", task_token=tokens[0], task=task_state))
        assert err.value.code() == code and words in err.value.details(), err.value.details()


async def test_task_api_misuse_names_what_to_fix():
    with pytest.raises(ValueError, match="type="):
        task_from({"progress": 0})
    with pytest.raises(ValueError, match="type"):
        task("")
    stateless = task("cleanup")
    with pytest.raises(RuntimeError, match="without state"):
        await stateless.set_state({"a": 1})
    with pytest.raises(RuntimeError, match="without state"):
        await stateless.update_state({"a": 1})
    with pytest.raises(TypeError, match="pydantic model or dict"):
        await task("n", state=3).update_state({"a": 1})
    with pytest.raises(TypeError, match="JSON"):
        await task("n", state={"a": 1}).set_state({"a": object()})
    entered = task("once")
    async with entered:
        pass
    with pytest.raises(RuntimeError, match="already entered"):
        async with entered:
            pass


async def test_watch_is_server_streaming_in_reflection_and_guarded_by_api_keys(tmp_path):
    """grpcurl finds WatchWorkflow by reflection (a server stream); with auth on it needs a key
    of the namespace it watches, like every other call."""
    from google.protobuf import descriptor_pb2
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0, auth_enabled=True, admin_api_keys=["admin-key"])
    cluster = await embedded(config).start()
    channel = grpc.aio.insecure_channel(cluster.frontend_address)
    try:
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="fanflow.v1.WorkflowService")
        async for response in reflection.ServerReflectionInfo(iter([request])):
            files = [descriptor_pb2.FileDescriptorProto.FromString(raw) for raw in response.file_descriptor_response.file_descriptor_proto]
        methods = {m.name: m for f in files for s in f.service if s.name == "WorkflowService" for m in s.method}
        assert methods["WatchWorkflow"].server_streaming and not methods["WatchWorkflow"].client_streaming
        assert {"RecordTaskState", "PutPayloadBlob", "GetPayloadBlob"} <= set(methods)

        stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
        request = ws.WatchWorkflowRequest(namespace="default", workflow_id="w")
        for metadata, code in ((None, grpc.StatusCode.UNAUTHENTICATED), ((("authorization", "Bearer wrong"),), grpc.StatusCode.UNAUTHENTICATED),
                               ((("authorization", "Bearer admin-key"),), grpc.StatusCode.NOT_FOUND)):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                async for _ in stub.WatchWorkflow(request, metadata=metadata):
                    pass
            assert err.value.code() == code, err.value.details()
    finally:
        await channel.close()
        await cluster.stop()
