"""The whole server path driven with raw protobuf calls (no SDK): start a
workflow, run a workflow task that schedules activities, run them, complete
the workflow, read the result and history; across all three real services."""
from __future__ import annotations

import json

import grpc
import pytest

from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from fanflow.channels import insecure_channel
from protos import admin_service_pb2, admin_service_pb2_grpc, common_pb2, workflow_service_pb2 as ws, workflow_service_pb2_grpc

NS = "default"
TQ = common_pb2.TaskQueue(name="raw-tq")


def payload(value) -> common_pb2.Payload:
    return common_pb2.Payload(data=json.dumps(value).encode(), encoding="json/plain")


@pytest.fixture
async def cluster(tmp_path):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0)
    process = await embedded(config).start()
    channel = insecure_channel(process.frontend_address)
    yield process, workflow_service_pb2_grpc.WorkflowServiceStub(channel), admin_service_pb2_grpc.AdminServiceStub(channel)
    await channel.close()
    await process.stop()


async def test_raw_workflow_with_activities(cluster):
    process, stub, admin = cluster
    start = await stub.StartWorkflowExecution(
        ws.StartWorkflowExecutionRequest(namespace=NS, workflow_id="wf-1", workflow_type=common_pb2.WorkflowType(name="Raw"), task_queue=TQ, input=payload([1, 2]), request_id="r1")
    )
    again = await stub.StartWorkflowExecution(
        ws.StartWorkflowExecutionRequest(namespace=NS, workflow_id="wf-1", workflow_type=common_pb2.WorkflowType(name="Raw"), task_queue=TQ, request_id="r1")
    )
    assert again.run_id == start.run_id  # idempotent retry
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(namespace=NS, workflow_id="wf-1", workflow_type=common_pb2.WorkflowType(name="Raw"), task_queue=TQ, request_id="r2"))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS

    task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="t"))
    assert task.task_token and [e.event_type for e in task.history.events] == [
        common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, common_pb2.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, common_pb2.EVENT_TYPE_WORKFLOW_TASK_STARTED]
    commands = [
        common_pb2.Command(command_type=common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, schedule_activity_task=common_pb2.ScheduleActivityTaskCommandAttributes(
            activity_id=str(i), activity_type=common_pb2.ActivityType(name="double"), input=payload(i)))
        for i in (1, 2)
    ]
    await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, commands=commands, identity="t"))
    # the same token again is stale
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, identity="t"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND

    results = {}
    for _ in range(2):
        act = await stub.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=TQ, identity="a"))
        assert act.task_token, "activity task expected"
        value = json.loads(act.input.data)
        results[act.activity_id] = value * 2
        await stub.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=act.task_token, result=payload(value * 2)))
    assert results == {"1": 2, "2": 4}

    completed_events = []
    while len(completed_events) < 2:
        task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=TQ, identity="t"))
        completed_events = [e for e in task.history.events if e.event_type == common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
        final = [] if len(completed_events) < 2 else [common_pb2.Command(
            command_type=common_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            complete_workflow_execution=common_pb2.CompleteWorkflowExecutionCommandAttributes(result=payload(sorted(results.values()))))]
        await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=task.task_token, commands=final))

    result = await stub.GetWorkflowResult(ws.GetWorkflowResultRequest(namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="wf-1"), wait_timeout={"seconds": 5}))
    assert result.status == common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED
    assert json.loads(result.result.data) == [2, 4]

    history = await stub.GetWorkflowExecutionHistory(ws.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=common_pb2.WorkflowExecution(workflow_id="wf-1")))
    types = [e.event_type for e in history.history.events]
    assert types.count(common_pb2.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 2
    assert types.count(common_pb2.EVENT_TYPE_ACTIVITY_TASK_STARTED) == 2
    assert types[-1] == common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert [e.event_id for e in history.history.events] == list(range(1, len(types) + 1))

    shards = await admin.ListShards(admin_service_pb2.ListShardsRequest())
    assert sum(s.closed_workflows for s in shards.shards) == 1
