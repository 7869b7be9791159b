"""A whole cluster on PostgreSQL while the database goes away and comes back (the session's
throwaway server stopped with `pg_ctl stop -m fast` mid-run, then started again): calls that
need the database meanwhile fail with UNAVAILABLE and a message that says so, the services
recover by themselves once it is back (no restart of theirs), and the workflow completes with
every activity's result recorded exactly once: nothing acknowledged is lost."""
from __future__ import annotations

import asyncio

import grpc
import pytest

import worker_sdk as workflows
from fanflow.channels import insecure_channel
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from worker_sdk import Worker

pytestmark = pytest.mark.backends("postgres")

done: set[int] = set()


@workflows.activity(start_to_close_timeout=5, retry_policy=workflows.RetryPolicy(maximum_attempts=0))
async def pg_outage_double(i: int) -> int:
    await asyncio.sleep(0.02)
    done.add(i)
    return 2 * i


@workflows.workflow.define(name="pg_outage_fan_out")
class OutageFanOut:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return list(await asyncio.gather(*[pg_outage_double(i) for i in range(n)]))


async def test_the_database_restarting_mid_run_loses_nothing_acknowledged(embedded_cluster, client, postgres_server):
    n = 300
    done.clear()
    channel = insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    try:
        await _run_through_an_outage(client, stub, postgres_server, n)
    finally:
        await channel.close()


async def _run_through_an_outage(client, stub, postgres_server, n: int) -> None:
    async with Worker(client, task_queue="pg-outage", workflows=[OutageFanOut], activities=[pg_outage_double], max_concurrent_activities=10):
        handle = await client.start_workflow(OutageFanOut, n, task_queue="pg-outage", id="pg-outage-1")
        for _ in range(600):
            if len(done) >= n // 4:
                break
            await asyncio.sleep(0.02)
        assert len(done) >= n // 4, "the activities did not start"
        await asyncio.to_thread(postgres_server.stop_server)
        try:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.GetWorkflowExecutionHistory(ws.GetWorkflowExecutionHistoryRequest(
                    namespace="default", execution=E.WorkflowExecution(workflow_id="pg-outage-1")), timeout=30)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value
            assert "PostgreSQL" in err.value.details(), err.value.details()
            await asyncio.sleep(1.0)  # workers keep completing meanwhile; those calls fail and are retried
        finally:
            await asyncio.to_thread(postgres_server.start_server)
        result = await handle.result(timeout=120)
    assert result == [2 * i for i in range(n)]
    events = await handle.history()
    completed = [e.activity_task_completed.scheduled_event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
    scheduled = [e.event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert len(scheduled) == n and sorted(completed) == sorted(scheduled)  # each exactly once
    assert [e.event_id for e in events] == list(range(1, len(events) + 1))


@workflows.activity(start_to_close_timeout=5, retry_policy=workflows.RetryPolicy(maximum_attempts=0))
async def pg_outage_tick() -> str:
    return "tick"


@workflows.workflow.define(name="pg_outage_timer")
class OutageTimer:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float) -> str:
        await workflows.workflow.sleep(seconds)
        return await pg_outage_tick()


async def test_timers_fire_after_the_database_was_down_while_they_waited(embedded_cluster, client, postgres_server):
    """The shard's timer loop reads the timers table every second at most: reads that fail
    while the database is down are retried (the loop once died there, and the timer never fired)."""
    async with Worker(client, task_queue="pg-outage-timer", workflows=[OutageTimer], activities=[pg_outage_tick]):
        handle = await client.start_workflow(OutageTimer, 3.0, task_queue="pg-outage-timer", id="pg-outage-timer-1")
        from conftest import wait_for_event

        await wait_for_event(handle, E.EVENT_TYPE_TIMER_STARTED)
        await asyncio.to_thread(postgres_server.stop_server)
        try:
            await asyncio.sleep(2.5)  # more than the loop's longest wait: at least one read fails
        finally:
            await asyncio.to_thread(postgres_server.start_server)
        assert await handle.result(timeout=60) == "tick"
    events = await handle.history()
    assert [e.event_type for e in events].count(E.EVENT_TYPE_TIMER_FIRED) == 1
