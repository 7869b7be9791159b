"""A rate limit's window across a restart of matching (issue 13): RateLimit(8 s, 6), `fanflow dev`
SIGKILLed after the first 6 starts and restarted at once; the restarted matching reads the window's
starts back from its file, so no 8 s window of history holds more than 6 starts and all complete."""
from __future__ import annotations

import asyncio
import re

from conftest import free_port, wait_for_port
from support.activity_history import busiest_window, starts_of
from support.sticky_workflows import SlowApiBatch, slow_api_call
from worker_sdk import Client, Worker


async def test_the_window_survives_a_matching_restart(tmp_path, processes):
    """6 starts per 8 s. After the first 6, `fanflow dev` (matching with it) is SIGKILLed and
    restarted at once: the restarted matching reads back the 6 starts of its window and starts
    nothing more until it has passed; every 8 s window of history holds at most 6 starts."""
    port = free_port()
    args = ("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    dev = processes.fanflow(*args, name="dev")
    wait_for_port(port, proc=dev)
    client = await Client.connect(f"127.0.0.1:{port}", retry_timeout=120)
    try:
        async with Worker(client, task_queue="slow", workflows=[SlowApiBatch], activities=[slow_api_call]):
            handle = await client.start_workflow(SlowApiBatch, 18, id="slow-batch", task_queue="slow")
            for _ in range(300):  # the first window's 6 starts are done (Started is written with the result)
                if len(await starts_of([handle], {"slow_api_call"})) >= 6:
                    break
                await asyncio.sleep(0.1)
            processes.kill(dev)
            dev = processes.fanflow(*args, name="dev-restarted")
            wait_for_port(port, proc=dev)
            result = await handle.result(timeout=180)
        assert sorted(result) == list(range(18))
        started = [t for t, _ in await starts_of([handle], {"slow_api_call"})]
        assert len(started) == 18 and busiest_window(started, 8.0) <= 6
        held = re.search(rb"rate_limited_starts_held=(\d+)", open(dev.log_path, "rb").read())
        assert held is not None and int(held.group(1)) >= 6, "the restarted matching took back the window's starts"
    finally:
        await client.close()
