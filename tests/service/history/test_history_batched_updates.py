"""Updates of one run that arrive together are applied in one turn of the workflow's lock and
committed once (history/shard.py `update`): each caller still gets its own answer, a stale
or duplicate call fails alone, and the run's history stays gap-free and duplicate-free."""
from __future__ import annotations

import asyncio
import json

import grpc
import pytest

from fanflow.channels import insecure_channel
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import common_pb2, workflow_service_pb2 as ws, workflow_service_pb2_grpc
from support.stub_history import stub_history

NS = "default"
TQ = common_pb2.TaskQueue(name="batched-updates-tq")
N = 40


def payload(value) -> common_pb2.Payload:
    return common_pb2.Payload(data=json.dumps(value).encode(), encoding="json/plain")


@pytest.fixture
async def stub(tmp_path):
    process = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0)).start()
    channel = insecure_channel(process.frontend_address)
    yield workflow_service_pb2_grpc.WorkflowServiceStub(channel), process
    await channel.close()
    await process.stop()


async def _start_with_activities(stub, workflow_id: str) -> list[ws.PollActivityTaskQueueResponse]:
    await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(
        namespace=NS, workflow_id=workflow_id, workflow_type=common_pb2.WorkflowType(name="Batched"), task_queue=TQ, request_id=workflow_id))
    task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="w"))
    commands = [
        common_pb2.Command(command_type=common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(
            activity_id=str(i), activity_type=common_pb2.ActivityType(name="noop"), input=payload(i),
            start_to_close_timeout={"seconds": 60}))
        for i in range(N)
    ]
    await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, commands=commands, identity="w"))
    tasks = []
    while len(tasks) < N:
        act = await stub.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=TQ, identity="a"))
        if act.task_token:
            tasks.append(act)
    return tasks


async def test_completions_arriving_together_each_get_their_answer_and_duplicates_fail_alone(stub):
    stub, _ = stub
    tasks = await _start_with_activities(stub, "batched-1")

    def complete(act):
        value = json.loads(act.input.data)
        return stub.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(
            namespace=NS, task_token=act.task_token, result=payload(value * 10), identity="a"))

    # every completion at once, with every fifth one sent twice and a heartbeat among them
    calls = [complete(act) for act in tasks] + [complete(act) for act in tasks[::5]]
    calls.append(stub.RecordActivityTaskHeartbeat(ws.RecordActivityTaskHeartbeatRequest(namespace=NS, task_token=tasks[1].task_token)))
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(e, grpc.aio.AioRpcError) and e.code() == grpc.StatusCode.NOT_FOUND for e in errors), errors
    # each activity completed exactly once: the duplicates (and possibly the heartbeat, when it
    # came after its activity's completion) were refused
    assert len(tasks[::5]) <= len(errors) <= len(tasks[::5]) + 1

    events = await stub_history(stub, "batched-1")
    assert [e.event_id for e in events] == list(range(1, len(events) + 1))
    completed = [e for e in events if e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
    assert len(completed) == N
    scheduled = {e.event_id: json.loads(e.activity_task_scheduled.input.data)
                 for e in events if e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    assert sorted(json.loads(e.activity_task_completed.result.data) for e in completed) == [i * 10 for i in range(N)]
    assert {e.activity_task_completed.scheduled_event_id for e in completed} == set(scheduled)


async def test_a_failing_update_among_others_leaves_the_others_committed(stub):
    """Signals and completions to one run at once, one of them to a run that is not there:
    that one fails, every other is in history once."""
    stub, _ = stub
    tasks = await _start_with_activities(stub, "batched-2")
    calls = []
    for i, act in enumerate(tasks):
        calls.append(stub.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=act.task_token, result=payload(i))))
        calls.append(stub.SignalWorkflowExecution(ws.SignalWorkflowExecutionRequest(
            namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="batched-2"), signal_name="s", input=payload(i))))
    calls.append(stub.SignalWorkflowExecution(ws.SignalWorkflowExecutionRequest(
        namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="batched-2", run_id="00000000-0000-4000-8000-000000000000"),
        signal_name="s", input=payload(-1))))
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1 and errors[0].code() == grpc.StatusCode.NOT_FOUND, errors
    events = await stub_history(stub, "batched-2")
    assert [e.event_id for e in events] == list(range(1, len(events) + 1))
    assert sum(e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in events) == N
    signals = [json.loads(e.workflow_execution_signaled.input.data) for e in events
               if e.event_type == common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
    assert sorted(signals) == list(range(N))


async def test_many_completions_in_one_call_are_answered_one_by_one(stub):
    """RespondActivityTasksCompleted: one outcome per completion, in order; a duplicate or a
    completion of an attempt that is gone says NOT_FOUND in its own outcome only."""
    stub, _ = stub
    tasks = await _start_with_activities(stub, "batched-3")
    completions = [ws.RespondActivityTaskCompletedRequest(task_token=act.task_token, result=payload(json.loads(act.input.data) + 1000))
                   for act in tasks]
    completions.insert(3, ws.RespondActivityTaskCompletedRequest(task_token=tasks[0].task_token, result=payload(-1)))  # a duplicate
    reply = await stub.RespondActivityTasksCompleted(ws.RespondActivityTasksCompletedRequest(namespace=NS, completions=completions))
    codes = [o.code for o in reply.outcomes]
    assert len(codes) == N + 1
    assert codes[3] == grpc.StatusCode.NOT_FOUND.value[0] and "not running" in reply.outcomes[3].message
    assert codes[:3] + codes[4:] == [0] * N
    events = await stub_history(stub, "batched-3")
    assert [e.event_id for e in events] == list(range(1, len(events) + 1))
    results = sorted(json.loads(e.activity_task_completed.result.data) for e in events if e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    assert results == [i + 1000 for i in range(N)]
    # the same call again: every completion is stale now
    again = await stub.RespondActivityTasksCompleted(ws.RespondActivityTasksCompletedRequest(namespace=NS, completions=completions[:5]))
    assert [o.code for o in again.outcomes] == [grpc.StatusCode.NOT_FOUND.value[0]] * 5


@pytest.mark.parametrize("build, needle", [
    (lambda t: ws.RespondActivityTasksCompletedRequest(namespace=NS), "completions is empty"),
    (lambda t: ws.RespondActivityTasksCompletedRequest(namespace=NS, completions=[ws.RespondActivityTaskCompletedRequest(task_token=t)] * 1001), "at most 1,000"),
    (lambda t: ws.RespondActivityTasksCompletedRequest(namespace=NS, completions=[
        ws.RespondActivityTaskCompletedRequest(task_token=t), ws.RespondActivityTaskCompletedRequest(namespace="other", task_token=t)]), "completions[1].namespace"),
    (lambda t: ws.RespondActivityTasksCompletedRequest(namespace=NS, completions=[
        ws.RespondActivityTaskCompletedRequest(task_token=t), ws.RespondActivityTaskCompletedRequest(task_token=b"garbage")]), "completions[1]: "),
    (lambda t: ws.RespondActivityTasksCompletedRequest(namespace="", completions=[ws.RespondActivityTaskCompletedRequest(task_token=t)]), "namespace"),
])
async def test_bad_batch_calls_are_refused_with_what_to_fix(stub, build, needle):
    stub, _ = stub
    tasks = await _start_with_activities(stub, f"batched-bad-{abs(hash(needle))}")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.RespondActivityTasksCompleted(build(tasks[0].task_token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and needle in err.value.details(), err.value.details()
    # nothing of a refused call was recorded
    events = await stub_history(stub, f"batched-bad-{abs(hash(needle))}")
    assert not any(e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in events)
