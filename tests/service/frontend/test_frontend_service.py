"""The real frontend over gRPC, with tiny gRPC test doubles for history (namespaces
and DescribeShard only; every other call is recorded and answered UNIMPLEMENTED)
and matching (a poll that hangs, a poll that returns a task, DescribeTaskQueue)."""
from __future__ import annotations

import asyncio
import socket
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from fanflow import grpcutil, routing
from fanflow.clients import HistoryClient, MatchingClient
from fanflow.config import ClusterConfig, HistoryHost, MatchingHost
from frontend import ADMIN_SERVICE_NAME, WORKFLOW_SERVICE_NAME, FrontendSettings, frontend_registrations
from protos import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    common_pb2,
    history_service_pb2,
    history_service_pb2_grpc,
    internal_pb2,
    matching_service_pb2_grpc,
    workflow_service_pb2 as ws,
    workflow_service_pb2_grpc,
)

SHARDS = 4
PARTITIONS = 2
NS = "default"
BIG = 2 * 1024 * 1024 + 100


# ---------------------------------------------------------------- test doubles


class FakeHistory(history_service_pb2_grpc.HistoryServiceServicer):
    def __init__(self):
        self.namespaces: dict[str, admin_service_pb2.NamespaceInfo] = {NS: admin_service_pb2.NamespaceInfo(name=NS)}
        self.calls: list[tuple[str, object]] = []  # everything but namespace look-ups
        self.list_namespace_calls = 0

    async def ListNamespaces(self, request, context):
        self.list_namespace_calls += 1
        return admin_service_pb2.ListNamespacesResponse(namespaces=list(self.namespaces.values()))

    async def RegisterNamespace(self, request, context):
        if request.name in self.namespaces:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, f"namespace {request.name!r} already exists")
        info = admin_service_pb2.NamespaceInfo(name=request.name, description=request.description)
        info.created_time.GetCurrentTime()
        self.namespaces[request.name] = info
        return admin_service_pb2.RegisterNamespaceResponse(namespace=info)

    async def DescribeShard(self, request, context):
        self.calls.append(("DescribeShard", request))
        return admin_service_pb2.DescribeShardResponse(shard_id=request.shard_id, owner="history-0", range_id=7)


def _unimplemented(name: str):
    async def method(self, request, context):
        self.calls.append((name, request))
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"test double: HistoryService/{name} is not implemented")

    return method


for _method in history_service_pb2.DESCRIPTOR.services_by_name["HistoryService"].methods:
    if _method.name not in FakeHistory.__dict__:
        setattr(FakeHistory, _method.name, _unimplemented(_method.name))


class FakeMatching(matching_service_pb2_grpc.MatchingServiceServicer):
    def __init__(self, name: str = "matching-0"):
        self.name = name
        self.calls: list[tuple[str, object]] = []

    async def PollWorkflowTaskQueue(self, request, context):
        self.calls.append(("PollWorkflowTaskQueue", request))
        await asyncio.sleep(30)  # never answers: the frontend's deadline must fire
        return ws.PollWorkflowTaskQueueResponse()

    async def PollActivityTaskQueue(self, request, context):
        self.calls.append(("PollActivityTaskQueue", request))
        return ws.PollActivityTaskQueueResponse(task_token=b"tok", activity_id="a1", partition=request.partition)

    async def DescribeTaskQueue(self, request, context):
        self.calls.append(("DescribeTaskQueue", request))
        return admin_service_pb2.DescribeTaskQueueResponse(
            partitions=[admin_service_pb2.TaskQueuePartitionInfo(partition=p, owner=self.name, backlog=10 * p) for p in request.partitions],
            recent_poller_identities=[f"worker-of-{self.name}", "worker-1"],
        )


def dead_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


class Cluster:
    def __init__(self, history_address: str, matching_address: str | list[str], partitions: int = PARTITIONS, **settings):
        addresses = [matching_address] if isinstance(matching_address, str) else matching_address
        self.config = ClusterConfig(
            history_shard_count=SHARDS,
            task_queue_partitions=partitions,
            history_hosts=[HistoryHost(name="history-0", address=history_address)],
            matching_hosts=[MatchingHost(name=f"matching-{i}", address=a) for i, a in enumerate(addresses)],
            frontend_address="127.0.0.1:0",
            poll_timeout=0.2,
        )
        self.settings = FrontendSettings(**{"poll_deadline_margin": 0.2, "poll_error_backoff": 0.01, **settings})

    async def start(self):
        self.history_client = HistoryClient(self.config)
        self.matching_client = MatchingClient(self.config)
        self.registrations = frontend_registrations(self.config, self.history_client, self.matching_client, self.settings)
        self.server = await grpcutil.start_server("127.0.0.1:0", self.registrations)
        self.channel = grpc.aio.insecure_channel(self.server.address)
        self.wf = workflow_service_pb2_grpc.WorkflowServiceStub(self.channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(self.channel)
        return self

    async def stop(self):
        await self.channel.close()
        await self.server.stop(None)
        await self.registrations[0][1].frontend.close()
        await self.history_client.close()
        await self.matching_client.close()


@pytest.fixture
async def doubles():
    history, matching = FakeHistory(), FakeMatching()
    h = await grpcutil.start_server("127.0.0.1:0", [(history_service_pb2_grpc.add_HistoryServiceServicer_to_server, history, "fanflow.internal.v1.HistoryService")])
    m = await grpcutil.start_server("127.0.0.1:0", [(matching_service_pb2_grpc.add_MatchingServiceServicer_to_server, matching, "fanflow.internal.v1.MatchingService")])
    history.address, matching.address = h.address, m.address
    yield history, matching
    await h.stop(None)
    await m.stop(None)


@pytest.fixture
async def cluster(doubles):
    history, matching = doubles
    c = await Cluster(history.address, matching.address).start()
    c.fake_history, c.fake_matching = history, matching
    yield c
    await c.stop()


async def expect_error(call, code: grpc.StatusCode, *needles: str) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    assert info.value.code() == code, f"{info.value.code()}: {info.value.details()}"
    for needle in needles:
        assert needle in info.value.details(), info.value.details()
    return info.value.details()


def tq(name="tq", kind=common_pb2.TASK_QUEUE_KIND_UNSPECIFIED):
    return common_pb2.TaskQueue(name=name, kind=kind)


def ex(workflow_id="wf-1", run_id=""):
    return common_pb2.WorkflowExecution(workflow_id=workflow_id, run_id=run_id)


def token_bytes(**overrides) -> bytes:
    fields = dict(namespace=NS, workflow_id="wf-1", run_id="r1", scheduled_event_id=2, started_event_id=3, task_type=common_pb2.TASK_TYPE_WORKFLOW)
    fields.update(overrides)
    fields.setdefault("shard_id", routing.shard_for(fields["namespace"], fields["workflow_id"], SHARDS))
    return internal_pb2.TaskToken(**fields).SerializeToString()


def start(**kw):
    fields = dict(namespace=NS, workflow_id="wf-1", workflow_type=common_pb2.WorkflowType(name="T"), task_queue=tq())
    fields.update(kw)
    return ws.StartWorkflowExecutionRequest(**fields)


# ---------------------------------------------------------------- health and reflection


async def test_health_serving_and_reflection_lists_both_services(cluster):
    health = health_pb2_grpc.HealthStub(cluster.channel)
    for service in ("", WORKFLOW_SERVICE_NAME, ADMIN_SERVICE_NAME):
        resp = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert resp.status == health_pb2.HealthCheckResponse.SERVING

    stub = reflection_pb2_grpc.ServerReflectionStub(cluster.channel)
    call = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
    names = set()
    async for resp in call:
        names |= {s.name for s in resp.list_services_response.service}
    assert {WORKFLOW_SERVICE_NAME, ADMIN_SERVICE_NAME} <= names


# ---------------------------------------------------------------- rejected before routing

INVALID = grpc.StatusCode.INVALID_ARGUMENT

REJECTIONS = [
    ("StartWorkflowExecution", lambda: start(namespace=""), ("namespace is required",)),
    ("StartWorkflowExecution", lambda: start(workflow_id=""), ("workflow_id is required",)),
    ("StartWorkflowExecution", lambda: start(workflow_id="w" * 1001), ("workflow_id is 1,001 characters long; the limit is 1,000",)),
    ("StartWorkflowExecution", lambda: start(workflow_type=common_pb2.WorkflowType()), ("workflow_type.name is required",)),
    ("StartWorkflowExecution", lambda: start(task_queue=tq("")), ("task_queue.name is required",)),
    ("StartWorkflowExecution", lambda: start(task_queue=tq(kind=5)), ("task_queue.kind has unknown value 5",)),
    ("StartWorkflowExecution", lambda: start(input=common_pb2.Payload(data=b"x" * BIG)), ("input is 2,097,", "at most 2,097,152 bytes (2 MiB)",)),
    ("SignalWorkflowExecution", lambda: ws.SignalWorkflowExecutionRequest(namespace=NS, execution=ex(), signal_name=""), ("signal_name is required",)),
    ("SignalWorkflowExecution", lambda: ws.SignalWorkflowExecutionRequest(namespace=NS, execution=ex(), signal_name="s", input=common_pb2.Payload(data=b"x" * BIG)), ("input is 2,097,",)),
    ("DescribeWorkflowExecution", lambda: ws.DescribeWorkflowExecutionRequest(namespace=NS), ("execution.workflow_id is required",)),
    ("TerminateWorkflowExecution", lambda: ws.TerminateWorkflowExecutionRequest(execution=ex()), ("namespace is required",)),
    ("GetWorkflowResult", lambda: ws.GetWorkflowResultRequest(namespace=NS, execution=ex("x" * 1001)), ("execution.workflow_id is 1,001",)),
    ("GetWorkflowExecutionHistory", lambda: ws.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=ex(), maximum_page_size=10_001), ("maximum_page_size is 10001; it must be between 0 and 10,000",)),
    ("GetWorkflowExecutionHistory", lambda: ws.GetWorkflowExecutionHistoryRequest(namespace=NS, execution=ex(), maximum_page_size=-5), ("maximum_page_size is -5",)),
    ("ListWorkflowExecutions", lambda: ws.ListWorkflowExecutionsRequest(namespace=NS, page_size=1001), ("page_size is 1001; it must be between 0 and 1,000",)),
    ("ListWorkflowExecutions", lambda: ws.ListWorkflowExecutionsRequest(namespace=NS, next_page_token=b"forged"), ("next_page_token is malformed",)),
    ("PollWorkflowTaskQueue", lambda: ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=tq(kind=3)), ("task_queue.kind has unknown value 3",)),
    ("PollActivityTaskQueue", lambda: ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=tq("")), ("task_queue.name is required",)),
    ("PollActivityTaskQueue", lambda: ws.PollActivityTaskQueueRequest(namespace="", task_queue=tq()), ("namespace is required",)),
    ("RespondWorkflowTaskCompleted", lambda: ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=b"\x08\x96\x01garbage"), ("malformed task token",)),
    ("RespondWorkflowTaskCompleted", lambda: ws.RespondWorkflowTaskCompletedRequest(namespace=NS), ("malformed task token: task_token is empty",)),
    ("RespondWorkflowTaskCompleted", lambda: ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=token_bytes(shard_id=SHARDS)), ("malformed task token: shard_id 4 is outside 0..3",)),
    ("RespondWorkflowTaskCompleted", lambda: ws.RespondWorkflowTaskCompletedRequest(namespace=NS, task_token=token_bytes(namespace="other")), ("malformed task token: it was issued in namespace 'other'",)),
    # (an oversized payload in a workflow-task completion is history's to refuse: tests/service/history/test_history_workflow_task_failures.py)
    ("RespondWorkflowTaskFailed", lambda: ws.RespondWorkflowTaskFailedRequest(namespace=NS, task_token=token_bytes(task_type=common_pb2.TASK_TYPE_ACTIVITY)), ("it is for an activity task",)),
    ("RespondActivityTaskCompleted", lambda: ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=token_bytes()), ("it is for a workflow task",)),
    ("RespondActivityTaskCompleted", lambda: ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=token_bytes(task_type=common_pb2.TASK_TYPE_ACTIVITY), result=common_pb2.Payload(data=b"x" * BIG)), ("result is 2,097,",)),
    ("RespondActivityTaskFailed", lambda: ws.RespondActivityTaskFailedRequest(namespace=NS, task_token=token_bytes(task_type=common_pb2.TASK_TYPE_ACTIVITY, run_id="")), ("malformed task token: it has no run_id",)),
    ("RecordActivityTaskHeartbeat", lambda: ws.RecordActivityTaskHeartbeatRequest(namespace=NS, task_token=token_bytes(task_type=common_pb2.TASK_TYPE_ACTIVITY), details=common_pb2.Payload(data=b"x" * BIG)), ("details is 2,097,",)),
]


@pytest.mark.parametrize("method, make_request, needles", REJECTIONS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTIONS)])
async def test_invalid_requests_rejected_before_routing(cluster, method, make_request, needles):
    await expect_error(getattr(cluster.wf, method)(make_request(), timeout=5), INVALID, *needles)
    assert cluster.fake_history.calls == []
    assert cluster.fake_matching.calls == []


async def test_unknown_namespace_is_not_found(cluster):
    for call in (
        cluster.wf.StartWorkflowExecution(start(namespace="nope"), timeout=5),
        cluster.wf.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace="nope", task_queue=tq()), timeout=5),
        cluster.wf.ListWorkflowExecutions(ws.ListWorkflowExecutionsRequest(namespace="nope"), timeout=5),
        cluster.admin.DescribeTaskQueue(admin_service_pb2.DescribeTaskQueueRequest(namespace="nope", task_queue=tq(), task_type=common_pb2.TASK_TYPE_WORKFLOW), timeout=5),
    ):
        await expect_error(call, grpc.StatusCode.NOT_FOUND, "namespace 'nope' is not registered; register it with AdminService/RegisterNamespace")
    assert cluster.fake_history.calls == [] and cluster.fake_matching.calls == []
    assert cluster.fake_history.list_namespace_calls == 1  # misses refresh at most once a second


# ---------------------------------------------------------------- routing


async def test_valid_start_is_routed_to_its_shard(cluster):
    await expect_error(cluster.wf.StartWorkflowExecution(start(workflow_id="order-17"), timeout=5), grpc.StatusCode.UNIMPLEMENTED, "test double")
    [(name, req)] = cluster.fake_history.calls
    assert name == "StartWorkflowExecution" and isinstance(req, history_service_pb2.StartWorkflowExecutionRequest)
    assert req.shard_id == routing.shard_for(NS, "order-17", SHARDS)
    assert req.request.workflow_id == "order-17"
    assert req.request.task_queue.kind == common_pb2.TASK_QUEUE_KIND_NORMAL  # UNSPECIFIED means NORMAL


async def test_completion_is_routed_to_the_token_shard(cluster):
    for wf_id in ("a", "b", "c", "d", "e"):
        tok = token_bytes(workflow_id=wf_id, task_type=common_pb2.TASK_TYPE_ACTIVITY)
        await expect_error(
            cluster.wf.RespondActivityTaskCompleted(ws.RespondActivityTaskCompletedRequest(namespace=NS, task_token=tok), timeout=5),
            grpc.StatusCode.UNIMPLEMENTED,
        )
    assert [(n, r.shard_id, r.request.task_token) for n, r in cluster.fake_history.calls] == [
        ("RespondActivityTaskCompleted", routing.shard_for(NS, w, SHARDS), token_bytes(workflow_id=w, task_type=common_pb2.TASK_TYPE_ACTIVITY))
        for w in ("a", "b", "c", "d", "e")
    ]


async def test_get_workflow_result_wait_is_capped(cluster):
    req = ws.GetWorkflowResultRequest(namespace=NS, execution=ex("w"))
    req.wait_timeout.seconds = 3600
    await expect_error(cluster.wf.GetWorkflowResult(req), grpc.StatusCode.UNIMPLEMENTED)
    req.wait_timeout.seconds = 50
    await expect_error(cluster.wf.GetWorkflowResult(req, timeout=5), grpc.StatusCode.UNIMPLEMENTED)
    (_, first), (_, second) = cluster.fake_history.calls
    assert first.request.wait_timeout.seconds == 60
    assert 0 < second.request.wait_timeout.ToNanoseconds() / 1e9 < 5  # below our caller's own deadline


async def test_list_fans_out_to_every_shard(cluster):
    await expect_error(cluster.wf.ListWorkflowExecutions(ws.ListWorkflowExecutionsRequest(namespace=NS), timeout=5), grpc.StatusCode.UNIMPLEMENTED)
    await asyncio.sleep(0.05)
    asked = sorted(r.shard_id for n, r in cluster.fake_history.calls if n == "ListWorkflowExecutions")
    assert set(asked) <= set(range(SHARDS)) and asked  # the first failure cancels the rest
    assert all(r.request.page_size == 100 for _, r in cluster.fake_history.calls)


# ---------------------------------------------------------------- polls


async def test_poll_deadline_answers_empty(cluster):
    began = time.monotonic()
    resp = await cluster.wf.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace=NS, task_queue=tq(), identity="w1"), timeout=5)
    assert resp.task_token == b""
    assert 0.3 <= time.monotonic() - began < 3  # poll_timeout 0.2 + margin 0.2
    [(name, req)] = cluster.fake_matching.calls
    assert name == "PollWorkflowTaskQueue" and req.request.identity == "w1" and req.partition in range(PARTITIONS)


async def test_polls_rotate_over_partitions_and_pass_the_task_through(cluster):
    for _ in range(4):
        resp = await cluster.wf.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=tq()), timeout=5)
        assert resp.task_token == b"tok" and resp.activity_id == "a1"
    parts = [r.partition for _, r in cluster.fake_matching.calls]
    assert sorted(set(parts)) == [0, 1]
    assert all(r.request.task_queue.kind == common_pb2.TASK_QUEUE_KIND_NORMAL for _, r in cluster.fake_matching.calls)


async def test_sticky_poll_uses_one_partition(cluster):
    for _ in range(3):
        await cluster.wf.PollActivityTaskQueue(
            ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=tq("host:sticky", common_pb2.TASK_QUEUE_KIND_STICKY)), timeout=5
        )
    assert [r.partition for _, r in cluster.fake_matching.calls] == [0, 0, 0]


async def test_matching_unreachable_is_unavailable(doubles):
    history, _ = doubles
    c = await Cluster(history.address, dead_address()).start()
    try:
        await expect_error(
            c.wf.PollActivityTaskQueue(ws.PollActivityTaskQueueRequest(namespace=NS, task_queue=tq("q")), timeout=5),
            grpc.StatusCode.UNAVAILABLE,
            "matching partition",
            "'q'",
            "matching-0",
        )
    finally:
        await c.stop()


async def test_history_unreachable_is_unavailable(doubles):
    _, matching = doubles
    c = await Cluster(dead_address(), matching.address).start()
    try:
        await expect_error(c.wf.StartWorkflowExecution(start(), timeout=5), grpc.StatusCode.UNAVAILABLE, "history (shard 0) did not answer")
        await expect_error(c.admin.DescribeShard(admin_service_pb2.DescribeShardRequest(shard_id=2), timeout=5), grpc.StatusCode.UNAVAILABLE, "history shard 2 (history-0 at")
    finally:
        await c.stop()


# ---------------------------------------------------------------- admin


async def test_register_then_use_namespace(cluster):
    await expect_error(cluster.wf.StartWorkflowExecution(start(namespace="prod"), timeout=5), grpc.StatusCode.NOT_FOUND)
    resp = await cluster.admin.RegisterNamespace(admin_service_pb2.RegisterNamespaceRequest(name="prod", description="production"), timeout=5)
    assert resp.namespace.name == "prod"
    # Known at once (no wait for the 1 s miss interval): reaches history.
    await expect_error(cluster.wf.StartWorkflowExecution(start(namespace="prod"), timeout=5), grpc.StatusCode.UNIMPLEMENTED)
    await expect_error(
        cluster.admin.RegisterNamespace(admin_service_pb2.RegisterNamespaceRequest(name="prod"), timeout=5),
        grpc.StatusCode.ALREADY_EXISTS,
        "already exists",
    )
    listed = await cluster.admin.ListNamespaces(admin_service_pb2.ListNamespacesRequest(), timeout=5)
    assert [n.name for n in listed.namespaces] == ["default", "prod"]
    described = await cluster.admin.DescribeNamespace(admin_service_pb2.DescribeNamespaceRequest(name="prod"), timeout=5)
    assert described.namespace.description == "production"
    await expect_error(cluster.admin.DescribeNamespace(admin_service_pb2.DescribeNamespaceRequest(name="ghost"), timeout=5), grpc.StatusCode.NOT_FOUND, "'ghost' is not registered")


@pytest.mark.parametrize("name, needle", [("", "name is required"), ("a b", "' '"), ("x" * 65, "at most 64")])
async def test_register_namespace_rejects_bad_names(cluster, name, needle):
    await expect_error(cluster.admin.RegisterNamespace(admin_service_pb2.RegisterNamespaceRequest(name=name), timeout=5), INVALID, needle)


async def test_describe_cluster(cluster):
    resp = await cluster.admin.DescribeCluster(admin_service_pb2.DescribeClusterRequest(), timeout=5)
    assert (resp.cluster_name, resp.history_shard_count, resp.task_queue_partitions) == ("fanflow", SHARDS, PARTITIONS)
    members = [(m.role, m.name, list(m.shards)) for m in resp.members]
    assert members == [("frontend", "frontend", []), ("history", "history-0", [0, 1, 2, 3]), ("matching", "matching-0", [])]


async def test_shards(cluster):
    await expect_error(cluster.admin.DescribeShard(admin_service_pb2.DescribeShardRequest(shard_id=SHARDS), timeout=5), INVALID, "shard_id is 4; this cluster has shards 0..3")
    await expect_error(cluster.admin.DescribeShard(admin_service_pb2.DescribeShardRequest(shard_id=-1), timeout=5), INVALID, "shard_id is -1")
    assert cluster.fake_history.calls == []
    one = await cluster.admin.DescribeShard(admin_service_pb2.DescribeShardRequest(shard_id=3), timeout=5)
    assert (one.shard_id, one.owner, one.range_id) == (3, "history-0", 7)
    listed = await cluster.admin.ListShards(admin_service_pb2.ListShardsRequest(), timeout=5)
    assert [s.shard_id for s in listed.shards] == [0, 1, 2, 3]


async def test_describe_task_queue(cluster):
    base = dict(namespace=NS, task_queue=tq("q"))
    await expect_error(cluster.admin.DescribeTaskQueue(admin_service_pb2.DescribeTaskQueueRequest(**base), timeout=5), INVALID, "task_type is required")
    await expect_error(cluster.admin.DescribeTaskQueue(admin_service_pb2.DescribeTaskQueueRequest(**base, task_type=9), timeout=5), INVALID, "task_type has unknown value 9")
    assert cluster.fake_matching.calls == []
    resp = await cluster.admin.DescribeTaskQueue(admin_service_pb2.DescribeTaskQueueRequest(**base, task_type=common_pb2.TASK_TYPE_ACTIVITY), timeout=5)
    assert [(p.partition, p.owner, p.backlog) for p in resp.partitions] == [(0, "matching-0", 0), (1, "matching-0", 10)]
    assert list(resp.recent_poller_identities) == ["worker-of-matching-0", "worker-1"]
    [(_, req)] = cluster.fake_matching.calls  # one owner: one call for both partitions
    assert list(req.partitions) == [0, 1]


async def test_describe_task_queue_asks_each_owner_for_its_partitions(doubles):
    history, _ = doubles
    fakes = [FakeMatching("matching-0"), FakeMatching("matching-1")]
    servers = [
        await grpcutil.start_server("127.0.0.1:0", [(matching_service_pb2_grpc.add_MatchingServiceServicer_to_server, f, "fanflow.internal.v1.MatchingService")])
        for f in fakes
    ]
    c = await Cluster(history.address, [s.address for s in servers], partitions=8).start()
    try:
        task_queue = tq("spread")
        resp = await c.admin.DescribeTaskQueue(
            admin_service_pb2.DescribeTaskQueueRequest(namespace=NS, task_queue=task_queue, task_type=common_pb2.TASK_TYPE_WORKFLOW), timeout=5
        )
        owner_of = {p: routing.matching_owner_index(NS, "spread", common_pb2.TASK_TYPE_WORKFLOW, p, 2) for p in range(8)}
        assert [(p.partition, p.owner) for p in resp.partitions] == [(p, f"matching-{owner_of[p]}") for p in range(8)]
        for i, fake in enumerate(fakes):
            asked = [list(r.partitions) for _, r in fake.calls]
            expected = [p for p in range(8) if owner_of[p] == i]
            assert asked == ([expected] if expected else [])
        assert "worker-1" in resp.recent_poller_identities and len(resp.recent_poller_identities) == len(set(resp.recent_poller_identities))
    finally:
        await c.stop()
        for server in servers:
            await server.stop(None)


async def test_large_payload_is_logged_then_routed(cluster, monkeypatch):
    from frontend import workflow_service

    warnings = []

    class Recorder:
        def warning(self, event, **kw):
            warnings.append((event, kw))

        def debug(self, *a, **kw):
            pass

    monkeypatch.setattr(workflow_service, "log", Recorder())
    req = ws.SignalWorkflowExecutionRequest(namespace=NS, execution=ex(), signal_name="s", input=common_pb2.Payload(data=b"x" * (600 * 1024)))
    await expect_error(cluster.wf.SignalWorkflowExecution(req, timeout=5), grpc.StatusCode.UNIMPLEMENTED)
    [(event, kw)] = warnings
    assert event == "large payload" and kw["field"] == "input" and kw["size"] > 512 * 1024 and kw["method"] == "SignalWorkflowExecution"
    assert [n for n, _ in cluster.fake_history.calls] == ["SignalWorkflowExecution"]
