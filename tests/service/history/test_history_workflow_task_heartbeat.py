"""Workflow-task heartbeats (RecordWorkflowTaskHeartbeat; history/workflow_tasks.py
``heartbeat_workflow_task``, worker_sdk/task_heartbeat.py), on a real embedded cluster whose
workflow-task timeout is 1 s:

* workflow code that blocks longer than the timeout completes: its worker heartbeats the
  task, history moves the deadline, and no WorkflowTaskTimedOut is recorded;
* a heartbeat for a task that is no longer running gets NOT_FOUND (as a completion would);
* heartbeats move the deadline only up to the cap (``max_workflow_task_duration``): past it
  the task times out anyway, saying why.
"""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest

import worker_sdk as workflows
from protos import common_pb2, workflow_service_pb2 as ws
from worker_sdk import Worker

TASK_TIMEOUT = 1.0


@workflows.workflow.define(name="wth_blocking")
class Blocking:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float) -> str:
        time.sleep(seconds)  # the code itself runs long (as reading millions of stored results does)
        return "done"


@workflows.workflow.define(name="wth_manual")
class Manual:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        return "unused"


async def _cluster(tmp_path, **limits):
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig, HistoryLimits

    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=3.0, workflow_task_timeout=TASK_TIMEOUT, limits=HistoryLimits(**limits))
    cluster = await embedded(config).start()
    client = await workflows.Client.connect(cluster.frontend_address)
    return cluster, client


@pytest.fixture
async def short_task_client(tmp_path):
    cluster, client = await _cluster(tmp_path, max_workflow_task_duration=2.5)
    yield client
    await client.close()
    await cluster.stop()


def _event_types(events) -> list[int]:
    return [e.event_type for e in events]


async def _poll(client, queue: str) -> ws.PollWorkflowTaskQueueResponse:
    request = ws.PollWorkflowTaskQueueRequest(namespace=client.namespace, task_queue=common_pb2.TaskQueue(name=queue), identity="hand")
    for _ in range(5):
        task = await client.call("PollWorkflowTaskQueue", request)
        if task.task_token:
            return task
    raise AssertionError("no workflow task")


def _beat(client, token: bytes) -> ws.RecordWorkflowTaskHeartbeatRequest:
    return ws.RecordWorkflowTaskHeartbeatRequest(namespace=client.namespace, task_token=token, identity="hand")


async def test_blocking_workflow_code_completes_while_its_worker_heartbeats(short_task_client):
    client = short_task_client
    async with Worker(client, task_queue="wth-blocking", workflows=[Blocking]):
        handle = await client.start_workflow(Blocking, 2.0, task_queue="wth-blocking")  # twice the task timeout
        assert await handle.result(timeout=20) == "done"
    types = _event_types(await handle.history())
    assert common_pb2.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT not in types
    assert types.count(common_pb2.EVENT_TYPE_WORKFLOW_TASK_STARTED) == 1  # the one task ran to the end


async def test_a_heartbeat_moves_the_deadline_and_a_stale_token_gets_not_found(short_task_client):
    client = short_task_client
    handle = await client.start_workflow(Manual, task_queue="wth-manual")
    task = await _poll(client, "wth-manual")
    first = await client.call("RecordWorkflowTaskHeartbeat", _beat(client, task.task_token))
    started = task.started_time.ToNanoseconds()
    assert not first.at_cap
    await asyncio.sleep(0.6)
    second = await client.call("RecordWorkflowTaskHeartbeat", _beat(client, task.task_token))
    assert second.deadline.ToNanoseconds() > first.deadline.ToNanoseconds() > started
    await asyncio.sleep(0.6)  # 1.2 s after the start: past the original 1 s deadline, not the moved one
    complete = ws.RespondWorkflowTaskCompletedRequest(
        namespace=client.namespace, task_token=task.task_token, identity="hand",
        commands=[common_pb2.Command(
            command_type=common_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            complete_workflow_execution=common_pb2.CompleteWorkflowExecutionCommandAttributes(result=workflows.converter.to_payload("by hand")),
        )],
    )
    await client.call("RespondWorkflowTaskCompleted", complete)
    assert await handle.result(timeout=5) == "by hand"
    assert common_pb2.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT not in _event_types(await handle.history())
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await client.call("RecordWorkflowTaskHeartbeat", _beat(client, task.task_token), retry=False)
    assert stale.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as garbage:
        await client.call("RecordWorkflowTaskHeartbeat", _beat(client, b"not a token"), retry=False)
    assert garbage.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_heartbeats_extend_a_task_only_up_to_the_cap(short_task_client):
    client = short_task_client
    handle = await client.start_workflow(Manual, task_queue="wth-cap")
    task = await _poll(client, "wth-cap")
    started = task.started_time.ToNanoseconds()
    reply, at_cap_seen = None, False
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:  # heartbeat every 0.25 s, as a stuck worker still would
        try:
            reply = await client.call("RecordWorkflowTaskHeartbeat", _beat(client, task.task_token), retry=False)
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND  # timed out at the cap
            break
        at_cap_seen = at_cap_seen or reply.at_cap
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("the task never timed out")
    assert at_cap_seen and reply is not None
    assert reply.deadline.ToNanoseconds() - started == pytest.approx(2.5e9, abs=1e6)  # start + max_workflow_task_duration
    events = await handle.history()
    [timed_out] = [e for e in events if e.event_type == common_pb2.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT]
    assert timed_out.event_time.ToNanoseconds() - started >= 2.5e9
    attrs = timed_out.workflow_task_timed_out
    assert (attrs.scheduled_event_id, attrs.started_event_id) == (task.started_event_id - 1, task.started_event_id)
    failure = (await handle.describe()).info.last_workflow_task_failure
    assert failure.timed_out and "max_workflow_task_duration" in failure.failure.message, failure
