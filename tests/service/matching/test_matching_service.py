"""Matching service over real gRPC and real SQLite files, against a history test double.
(Its SQLite backlog alone: tests/unit/matching/test_matching_sqlite_backlog.py.)"""
from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import timestamp_pb2

from fanflow import routing
from fanflow.clients import HistoryClient
from fanflow.config import ClusterConfig, HistoryHost, MatchingHost
from fanflow.channels import insecure_channel
from fanflow.grpcutil import start_server
from matching.service import MatchingServicer
from matching.keys import QueueKey
from protos import (
    admin_service_pb2,
    common_pb2,
    history_service_pb2,
    history_service_pb2_grpc,
    internal_pb2,
    matching_service_pb2,
    matching_service_pb2_grpc,
    workflow_service_pb2,
)
from support.matching_tasks import ACT, NS, TQ, WF, expiring, make_task

HISTORY_SERVICE = history_service_pb2.DESCRIPTOR.services_by_name["HistoryService"].full_name
MATCHING_SERVICE = matching_service_pb2.DESCRIPTOR.services_by_name["MatchingService"].full_name


# -- history test double -----------------------------------------------------


class FakeHistory(history_service_pb2_grpc.HistoryServiceServicer):
    """Implements only RecordWorkflowTaskStarted / RecordActivityTaskStarted."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, history_service_pb2.RecordTaskStartedRequest]] = []
        self.stale: set[str] = set()  # workflow ids answered NOT_FOUND
        self.unavailable: set[str] = set()  # workflow ids answered UNAVAILABLE
        self.delay: dict[str, float] = {}  # workflow id -> seconds to sleep first
        self.succeeded: set[str] = set()  # workflow ids whose start was recorded
        self.chaos: random.Random | None = None  # random delays and UNAVAILABLEs

    async def RecordWorkflowTaskStarted(self, request, context):
        return await self._record("workflow", request, context, workflow_service_pb2.PollWorkflowTaskQueueResponse)

    async def RecordActivityTaskStarted(self, request, context):
        return await self._record("activity", request, context, workflow_service_pb2.PollActivityTaskQueueResponse)

    async def _record(self, kind, request, context, response_type):
        self.calls.append((kind, request))
        wf = request.task.workflow_id
        if wf in self.delay:
            await asyncio.sleep(self.delay[wf])
        if self.chaos is not None:
            await asyncio.sleep(self.chaos.random() * 0.02)
            if self.chaos.random() < 0.2:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "chaos")
        if wf in self.stale:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"task of {wf} is no longer pending")
        if wf in self.unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "shard not owned")
        task = request.task
        token = internal_pb2.TaskToken(
            namespace=task.namespace, workflow_id=wf, run_id=task.run_id,
            scheduled_event_id=task.scheduled_event_id, task_type=task.task_type, shard_id=task.shard_id,
        )
        response = response_type(
            task_token=token.SerializeToString(),
            workflow_execution=common_pb2.WorkflowExecution(workflow_id=wf, run_id=task.run_id),
            task_queue=request.polled_task_queue,
        )
        self.succeeded.add(wf)
        return response

    def started(self) -> list[str]:
        return [req.task.workflow_id for _, req in self.calls]


# -- harness -----------------------------------------------------------------


class Matching:
    """A MatchingServicer behind a real grpc.aio server, plus a client stub."""

    def __init__(self, config: ClusterConfig, host_name: str = "m", **kwargs):
        self.config = config
        self.host_name = host_name
        self.kwargs = kwargs

    async def start(self) -> "Matching":
        self.history = HistoryClient(self.config)
        self.servicer = MatchingServicer(self.config, self.host_name, self.history, **self.kwargs)
        await self.servicer.start()
        self.server = await start_server(
            "127.0.0.1:0", [(matching_service_pb2_grpc.add_MatchingServiceServicer_to_server, self.servicer, MATCHING_SERVICE)]
        )
        self.channel = insecure_channel(self.server.address)
        self.stub = matching_service_pb2_grpc.MatchingServiceStub(self.channel)
        return self

    async def stop(self) -> None:
        await self.servicer.stop()
        await self.channel.close()
        await self.server.stop(0)
        await self.history.close()

    # Convenience wrappers.

    async def add(self, wf: str, partition: int = 0, task_type: int = WF, queue: common_pb2.TaskQueue | None = None, **fields):
        task = make_task(wf, task_type=task_type, queue=queue, **fields)
        resp = await self.stub.AddTask(matching_service_pb2.AddTaskRequest(task=task, partition=partition), timeout=10)
        return resp.sync_matched

    def poll(self, partition: int = 0, identity: str = "worker-1", task_type: int = WF, queue: common_pb2.TaskQueue | None = None):
        """Returns the call object: await it, or cancel it."""
        queue = queue or common_pb2.TaskQueue(name=TQ, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)
        if task_type == WF:
            inner = workflow_service_pb2.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=queue, identity=identity)
            return self.stub.PollWorkflowTaskQueue(
                matching_service_pb2.PollWorkflowTaskQueueRequest(partition=partition, request=inner), timeout=10)
        inner = workflow_service_pb2.PollActivityTaskQueueRequest(namespace=NS, task_queue=queue, identity=identity)
        return self.stub.PollActivityTaskQueue(
            matching_service_pb2.PollActivityTaskQueueRequest(partition=partition, request=inner), timeout=10)

    async def describe(self, partitions=(), task_type: int = WF, name: str = TQ):
        req = matching_service_pb2.DescribeTaskQueueRequest(
            partitions=list(partitions),
            request=admin_service_pb2.DescribeTaskQueueRequest(
                namespace=NS, task_queue=common_pb2.TaskQueue(name=name), task_type=task_type),
        )
        return await self.stub.DescribeTaskQueue(req, timeout=10)

    async def partition_info(self, partition: int = 0, task_type: int = WF):
        (info,) = (await self.describe([partition], task_type)).partitions
        return info


async def eventually(check: Callable, timeout: float = 3.0):
    """Await until check() (sync or async) is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def pollers_waiting(m: Matching, n: int, partition: int = 0, task_type: int = WF):
    async def check():
        return (await m.partition_info(partition, task_type)).pollers == n
    await eventually(check)


def token_of(response) -> internal_pb2.TaskToken:
    token = internal_pb2.TaskToken()
    token.ParseFromString(response.task_token)
    return token


@pytest.fixture
async def history():
    fake = FakeHistory()
    server = await start_server("127.0.0.1:0", [(history_service_pb2_grpc.add_HistoryServiceServicer_to_server, fake, HISTORY_SERVICE)])
    fake.address = server.address
    yield fake
    await server.stop(0)


@pytest.fixture
def config(tmp_path, history):
    return ClusterConfig(
        data_dir=tmp_path,
        history_hosts=[HistoryHost(name="h", address=history.address)],
        matching_hosts=[MatchingHost(name="m", address="127.0.0.1:0")],
        poll_timeout=1.0,
    )


@pytest.fixture
async def matching(config):
    m = await Matching(config).start()
    yield m
    await m.stop()


# -- tests -------------------------------------------------------------------


async def test_sync_match_hands_task_to_waiting_poll(matching, history):
    poll = matching.poll(partition=1, identity="w-sync")
    await pollers_waiting(matching, 1, partition=1)

    assert await matching.add("wf-1", partition=1) is True

    resp = await poll
    assert token_of(resp).workflow_id == "wf-1"
    assert resp.partition == 1
    ((kind, req),) = history.calls
    assert kind == "workflow"
    assert req.identity == "w-sync" and req.partition == 1 and req.polled_task_queue.name == TQ
    info = await matching.partition_info(1)
    assert (info.backlog, info.tasks_added, info.tasks_dispatched, info.sync_matched) == (0, 1, 1, 1)


async def test_activity_sync_match_uses_activity_call(matching, history):
    poll = matching.poll(task_type=ACT)
    await pollers_waiting(matching, 1, task_type=ACT)
    assert await matching.add("wf-act", task_type=ACT) is True
    resp = await poll
    assert isinstance(resp, workflow_service_pb2.PollActivityTaskQueueResponse)
    assert token_of(resp).workflow_id == "wf-act"
    assert [kind for kind, _ in history.calls] == ["activity"]


async def test_task_without_poller_is_committed_then_served(matching, history, config):
    assert await matching.add("wf-1") is False
    assert await matching.add("wf-2") is False
    assert history.calls == []

    # Acked means committed: another connection to the file sees both rows.
    with sqlite3.connect(config.data_dir / "matching-m.db") as db:
        assert db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 2
    assert (await matching.partition_info(0)).backlog == 2

    assert token_of(await matching.poll()).workflow_id == "wf-1"
    assert token_of(await matching.poll()).workflow_id == "wf-2"
    info = await matching.partition_info(0)
    assert (info.backlog, info.tasks_added, info.tasks_dispatched, info.sync_matched) == (0, 2, 2, 0)


async def test_backlog_survives_restart(config, history):
    m = await Matching(config).start()
    for i in range(3):
        assert await m.add(f"wf-{i}", partition=2) is False
    await m.stop()

    m2 = await Matching(config).start()
    try:
        # Polling partition 0 finds partition 2's tasks: they are known from the DB at start.
        got = [token_of(await m2.poll(partition=0)).workflow_id for _ in range(3)]
        assert got == ["wf-0", "wf-1", "wf-2"]
        assert (await m2.partition_info(2)).backlog == 0
    finally:
        await m2.stop()


async def test_poll_is_served_from_another_local_partition(matching):
    assert await matching.add("wf-p3", partition=3) is False
    resp = await matching.poll(partition=0)
    assert token_of(resp).workflow_id == "wf-p3"
    assert resp.partition == 3


async def test_poll_times_out_empty(matching, config):
    start = time.monotonic()
    resp = await matching.poll(identity="lonely")
    elapsed = time.monotonic() - start
    assert resp.task_token == b""
    assert config.poll_timeout - 0.1 <= elapsed < config.poll_timeout + 1.0
    described = await matching.describe()
    assert list(described.recent_poller_identities) == ["lonely"]


async def test_stale_backlog_task_is_dropped(matching, history):
    history.stale.add("wf-stale")
    assert await matching.add("wf-stale") is False
    assert await matching.add("wf-good") is False

    resp = await matching.poll()
    assert token_of(resp).workflow_id == "wf-good"
    assert history.started() == ["wf-stale", "wf-good"]
    assert (await matching.partition_info(0)).backlog == 0


async def test_stale_sync_match_is_dropped_and_poll_keeps_waiting(matching, history):
    history.stale.add("wf-stale")
    poll = matching.poll()
    await pollers_waiting(matching, 1)

    assert await matching.add("wf-stale") is False  # acked, not stored
    assert (await matching.partition_info(0)).backlog == 0

    await pollers_waiting(matching, 1)  # the same poll went back to waiting
    assert await matching.add("wf-good") is True
    assert token_of(await poll).workflow_id == "wf-good"


async def test_unavailable_history_keeps_task_and_retries(matching, history):
    history.unavailable.add("wf-1")
    assert await matching.add("wf-1") is False
    poll = asyncio.ensure_future(matching.poll())
    await eventually(lambda: len(history.calls) >= 2)  # retried after a backoff
    assert not poll.done()
    history.unavailable.clear()
    resp = await poll
    assert token_of(resp).workflow_id == "wf-1"
    assert (await matching.partition_info(0)).backlog == 0


async def test_sync_match_falls_back_to_backlog_when_history_fails(matching, history):
    history.unavailable.add("wf-1")
    poll = matching.poll()
    await pollers_waiting(matching, 1)
    assert await matching.add("wf-1") is False
    assert (await matching.partition_info(0)).backlog == 1  # stored, not dropped
    history.unavailable.clear()
    assert token_of(await poll).workflow_id == "wf-1"


async def test_cancelled_poll_returns_backlog_task(matching, history):
    assert await matching.add("wf-1") is False
    history.delay["wf-1"] = 5.0
    poll = matching.poll()
    await eventually(lambda: len(history.calls) == 1)  # the poll holds the task now
    poll.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poll

    del history.delay["wf-1"]
    resp = await matching.poll()
    assert token_of(resp).workflow_id == "wf-1"
    assert len(history.calls) == 2


async def test_cancelled_poll_during_sync_match_persists_task(matching, history):
    poll = matching.poll()
    await pollers_waiting(matching, 1)
    history.delay["wf-1"] = 5.0
    add = asyncio.ensure_future(matching.add("wf-1"))
    await eventually(lambda: len(history.calls) == 1)
    poll.cancel()

    assert await add is False  # AddTask waited for the outcome, then stored it
    assert (await matching.partition_info(0)).backlog == 1
    del history.delay["wf-1"]
    assert token_of(await matching.poll()).workflow_id == "wf-1"


async def test_cancelled_waiting_poll_is_not_matched(matching):
    poll = matching.poll()
    await pollers_waiting(matching, 1)
    poll.cancel()
    await pollers_waiting(matching, 0)
    assert await asyncio.wait_for(matching.add("wf-1"), 5) is False
    assert (await matching.partition_info(0)).backlog == 1


async def test_sticky_queue_has_one_partition(matching):
    sticky = common_pb2.TaskQueue(name="worker-1-sticky", kind=common_pb2.TASK_QUEUE_KIND_STICKY)
    poll = matching.poll(queue=sticky)
    await eventually(lambda: matching.servicer._matcher.queue(QueueKey(NS, sticky.name, WF)).waiting(0) == 1)
    assert await matching.add("wf-s", queue=sticky) is True
    assert token_of(await poll).workflow_id == "wf-s"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await matching.add("wf-s", partition=1, queue=sticky)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "0..0" in err.value.details()


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda m: m.add("wf", partition=4), "partition 4 is out of range"),
        (lambda m: m.add("wf", partition=-1), "partition -1 is out of range"),
        (lambda m: m.add("wf", queue=common_pb2.TaskQueue(name="")), "task_queue.name is required"),
        (lambda m: m.add("wf", task_type=common_pb2.TASK_TYPE_UNSPECIFIED), "task_type"),
        (lambda m: m.add("", partition=0), "workflow_id"),
        (lambda m: m.stub.AddTask(matching_service_pb2.AddTaskRequest(partition=0)), "task is required"),
        (lambda m: m.poll(partition=9), "partition 9 is out of range"),
        (lambda m: m.poll(queue=common_pb2.TaskQueue(name="")), "task_queue.name is required"),
        (lambda m: m.poll(task_type=ACT, partition=7), "partition 7 is out of range"),
        (lambda m: m.describe([5]), "partition 5 is out of range"),
        (lambda m: m.describe(task_type=common_pb2.TASK_TYPE_UNSPECIFIED), "task_type"),
    ],
)
async def test_bad_input_is_invalid_argument(matching, call, fragment):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(matching)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in err.value.details()


async def test_bad_shard_id_is_invalid_argument(matching):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await matching.add("wf", shard_id=99)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "shard_id 99" in err.value.details()


async def test_describe_counts(matching, history):
    assert await matching.add("wf-b1", partition=0) is False
    assert await matching.add("wf-b2", partition=0) is False
    assert await matching.add("wf-b3", partition=1) is False

    described = await matching.describe()
    assert [p.partition for p in described.partitions] == [0, 1, 2, 3]
    assert all(p.owner == "m" for p in described.partitions)
    assert [p.backlog for p in described.partitions] == [2, 1, 0, 0]
    assert [p.tasks_added for p in described.partitions] == [2, 1, 0, 0]

    assert token_of(await matching.poll(partition=0, identity="alice")).workflow_id == "wf-b1"
    poll = matching.poll(partition=2, identity="bob")  # takes wf-b2 (partition 0) ...
    assert token_of(await poll).workflow_id == "wf-b2"
    assert token_of(await matching.poll(partition=2, identity="bob")).workflow_id == "wf-b3"
    waiting = matching.poll(partition=2, identity="carol")
    await pollers_waiting(matching, 1, partition=2)
    assert await matching.add("wf-s", partition=3) is True
    await waiting

    described = await matching.describe()
    by_p = {p.partition: p for p in described.partitions}
    assert [by_p[p].backlog for p in range(4)] == [0, 0, 0, 0]
    assert [by_p[p].tasks_dispatched for p in range(4)] == [2, 1, 0, 1]
    assert [by_p[p].sync_matched for p in range(4)] == [0, 0, 0, 1]
    assert [by_p[p].pollers for p in range(4)] == [0, 0, 0, 0]
    assert set(described.recent_poller_identities) == {"alice", "bob", "carol"}
    assert described.recent_poller_identities[0] == "carol"  # most recent first

    # Only the requested partitions; an unknown queue is all zeros.
    assert [p.partition for p in (await matching.describe([3, 1])).partitions] == [1, 3]
    other = await matching.describe(name="nobody-here")
    assert [p.backlog for p in other.partitions] == [0, 0, 0, 0]
    assert list(other.recent_poller_identities) == []


async def test_describe_reports_only_owned_partitions(tmp_path, history):
    config = ClusterConfig(
        data_dir=tmp_path, history_hosts=[HistoryHost(name="h", address=history.address)],
        matching_hosts=[MatchingHost(name="m", address="x:1"), MatchingHost(name="n", address="x:2")],
        task_queue_partitions=16, poll_timeout=1.0,
    )
    owners = [routing.matching_owner_index(NS, TQ, WF, p, 2) for p in range(16)]
    assert 0 in owners and 1 in owners  # the test needs a split
    m = await Matching(config, host_name="m").start()
    n = await Matching(config, host_name="n").start()
    try:
        got_m = [p.partition for p in (await m.describe()).partitions]
        got_n = [p.partition for p in (await n.describe()).partitions]
        assert got_m == [p for p in range(16) if owners[p] == 0]
        assert got_n == [p for p in range(16) if owners[p] == 1]
        assert all(p.owner == "n" for p in (await n.describe()).partitions)
    finally:
        await m.stop()
        await n.stop()


async def test_backlog_is_read_in_batches(config, history):
    m = await Matching(config, read_batch_size=3).start()
    try:
        for i in range(10):
            assert await m.add(f"wf-{i:02d}") is False
        got = []
        part = m.servicer._matcher.queue(QueueKey(NS, TQ, WF)).partition(0)
        for _ in range(10):
            got.append(token_of(await m.poll()).workflow_id)
            assert len(part.buffer) <= 6  # never the whole backlog in memory
        assert got == [f"wf-{i:02d}" for i in range(10)]
        assert (await m.partition_info(0)).backlog == 0
    finally:
        await m.stop()


async def test_stop_ends_waiting_polls_and_refuses_new_work(config, history):
    m = await Matching(config.model_copy(update={"poll_timeout": 30.0})).start()
    try:
        poll = m.poll()
        await pollers_waiting(m, 1)
        start = time.monotonic()
        await m.servicer.stop()
        resp = await poll
        # ended by the stop, long before the poll's own end (the call's 10 s deadline less ~1 s)
        assert resp.task_token == b"" and time.monotonic() - start < 5
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await m.add("wf-late")
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await m.stop()


async def test_many_concurrent_adds_and_polls_lose_nothing(matching, history):
    n = 60
    polls = [asyncio.ensure_future(matching.poll(partition=i % 4, identity=f"w{i}")) for i in range(n // 2)]
    adds = await asyncio.gather(*(matching.add(f"wf-{i}", partition=i % 4) for i in range(n)))
    got = [token_of(r).workflow_id for r in await asyncio.gather(*polls) if r.task_token]
    while len(got) < n:
        resp = await matching.poll(partition=len(got) % 4)
        assert resp.task_token, "a task went missing"
        got.append(token_of(resp).workflow_id)
    assert sorted(got) == sorted(f"wf-{i}" for i in range(n))  # each exactly once
    assert sum(adds) == sum(p.sync_matched for p in (await matching.describe()).partitions)


async def test_idle_queues_are_evicted_but_busy_ones_kept(matching, history):
    matcher = matching.servicer._matcher
    sticky = common_pb2.TaskQueue(name="gone-worker-sticky", kind=common_pb2.TASK_QUEUE_KIND_STICKY)
    await matching.poll(queue=sticky)  # times out: the queue is known to be empty
    assert await matching.add("wf-kept") is False  # backlog on the normal queue: never evicted
    poll = matching.poll(partition=1, task_type=ACT)  # waiting: never evicted
    await pollers_waiting(matching, 1, partition=1, task_type=ACT)

    assert matcher.evict_idle(idle_for=3600) == 0
    assert matcher.evict_idle(idle_for=0) == 1
    assert matcher.existing_queue(QueueKey(NS, sticky.name, WF)) is None
    assert matcher.existing_queue(QueueKey(NS, TQ, WF)) is not None
    assert token_of(await matching.poll()).workflow_id == "wf-kept"
    assert await matching.add("wf-act", partition=1, task_type=ACT) is True
    await poll


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_chaos_no_acked_task_is_lost(config, history, seed):
    """Random history failures and delays, polls cancelled at random moments and a
    restart in the middle: every acked task still gets started by history."""
    config = config.model_copy(update={"poll_timeout": 0.3})
    rng = random.Random(seed)
    history.chaos = random.Random(seed + 100)
    acked: set[str] = set()
    m = await Matching(config).start()

    async def adder(start: int, count: int):
        for i in range(start, start + count):
            wf = f"wf-{i}"
            try:
                await m.add(wf, partition=rng.randrange(4))
                acked.add(wf)
            except grpc.aio.AioRpcError:
                pass  # not acked: history would retry it
            await asyncio.sleep(rng.random() * 0.005)

    async def poller(n: int):
        for _ in range(n):
            call = m.poll(partition=rng.randrange(4), identity=f"p{rng.randrange(5)}")
            if rng.random() < 0.3:
                await asyncio.sleep(rng.random() * 0.03)
                call.cancel()
            try:
                await call
            except (asyncio.CancelledError, grpc.aio.AioRpcError):
                pass

    await asyncio.gather(adder(0, 40), adder(100, 40), *(poller(15) for _ in range(6)))
    await m.stop()  # some tasks are still in the backlog, some mid-retry

    history.chaos = None
    m = await Matching(config).start()
    try:
        await adder(200, 10)
        while (await m.poll(partition=rng.randrange(4))).task_token:
            pass  # drain, duplicates included
        assert acked - history.succeeded == set(), "acked tasks were lost"
        assert len(acked) >= 80
        described = await m.describe()
        assert sum(p.backlog for p in described.partitions) == 0
    finally:
        await m.stop()


async def test_backlog_of_partitions_that_moved_is_handed_to_their_new_owner(tmp_path, history):
    """The cluster grows from one matching host to two: at start, the old host sends the stored
    tasks of the partitions the new host now owns there (and deletes them here)."""
    from fanflow.clients import MatchingClient

    hosts_history = [HistoryHost(name="h", address=history.address)]
    one = ClusterConfig(data_dir=tmp_path, history_hosts=hosts_history, matching_hosts=[MatchingHost(name="m", address="x:1")],
                        task_queue_partitions=8, poll_timeout=1.0)
    m = await Matching(one, host_name="m").start()
    for p in range(8):
        for i in range(3):
            assert await m.add(f"wf-{p}-{i}", partition=p) is False  # no pollers: stored
    await m.stop()

    two = ClusterConfig(data_dir=tmp_path, history_hosts=hosts_history,
                        matching_hosts=[MatchingHost(name="m", address="x:1"), MatchingHost(name="n", address="x:2")],
                        task_queue_partitions=8, poll_timeout=1.0)
    moved = [p for p in range(8) if routing.matching_owner_index(NS, TQ, WF, p, 2) == 1]
    assert moved and len(moved) < 8, "the test needs a split"
    n = await Matching(two, host_name="n").start()
    two.matching_hosts[1].address = n.server.address
    client = MatchingClient(two)
    m = await Matching(two, host_name="m", matching=client).start()
    try:
        await eventually(lambda: m.servicer.handed_over == 3 * len(moved))
        for p in moved:
            assert (await n.partition_info(p)).backlog == 3
            got = sorted([token_of(await n.poll(partition=p)).workflow_id for _ in range(3)])
            assert got == [f"wf-{p}-{i}" for i in range(3)]
        kept = [p for p in range(8) if p not in moved]
        assert [(await m.partition_info(p)).backlog for p in kept] == [3] * len(kept)
        with sqlite3.connect(m.servicer.db_path) as db:
            left = {row[0] for row in db.execute("SELECT DISTINCT partition FROM tasks")}
        assert left == set(kept), "handed-over tasks are deleted here"
    finally:
        await m.stop()
        await n.stop()
        await client.close()


# -- expired tasks (sticky queues of workers that are gone) --------------------


async def test_expired_stored_tasks_are_swept_and_never_dispatched(config, history):
    """A sticky task whose worker is gone would sit in its queue forever: once past its
    expire_time (history's schedule-to-start has taken it over) housekeeping deletes it,
    and a poll that finds it first drops it without asking history."""
    m = await Matching(config, housekeeping_every=0.1).start()
    try:
        sticky = common_pb2.TaskQueue(name="gone-worker-sticky", kind=common_pb2.TASK_QUEUE_KIND_STICKY)
        soon = expiring(0.3)  # one expiry for both, so no sweep can fall between them
        assert await m.add("wf-orphan", queue=sticky, **soon) is False
        assert await m.add("wf-expiring", **soon) is False
        assert await m.add("wf-lasting", **expiring(3600)) is False
        assert await m.add("wf-forever") is False
        with sqlite3.connect(config.data_dir / "matching-m.db") as db:
            assert db.execute("SELECT COUNT(*) FROM tasks WHERE expires_at IS NOT NULL").fetchone()[0] == 3

        def stored() -> list[str]:
            with sqlite3.connect(config.data_dir / "matching-m.db") as db:
                return sorted(internal_pb2.TaskInfo.FromString(d).workflow_id for (d,) in db.execute("SELECT data FROM tasks"))

        # The sweep alone removes the sticky one (nobody polls that queue).
        await eventually(lambda: "wf-orphan" not in stored(), timeout=10)
        assert {"wf-lasting", "wf-forever"} <= set(stored())
        got = [token_of(await m.poll()).workflow_id for _ in range(2)]
        assert got == ["wf-lasting", "wf-forever"]
        assert "wf-expiring" not in history.started() and "wf-orphan" not in history.started()
    finally:
        await m.stop()


async def test_an_expired_task_is_dropped_on_add(matching, history):
    poll = matching.poll()
    await pollers_waiting(matching, 1)
    assert await matching.add("wf-late", **expiring(-1)) is False  # not offered to the poll
    assert await matching.add("wf-on-time", **expiring(60)) is True
    assert token_of(await poll).workflow_id == "wf-on-time"
    assert history.started() == ["wf-on-time"]
    assert (await matching.partition_info(0)).backlog == 0


async def test_a_poll_reads_past_whole_batches_of_expired_rows(config, history):
    """Expired rows are dropped as they are read; a live task behind several batches of them
    is still found by the same poll (not left until the poll times out)."""
    m = await Matching(config.model_copy(update={"poll_timeout": 30.0}), read_batch_size=3, housekeeping_every=3600).start()
    try:
        for i in range(10):
            assert await m.add(f"wf-gone-{i}", **expiring(0.2)) is False
        assert await m.add("wf-live") is False
        await asyncio.sleep(0.3)  # the ten expire; no sweep runs (hourly)
        started = time.monotonic()
        assert token_of(await m.poll()).workflow_id == "wf-live"
        assert time.monotonic() - started < 5  # found by reading on, not after the 30 s poll timeout
        assert history.started() == ["wf-live"]
    finally:
        await m.stop()


# -- a matching clock minutes off history's -----------------------------------


def _stamped_by_history(lifetime: float) -> dict:
    """created_time and expire_time as history stamps them, by history's clock (the real one here)."""
    created, expire = timestamp_pb2.Timestamp(), timestamp_pb2.Timestamp()
    now = time.time_ns()
    created.FromNanoseconds(now)
    expire.FromNanoseconds(now + int(lifetime * 1e9))
    return {"created_time": created, "expire_time": expire}


@pytest.mark.parametrize("matching_ahead", [+600.0, -600.0])
async def test_a_skewed_matching_clock_keeps_the_lifetime_history_gave(config, history, tmp_path, monkeypatch, matching_ahead):
    """Expiry is counted on matching's own clock from when the task arrived: 10 minutes of
    skew either way neither drops a task on arrival nor keeps it past its lifetime."""
    offset = tmp_path / "matching-clock-offset"
    offset.write_text(str(matching_ahead))
    monkeypatch.setenv("FANFLOW_CLOCK_OFFSET_FILE", str(offset))  # read by fanflow.clock only: matching's clock
    m = await Matching(config, housekeeping_every=0.1).start()
    try:
        assert await m.add("wf-short", **_stamped_by_history(5.0)) is False
        assert await m.add("wf-long", **_stamped_by_history(3600.0)) is False
        with sqlite3.connect(config.data_dir / "matching-m.db") as db:
            assert db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 2, "neither dropped on arrival"
        await asyncio.sleep(6.0)  # the short one's lifetime passes on matching's clock
        assert token_of(await m.poll()).workflow_id == "wf-long"

        def stored() -> int:
            with sqlite3.connect(config.data_dir / "matching-m.db") as db:
                return db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]

        await eventually(lambda: stored() == 0, timeout=15)  # the short one dropped, unasked; the long one's delete is lazy
        assert history.started() == ["wf-long"]
    finally:
        await m.stop()
