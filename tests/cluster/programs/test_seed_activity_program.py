"""A program in the seed system's activity-side shapes (tests/support/seed_activity_program.py:
retries, Depends, heartbeats, run_activities_locally, WorkflowsException / WorkflowError) on a
`fanflow dev` process, served by a `fanflow worker` process and run as a script."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from conftest import ROOT, SUPPORT, free_port, wait_for_port


async def test_seed_program_on_a_fanflow_dev_process(tmp_path, processes):
    """The program of tests/support/seed_activity_program.py, unchanged but for the import: a `fanflow
    dev` process, a `fanflow worker` process importing it, and the program itself run as a
    script (workflows.execute_workflow with FANFLOW_ADDRESS set)."""
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev")
    wait_for_port(port, proc=dev)
    address = f"127.0.0.1:{port}"
    # this checkout's packages first (the worker runs from tests/support/, the program as a script)
    pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {"SEED_MARKS_DIR": str(tmp_path), "FANFLOW_ADDRESS": address, "PYTHONPATH": pythonpath}
    worker = processes.fanflow("worker", "seed_activity_program", "--address", address, "--task-queue", "default", name="worker", env=env, cwd=SUPPORT)
    program = await asyncio.create_subprocess_exec(
        sys.executable, str(SUPPORT / "seed_activity_program.py"), env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    out, err = await asyncio.wait_for(program.communicate(), timeout=120)
    assert program.returncode == 0, err.decode()[-3000:]
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert lines == [
        {"users": {"valid": True, "ids": [1, 2], "report": {"processed": 2, "results": ["ADA", "BOB"]}}},
        {"valid": "valid:hello"},
        {"code": "invalid_arguments_error", "status": 400},
        {"rejected": "rejected x", "type": "Rejected", "details": [{"value": "x"}]},
    ]
    # the worker opened the Depends provider once and closes it when it stops (SIGTERM)
    assert [p.name for p in tmp_path.glob("db-open-*")] == [f"db-open-{worker.pid}"]
    assert not list(tmp_path.glob("db-closed-*"))
    worker.terminate()
    assert await asyncio.to_thread(worker.wait, 30) == 0
    assert [p.name for p in tmp_path.glob("db-closed-*")] == [f"db-closed-{worker.pid}"]
