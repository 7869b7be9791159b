"""Workflows and activities for the sticky-session and rate-limit tests (issue 13), run by workers
in the test process and by `fanflow worker sticky_workflows` subprocesses."""
from __future__ import annotations

import asyncio
import os

import worker_sdk as workflows

# ------------------------------------------------------------------ sticky sessions

#: What each process's sticky activities remember, per workflow: state that stays on one worker.
_seen: dict[str, list[str]] = {}


def _remember(step: str) -> dict:
    wf = workflows.activity.info().workflow_id
    _seen.setdefault(wf, []).append(step)
    return {"pid": os.getpid(), "held": len(_seen[wf])}


@workflows.activity(sticky_to_worker=True)
async def remember(step: str) -> dict:
    """Appends to this process's memory of the workflow; returns how much it holds."""
    return _remember(step)


@workflows.activity(sticky_to_worker=True, schedule_to_start_timeout=3)
async def remember_quick(step: str) -> dict:
    """A sticky activity that waits at most 3 s for its session's worker."""
    return _remember(step)


@workflows.activity(sticky_to_worker=True, schedule_to_start_timeout=3, heartbeat_timeout=2)
async def sticky_slow(step: str) -> int:
    """Runs until cancelled, heartbeating: the worker is killed while it runs."""
    while True:
        workflows.activity.heartbeat(step)
        await asyncio.sleep(0.5)


@workflows.workflow.define(name="sticky_session_steps")
class SessionSteps:
    @workflows.workflow.entrypoint
    async def run(self, steps: int) -> list[dict]:
        async with workflows.run_sticky_worker_session():
            return [await remember(f"step-{i}") for i in range(steps)]


@workflows.workflow.define(name="sticky_session_recovery")
class SessionRecovery:
    """One activity in a session, then waits for `go` (the test kills the session's worker), then
    tries the session again (it is gone), catches that and opens a new one."""

    def __init__(self) -> None:
        self.go = False

    @workflows.workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflows.workflow.entrypoint
    async def run(self, mid_activity: bool) -> dict:
        session = await workflows.get_sticky_worker_session()
        lost = None
        try:
            async with workflows.run_sticky_worker_session(session):
                first = await remember_quick("first")
                if mid_activity:
                    await sticky_slow("dies with its worker")
                else:
                    await workflows.workflow.wait_condition(lambda: self.go)
                    await remember_quick("after the kill")
        except workflows.StickyWorkerSessionLostError as exc:
            lost = {"type": type(exc).__name__, "message": str(exc), "task_queue": exc.task_queue, "is_activity_error": isinstance(exc, workflows.ActivityError)}
        async with workflows.run_sticky_worker_session():  # a new session, on a live worker
            after = [await remember_quick(f"again-{i}") for i in range(3)]
        return {"session": session.task_queue, "first": first, "lost": lost, "after": after}


@workflows.workflow.define(name="sticky_outside_session")
class StickyOutsideSession:
    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        return await remember("no session")


# ------------------------------------------------------------------ rate limits


@workflows.activity(rate_limit=workflows.RateLimit(time_window_in_sec=1, max_execution=20))
async def limited_call(i: int) -> int:
    return i


@workflows.workflow.define(name="rate_limited_batch")
class RateLimitedBatch:
    @workflows.workflow.entrypoint
    async def run(self, start: int, count: int) -> list[int]:
        return list(await asyncio.gather(*(limited_call(i) for i in range(start, start + count))))


@workflows.activity(rate_limit=workflows.RateLimit(time_window_in_sec=1, max_execution=10, key="shared-api"))
async def shared_read(i: int) -> str:
    return f"read-{i}"


@workflows.activity(rate_limit=workflows.RateLimit(time_window_in_sec=1, max_execution=10, key="shared-api"))
async def shared_write(i: int) -> str:
    return f"write-{i}"


@workflows.workflow.define(name="shared_key_batch")
class SharedKeyBatch:
    @workflows.workflow.entrypoint
    async def run(self, count: int) -> list[str]:
        calls = [shared_read(i) for i in range(count)] + [shared_write(i) for i in range(count)]
        return list(await asyncio.gather(*calls))


@workflows.activity(rate_limit=workflows.RateLimit(time_window_in_sec=8, max_execution=6, key="slow-api"))
async def slow_api_call(i: int) -> int:
    return i


@workflows.workflow.define(name="slow_api_batch")
class SlowApiBatch:
    @workflows.workflow.entrypoint
    async def run(self, count: int) -> list[int]:
        return list(await asyncio.gather(*(slow_api_call(i) for i in range(count))))
