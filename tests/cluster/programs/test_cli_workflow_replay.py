"""`fanflow workflow replay` against a real `fanflow dev` process: runs recorded by a
`fanflow worker` of the first version of `patch_orders` (tests/support/patch_orders_v1.py),
checked against later versions before they are deployed: by workflow id, every running run,
or a history saved with `fanflow workflow history`. Exit 0 when every run replays, 1 when one
does not (with the event and both sides' commands), 2 when the check cannot be made."""
from __future__ import annotations

import asyncio
import subprocess
import sys

from conftest import ROOT, SUPPORT, free_port, wait_for_port
from protos import common_pb2
from worker_sdk import Client

from support.patch_orders_v1 import OrderWorkflow as V1

E = common_pb2.EventType
TQ = "patch-orders"
ENV = {"PYTHONPATH": str(ROOT)}  # this checkout's code, whatever is installed


def fanflow_workflow(address: str, *args: str) -> subprocess.CompletedProcess:
    """`fanflow workflow ...` run from tests/support (where the version modules are), as a
    deploy pipeline would run it next to the code it is about to deploy."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "fanflow.cli", "workflow", *args, "--address", address],
        capture_output=True, text=True, cwd=SUPPORT, env={**os.environ, **ENV}, timeout=120,
    )


async def waiting_for_approval(handle) -> None:
    for _ in range(600):
        kinds = [e.event_type for e in await handle.history()]
        if E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in kinds and E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in kinds[kinds.index(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED):]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.workflow_id} never waited for its approval")


async def test_replay_checks_a_deploy_against_the_runs_of_a_fanflow_dev_cluster(tmp_path, processes):
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev")
    wait_for_port(port, proc=dev)
    address = f"127.0.0.1:{port}"
    worker = processes.fanflow("worker", "patch_orders_v1", "--address", address, "--task-queue", TQ, name="worker-v1", cwd=SUPPORT, env=ENV)
    client = await Client.connect(address)
    try:
        done = await client.start_workflow(V1, "x", id="patch-x", task_queue=TQ)
        await waiting_for_approval(done)
        await done.signal("approve")
        assert await done.result(timeout=60) == ["charged x", "shipped x"]
        waiting = await client.start_workflow(V1, "y", id="patch-y", task_queue=TQ)
        await waiting_for_approval(waiting)
        await client.start_workflow("patch_someone_elses_type", id="patch-other", task_queue="nobody-serves-this")
        processes.kill(worker)  # the old code is gone; the runs wait for the next deploy
        ship_at = next(e.event_id for e in await done.history() if e.activity_task_scheduled.activity_type.name == "patch_ship")
        run_x = (await done.describe()).info.execution.run_id
    finally:
        await client.close()

    # The patched version: both runs replay.
    out = fanflow_workflow(address, "replay", "patch-x", "--module", "patch_orders_v2")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith(f"OK      patch-x  run {run_x}  patch_orders  (")
    assert "1 OK, 0 failed" in out.stdout
    # The same change without the patch: the finished run fails where it scheduled ship.
    out = fanflow_workflow(address, "replay", "patch-x", "--module", "patch_orders_v4")
    assert out.returncode == 1, out.stdout + out.stderr
    assert (f"FAILED  patch-x  run {run_x}  patch_orders" in out.stdout
            and f"non-determinism at event {ship_at}: history has ActivityTaskScheduled(activity_type='patch_ship', activity_id='2'), "
                "the code produced ScheduleActivityTask(activity_type='patch_check_fraud', activity_id='2')" in out.stdout), out.stdout
    assert "0 OK, 1 failed" in out.stdout
    # Every running run of the module's workflow types: only patch-y, which has not reached the change.
    out = fanflow_workflow(address, "replay", "--all-running", "--module", "patch_orders_v4")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK      patch-y  run " in out.stdout and "patch-x" not in out.stdout
    assert "skipped 1 running run(s) of workflow types the module does not define: patch_someone_elses_type (1)" in out.stdout
    # A specific run, and a history exported to a file.
    assert fanflow_workflow(address, "replay", "patch-x", "--run", run_x, "--module", "patch_orders_v2").returncode == 0
    exported = fanflow_workflow(address, "history", "patch-x")
    assert exported.returncode == 0, exported.stderr
    saved = tmp_path / "h.json"
    saved.write_text(exported.stdout)
    out = fanflow_workflow(address, "replay", "--history-file", str(saved), "--module", "patch_orders_v4")
    assert out.returncode == 1 and f"non-determinism at event {ship_at}" in out.stdout, out.stdout + out.stderr
    out = fanflow_workflow(address, "replay", "patch-x", "--history-file", str(saved), "--module", "patch_orders_v2")
    assert out.returncode == 0 and f"OK      patch-x  run {run_x}" in out.stdout, out.stdout + out.stderr

    # Checks that cannot be made: exit 2 and what to fix.
    for args, says in [
        (("replay", "patch-x"), "--module M"),
        (("replay", "patch-x", "--module", "patch_no_such_module"), "--module patch_no_such_module cannot be imported: ModuleNotFoundError"),
        (("replay", "--module", "patch_orders_v2"), "give one of: a workflow ID"),
        (("replay", "patch-x", "--all-running", "--module", "patch_orders_v2"), "give one of: a workflow ID"),
        (("replay", "--all-running", "--run", run_x, "--module", "patch_orders_v2"), "--run names one run"),
        (("replay", "patch-nobody", "--module", "patch_orders_v2"), "could not read workflow patch-nobody"),
        (("replay", "--history-file", str(tmp_path / "missing.json"), "--module", "patch_orders_v2"), "No such file"),
    ]:
        out = fanflow_workflow(address, *args)
        assert out.returncode == 2 and says in out.stderr, (args, out.stdout, out.stderr)

    # The check passed, so deploy 2 goes out: the waiting run continues with the new branch.
    processes.fanflow("worker", "patch_orders_v2", "--address", address, "--task-queue", TQ, name="worker-v2", cwd=SUPPORT, env=ENV)
    client = await Client.connect(address)
    try:
        handle = client.get_workflow_handle("patch-y")
        await handle.signal("approve")
        assert await handle.result(timeout=60) == ["charged y", "fraud-checked y", "shipped y"]
    finally:
        await client.close()
    out = fanflow_workflow(address, "replay", "patch-y", "--module", "patch_orders_v3")  # the next step's check
    assert out.returncode == 0, out.stdout + out.stderr
