"""Workflows and activities for the fault tests, imported by worker processes
(`fanflow worker fault_workflows`) and by the tests themselves."""
import asyncio
import os
from pathlib import Path

import worker_sdk as workflows

MARKS = Path(os.environ.get("FAULT_MARKS_DIR", "/tmp"))


# Unlimited attempts: the fault tests kill workers mid-attempt; what they check is that
# history retries until it works, not the default policy's limit of three attempts.
@workflows.activity(start_to_close_timeout=3, retry_policy=workflows.RetryPolicy(maximum_attempts=0))
async def slow_step(x: int) -> dict:
    """Records which worker process started it, then takes a while."""
    (MARKS / f"started-{os.getpid()}-{workflows.activity.info().attempt}").touch()
    await asyncio.sleep(float(os.environ.get("SLOW_STEP_SECONDS", "2")))
    return {"x": x, "pid": os.getpid(), "attempt": workflows.activity.info().attempt}


@workflows.workflow.define(name="fault_one_slow_step")
class OneSlowStep:
    @workflows.workflow.entrypoint
    async def run(self, x: int) -> dict:
        return await slow_step(x)


@workflows.activity()
async def note_fired(tag: str) -> str:
    (MARKS / f"fired-{tag}-{os.getpid()}-{os.urandom(4).hex()}").touch()
    return tag


@workflows.workflow.define(name="fault_sleeper")
class Sleeper:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float) -> str:
        await workflows.workflow.sleep(seconds)
        return await note_fired(workflows.workflow.info().workflow_id)
