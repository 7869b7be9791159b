"""A workflow with a bug until FIXED["value"] is set, for the tests of workflow-task failures
(tests/service/history/test_history_workflow_task_failures.py, and the CLI's view of them in
tests/cluster/programs/test_cli_workflow_task_failures.py)."""
from __future__ import annotations

import asyncio

import worker_sdk as workflows

TQ = "wft-failures"
FIXED = {"value": False}


@workflows.workflow.define(name="wtf_buggy", workflow_display_name="Buggy", workflow_description="fails until fixed")
class Buggy:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        if not FIXED["value"]:
            return undefined_name  # noqa: F821 - the bug under test
        return "fixed"


async def wait_for_failure(handle, timeout: float = 30.0):
    """The run's last workflow-task failure, once it failed at least twice."""
    for _ in range(int(timeout / 0.1)):
        info = (await handle.describe()).info
        if info.HasField("last_workflow_task_failure") and info.last_workflow_task_failure.attempt >= 2:
            return info.last_workflow_task_failure
        await asyncio.sleep(0.1)
    raise AssertionError(f"no workflow-task failure recorded for {handle.workflow_id}")
