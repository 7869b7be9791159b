"""Closed runs are deleted after the retention period: their events, state and recorded
events, and — with a workflow's last run — its executor results. Running runs stay."""
from __future__ import annotations

import asyncio
import sqlite3

import grpc
import pytest

import worker_sdk as workflows
from fanflow import routing
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from worker_sdk import Client, Worker
from worker_sdk.exceptions import WorkflowNotFoundError


@workflows.activity()
async def retention_double(i: int) -> int:
    return 2 * i


@workflows.workflow.define(name="retention_short")
class Short:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int] | None:
        workflows.record_event("started", {"n": n})
        return await workflows.execute_activities_in_parallel(retention_double, items=list(range(n)), max_concurrent_scheduled_tasks=5)


@workflows.workflow.define(name="retention_waiting")
class Waiting:
    @workflows.workflow.entrypoint
    async def run(self) -> None:
        await workflows.workflow.wait_condition(lambda: False)


def _rows(db, table: str, workflow_id: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table} WHERE workflow_id=?", (workflow_id,)).fetchone()[0]


async def test_closed_runs_are_deleted_after_retention(tmp_path):
    config = ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, retention_hours=1.0 / 3600)  # one second
    cluster = await embedded(config).start()
    client = await Client.connect(cluster.frontend_address)
    try:
        async with Worker(client, task_queue="retention", workflows=[Short, Waiting], activities=[retention_double]):
            assert await client.execute_workflow(Short, 20, id="retention-done", task_queue="retention") == [2 * i for i in range(20)]
            waiting = await client.start_workflow(Waiting, id="retention-running", task_queue="retention")
            shard = routing.shard_for("default", "retention-done", config.history_shard_count)
            path = tmp_path / "data" / f"history-shard-{shard}.db"
            with sqlite3.connect(path) as db:
                assert _rows(db, "events", "retention-done") > 0 and _rows(db, "executor_results", "retention-done") == 20
            deadline = asyncio.get_running_loop().time() + 10
            while True:
                with sqlite3.connect(path) as db:
                    left = {t: _rows(db, t, "retention-done") for t in ("events", "executions", "current_executions", "executor_results", "executor_progress", "workflow_events")}
                if not any(left.values()):
                    break
                assert asyncio.get_running_loop().time() < deadline, left
                await asyncio.sleep(0.2)
            with pytest.raises((WorkflowNotFoundError, grpc.aio.AioRpcError)):
                await client.get_workflow_handle("retention-done").describe()
            # the running one is untouched
            assert (await waiting.describe()).info.status == 1
            await waiting.terminate("test done")
    finally:
        await client.close()
        await cluster.stop()
