"""Streaming state and large data with real `fanflow dev` and `fanflow worker` processes
(tests/support/stream_cluster_workflows.py): a watcher follows a run across a SIGKILL and restart
of `fanflow dev` (it resumes from its cursor: nothing lost, nothing twice), and a 10 MB activity
result stored beside history survives the crash into the workflow's result."""
from __future__ import annotations

import asyncio
import hashlib
import json

from conftest import ROOT, SUPPORT, free_port, wait_for_port
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from worker_sdk import Client

TEN_MB = 10 * 1024 * 1024


async def test_watch_and_blobs_survive_a_dev_crash(tmp_path, processes):
    port = free_port()
    args = ("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    dev = processes.fanflow(*args, name="dev")
    wait_for_port(port, proc=dev)
    processes.fanflow("worker", "stream_cluster_workflows", "--address", f"127.0.0.1:{port}", "--task-queue", "stream-cluster",
                      name="worker", cwd=SUPPORT, env={"PYTHONPATH": str(ROOT), "FANFLOW_PAYLOAD_OFFLOAD_BYTES": str(512 * 1024)})  # this checkout's SDK; offloading on
    client = await Client.connect(f"127.0.0.1:{port}")
    try:
        handle = await client.start_workflow("stream_cluster_pipeline", args=(TEN_MB,), id="stream-cluster", task_queue="stream-cluster")
        seen: list[ws.WatchWorkflowResponse] = []
        waiting = asyncio.Event()

        async def watch() -> None:
            async for response in handle.watch(progress=False):
                seen.append(response)
                if response.HasField("task") and json.loads(response.task.state.data or b"null") == {"stage": "waiting"}:
                    waiting.set()

        watcher = asyncio.create_task(watch())
        await asyncio.wait_for(waiting.wait(), 120)
        processes.kill(dev)  # SIGKILL while the run waits and the watcher is connected
        await asyncio.sleep(1)
        dev = processes.fanflow(*args, name="dev-restarted")
        wait_for_port(port, proc=dev)
        await handle.signal("proceed")
        result = await handle.result(timeout=120)
        await asyncio.wait_for(watcher, 120)
        expected = ("0123456789abcdef" * (TEN_MB // 16))
        assert result == {"text": expected, "sha256": hashlib.sha256(expected.encode()).hexdigest()}
        events = await handle.history()
        assert max(e.ByteSize() for e in events) < 4096  # the 10 MB is beside history, not in it
        # The watcher saw every change once, in order, across the crash: the same as a fresh watch.
        assert seen == [r async for r in handle.watch(progress=False)]
        stages = [json.loads(r.task.state.data)["stage"] for r in seen if r.task.type == "pipeline"]
        assert stages == ["making", "digesting", "waiting", "done", "done"]
        generation = [r.task for r in seen if r.task.type == "generation"]
        assert [t.status for t in generation] == [ws.TASK_STATUS_STARTED, ws.TASK_STATUS_IN_PROGRESS, ws.TASK_STATUS_COMPLETED]
        assert generation[0].activity_id and json.loads(generation[-1].state.data) == {"bytes": TEN_MB}
        assert seen[-1].status.status == E.WORKFLOW_EXECUTION_STATUS_COMPLETED
    finally:
        await client.close()
