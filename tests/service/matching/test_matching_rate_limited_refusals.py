"""What matching and the frontend refuse about rate-limited work (issue 13): a rate-limited poll of
a sticky queue (frontend), a rate-limited task at a partition other than 0 or with no usable
limit (matching's AddTask), each INVALID_ARGUMENT naming what is wrong."""
from __future__ import annotations

import grpc
import pytest

from fanflow.channels import insecure_channel
from fanflow.timeutil import duration
from protos import common_pb2 as E
from protos import internal_pb2, matching_service_pb2, matching_service_pb2_grpc, workflow_service_pb2 as ws, workflow_service_pb2_grpc


async def test_services_refuse_rate_limited_tasks_and_polls_they_cannot_meter(embedded_cluster):
    channel = insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    matching_channel = insecure_channel(embedded_cluster.servers["matching"].address)
    matching = matching_service_pb2_grpc.MatchingServiceStub(matching_channel)
    secret = (("x-fanflow-internal", embedded_cluster.config.internal_secret),)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(
                namespace="default", task_queue=E.TaskQueue(name="q", kind=E.TASK_QUEUE_KIND_STICKY), identity="w", rate_limited=True))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "rate_limited" in err.value.details()
        task = internal_pb2.TaskInfo(namespace="default", workflow_id="w", run_id="r", scheduled_event_id=5, attempt=1, shard_id=0,
                                     task_type=E.TASK_TYPE_ACTIVITY, task_queue=E.TaskQueue(name="q/rate-limited/k", kind=E.TASK_QUEUE_KIND_NORMAL),
                                     rate_limit=E.ActivityRateLimit(key="k", max_execution=3, time_window=duration(1)))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await matching.AddTask(matching_service_pb2.AddTaskRequest(task=task, partition=1), metadata=secret)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "partition 0" in err.value.details()
        task.rate_limit.max_execution = 0
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await matching.AddTask(matching_service_pb2.AddTaskRequest(task=task, partition=0), metadata=secret)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "max_execution" in err.value.details()
    finally:
        await channel.close()
        await matching_channel.close()
