"""Child workflows in a multi-process cluster (2 history, 2 matching, frontend, 2 workers;
soak.LocalCluster): parents fan out to children that each run an executor, while each history
process is SIGKILLed and restarted (and a worker). Every child runs exactly once (one run per
child id, one start and one close in its parent's history) and every parent completes with the
right results."""
from __future__ import annotations

import asyncio

from support.child_cluster_workflows import ClusterParent, expected
from protos import common_pb2 as E
from soak.cluster import LocalCluster
from worker_sdk import Client

PARENTS, CHILDREN, ITEMS = 4, 8, 40


async def _children_started(parents) -> int:
    total = 0
    for parent in parents:
        try:
            total += (await parent.progress()).children_summary.started
        except Exception:  # a history process is down: count it as nothing yet
            pass
    return total


async def _wait_children_started(parents, at_least: int, timeout: float = 120) -> None:
    for _ in range(int(timeout / 0.2)):
        if await _children_started(parents) >= at_least:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} children started after {timeout} s")


async def test_children_run_once_while_history_processes_are_killed(tmp_path):
    with LocalCluster(tmp_path, worker_module="tests.support.child_cluster_workflows", task_queue="children") as cluster:
        client = await Client.connect(cluster.frontend, retry_timeout=300)
        try:
            parents = [
                await client.start_workflow(ClusterParent, args=(CHILDREN, ITEMS), id=f"cc-parent-{p}", task_queue="children")
                for p in range(PARENTS)
            ]
            child_ids = [f"cc-parent-{p}-c{i}" for p in range(PARENTS) for i in range(CHILDREN)]
            owners = {cluster.shard_owner("default", wid) for wid in child_ids}
            assert owners == {"history-a", "history-b"}
            assert any(cluster.shard_owner("default", f"cc-parent-{p}") != cluster.shard_owner("default", f"cc-parent-{p}-c0") for p in range(PARENTS))

            await asyncio.sleep(0.3)  # starts in flight between the shards
            await asyncio.to_thread(cluster.restart, "history-a", 1.5)
            await _wait_children_started(parents, PARENTS * CHILDREN // 2)
            await asyncio.to_thread(cluster.restart, "history-b", 1.5)
            await asyncio.sleep(1.0)
            await asyncio.to_thread(cluster.restart, "history-a", 0.5)  # children running, closes being reported
            await asyncio.to_thread(cluster.restart, "worker-1", 0.5)

            results = await asyncio.gather(*(parent.result(timeout=300) for parent in parents))
            assert results == [expected(CHILDREN, ITEMS)] * PARENTS

            runs: dict[str, int] = {}
            for info in await client.list_workflows():
                if info.type.name == "cc_child":
                    runs[info.execution.workflow_id] = runs.get(info.execution.workflow_id, 0) + 1
                    assert info.status == E.WORKFLOW_EXECUTION_STATUS_COMPLETED
            assert runs == {wid: 1 for wid in child_ids}, "a child ran more than once, or not at all"
            for parent in parents:
                history = await parent.history()
                count = lambda t: sum(1 for e in history if e.event_type == t)  # noqa: E731
                assert count(E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) == CHILDREN
                assert count(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) == CHILDREN
                assert count(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED) == CHILDREN
                assert count(E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED) == 0
                summary = (await parent.progress()).children_summary
                assert (summary.initiated, summary.completed, summary.pending) == (CHILDREN, CHILDREN, 0)
            for wid in child_ids[:4]:  # each child's items, each stored once
                progress = await client.get_workflow_handle(wid).progress()
                assert [(e.total, e.done) for e in progress.executors] == [(ITEMS, ITEMS)]
        finally:
            await client.close()
