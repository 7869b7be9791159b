"""A matching process is removed from the cluster for good, with tasks in its file.

Matching's stored tasks live in each process's own SQLite file. When the list of matching
hosts changes and one of them never runs again, the tasks it held would never reach a worker.
History notices the new layout when it starts and queues every undelivered task of its
running workflows again, so they all complete. (Services run in this process, one
ClusterProcess per role, each with its own gRPC server and files.)
"""
from __future__ import annotations

import asyncio
import sqlite3

import worker_sdk as workflows
from conftest import wait_for_event
from fanflow import routing
from fanflow.cluster import ClusterProcess
from fanflow.config import ClusterConfig, HistoryHost, MatchingHost
from protos import common_pb2 as C
from worker_sdk import Client, Worker

PARTITIONS = 4


def _queue_with_a_partition_on_b() -> tuple[str, int]:
    """A queue name and a partition of it that matching-b (index 1 of 2) holds for both task types."""
    for i in range(1000):
        name = f"layout-change-{i}"
        for p in range(PARTITIONS):
            if all(routing.matching_owner_index("default", name, t, p, 2) == 1 for t in (C.TASK_TYPE_WORKFLOW, C.TASK_TYPE_ACTIVITY)):
                return name, p
    raise AssertionError("no such queue")


QUEUE, ON_B = _queue_with_a_partition_on_b()


@workflows.activity()
async def layout_double(x: int) -> int:
    return 2 * x


@workflows.workflow.define(name="layout_two_steps")
class TwoSteps:
    @workflows.workflow.entrypoint
    async def run(self, x: int) -> int:
        return await layout_double(await layout_double(x))


def _config(data_dir, matching: list[str]) -> ClusterConfig:
    return ClusterConfig(
        data_dir=data_dir,
        history_shard_count=2,
        task_queue_partitions=PARTITIONS,
        frontend_address="127.0.0.1:0",
        history_hosts=[HistoryHost(name="history-0", address="127.0.0.1:0")],
        matching_hosts=[MatchingHost(name=name, address="127.0.0.1:0") for name in matching],
        poll_timeout=5.0,
    )


async def _start(config: ClusterConfig, matching: list[str]) -> list[ClusterProcess]:
    # One config object: each process fills in the port it bound before the next starts.
    processes = [ClusterProcess(config, {"history"})]
    processes += [ClusterProcess(config, {"matching"}, matching_name=name) for name in matching]
    processes.append(ClusterProcess(config, {"frontend"}))
    for process in processes:
        await process.start()
    return processes


async def _stop(processes: list[ClusterProcess]) -> None:
    for process in reversed(processes):
        await process.stop()


def _stored(path) -> dict[int, int]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT task_type, COUNT(*) FROM tasks GROUP BY task_type").fetchall())


async def test_tasks_held_by_a_removed_matching_process_are_delivered(tmp_path):
    data = tmp_path / "data"
    # 1. Two matching processes; every task history sends goes to a partition of matching-b.
    processes = await _start(_config(data, ["matching-a", "matching-b"]), ["matching-a", "matching-b"])
    try:
        # history's AddTask calls (sticky queues have one partition, 0)
        processes[0].matching_client.pick_add_partition = lambda task_queue: ON_B if task_queue.name == QUEUE else 0
        client = await Client.connect(processes[-1].frontend_address)
        try:
            # A worker with no activities runs the first workflow tasks: the activities they
            # schedule wait in matching-b (nobody polls activities). Workflows started after
            # it stopped have their first workflow task waiting there.
            async with Worker(client, task_queue=QUEUE, workflows=[TwoSteps], activities=[]):
                scheduled = [await client.start_workflow(TwoSteps, i, task_queue=QUEUE) for i in range(6)]
                for handle in scheduled:
                    await wait_for_event(handle, C.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
            waiting = [await client.start_workflow(TwoSteps, 100 + i, task_queue=QUEUE) for i in range(6)]
        finally:
            await client.close()
    finally:
        await _stop(processes)
    held = _stored(data / "matching-matching-b.db")
    assert held.get(C.TASK_TYPE_ACTIVITY, 0) >= 6 and held.get(C.TASK_TYPE_WORKFLOW, 0) >= 6, held

    # 2. matching-b is gone for good; history starts with the new list of hosts.
    processes = await _start(_config(data, ["matching-a"]), ["matching-a"])
    try:
        client = await Client.connect(processes[-1].frontend_address)
        try:
            async with Worker(client, task_queue=QUEUE, workflows=[TwoSteps], activities=[layout_double]):
                handles = [client.get_workflow_handle(h.workflow_id, h.run_id, TwoSteps) for h in scheduled + waiting]
                results = await asyncio.gather(*(h.result(timeout=60) for h in handles))
        finally:
            await client.close()
        assert results == [4 * i for i in range(6)] + [4 * (100 + i) for i in range(6)]
        shards = processes[0].history.shards.values()
        assert sum(shard.tasks_redispatched for shard in shards) >= 12
    finally:
        await _stop(processes)
    assert _stored(data / "matching-matching-b.db") == held, "matching-b's file was never touched again"

    # 3. The same layout again: nothing is queued twice.
    processes = await _start(_config(data, ["matching-a"]), ["matching-a"])
    try:
        await asyncio.sleep(0.5)
        assert sum(shard.tasks_redispatched for shard in processes[0].history.shards.values()) == 0
    finally:
        await _stop(processes)
