"""ScheduleActivityTask with a bad rate_limit (issue 13), sent raw: history fails the workflow task
with INVALID_ARGUMENT naming the field (max_execution, time_window, key, the queue, its length),
and writes no ActivityTaskScheduled (nothing half-created)."""
from __future__ import annotations

import json

import grpc
import pytest

from fanflow.channels import insecure_channel
from fanflow.timeutil import duration
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws, workflow_service_pb2_grpc


def _payload(value) -> E.Payload:
    return E.Payload(data=json.dumps(value).encode(), encoding="json/plain")


@pytest.mark.parametrize(
    "limit, queue, words",
    [
        (E.ActivityRateLimit(key="k", max_execution=0, time_window=duration(1)), "raw/rate-limited/k", ["rate_limit.max_execution", "1..100000"]),
        (E.ActivityRateLimit(key="k", max_execution=5, time_window=duration(0)), "raw/rate-limited/k", ["rate_limit.time_window"]),
        (E.ActivityRateLimit(key="", max_execution=5, time_window=duration(1)), "raw/rate-limited/k", ["rate_limit.key"]),
        (E.ActivityRateLimit(key="k", max_execution=5, time_window=duration(1)), "", ["task_queue of its own"]),
        (E.ActivityRateLimit(key="k", max_execution=5, time_window=duration(1)), "raw/rate-limited/" + "k" * 990, ["task_queue.name is 1,007 characters"]),
    ],
)
async def test_a_bad_rate_limit_command_fails_the_task_naming_the_field(embedded_cluster, limit, queue, words):
    channel = insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    tq = E.TaskQueue(name="raw")
    try:
        await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(namespace="default", workflow_id="bad-limit", workflow_type=E.WorkflowType(name="Raw"), task_queue=tq, request_id="r"))
        task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace="default", task_queue=tq, identity="t"))
        command = E.Command(command_type=E.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, schedule_activity_task=E.ScheduleActivityTaskCommandAttributes(
            activity_id="1", activity_type=E.ActivityType(name="call"), input=_payload(1), task_queue=E.TaskQueue(name=queue), rate_limit=limit))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace="default", task_token=task.task_token, commands=[command], identity="t"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        for word in words:
            assert word in err.value.details(), (word, err.value.details())
        history = await stub.GetWorkflowExecutionHistory(ws.GetWorkflowExecutionHistoryRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="bad-limit")))
        types = [e.event_type for e in history.history.events]
        assert E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in types and E.EVENT_TYPE_WORKFLOW_TASK_FAILED in types  # nothing half-created
    finally:
        await channel.close()
