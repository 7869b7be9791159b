"""Listing and counting workflows on an embedded cluster (history/api/listing.py, frontend's
merge, the client's filters): every filter and combinations of them, pages across all 16
shards newest first with nothing skipped or repeated, 2,000 workflows counted exactly, the
search keys surviving a restart, and bad input refused with INVALID_ARGUMENT naming it
(nothing changed)."""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from google.protobuf import timestamp_pb2

from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import common_pb2 as C
from protos import workflow_service_pb2 as ws
from worker_sdk import Client

RUNNING, TERMINATED = C.WORKFLOW_EXECUTION_STATUS_RUNNING, C.WORKFLOW_EXECUTION_STATUS_TERMINATED


async def start(client: Client, workflow_id: str, workflow_type: str, keys: dict[str, str | None], display_name: str = "") -> None:
    """A start as any client sends it (the workflow never runs: no worker polls its queue)."""
    await client.call("StartWorkflowExecution", ws.StartWorkflowExecutionRequest(
        namespace=client.namespace, workflow_id=workflow_id, workflow_type=C.WorkflowType(name=workflow_type),
        task_queue=C.TaskQueue(name="nobody-polls"), request_id=workflow_id,
        metadata=C.WorkflowMetadata(display_name=display_name),
        search_keys=[C.SearchKey(key=k, unset=True) if v is None else C.SearchKey(key=k, value=v) for k, v in keys.items()],
    ))


def ids(infos) -> list[str]:
    return [i.execution.workflow_id for i in infos]


@pytest.mark.backends("sqlite", "postgres")
async def test_every_filter_and_combinations_across_shards(client):
    # three batches started at distinct times; statuses: two runs in five terminated
    runs: dict[str, dict] = {}
    marks = []
    for batch in range(3):
        marks.append(timestamp_pb2.Timestamp())
        marks[-1].GetCurrentTime()
        await asyncio.sleep(0.01)
        for n in range(12):
            i = batch * 12 + n
            run = {
                "id": f"{['order', 'invoice'][i % 2]}-{i:03d}", "type": f"list_type_{i % 3}", "batch": batch,
                "keys": {"tier": ["gold", "silver"][i % 2], "region": ["eu", "us", "apac"][i % 3], **({"vip": None} if i % 5 == 0 else {})},
                "display": "Orders" if i % 4 else "",
            }
            await start(client, run["id"], run["type"], run["keys"], run["display"])
            run["terminated"] = i % 5 in (1, 3)
            if run["terminated"]:
                await client.get_workflow_handle(run["id"]).terminate("listed")
            runs[run["id"]] = run
            await asyncio.sleep(0.002)  # distinct start times: the expected order is the start order
    newest_first = list(reversed(runs))
    since = marks[1].ToJsonString()
    until = marks[2].ToJsonString()

    def expect(pred) -> list[str]:
        return [i for i in newest_first if pred(runs[i])]

    cases = [
        ({}, expect(lambda r: True)),
        ({"status": "running"}, expect(lambda r: not r["terminated"])),
        ({"status": TERMINATED}, expect(lambda r: r["terminated"])),
        ({"workflow_type": "list_type_1"}, expect(lambda r: r["type"] == "list_type_1")),
        ({"since": since}, expect(lambda r: r["batch"] >= 1)),
        ({"until": until}, expect(lambda r: r["batch"] < 2)),
        ({"since": since, "until": until}, expect(lambda r: r["batch"] == 1)),
        ({"workflow_id_prefix": "inv"}, expect(lambda r: r["id"].startswith("inv"))),
        ({"display_name": "Orders"}, expect(lambda r: r["display"] == "Orders")),
        ({"search_keys": {"tier": "gold"}}, expect(lambda r: r["keys"]["tier"] == "gold")),
        ({"search_keys": {"vip": None}}, expect(lambda r: "vip" in r["keys"])),
        ({"search_keys": {"tier": "silver", "region": "us"}}, expect(lambda r: r["keys"]["tier"] == "silver" and r["keys"]["region"] == "us")),
        ({"search_keys": {"tier": "gold"}, "status": "terminated", "workflow_id_prefix": "order-"},
         expect(lambda r: r["keys"]["tier"] == "gold" and r["terminated"] and r["id"].startswith("order-"))),
        ({"workflow_type": "list_type_0", "since": since, "display_name": "Orders", "search_keys": {"region": "eu"}},
         expect(lambda r: r["type"] == "list_type_0" and r["batch"] >= 1 and r["display"] == "Orders" and r["keys"]["region"] == "eu")),
        ({"search_keys": {"tier": "platinum"}}, []),
    ]
    for filters, expected in cases:
        assert ids(await client.list_workflows(page_size=5, **filters)) == expected, filters
        count = await client.count_workflows(group_by="status", **filters)
        assert count.count == len(expected), filters
        terminated = sum(runs[i]["terminated"] for i in expected)
        assert count.groups == {k: v for k, v in (("running", len(expected) - terminated), ("terminated", terminated)) if v}, filters
    by_type = await client.count_workflows(group_by="workflow_type", status="running")
    assert by_type.groups == {t: sum(1 for r in runs.values() if r["type"] == t and not r["terminated"]) for t in ("list_type_0", "list_type_1", "list_type_2")}
    assert all(by_type.groups.values())
    # each run shows its keys, in the order they were set
    (one,) = await client.list_workflows(workflow_id_prefix="order-000")
    assert [(k.key, k.value, k.unset) for k in one.search_keys] == [("tier", "gold", False), ("region", "eu", False), ("vip", "", True)]


async def test_pages_cover_every_shard_newest_first_without_gaps_or_repeats(client):
    for i in range(61):
        await start(client, f"paged-{i:03d}", "paged_type", {"parity": str(i % 2)})
    every = ids(await client.list_workflows(page_size=1000))
    assert every == [f"paged-{i:03d}" for i in reversed(range(61))]
    shards = {i.shard_id for i in await client.list_workflows(page_size=1000)}
    assert len(shards) > 8  # spread over the cluster's 16 shards
    for size in (1, 7, 60, 61):
        seen, token = [], b""
        while True:
            page = await client.list_workflows_page(page_size=size, next_page_token=token, search_keys={"parity": "1"})
            assert len(page.executions) <= size
            seen += ids(page.executions)
            token = page.next_page_token
            if not token:
                break
        assert seen == [f"paged-{i:03d}" for i in reversed(range(61)) if i % 2], size
    assert len(await client.list_workflows(limit=10)) == 10


@pytest.mark.backends("sqlite", "postgres")
async def test_2000_workflows_are_counted_exactly(client):
    async def batch(first: int) -> None:
        await asyncio.gather(*(
            start(client, f"bulk-{i:04d}", f"bulk_type_{i % 3}", {"tier": ["gold", "silver", "bronze", "steel"][i % 4], "shard_hint": str(i % 16)})
            for i in range(first, min(first + 250, 2000))
        ))

    for first in range(0, 2000, 250):
        await batch(first)
    terminated = [i for i in range(2000) if i % 7 == 0]
    for first in range(0, len(terminated), 100):
        await asyncio.gather(*(client.get_workflow_handle(f"bulk-{i:04d}").terminate("bulk") for i in terminated[first:first + 100]))
    total = await client.count_workflows(group_by="status")
    assert total.count == 2000 and total.groups == {"running": 2000 - len(terminated), "terminated": len(terminated)}
    by_type = await client.count_workflows(group_by="workflow_type")
    assert by_type.groups == {f"bulk_type_{t}": sum(1 for i in range(2000) if i % 3 == t) for t in range(3)}
    gold = await client.count_workflows(search_keys={"tier": "gold"}, group_by="status")
    assert gold.count == 500 and gold.groups["terminated"] == sum(1 for i in terminated if i % 4 == 0)
    assert (await client.count_workflows(search_keys={"tier": "steel", "shard_hint": "3"}, workflow_type="bulk_type_0")).count == sum(
        1 for i in range(2000) if i % 4 == 3 and i % 16 == 3 and i % 3 == 0)
    assert (await client.count_workflows(workflow_id_prefix="bulk-1")).count == 1000
    listed = await client.list_workflows(page_size=1000, search_keys={"tier": "bronze"}, status="terminated")
    assert sorted(ids(listed)) == [f"bulk-{i:04d}" for i in range(2000) if i % 4 == 2 and i % 7 == 0]
    order = [(i.start_time.ToNanoseconds(), i.execution.workflow_id, i.execution.run_id) for i in listed]
    assert order == sorted(order, reverse=True)  # started concurrently: newest first by start time, then id


async def test_search_keys_and_the_index_survive_a_restart(tmp_path):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0)
    cluster = await embedded(config).start()
    try:
        client = await Client.connect(cluster.frontend_address)
        await start(client, "kept-1", "kept_type", {"tier": "gold"}, display_name="Kept")
        await client.call("UpdateWorkflowSearchKeys", ws.UpdateWorkflowSearchKeysRequest(
            namespace=client.namespace, execution=C.WorkflowExecution(workflow_id="kept-1"), upsert=[C.SearchKey(key="stage", value="two")]))
        await client.close()
    finally:
        await cluster.stop()
    cluster = await embedded(config).start()
    try:
        client = await Client.connect(cluster.frontend_address)
        (found,) = await client.list_workflows(search_keys={"tier": "gold", "stage": "two"}, display_name="Kept")
        assert found.execution.workflow_id == "kept-1" and [k.key for k in found.search_keys] == ["tier", "stage"]
        await client.close()
    finally:
        await cluster.stop()


async def test_bad_input_is_invalid_argument_naming_it_and_changes_nothing(client):
    await start(client, "bad-input-1", "bad_type", {"tier": "gold"})

    async def refused(method: str, request, code=grpc.StatusCode.INVALID_ARGUMENT) -> str:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await client.call(method, request, retry=False)
        assert error.value.code() == code, error.value.details()
        return error.value.details()

    ns = client.namespace
    assert "status_filter has unknown value 12" in await refused("ListWorkflowExecutions", ws.ListWorkflowExecutionsRequest(namespace=ns, status_filter=12))
    assert "start_time_from is not a valid time" in await refused("CountWorkflowExecutions", ws.CountWorkflowExecutionsRequest(
        namespace=ns, start_time_from=timestamp_pb2.Timestamp(seconds=1, nanos=-5)))
    assert "must be before start_time_to" in await refused("ListWorkflowExecutions", ws.ListWorkflowExecutionsRequest(
        namespace=ns, start_time_from=timestamp_pb2.Timestamp(seconds=10), start_time_to=timestamp_pb2.Timestamp(seconds=5)))
    assert "search key 'a:b' must not contain ':'" in await refused("CountWorkflowExecutions", ws.CountWorkflowExecutionsRequest(
        namespace=ns, search_key_filters=[C.SearchKey(key="a:b", value="x")]))
    assert "group_by has unknown value 7" in await refused("CountWorkflowExecutions", ws.CountWorkflowExecutionsRequest(namespace=ns, group_by=7))

    history_before = await client.get_workflow_handle("bad-input-1").history()
    execution = C.WorkflowExecution(workflow_id="bad-input-1")
    assert "must not start with 'internal.'" in await refused("UpdateWorkflowSearchKeys", ws.UpdateWorkflowSearchKeysRequest(
        namespace=ns, execution=execution, upsert=[C.SearchKey(key="tier", value="silver"), C.SearchKey(key="internal.x", value="1")]))
    assert "one of the two" in await refused("UpdateWorkflowSearchKeys", ws.UpdateWorkflowSearchKeysRequest(namespace=ns, execution=execution))
    assert await client.get_workflow_handle("bad-input-1").history() == history_before  # nothing half-applied
    assert (await client.count_workflows(search_keys={"tier": "gold"})).count == 1
    await refused("UpdateWorkflowSearchKeys", ws.UpdateWorkflowSearchKeysRequest(
        namespace=ns, execution=C.WorkflowExecution(workflow_id="no-such-workflow"), delete_keys=["tier"]), grpc.StatusCode.NOT_FOUND)
    await client.get_workflow_handle("bad-input-1").terminate("closed")
    assert "search keys change only while it runs" in await refused("UpdateWorkflowSearchKeys", ws.UpdateWorkflowSearchKeysRequest(
        namespace=ns, execution=execution, delete_keys=["tier"]), grpc.StatusCode.FAILED_PRECONDITION)

    # the client's own checks, before any call
    with pytest.raises(ValueError, match="status: 'runnin' is not a workflow status"):
        await client.list_workflows(status="runnin")
    with pytest.raises(ValueError, match="since: 'last tuesday' is not a time"):
        await client.count_workflows(since="last tuesday")
    with pytest.raises(ValueError, match="search_keys: search key 'a:b' must not contain ':'"):
        await client.list_workflows(search_keys={"a:b": "x"})
    with pytest.raises(ValueError, match="group_by must be None, 'status' or 'workflow_type'"):
        await client.count_workflows(group_by="tier")
