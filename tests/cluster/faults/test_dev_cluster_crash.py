"""A `fanflow dev` process is SIGKILLed mid-run and started again on the same
data folder: the workflow completes, no activity result is lost or doubled."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

import worker_sdk as workflows
from conftest import free_port, wait_for_port
from protos import common_pb2 as E
from protos import internal_pb2
from worker_sdk import Client, Worker


# A task whose start history recorded just before the kill never reached the
# worker: only its start-to-close timeout brings it back (as in Temporal). Unlimited
# attempts: nothing may be given up across the kill.
@workflows.activity(start_to_close_timeout=3, retry_policy=workflows.RetryPolicy(maximum_attempts=0))
async def slow_double(i: int) -> int:
    await asyncio.sleep(0.05)
    return 2 * i


@workflows.workflow.define(name="crash_fan_out")
class CrashFanOut:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return list(await asyncio.gather(*[slow_double(i) for i in range(n)]))


@pytest.mark.backends("sqlite", "postgres")
async def test_killed_dev_cluster_resumes(tmp_path, processes):
    port = free_port()
    data = tmp_path / "data"
    args = ("dev", "--port", str(port), "--data-dir", str(data))
    dev = processes.fanflow(*args, name="dev")
    wait_for_port(port, proc=dev)
    client = await Client.connect(f"127.0.0.1:{port}")
    worker = await Worker(client, task_queue="crash", workflows=[CrashFanOut], activities=[slow_double], max_concurrent_activities=10).start()
    acknowledged: list[bytes] = []  # task tokens of completions the cluster answered OK
    sender = worker.activity_worker.completions  # alone or in batches: each answered on its own
    complete = sender.complete

    async def tracking_complete(request):
        response = await complete(request)  # raises unless the cluster answered OK
        acknowledged.append(request.task_token)
        return response

    sender.complete = tracking_complete
    try:
        handle = await client.start_workflow(CrashFanOut, 300, task_queue="crash")
        for _ in range(400):
            if worker.activities_completed >= 60:
                break
            await asyncio.sleep(0.05)
        assert 60 <= worker.activities_completed < 300, "kill must land mid-run"
        processes.kill(dev)  # SIGKILL: no shutdown, no flush
        done_before = worker.activities_completed
        acknowledged_before_kill = list(acknowledged)
        await asyncio.sleep(0.5)
        dev = processes.fanflow(*args, name="dev-restarted")
        wait_for_port(port, proc=dev)
        result = await handle.result(timeout=120)
    finally:
        await worker.shutdown()
        await client.close()
    assert result == [2 * i for i in range(300)]
    events = await _history(port, handle.workflow_id)
    completed = Counter(e.activity_task_completed.scheduled_event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    assert len(completed) == 300 and set(completed.values()) == {1}, "each activity result recorded exactly once"
    assert done_before >= 60
    # Every completion acknowledged before the kill survived it, as that very attempt's result.
    started_attempt = {e.event_id: e.activity_task_started.attempt for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED}
    completed_by = {e.activity_task_completed.scheduled_event_id: started_attempt[e.activity_task_completed.started_event_id] for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED}
    assert len(acknowledged_before_kill) >= 50
    for raw in acknowledged_before_kill:
        token = internal_pb2.TaskToken.FromString(raw)
        assert completed_by.get(token.scheduled_event_id) == token.attempt, (token.scheduled_event_id, token.attempt)


async def _history(port: int, workflow_id: str):
    client = await Client.connect(f"127.0.0.1:{port}")
    try:
        return await client.get_workflow_handle(workflow_id).history(run_id="")
    finally:
        await client.close()
