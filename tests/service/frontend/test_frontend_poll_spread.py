"""Polls with a task queue's partitions on two matching processes.

A matching process serves only the partitions it holds. The frontend balances
waiting polls over the processes and moves a poll to another process after
`poll_slice`, so a task that lands on a process with no poller waiting is
picked up within about a slice, not after the 30 s poll timeout.
(Services run in this process, one ClusterProcess per role, each with its own
gRPC server: the same code paths as separate processes.)
"""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest

import worker_sdk as workflows
from fanflow import routing
from fanflow.cluster import ClusterProcess
from fanflow.config import ClusterConfig, HistoryHost, MatchingHost
from protos import admin_service_pb2 as A
from protos import admin_service_pb2_grpc, workflow_service_pb2_grpc
from protos import common_pb2 as C
from protos import workflow_service_pb2 as ws
from worker_sdk import Client, Worker, converter

PARTITIONS = 4
POLL_TIMEOUT = 30.0
SLICE = 0.5


def split_queue_name() -> str:
    """A queue whose partitions both matching processes hold, two each, for both task types."""
    for i in range(1000):
        name = f"spread-{i}"
        if all(
            sorted(routing.matching_owner_index("default", name, t, p, 2) for p in range(PARTITIONS)) == [0, 0, 1, 1]
            for t in (C.TASK_TYPE_WORKFLOW, C.TASK_TYPE_ACTIVITY)
        ):
            return name
    raise AssertionError("no queue name splits 2/2")


QUEUE = split_queue_name()


@workflows.activity()
async def spread_echo(x: int) -> int:
    return x


@workflows.workflow.define(name="spread_one_activity")
class OneActivity:
    @workflows.workflow.entrypoint
    async def run(self, x: int) -> int:
        return await spread_echo(x)


@pytest.fixture
async def cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("FANFLOW_FRONTEND_POLL_SLICE", str(SLICE))
    config = ClusterConfig(
        data_dir=tmp_path / "data",
        history_shard_count=2,
        task_queue_partitions=PARTITIONS,
        frontend_address="127.0.0.1:0",
        history_hosts=[HistoryHost(name="history-0", address="127.0.0.1:0")],
        matching_hosts=[MatchingHost(name="matching-a", address="127.0.0.1:0"), MatchingHost(name="matching-b", address="127.0.0.1:0")],
        poll_timeout=POLL_TIMEOUT,
    )
    # One config object: each process fills in the port it bound before the next starts.
    processes = [
        ClusterProcess(config, {"history"}),
        ClusterProcess(config, {"matching"}, matching_name="matching-a"),
        ClusterProcess(config, {"matching"}, matching_name="matching-b"),
        ClusterProcess(config, {"frontend"}),
    ]
    for process in processes:
        await process.start()
    yield processes
    for process in reversed(processes):
        await process.stop()


async def pollers_by_owner(admin) -> dict[str, int]:
    queue = await admin.DescribeTaskQueue(
        A.DescribeTaskQueueRequest(namespace="default", task_queue=C.TaskQueue(name=QUEUE), task_type=C.TASK_TYPE_ACTIVITY)
    )
    counts: dict[str, int] = {}
    for part in queue.partitions:
        counts[part.owner] = counts.get(part.owner, 0) + part.pollers
    return counts


async def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def test_task_on_the_process_without_pollers_is_found(cluster):
    history, _, _, frontend = cluster
    address = frontend.frontend_address
    channel = grpc.aio.insecure_channel(address)
    service = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    admin = admin_service_pb2_grpc.AdminServiceStub(channel)
    client = await Client.connect(address)
    worker = await Worker(client, task_queue=QUEUE, workflows=[OneActivity], activities=[], activity_pollers=0).start()
    try:
        # One activity poller; it waits on one matching process...
        poll = asyncio.ensure_future(service.PollActivityTaskQueue(
            ws.PollActivityTaskQueueRequest(namespace="default", task_queue=C.TaskQueue(name=QUEUE), identity="lone-poller")
        ))
        counts = await wait_for(lambda: _one_waiting(admin))
        busy = next(owner for owner, n in counts.items() if n)
        idle_index = 1 if busy == "matching-a" else 0
        # ...and the activity task goes to a partition of the other one.
        other = [p for p in range(PARTITIONS) if routing.matching_owner_index("default", QUEUE, C.TASK_TYPE_ACTIVITY, p, 2) == idle_index]
        history.matching_client.pick_add_partition = lambda task_queue: other[0]  # history's AddTask calls
        began = time.monotonic()
        handle = await client.start_workflow(OneActivity, 7, task_queue=QUEUE)
        task = await asyncio.wait_for(poll, POLL_TIMEOUT)
        waited = time.monotonic() - began
        assert task.task_token and task.activity_type.name == "spread_echo"
        assert task.partition == other[0]
        assert waited < SLICE * 2 + 2.0, f"the task waited {waited:.1f} s for a poller (poll timeout {POLL_TIMEOUT} s)"
        await service.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(
            namespace="default", task_token=task.task_token, result=converter.to_payload(7), identity="lone-poller"))
        assert await handle.result(timeout=10) == 7
    finally:
        await worker.shutdown()
        await client.close()
        await channel.close()


async def _one_waiting(admin):
    counts = await pollers_by_owner(admin)
    return counts if sum(counts.values()) == 1 else None


async def test_waiting_polls_are_balanced_over_matching_processes(cluster):
    frontend = cluster[3]
    channel = grpc.aio.insecure_channel(frontend.frontend_address)
    service = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    admin = admin_service_pb2_grpc.AdminServiceStub(channel)
    polls = [
        asyncio.ensure_future(service.PollActivityTaskQueue(
            ws.PollActivityTaskQueueRequest(namespace="default", task_queue=C.TaskQueue(name=QUEUE), identity=f"p{i}"), timeout=POLL_TIMEOUT + 10))
        for i in range(4)
    ]
    try:
        async def four_waiting():
            counts = await pollers_by_owner(admin)
            return counts if sum(counts.values()) == 4 else None

        # Polls move every slice; whenever all four wait, each process has two.
        for _ in range(3):
            assert await wait_for(four_waiting) == {"matching-a": 2, "matching-b": 2}
            await asyncio.sleep(SLICE / 2)
    finally:
        for p in polls:
            p.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
        await channel.close()


async def test_matching_waits_only_as_long_as_asked(cluster):
    """fanflow-poll-wait metadata, and the caller's deadline, bound a poll's wait."""
    from fanflow.clients import POLL_WAIT_METADATA
    from protos import matching_service_pb2, matching_service_pb2_grpc

    matching = cluster[1]
    channel = grpc.aio.insecure_channel(matching.servers["matching"].address)
    stub = matching_service_pb2_grpc.MatchingServiceStub(channel)
    request = matching_service_pb2.PollActivityTaskQueueRequest(
        partition=0, request=ws.PollActivityTaskQueueRequest(namespace="default", task_queue=C.TaskQueue(name="bounded"), identity="w"))
    try:
        began = time.monotonic()
        response = await stub.PollActivityTaskQueue(request, metadata=((POLL_WAIT_METADATA, "0.3"),), timeout=POLL_TIMEOUT + 5)
        assert response.task_token == b"" and 0.25 <= time.monotonic() - began < 2.0
        began = time.monotonic()
        response = await stub.PollActivityTaskQueue(request, timeout=2.5)  # answers ~1 s before the deadline, not cut
        assert response.task_token == b"" and 1.2 <= time.monotonic() - began < 2.4
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.PollActivityTaskQueue(request, metadata=((POLL_WAIT_METADATA, "soon"),), timeout=5)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and POLL_WAIT_METADATA in error.value.details()
    finally:
        await channel.close()


async def test_polls_avoid_a_matching_process_that_is_down(cluster):
    """With matching-b down, polls neither fail nor pile up on it (it looks the
    emptiest): they go to matching-a, which still serves its partitions."""
    history, _, matching_b, frontend = cluster
    await matching_b.stop()
    cluster.remove(matching_b)  # stopped already
    address = frontend.frontend_address
    channel = grpc.aio.insecure_channel(address)
    service = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    client = await Client.connect(address)
    worker = await Worker(client, task_queue=QUEUE, workflows=[OneActivity], activities=[], activity_pollers=0).start()
    request = ws.PollActivityTaskQueueRequest(namespace="default", task_queue=C.TaskQueue(name=QUEUE), identity="survivor")
    try:
        for _ in range(4):  # a 6.5 s deadline leaves 1.5 s of waiting (5 s margin)
            response = await service.PollActivityTaskQueue(request, timeout=6.5)
            assert response.task_token == b""
        # History adds tasks to matching-a's partitions only (AddTask to b would fail and be retried).
        on_a = {t: [p for p in range(PARTITIONS) if routing.matching_owner_index("default", QUEUE, t, p, 2) == 0]
                for t in (C.TASK_TYPE_WORKFLOW, C.TASK_TYPE_ACTIVITY)}
        add_task = history.matching_client.add_task

        async def add_to_a(task, partition, timeout=None):
            if task.task_queue.kind == C.TASK_QUEUE_KIND_STICKY:
                return await add_task(task, partition, timeout)
            return await add_task(task, on_a[task.task_type][0], timeout)

        history.matching_client.add_task = add_to_a
        handle = await client.start_workflow(OneActivity, 5, task_queue=QUEUE)
        began = time.monotonic()
        task = await service.PollActivityTaskQueue(request, timeout=15)
        assert task.task_token and task.partition == on_a[C.TASK_TYPE_ACTIVITY][0] and time.monotonic() - began < 5
        await service.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(
            namespace="default", task_token=task.task_token, result=converter.to_payload(5), identity="survivor"))
        assert await handle.result(timeout=10) == 5
    finally:
        await worker.shutdown()
        await client.close()
        await channel.close()
