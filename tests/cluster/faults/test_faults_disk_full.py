"""A full disk under `fanflow dev`: writes fail with UNAVAILABLE naming the file and
saying to free space (clients retry), the log says it once per file, without a
traceback, and everything completes by itself once space returns."""
from __future__ import annotations

import asyncio

import grpc
import pytest

import worker_sdk as workflows
from conftest import free_port, wait_for_port
from support.small_disk import fill as _fill, small_disk  # noqa: F401  (a fixture)
from worker_sdk import Client, Worker

QUEUE = "disk-full"
INPUT_BYTES = 600_000  # big events: the WAL must grow to hold them


@workflows.workflow.define(name="disk_full_measure")
class DiskFullMeasure:
    @workflows.workflow.entrypoint
    async def run(self, blob: str) -> int:
        return await disk_full_length(blob)


@workflows.activity(start_to_close_timeout=30)
async def disk_full_length(blob: str) -> int:
    return len(blob)


async def test_a_full_disk_fails_writes_clearly_and_they_resume_when_space_returns(tmp_path, processes, small_disk):
    port = free_port()
    data = small_disk / "data"
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(data), name="dev")
    wait_for_port(port, proc=dev)
    client = await Client.connect(f"127.0.0.1:{port}", retry_timeout=600)
    worker = await Worker(client, task_queue=QUEUE, workflows=[DiskFullMeasure], activities=[disk_full_length]).start()
    ballast = small_disk / "ballast"
    try:
        first = await client.start_workflow(DiskFullMeasure, "x" * 10, id="disk-full-before", task_queue=QUEUE)
        assert await first.result(timeout=60) == 10
        _fill(ballast)
        starts = [asyncio.create_task(client.start_workflow(DiskFullMeasure, str(i) * INPUT_BYTES, id=f"disk-full-{i}", task_queue=QUEUE))
                  for i in range(10)]
        log_path = dev.log_path
        for _ in range(600):
            if "disk full:" in open(log_path, errors="replace").read():
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("no write failed for lack of space")
        # A call that needs a write is refused with the reason (the client above retries on its own).
        raw = await Client.connect(f"127.0.0.1:{port}", retry_timeout=0)
        try:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                for i in range(20):  # one of them lands on a file that cannot grow
                    await raw.start_workflow(DiskFullMeasure, "y" * INPUT_BYTES, id=f"disk-full-probe-{i}", task_queue=QUEUE)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "disk full" in refused.value.details() and str(data) in refused.value.details()
            assert "free space" in refused.value.details()
        finally:
            await raw.close()
        await asyncio.sleep(2)
        ballast.unlink()  # space returns: nothing to restart
        handles = await asyncio.wait_for(asyncio.gather(*starts), 120)
        assert [await h.result(timeout=120) for h in handles] == [INPUT_BYTES] * 10
        assert await client.get_workflow_handle("disk-full-before").result(timeout=30) == 10  # acknowledged before: still there
        assert dev.poll() is None
    finally:
        await worker.shutdown()
        await client.close()
    log = open(dev.log_path, errors="replace").read()
    assert "Traceback" not in log
    full = [line for line in log.splitlines() if "disk full:" in line and "[error" in line]
    files = [line.split(" cannot write ")[1].split(" ")[0] for line in full]
    assert full and len(files) == len(set(files)), "one line per file while its disk is full, not one per write"
    assert all("free space" in line and "writes resume by themselves" in line for line in full)
    assert "disk space is back" in log
