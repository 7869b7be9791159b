"""worker_sdk/completion_sender.py: completions that wait for a call in flight leave together
in one RespondActivityTasksCompleted (RespondWorkflowTasksCompleted) call, each answered on its
own; a cluster without the batch call gets one call each."""
from __future__ import annotations

import asyncio
import json

import grpc
import pytest

from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import common_pb2, workflow_service_pb2 as ws, workflow_service_pb2_grpc
from worker_sdk import Client
from worker_sdk.completion_sender import MAX_IN_FLIGHT, CompletionSender, WorkflowTaskCompletionSender

NS = "default"
TQ = common_pb2.TaskQueue(name="completion-sender-tq")


def payload(value) -> common_pb2.Payload:
    return common_pb2.Payload(data=json.dumps(value).encode(), encoding="json/plain")


async def _activity_tasks(client: Client, workflow_id: str, n: int) -> list[ws.PollActivityTaskQueueResponse]:
    """Start a run whose first workflow task schedules n activities; poll them all."""
    await client.call("StartWorkflowExecution", ws.StartWorkflowExecutionRequest(
        namespace=NS, workflow_id=workflow_id, workflow_type=common_pb2.WorkflowType(name="Sender"), task_queue=TQ, request_id=workflow_id))
    task = await client.call("PollWorkflowTaskQueue", ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
    commands = [common_pb2.Command(
        command_type=common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(
            activity_id=str(i), activity_type=common_pb2.ActivityType(name="noop"), input=payload(i), start_to_close_timeout={"seconds": 60}))
        for i in range(n)]
    await client.call("RespondWorkflowTaskCompleted", ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, commands=commands))
    tasks = []
    while len(tasks) < n:
        act = await client.call("PollActivityTaskQueue", ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=TQ, identity="a"))
        if act.task_token:
            tasks.append(act)
    return tasks


@pytest.fixture
async def client(tmp_path):
    process = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0)).start()
    client = await Client.connect(process.frontend_address)
    yield client
    await client.close()
    await process.stop()


async def test_completions_that_wait_leave_in_one_batch_and_each_gets_its_answer(client):
    tasks = await _activity_tasks(client, "sender-1", 50)
    sender = CompletionSender(client)
    requests = [ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=t.task_token, result=payload(i)) for i, t in enumerate(tasks)]
    requests.append(requests[7])  # a duplicate: its own outcome is NOT_FOUND
    outcomes = await asyncio.gather(*(sender.complete(r) for r in requests), return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1 and errors[0].code() == grpc.StatusCode.NOT_FOUND, errors
    assert all(isinstance(o, ws.RespondActivityTaskCompletedResponse) for o in outcomes if o is not errors[0])
    # the first MAX_IN_FLIGHT went alone, everything else waited and left in batches
    assert sender.batches_sent >= 1
    events = (await client.call("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(
        namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="sender-1"), maximum_page_size=1000))).history.events
    results = sorted(json.loads(e.activity_task_completed.result.data) for e in events if e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    assert results == list(range(50))


class _SingleCallsOnly(workflow_service_pb2_grpc.WorkflowServiceServicer):
    """A frontend from before the batch call: RespondActivityTasksCompleted is UNIMPLEMENTED
    (the generated base class answers so); single completions are forwarded to a real cluster."""

    def __init__(self, upstream: Client):
        self.upstream = upstream
        self.single_calls = 0

    async def RespondActivityTaskCompleted(self, request, context):
        self.single_calls += 1
        return await self.upstream.call("RespondActivityTaskCompleted", request)


async def test_a_cluster_without_the_batch_call_gets_one_call_per_completion(client):
    tasks = await _activity_tasks(client, "sender-2", 20)
    old = _SingleCallsOnly(client)
    server = grpc.aio.server()
    workflow_service_pb2_grpc.add_WorkflowServiceServicer_to_server(old, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        old_client = await Client.connect(f"127.0.0.1:{port}")
        sender = CompletionSender(old_client)
        requests = [ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=t.task_token, result=payload(i)) for i, t in enumerate(tasks)]
        outcomes = await asyncio.gather(*(sender.complete(r) for r in requests))
        assert all(isinstance(o, ws.RespondActivityTaskCompletedResponse) for o in outcomes)
        assert sender.batch_supported is False and sender.batches_sent == 0
        assert old.single_calls == 20 and MAX_IN_FLIGHT < 20
        await old_client.close()
    finally:
        await server.stop(None)


async def test_workflow_task_completions_that_wait_leave_in_one_batch_with_their_eager_activities(client):
    """Thirty runs' first workflow tasks completed at once: each completion gets its own reply,
    with the activity it asked to start eagerly; a stale token fails alone."""
    tasks = []
    for i in range(30):
        await client.call("StartWorkflowExecution", ws.StartWorkflowExecutionRequest(
            namespace=NS, workflow_id=f"wft-sender-{i}", workflow_type=common_pb2.WorkflowType(name="Sender"), task_queue=TQ, request_id=f"wft-{i}"))
    while len(tasks) < 30:
        task = await client.call("PollWorkflowTaskQueue", ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
        if task.task_token:
            tasks.append(task)
    sender = WorkflowTaskCompletionSender(client)

    def completion(task):
        schedule = common_pb2.Command(
            command_type=common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
            schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(
                activity_id="a", activity_type=common_pb2.ActivityType(name="noop"), input=payload(task.workflow_execution.workflow_id),
                start_to_close_timeout={"seconds": 60}, request_eager_execution=True))
        return ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, commands=[schedule], identity="w")

    requests = [completion(t) for t in tasks]
    requests.append(requests[3])  # a duplicate: the task is no longer running
    outcomes = await asyncio.gather(*(sender.complete(r) for r in requests), return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1 and errors[0].code() == grpc.StatusCode.NOT_FOUND, errors
    assert sender.batches_sent >= 1
    replies = [o for o in outcomes if not isinstance(o, BaseException)]
    assert all(isinstance(o, ws.RespondWorkflowTaskCompletedResponse) for o in replies)
    started = sorted(json.loads(r.activity_tasks[0].input.data) for r in replies)  # each reply carries its own run's activity
    assert started == sorted(t.workflow_execution.workflow_id for t in tasks)
    assert all(r.activity_tasks[0].workflow_execution.workflow_id == json.loads(r.activity_tasks[0].input.data) for r in replies)


@pytest.mark.parametrize("build, needle", [
    (lambda t: ws.RespondWorkflowTasksCompletedRequest(namespace=NS), "completions is empty"),
    (lambda t: ws.RespondWorkflowTasksCompletedRequest(namespace=NS, completions=[ws.RespondWorkflowTaskCompletedRequest(task_token=t)] * 1001), "at most 1,000"),
    (lambda t: ws.RespondWorkflowTasksCompletedRequest(namespace=NS, completions=[
        ws.RespondWorkflowTaskCompletedRequest(task_token=t), ws.RespondWorkflowTaskCompletedRequest(namespace="other", task_token=t)]), "completions[1].namespace"),
    (lambda t: ws.RespondWorkflowTasksCompletedRequest(namespace=NS, completions=[
        ws.RespondWorkflowTaskCompletedRequest(task_token=t), ws.RespondWorkflowTaskCompletedRequest(task_token=b"garbage")]), "completions[1]"),
])
async def test_bad_workflow_task_batches_are_refused_with_what_to_fix(client, build, needle):
    await client.call("StartWorkflowExecution", ws.StartWorkflowExecutionRequest(
        namespace=NS, workflow_id="wft-bad", workflow_type=common_pb2.WorkflowType(name="Sender"), task_queue=TQ, request_id="wft-bad"))
    task = await client.call("PollWorkflowTaskQueue", ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.call("RespondWorkflowTasksCompleted", build(task.task_token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and needle in err.value.details(), err.value.details()
    # nothing was recorded: the task can still be completed
    await client.call("RespondWorkflowTaskCompleted", ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token))
