"""Queries (issue 13) on the embedded cluster: the seed's documented query snippets with only
the import changed, running and closed runs, answered from the sticky worker's cached instance
or by replaying history (`max_cached_workflows=0`), a handler that tries to change the run
(refused, nothing changes), and every bad request with its gRPC status and nothing in history."""
from __future__ import annotations

import asyncio

import grpc
import pydantic
import pytest

import worker_sdk as workflows
from conftest import wait_for_event
from support.seed_message_snippets import ProcessingWorkflow
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from worker_sdk import Worker, WorkflowQueryFailedError

# ------------------------------------------------------------------ the seed's snippets (docs: Queries)
# ProcessingWorkflow (the first one) lives in seed_message_snippets.py, which worker processes import too.


class StatusRequest(pydantic.BaseModel):
    include_details: bool = False


@workflows.workflow.define(name="queries_status_request")
class StepsWorkflow:
    def __init__(self) -> None:
        self.progress = 0
        self.completed_steps: list[str] = []
        self.done = False

    # The seed's "Input validation" snippet, as documented.
    @workflows.workflow.query(name="get_status")
    def get_status(self, req: StatusRequest) -> dict:
        result = {"progress": self.progress}
        if req.include_details:
            result["steps"] = self.completed_steps
        return result

    @workflows.workflow.signal
    def step(self, name: str) -> None:
        self.completed_steps.append(name)
        self.progress = len(self.completed_steps)

    @workflows.workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflows.workflow.entrypoint
    async def run(self) -> int:
        await workflows.workflow.wait_condition(lambda: self.done)
        return self.progress


async def test_seed_processing_workflow_answers_while_running_and_once_closed(client):
    async with Worker(client, task_queue="queries-seed", workflows=[ProcessingWorkflow]):
        handle = await client.start_workflow(ProcessingWorkflow, task_queue="queries-seed")
        first = await handle.query("get_status")  # right after the start: its first workflow task ran
        assert first == {"progress": 10, "completed": False}
        for _ in range(100):
            status = await handle.query("get_status")
            if status["progress"] >= 30:
                break
            await asyncio.sleep(0.2)
        assert 30 <= status["progress"] < 100 and status["completed"] is False
        assert await handle.result(timeout=60) is None
        assert await handle.query("get_status") == {"progress": 100, "completed": True}  # a closed run: replayed
    kinds = [e.event_type for e in await handle.history()]
    assert E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED not in kinds  # queries write nothing


async def test_seed_query_input_is_a_pydantic_model(client):
    async with Worker(client, task_queue="queries-input", workflows=[StepsWorkflow]):
        handle = await client.start_workflow(StepsWorkflow, task_queue="queries-input")
        await handle.signal("step", "fetch")
        await handle.signal("step", "parse")
        assert await handle.query("get_status") == {"progress": 2}  # no input: the model's defaults
        assert await handle.query("get_status", {"include_details": True}) == {"progress": 2, "steps": ["fetch", "parse"]}
        assert await handle.query("get_status", {"req": {"include_details": True}}) == {"progress": 2, "steps": ["fetch", "parse"]}
        assert await handle.query(StepsWorkflow.get_status, StatusRequest(include_details=False)) == {"progress": 2}
        events_before = len(await handle.history())
        with pytest.raises(WorkflowQueryFailedError) as refused:
            await handle.query("get_status", {"include_details": "maybe"})
        assert refused.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT
        assert "parameter 'req'" in refused.value.message and "include_details" in refused.value.message
        assert len(await handle.history()) == events_before
        await handle.signal("finish")
        assert await handle.result(timeout=30) == 2


# ------------------------------------------------------------------ cached instance or replay


@workflows.activity()
async def queries_double(n: int) -> int:
    return n * 2


class Snapshot(pydantic.BaseModel):
    total: int
    seen: list[int]


@workflows.workflow.define(name="queries_counter")
class Counter:
    def __init__(self) -> None:
        self.seen: list[int] = []
        self.total = 0
        self.stop = False
        self.token = ""

    @workflows.workflow.signal
    async def add(self, n: int) -> None:
        self.seen.append(n)  # in signal order (handlers start in history order)
        doubled = await queries_double(n)
        self.total += doubled

    @workflows.workflow.signal
    def finish(self) -> None:
        self.stop = True

    @workflows.workflow.query
    def snapshot(self) -> Snapshot:
        return Snapshot(total=self.total, seen=self.seen)

    @workflows.workflow.query
    def above(self, threshold: int, scale: int = 1) -> list[int]:
        return [n * scale for n in self.seen if n > threshold]

    @workflows.workflow.query
    def random_peek(self) -> str:
        # The workflow's random generator and uuid4 advance here, yet the run must not notice.
        workflows.workflow.random().random()
        return str(workflows.workflow.uuid4())

    @workflows.workflow.query
    def schedules_an_activity(self) -> int:
        asyncio.ensure_future(queries_double(1))  # work on the workflow's loop: refused
        return 0

    @workflows.workflow.query
    def records_an_event(self) -> int:
        workflows.workflow.record_event("from-a-query", {"n": 1})  # a command: refused
        return 0

    @workflows.workflow.query
    def starts_a_timer(self) -> int:
        asyncio.get_running_loop().call_later(5, lambda: None)  # a durable timer: refused
        return 0

    @workflows.workflow.query
    def broken(self) -> int:
        return 1 // 0

    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        await workflows.workflow.wait_condition(lambda: self.stop)
        self.token = str(workflows.workflow.uuid4())
        return {"total": self.total, "token": self.token}

    @workflows.workflow.query
    def get_token(self) -> str:
        return self.token


@pytest.mark.parametrize("cached", [True, False], ids=["cached-instance", "replay"])
async def test_queries_on_a_running_and_a_closed_run(client, cached):
    queue = f"queries-counter-{cached}"
    async with Worker(client, task_queue=queue, workflows=[Counter], activities=[queries_double], max_cached_workflows=1000 if cached else 0) as worker:
        handle = await client.start_workflow(Counter, task_queue=queue)
        await handle.signal("add", 3)
        await handle.signal("add", 5)
        await handle.signal("add", 1)
        for _ in range(100):  # the signal handlers run activities: wait until all three are in
            if (await handle.query("snapshot"))["total"] == 18:
                break
            await asyncio.sleep(0.1)
        assert await handle.query("snapshot") == {"total": 18, "seen": [3, 5, 1]}  # by name: plain JSON
        assert await handle.query(Counter.snapshot) == Snapshot(total=18, seen=[3, 5, 1])  # by method: its return type
        assert await handle.query("above", 2) == [3, 5]  # a bare value for the first parameter
        assert await handle.query("above", threshold=2, scale=10) == [30, 50]  # fanflow's: parameters by name
        assert await handle.query("above", {"threshold": 4, "scale": 2}) == [10]  # the seed's: one object keyed by name
        replays_while_running = worker.workflow_worker.query_replays
        if cached:
            assert replays_while_running == 0  # the sticky worker answered from its cached instance
        else:
            assert replays_while_running >= 6  # nothing cached: each query replayed the history
        await handle.signal("finish")
        result = await handle.result(timeout=30)
        assert await handle.query("snapshot") == {"total": 18, "seen": [3, 5, 1]}  # closed: replayed
        assert await handle.query("get_token") == result["token"]
        assert worker.workflow_worker.query_replays > replays_while_running


async def test_a_query_that_tries_to_change_the_run_is_refused_and_changes_nothing(client):
    async with Worker(client, task_queue="queries-readonly", workflows=[Counter], activities=[queries_double]) as worker:
        handle = await client.start_workflow(Counter, task_queue="queries-readonly")
        await handle.signal("add", 2)
        await wait_for_event(handle, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        for _ in range(100):
            if (await handle.query("snapshot"))["total"] == 4:
                break
            await asyncio.sleep(0.1)
        cached = worker.workflow_worker.cache[handle_run_id(await handle.describe())]
        events_before = [e.event_type for e in await handle.history()]
        for name, says in (
            ("schedules_an_activity", "scheduled work on the workflow's event loop"),
            ("records_an_event", "tried to RecordMarker"),
            ("starts_a_timer", "tried to StartTimer"),
        ):
            with pytest.raises(WorkflowQueryFailedError) as refused:
                await handle.query(name)
            assert refused.value.grpc_code == grpc.StatusCode.FAILED_PRECONDITION, name
            assert says in refused.value.message and "nothing was recorded" in refused.value.message, refused.value.message
        with pytest.raises(WorkflowQueryFailedError) as broken:
            await handle.query("broken")
        assert broken.value.grpc_code == grpc.StatusCode.FAILED_PRECONDITION and "ZeroDivisionError" in broken.value.message
        peeks = {await handle.query("random_peek") for _ in range(3)}
        assert len(peeks) == 1  # the generator is put back after each query
        assert [e.event_type for e in await handle.history()] == events_before  # nothing recorded
        assert worker.workflow_worker.cache[handle_run_id(await handle.describe())] is cached  # the same instance, still cached
        assert worker.workflow_worker.query_replays == 0
        await handle.signal("add", 1)  # the run goes on: its next tasks produce what they would have
        for _ in range(100):
            if (await handle.query("snapshot"))["total"] == 6:
                break
            await asyncio.sleep(0.1)
        await handle.signal("finish")
        result = await handle.result(timeout=30)
        # A replay (without those queries) draws the same token: the queries left the generator alone.
        assert result == {"total": 6, "token": await handle.query("get_token")}
    events = await handle.history()
    assert not [e for e in events if e.event_type in (E.EVENT_TYPE_WORKFLOW_TASK_FAILED, E.EVENT_TYPE_TIMER_STARTED, E.EVENT_TYPE_MARKER_RECORDED)]
    assert [e.activity_task_scheduled.activity_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] == ["1", "2"]


def handle_run_id(description: ws.DescribeWorkflowExecutionResponse) -> str:
    return description.info.execution.run_id


# ------------------------------------------------------------------ refused, each with its status


async def test_unknown_query_name_is_refused_without_a_worker(client):
    handle = await client.start_workflow(Counter, task_queue="queries-nobody")  # no worker polls this queue
    with pytest.raises(WorkflowQueryFailedError) as refused:
        await handle.query("no_such_query", timeout=2)
    assert refused.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT
    message = refused.value.message
    assert "no query handler named 'no_such_query'" in message and "'snapshot'" in message and "'above'" in message
    assert [e.event_type for e in await handle.history()] == [E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]
    # A known name, but the run never ran: there is no state to answer from yet.
    with pytest.raises(WorkflowQueryFailedError) as not_yet:
        await handle.query("snapshot", timeout=1)
    assert not_yet.value.grpc_code == grpc.StatusCode.FAILED_PRECONDITION and "has not completed its first workflow task" in not_yet.value.message
    await handle.terminate("done")


async def test_bad_input_and_no_worker_polling(client):
    async with Worker(client, task_queue="queries-gone", workflows=[Counter], activities=[queries_double]):
        handle = await client.start_workflow(Counter, task_queue="queries-gone")
        assert (await handle.query("snapshot"))["total"] == 0
        with pytest.raises(WorkflowQueryFailedError) as bad:
            await handle.query("above", {"threshold": "high"})
        assert bad.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT and "parameter 'threshold'" in bad.value.message
        with pytest.raises(WorkflowQueryFailedError) as extra:
            await handle.query("above", {"threshold": 1, "colour": "red"})
        assert extra.value.grpc_code == grpc.StatusCode.INVALID_ARGUMENT and "colour" in extra.value.message
    # The worker is gone: nobody polls the queue.
    with pytest.raises(WorkflowQueryFailedError) as gone:
        await handle.query("snapshot", timeout=2)
    assert gone.value.grpc_code == grpc.StatusCode.UNAVAILABLE
    assert "no worker is polling task queue 'queries-gone'" in gone.value.message and "nothing was recorded" in gone.value.message
    await handle.terminate("done")


async def test_query_rpc_checks_its_request(embedded_cluster):
    channel = grpc.aio.insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as no_name:
            await stub.QueryWorkflow(ws.QueryWorkflowRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="x"), query=E.WorkflowQuery()))
        assert no_name.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "query.query_type" in no_name.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.QueryWorkflow(ws.QueryWorkflowRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="no-such-workflow"), query=E.WorkflowQuery(query_type="q")))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as internal:
            await stub.QueryWorkflow(ws.QueryWorkflowRequest(
                namespace="default", execution=E.WorkflowExecution(workflow_id="x"), query=E.WorkflowQuery(query_type="q", kind=E.QUERY_KIND_UPDATE_VALIDATION)))
        assert internal.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "query.kind" in internal.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as forged:
            await stub.RespondQueryTaskCompleted(ws.RespondQueryTaskCompletedRequest(namespace="default", task_token=b"\x01\x02garbage", completed_type=ws.QUERY_RESULT_TYPE_ANSWERED))
        assert forged.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "task token" in forged.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as negative:
            await stub.QueryWorkflow(ws.QueryWorkflowRequest(
                namespace="default", execution=E.WorkflowExecution(workflow_id="x"), query=E.WorkflowQuery(query_type="q"), timeout={"seconds": -1}))
        assert negative.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "timeout" in negative.value.details()
    finally:
        await channel.close()
