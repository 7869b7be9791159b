"""The seed's worker program (tests/support/seed_worker_program.py: `run_worker`, blocking) in a
process of its own serves a `fanflow dev` process; this process starts its workflows with
`workflows.execute_workflow` and the client, signals them, and reads their execution timeouts."""
from __future__ import annotations

import asyncio
import datetime
import os
import sys

from pydantic import BaseModel

import worker_sdk as workflows
from conftest import ROOT, SUPPORT, free_port, wait_for_port
from fanflow import timeutil
from support import seed_worker_program as program
from worker_sdk import Client
from worker_sdk import embedded as embedded_module


async def test_a_seed_worker_program_on_a_fanflow_dev_cluster(tmp_path, processes, monkeypatch):
    """`fanflow dev` in one process, the seed's worker program (run_worker, blocking) in
    another, and this process starting workflows with workflows.execute_workflow."""
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev")
    wait_for_port(port, proc=dev)
    address = f"127.0.0.1:{port}"
    env = {"FANFLOW_ADDRESS": address, "PYTHONPATH": os.pathsep.join([str(ROOT), str(SUPPORT)])}
    worker = processes.start([sys.executable, str(SUPPORT / "seed_worker_program.py")], "seed-worker", env=env, cwd=tmp_path)

    monkeypatch.setattr(embedded_module, "_settings", {})
    monkeypatch.setenv("FANFLOW_ADDRESS", address)
    hello = await asyncio.wait_for(workflows.execute_workflow(program.HelloWorkflow, params=program.HelloInput(name="fanflow")), 60)
    assert hello == "Hello, fanflow! Welcome to Mistral Workflows."
    assert worker.poll() is None

    class ReportParams(BaseModel):
        report_type: str
        include_details: bool = False

    handle = await workflows.execute_workflow(
        program.ReportWorkflow, ReportParams(report_type="daily", include_details=True),
        execution_timeout=datetime.timedelta(minutes=5), execution_id="report-daily", wait=False,
    )
    await handle.signal("approve", {"approver": "ops", "note": "ok"})
    assert await asyncio.wait_for(handle.result(), 60) == {"report_type": "daily", "details": True, "approved_by": "ops: ok", "execution_id": "report-daily"}

    client = await Client.connect(address)
    try:
        started = (await client.get_workflow_handle("report-daily").history())[0].workflow_execution_started
        assert timeutil.seconds(started.workflow_execution_timeout) == 300  # the call's execution_timeout
        default = await client.start_workflow(program.ReportWorkflow, {"report_type": "weekly"}, id="report-weekly")
        started = (await default.history())[0].workflow_execution_started
        assert timeutil.seconds(started.workflow_execution_timeout) == 120  # @workflow.define(execution_timeout=120)
        await default.signal(program.ReportWorkflow.approve, "lead")
        assert (await default.result(timeout=60))["approved_by"] == "lead"
    finally:
        await client.close()
