"""The clock of a `fanflow dev` process jumps (FANFLOW_CLOCK_OFFSET_FILE, read by
fanflow.clock): forward, a durable timer fires early by at most the jump and no
earlier; back, timers fire late by at most the jump and none is lost."""
from __future__ import annotations

import asyncio
import time

import worker_sdk as workflows
from conftest import free_port, wait_for_event, wait_for_port
from protos import common_pb2 as E
from worker_sdk import Client, Worker

QUEUE = "clock-jump"


@workflows.workflow.define(name="clock_jump_sleeper")
class ClockJumpSleeper:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float) -> str:
        await workflows.workflow.sleep(seconds)
        return "woke"


async def _fired(handle) -> bool:
    return any(e.event_type == E.EVENT_TYPE_TIMER_FIRED for e in await handle.history())


async def test_timers_move_by_at_most_the_jump_and_none_is_lost(tmp_path, processes):
    offset = tmp_path / "clock-offset"
    offset.write_text("0")
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev",
                            env={"FANFLOW_CLOCK_OFFSET_FILE": str(offset)})
    wait_for_port(port, proc=dev)
    client = await Client.connect(f"127.0.0.1:{port}")
    worker = await Worker(client, task_queue=QUEUE, workflows=[ClockJumpSleeper]).start()
    try:
        minute = await client.start_workflow(ClockJumpSleeper, 60.0, id="clock-jump-60s", task_queue=QUEUE)
        quarter = await client.start_workflow(ClockJumpSleeper, 900.0, id="clock-jump-900s", task_queue=QUEUE)
        for handle in (minute, quarter):
            await wait_for_event(handle, E.EVENT_TYPE_TIMER_STARTED)

        # Forward by 2 minutes: the 60 s timer is due on the shard's clock and fires now;
        # the 15-minute one is not (it would be early by more than the jump).
        offset.write_text("120")
        assert await minute.result(timeout=30) == "woke"
        await asyncio.sleep(3)
        assert not await _fired(quarter)

        # Back by 20 s: a 5 s timer set before the jump fires about 20 s late, never lost, never early.
        started = time.monotonic()
        late = await client.start_workflow(ClockJumpSleeper, 5.0, id="clock-jump-5s", task_queue=QUEUE)
        await wait_for_event(late, E.EVENT_TYPE_TIMER_STARTED)
        offset.write_text("100")
        assert await late.result(timeout=90) == "woke"
        waited = time.monotonic() - started
        assert waited >= 5 + 20 - 3, f"fired {waited:.1f} s after start: earlier than its 5 s plus the 20 s the clock went back"
        assert not await _fired(quarter)
    finally:
        await worker.shutdown()
        await client.close()
    assert "Traceback" not in open(dev.log_path, errors="replace").read()
