"""A seed-style test against `fanflow dev` as users run it: the dev process serves the seed's
REST API and event stream on its UI port, a `fanflow worker` process serves the workflows,
and this process uses the seed's helpers with only the base URL pointed at the UI."""
from __future__ import annotations

import asyncio
import os

import httpx

from conftest import ROOT, SUPPORT, free_port, wait_for_port
from worker_sdk.testing import (
    execute_workflow_and_wait,
    get_event_types,
    stream_workflow_events,
)


async def test_seed_helpers_against_fanflow_dev_and_a_worker_process(tmp_path, processes):
    port, ui_port = free_port(), free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--ui-address", f"127.0.0.1:{ui_port}", name="dev")
    wait_for_port(port, proc=dev)
    wait_for_port(ui_port, proc=dev)
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(SUPPORT)])}
    processes.fanflow("worker", "seed_rest_workflows", "--address", f"127.0.0.1:{port}", "--task-queue", "test-task-queue",
                      name="worker", env=env, cwd=SUPPORT)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ui_port}", timeout=30) as http:
        for _ in range(200):  # the worker registers its workflows when it starts polling
            if (await http.get("/v1/workflows/seedrest_greeter")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        done = await execute_workflow_and_wait(http, "seedrest_greeter", {"name": "dev", "times": 1}, timeout_seconds=60)
        assert done["result"] == {"greeting": "hello dev", "length": 9}
        events = await stream_workflow_events(http, done["execution_id"], timeout_seconds=30)
        assert get_event_types(events) == ["WORKFLOW_EXECUTION_STARTED", "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"]
        assert events[1]["data"]["attributes"]["input"]["value"] == {"name": "dev", "times": 1}
