"""ListWorkflowExecutions fan-out/merge/pagination, DescribeTaskQueue merge and
the namespace cache, against in-process fakes that follow history's contract."""
from __future__ import annotations

import asyncio
import json
import random

import grpc
import pytest

from fanflow.errors import InvalidArgument, NotFound, Unavailable
from frontend import listing
from frontend.admin_service import merge_task_queue_descriptions
from frontend.namespaces import NamespaceCache
from frontend.upstream import UpstreamError, gather_all, upstream
from protos import admin_service_pb2, common_pb2, history_service_pb2, workflow_service_pb2 as ws


def info(start_ns: int, wf: str, run: str = "r", status=common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING, wtype="T"):
    i = ws.WorkflowExecutionInfo(
        execution=common_pb2.WorkflowExecution(workflow_id=wf, run_id=run),
        type=common_pb2.WorkflowType(name=wtype),
        status=status,
    )
    i.start_time.FromNanoseconds(start_ns)
    return i


class FakeShards:
    """Per-shard lists honouring history's contract: page_size, newest first,
    next_page_token = {"before": [start_ns, workflow_id, run_id]} (strictly older)."""

    def __init__(self, shard_count: int):
        self.rows: dict[int, list] = {s: [] for s in range(shard_count)}
        self.calls: list[history_service_pb2.ListWorkflowExecutionsRequest] = []

    def add(self, shard: int, row) -> None:
        self.rows[shard].append(row)

    async def fetch(self, req: history_service_pb2.ListWorkflowExecutionsRequest):
        self.calls.append(req)
        await asyncio.sleep(0)
        inner = req.request
        rows = sorted(self.rows[req.shard_id], key=listing.execution_key, reverse=True)
        if inner.status_filter:
            rows = [r for r in rows if r.status == inner.status_filter]
        if inner.workflow_type_filter:
            rows = [r for r in rows if r.type.name == inner.workflow_type_filter]
        if inner.next_page_token:
            before = tuple(json.loads(inner.next_page_token)["before"])
            rows = [r for r in rows if listing.execution_key(r) < before]
        page = rows[: inner.page_size]
        resp = ws.ListWorkflowExecutionsResponse(executions=page)
        if len(rows) > inner.page_size:
            resp.next_page_token = json.dumps({"before": list(listing.execution_key(page[-1]))}).encode()
        return resp


async def list_all(shards: FakeShards, shard_count: int, page_size: int, **query) -> list[list]:
    pages = []
    req = ws.ListWorkflowExecutionsRequest(namespace="ns", page_size=page_size, **query)
    while True:
        resp = await listing.list_across_shards(shards.fetch, shard_count, req, page_size)
        pages.append(list(resp.executions))
        if not resp.next_page_token:
            return pages
        req.next_page_token = resp.next_page_token
        assert len(pages) < 1000, "pagination does not terminate"


@pytest.mark.parametrize("page_size", [1, 3, 7, 100])
async def test_pagination_returns_everything_newest_first_once(page_size):
    rng = random.Random(page_size)
    shards = FakeShards(5)
    expected = []
    for n in range(40):
        # Many identical start times, so ties are broken by (workflow_id, run_id).
        row = info(start_ns=rng.choice([10, 20, 30, 40]) * 1_000_000_000, wf=f"wf-{n:02d}", run=f"run-{rng.randrange(3)}")
        shards.add(rng.randrange(5), row)
        expected.append(row)
    pages = await list_all(shards, 5, page_size)
    got = [r for page in pages for r in page]
    assert got == sorted(expected, key=listing.execution_key, reverse=True)
    assert all(len(p) <= page_size for p in pages)
    assert all(len(p) == page_size for p in pages[:-1])


async def test_every_shard_is_asked_with_page_size_and_cursor():
    shards = FakeShards(3)
    for s in range(3):
        for n in range(3):
            shards.add(s, info(start_ns=n * 10 + s, wf=f"{s}-{n}"))
    req = ws.ListWorkflowExecutionsRequest(namespace="ns", page_size=2)
    first = await listing.list_across_shards(shards.fetch, 3, req, 2)
    assert sorted(c.shard_id for c in shards.calls) == [0, 1, 2]
    assert all(c.request.page_size == 2 and not c.request.next_page_token for c in shards.calls)
    assert [e.execution.workflow_id for e in first.executions] == ["2-2", "1-2"]
    shards.calls.clear()
    req.next_page_token = first.next_page_token
    await listing.list_across_shards(shards.fetch, 3, req, 2)
    assert {c.request.next_page_token for c in shards.calls} == {json.dumps({"before": [21, "1-2", "r"]}, separators=(",", ":")).encode()}


async def test_filters_pass_through_and_token_is_bound_to_the_query():
    shards = FakeShards(2)
    for n in range(6):
        shards.add(n % 2, info(start_ns=n, wf=f"w{n}", status=common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED if n % 3 else common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING))
    pages = await list_all(shards, 2, 2, status_filter=common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    assert [r.execution.workflow_id for p in pages for r in p] == ["w5", "w4", "w2", "w1"]

    req = ws.ListWorkflowExecutionsRequest(namespace="ns", page_size=1, status_filter=common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    token = (await listing.list_across_shards(shards.fetch, 2, req, 1)).next_page_token
    other = ws.ListWorkflowExecutionsRequest(namespace="ns", page_size=1, next_page_token=token)
    with pytest.raises(InvalidArgument, match="different query"):
        listing.decode_page_token(other)
    other_ns = ws.ListWorkflowExecutionsRequest(namespace="ns2", page_size=1, next_page_token=token, status_filter=common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    with pytest.raises(InvalidArgument, match="different query"):
        listing.decode_page_token(other_ns)


@pytest.mark.parametrize("token", [b"nope", b"{}", b"[1,2]", b'{"v":1,"ns":"ns","status":0,"type":"","before":[1,2]}', b'{"v":2}', b"\xff"])
def test_malformed_page_tokens(token):
    with pytest.raises(InvalidArgument, match="next_page_token is malformed"):
        listing.decode_page_token(ws.ListWorkflowExecutionsRequest(namespace="ns", next_page_token=token))


async def test_empty_cluster_has_no_next_page():
    resp = await listing.list_across_shards(FakeShards(4).fetch, 4, ws.ListWorkflowExecutionsRequest(namespace="ns"), 100)
    assert list(resp.executions) == [] and resp.next_page_token == b""


def test_merge_drops_rows_a_shard_should_not_have_returned():
    before = (100, "b", "r")
    page = ws.ListWorkflowExecutionsResponse(executions=[info(200, "x"), info(100, "b"), info(100, "a"), info(50, "c")])
    rows, more = listing.merge_pages([page], 10, before)
    assert [r.execution.workflow_id for r in rows] == ["a", "c"] and not more


def test_merge_keeps_going_when_a_shard_has_more_even_if_page_not_full():
    full = ws.ListWorkflowExecutionsResponse(executions=[info(5, "a"), info(4, "b")], next_page_token=b"x")
    rows, more = listing.merge_pages([full, ws.ListWorkflowExecutionsResponse()], 2)
    assert len(rows) == 2 and more


async def test_one_failing_shard_fails_the_list_and_cancels_the_rest():
    cancelled = []

    async def fetch(req):
        if req.shard_id == 1:
            raise UpstreamError(grpc.StatusCode.UNAVAILABLE, "history shard 1 (h at addr): down")
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(req.shard_id)
            raise

    with pytest.raises(UpstreamError, match="history shard 1"):
        await asyncio.wait_for(listing.list_across_shards(fetch, 3, ws.ListWorkflowExecutionsRequest(namespace="ns"), 10), 2)
    assert sorted(cancelled) == [0, 2]


async def test_gather_all_keeps_order():
    async def slow(i):
        await asyncio.sleep(0.01 * (3 - i))
        return i

    assert await gather_all(slow(i) for i in range(3)) == [0, 1, 2]
    assert await gather_all([]) == []


def test_upstream_names_the_target_only_for_transport_errors():
    class FakeRpcError(grpc.aio.AioRpcError):
        def __init__(self, code, details):
            super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)

    with pytest.raises(UpstreamError) as err:
        with upstream("history shard 3 (h3 at 10.0.0.3:1)"):
            raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused")
    assert err.value.code == grpc.StatusCode.UNAVAILABLE and err.value.message == "history shard 3 (h3 at 10.0.0.3:1): connection refused"
    with pytest.raises(grpc.aio.AioRpcError) as err2:
        with upstream("x"):
            raise FakeRpcError(grpc.StatusCode.NOT_FOUND, "workflow 'w' not found")
    assert err2.value.details() == "workflow 'w' not found"


# ---------------------------------------------------------------- DescribeTaskQueue merge


def test_merge_task_queue_descriptions():
    tqi = admin_service_pb2.TaskQueuePartitionInfo
    a = admin_service_pb2.DescribeTaskQueueResponse(partitions=[tqi(partition=2, owner="m0", backlog=5), tqi(partition=0, backlog=1)], recent_poller_identities=["w1", "w2"])
    b = admin_service_pb2.DescribeTaskQueueResponse(partitions=[tqi(partition=1, owner="m1", pollers=3)], recent_poller_identities=["w2", "w3"])
    merged = merge_task_queue_descriptions([("m0", [0, 2], a), ("m1", [1, 3], b)])
    assert [(p.partition, p.owner, p.backlog, p.pollers) for p in merged.partitions] == [(0, "m0", 1, 0), (1, "m1", 0, 3), (2, "m0", 5, 0), (3, "m1", 0, 0)]
    assert list(merged.recent_poller_identities) == ["w1", "w2", "w3"]


# ---------------------------------------------------------------- namespace cache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class FakeNamespaceSource:
    def __init__(self, *names):
        self.names = list(names)
        self.calls = 0
        self.fail = False

    async def fetch(self):
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.fail:
            raise UpstreamError(grpc.StatusCode.UNAVAILABLE, "history shard 0 (h0 at addr): connection refused")
        return [admin_service_pb2.NamespaceInfo(name=n) for n in self.names]


def make_cache(source, clock, **kw):
    return NamespaceCache(source.fetch, miss_refresh_interval=1.0, refresh_interval=0, clock=clock, **kw)


async def test_cache_hit_does_not_call_history():
    src, clock = FakeNamespaceSource("default"), Clock()
    cache = make_cache(src, clock)
    assert (await cache.require("default")).name == "default"
    assert src.calls == 1
    for _ in range(10):
        await cache.require("default")
    assert src.calls == 1


async def test_miss_refreshes_at_most_once_per_interval():
    src, clock = FakeNamespaceSource("default"), Clock()
    cache = make_cache(src, clock)
    with pytest.raises(NotFound, match="namespace 'nope' is not registered; register it with AdminService/RegisterNamespace"):
        await cache.require("nope")
    assert src.calls == 1
    src.names.append("nope")
    clock.now += 0.5
    with pytest.raises(NotFound):
        await cache.require("nope")  # too soon: answered from the cache
    assert src.calls == 1
    clock.now += 0.6
    assert (await cache.require("nope")).name == "nope"
    assert src.calls == 2


async def test_concurrent_misses_share_one_refresh():
    src, clock = FakeNamespaceSource("a"), Clock()
    cache = make_cache(src, clock)
    results = await asyncio.gather(*(cache.require("zzz") for _ in range(20)), return_exceptions=True)
    assert all(isinstance(r, NotFound) for r in results)
    assert src.calls == 1


async def test_history_down_is_unavailable_not_not_found():
    src, clock = FakeNamespaceSource("a"), Clock()
    src.fail = True
    cache = make_cache(src, clock)
    with pytest.raises(Unavailable, match="history \\(shard 0\\) did not answer.*connection refused"):
        await cache.require("a")
    with pytest.raises(Unavailable):
        await cache.require("a")  # within the interval: still the last error, no new call
    assert src.calls == 1
    src.fail = False
    clock.now += 2
    assert (await cache.require("a")).name == "a"


async def test_cached_namespaces_survive_history_outage():
    src, clock = FakeNamespaceSource("a"), Clock()
    cache = make_cache(src, clock)
    await cache.require("a")
    src.fail = True
    with pytest.raises(Unavailable):
        await cache.refresh()
    assert (await cache.require("a")).name == "a"


async def test_put_makes_a_namespace_known_immediately():
    src, clock = FakeNamespaceSource(), Clock()
    cache = make_cache(src, clock)
    cache.put(admin_service_pb2.NamespaceInfo(name="fresh"))
    assert (await cache.require("fresh")).name == "fresh"
    assert src.calls == 0


async def test_periodic_refresh_picks_up_new_namespaces_and_close_stops_it():
    src = FakeNamespaceSource("a")
    cache = NamespaceCache(src.fetch, miss_refresh_interval=1.0, refresh_interval=0.05)
    await cache.require("a")
    src.names.append("b")
    for _ in range(200):  # refreshed every 50 ms: wait for it, however slow the machine
        if cache.get("b") is not None:
            break
        await asyncio.sleep(0.05)
    assert cache.get("b") is not None
    await cache.close()
    calls = src.calls
    await asyncio.sleep(0.15)
    assert src.calls == calls
