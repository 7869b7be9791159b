"""`fanflow workflow start / signal / result` against a real cluster, and the CLI's clear
errors for bad input (exit code 2, a message that says what to fix)."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import worker_sdk as workflows
from conftest import ROOT
from worker_sdk import Worker


@workflows.workflow.define(name="cli_greeter")
class Greeter:
    def __init__(self) -> None:
        self.name: str | None = None

    @workflows.workflow.signal
    def name_is(self, name: str) -> None:
        self.name = name

    @workflows.workflow.entrypoint
    async def run(self, greeting: str, times: int) -> str:
        await workflows.workflow.wait_condition(lambda: self.name is not None)
        return " ".join([f"{greeting} {self.name}"] * times)


async def fanflow(address: str, *args: str) -> tuple[int, str, str]:
    # the cluster lives in this event loop: run the command without blocking it
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fanflow.cli", "workflow", *args, "--address", address,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_start_signal_and_result_from_the_command_line(embedded_cluster, client):
    address = embedded_cluster.frontend_address
    async with Worker(client, task_queue="cli", workflows=[Greeter]):
        code, out, err = await fanflow(address, "start", "greet-1", "--type", "cli_greeter", "--task-queue", "cli", "--input", '"hello"', "--input", "2")
        assert code == 0, err
        started = json.loads(out)
        assert started["workflow_id"] == "greet-1" and started["run_id"]
        code, out, err = await fanflow(address, "signal", "greet-1", "--name", "name_is", "--input", '"Ada"')
        assert code == 0, err
        code, out, err = await fanflow(address, "result", "greet-1", "--timeout", "30")
        assert code == 0, err
        assert json.loads(out) == "hello Ada hello Ada"
    assert await client.get_workflow_handle("greet-1").result(timeout=5) == "hello Ada hello Ada"


async def test_bad_command_line_input_is_exit_2_with_a_reason(embedded_cluster):
    address = embedded_cluster.frontend_address
    code, _, err = await fanflow(address, "start", "--type", "cli_greeter", "--input", "{not json")
    assert code == 2 and "--input must be JSON" in err
    code, _, err = await fanflow(address, "start", "--input", "1")
    assert code == 2 and "--type" in err
    code, _, err = await fanflow(address, "signal", "greet-x", "--input", "1")
    assert code == 2 and "--name" in err
