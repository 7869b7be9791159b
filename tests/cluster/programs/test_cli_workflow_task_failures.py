"""`fanflow workflow progress --once` and `fanflow workflow describe` against a `fanflow dev`
process say why a workflow task keeps failing: the cause and the error, and the definition's
display name and description."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from conftest import ROOT, free_port, wait_for_port
from support.workflow_task_failures import FIXED, TQ, Buggy, wait_for_failure
from worker_sdk import Client, Worker


def test_the_cli_shows_why_a_workflow_task_keeps_failing(tmp_path, processes):
    """`fanflow workflow progress --once` and `describe` against a real `fanflow dev`."""
    port = free_port()
    processes.fanflow("dev", "--data-dir", str(tmp_path / "data"), "--port", str(port), name="dev")
    wait_for_port(port, timeout=60)
    address = f"127.0.0.1:{port}"

    async def run_buggy() -> str:
        FIXED["value"] = False
        client = await Client.connect(address)
        try:
            async with Worker(client, task_queue=TQ, max_cached_workflows=0):
                handle = await client.start_workflow(Buggy, task_queue=TQ)
                await wait_for_failure(handle)
            return handle.workflow_id
        finally:
            await client.close()

    workflow_id = asyncio.run(run_buggy())
    cli = [sys.executable, "-m", "fanflow.cli", "workflow"]
    progress = subprocess.run([*cli, "progress", workflow_id, "--once", "--address", address], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert progress.returncode == 0, progress.stderr
    assert "workflow task failed (workflow_worker_unhandled_failure) on attempt" in progress.stdout
    assert "NameError: name 'undefined_name' is not defined" in progress.stdout
    describe = subprocess.run([*cli, "describe", workflow_id, "--address", address], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert describe.returncode == 0, describe.stderr
    info = json.loads(describe.stdout)["info"]
    assert "undefined_name" in info["lastWorkflowTaskFailure"]["failure"]["message"]
    assert info["metadata"] == {"displayName": "Buggy", "description": "fails until fixed"}
