"""A run says why it is stuck, and what its definition declared (real services, SQLite).

* A workflow task that keeps failing (a bug in workflow code) is recorded with its cause and
  message: WorkflowTaskFailed events, and the latest one on describe and progress (the CLI's
  view: tests/cluster/programs/test_cli_workflow_task_failures.py); a completion clears it.
* A completion carrying a payload over the 2 MiB limit terminates the run with a message that
  names the field, the size and the limit, so `result()` raises it (as Temporal does), instead
  of retrying the task forever while the caller waits.
* `define(execution_timeout=...)` is a durable timer over the whole continue-as-new chain.
* `define(workflow_display_name=..., workflow_description=...)` shows in describe and list,
  carried over continue-as-new.
"""
from __future__ import annotations

import asyncio
import datetime

import pytest

import worker_sdk as workflows
from protos import common_pb2
from support.workflow_task_failures import FIXED, TQ, Buggy, wait_for_failure
from worker_sdk import Worker, WorkflowFailureError


@workflows.workflow.define(name="wtf_big_result")
class BigResult:
    @workflows.workflow.entrypoint
    async def run(self, size: int) -> str:
        return "x" * size


@workflows.workflow.define(name="wtf_slow", execution_timeout=datetime.timedelta(seconds=1.5))
class Slow:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        await asyncio.sleep(30)
        return "too late"


@workflows.workflow.define(
    name="wtf_chain", execution_timeout=datetime.timedelta(seconds=3),
    workflow_display_name="Chain", workflow_description="continues as new until the execution times out",
)
class Chain:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        await workflows.workflow.sleep(0.5)
        workflows.workflow.continue_as_new(n + 1)


async def test_a_failing_workflow_task_says_why_in_describe_and_progress_until_fixed(client):
    FIXED["value"] = False
    async with Worker(client, task_queue=TQ, max_cached_workflows=0):
        handle = await client.start_workflow(Buggy, task_queue=TQ)
        failure = await wait_for_failure(handle)
        assert failure.cause == common_pb2.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
        assert "NameError" in failure.failure.message and "undefined_name" in failure.failure.message
        assert failure.identity and failure.time.ToNanoseconds() > 0 and not failure.timed_out
        progress = await handle.progress()
        assert progress.last_workflow_task_failure.failure.message == failure.failure.message
        failed_events = [e for e in await handle.history() if e.event_type == common_pb2.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        assert len(failed_events) >= 2 and all("undefined_name" in e.workflow_task_failed.failure.message for e in failed_events)
        FIXED["value"] = True  # the fix is deployed: the next retry completes and the failure is cleared
        assert await handle.result(timeout=60) == "fixed"
        info = (await handle.describe()).info
        assert not info.HasField("last_workflow_task_failure")
        assert info.metadata.display_name == "Buggy" and info.metadata.description == "fails until fixed"


async def test_an_oversized_result_terminates_the_run_and_result_says_why(client):
    async with Worker(client, task_queue=TQ):
        handle = await client.start_workflow(BigResult, 3_000_000, task_queue=TQ)
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result(timeout=30)
    message = str(info.value)
    assert "terminated" in message
    assert "commands[0].complete_workflow_execution.result is 3,000,0" in message
    assert "at most 2,097,152 bytes (2 MiB)" in message
    events = await handle.history()
    kinds = [e.event_type for e in events]
    assert kinds[-2:] == [common_pb2.EVENT_TYPE_WORKFLOW_TASK_FAILED, common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED]
    assert events[-2].workflow_task_failed.cause == common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE
    assert (await handle.describe()).info.status == common_pb2.WORKFLOW_EXECUTION_STATUS_TERMINATED
    # A result just under the limit is fine.
    async with Worker(client, task_queue=TQ):
        assert len(await client.execute_workflow(BigResult, 2_000_000, task_queue=TQ)) == 2_000_000


async def test_execution_timeout_fails_a_run_that_runs_too_long(client):
    async with Worker(client, task_queue=TQ):
        handle = await client.start_workflow(Slow, task_queue=TQ)
        with pytest.raises(WorkflowFailureError, match="execution timed out: its execution_timeout passed"):
            await handle.result(timeout=30)
    info = (await handle.describe()).info
    assert info.status == common_pb2.WORKFLOW_EXECUTION_STATUS_TIMED_OUT
    started = info.start_time.ToNanoseconds()
    assert info.execution_expiration_time.ToNanoseconds() - started == pytest.approx(1.5e9, abs=0.2e9)
    timed_out = [e for e in await handle.history() if e.event_type == common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT]
    assert len(timed_out) == 1 and timed_out[0].workflow_execution_timed_out.execution_timeout


async def test_execution_timeout_covers_the_whole_continue_as_new_chain_and_metadata_carries_over(client):
    async with Worker(client, task_queue=TQ):
        handle = await client.start_workflow(Chain, 0, task_queue=TQ)
        with pytest.raises(WorkflowFailureError, match="execution timed out"):
            await handle.result(timeout=30)
    progress = await handle.progress()
    assert progress.runs >= 3  # it continued as new several times, then the chain's timeout ended it
    current = (await handle.describe()).info
    assert current.execution.run_id != handle.run_id
    first = (await client.get_workflow_handle(handle.workflow_id, handle.run_id).describe()).info
    # every run carries the first run's expiration and the definition's metadata
    assert current.execution_expiration_time == first.execution_expiration_time
    assert current.metadata.display_name == "Chain" and current.metadata.description.startswith("continues as new")
    listed = [i for i in await client.list_workflows() if i.execution.workflow_id == handle.workflow_id]
    assert len(listed) == progress.runs and all(i.metadata.display_name == "Chain" for i in listed)


@workflows.workflow.define(name="wtf_huge_result")
class HugeResult:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        return "y" * (65 * 1024 * 1024)  # over gRPC's 64 MiB message limit: the worker cannot even send it


async def test_an_answer_too_big_to_send_terminates_the_run_too(client):
    async with Worker(client, task_queue=TQ):
        handle = await client.start_workflow(HugeResult, task_queue=TQ)
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result(timeout=60)
    assert "over the 67,108,864-byte message limit" in str(info.value)
    events = await handle.history()
    assert events[-2].workflow_task_failed.cause == common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE
    assert events[-1].event_type == common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
