"""Sticky worker sessions on an embedded cluster (issue 13): 3 workers, 50 workflows with 5 sticky
activities each in a session: every session's activities ran on one worker (identities from
history); a sticky activity called outside a session fails the workflow task naming the fix."""
from __future__ import annotations

import asyncio
import contextlib

from protos import common_pb2 as E
from support.activity_history import activity_starts
from support.sticky_workflows import SessionSteps, StickyOutsideSession, remember
from worker_sdk import Worker
from worker_sdk.sticky_sessions import GET_STICKY_WORKER_SESSION_ACTIVITY


async def test_the_activities_of_each_session_run_on_one_worker(client):
    """3 workers, 50 workflows, 5 sticky activities each in a session."""
    workers = [Worker(client, task_queue="sticky", workflows=[SessionSteps], activities=[remember]) for _ in range(3)]
    async with contextlib.AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(worker)
        handles = [await client.start_workflow(SessionSteps, 5, id=f"session-{i}", task_queue="sticky") for i in range(50)]
        results = await asyncio.gather(*(h.result(timeout=180) for h in handles))
    identities = {w.identity for w in workers}
    session_workers = []
    for handle, result in zip(handles, results):
        assert [r["held"] for r in result] == [1, 2, 3, 4, 5]
        starts = activity_starts(await handle.history())
        assert [t for t, _, _ in starts] == [GET_STICKY_WORKER_SESSION_ACTIVITY] + ["remember"] * 5
        ran_on = {identity for _, identity, _ in starts}
        assert len(ran_on) == 1 and ran_on <= identities, (handle.workflow_id, starts)  # the session's worker ran them all
        session_workers.append(ran_on.pop())
    assert len(set(session_workers)) >= 2, "sessions were handed out by more than one worker"
    # each worker polls its own session queue (kind STICKY: one partition) and the shared one
    for worker in workers:
        assert worker.sessions.own_queue.kind == E.TASK_QUEUE_KIND_STICKY and worker.identity in worker.sessions.own_queue.name


async def test_sticky_activity_outside_a_session_names_the_fix(client):
    async with Worker(client, task_queue="sticky-bad", workflows=[StickyOutsideSession], activities=[remember]):
        handle = await client.start_workflow(StickyOutsideSession, id="outside", task_queue="sticky-bad")
        failure = None
        for _ in range(100):  # the workflow task fails (a bug in workflow code) and is retried
            progress = await handle.progress()
            if progress.last_workflow_task_failure.failure.message:
                failure = progress.last_workflow_task_failure.failure
                break
            await asyncio.sleep(0.1)
        assert failure is not None
        assert "remember" in failure.message and "run_sticky_worker_session" in failure.message
        assert "sticky_worker_session_missing" in failure.message or "STICKY_WORKER_SESSION_MISSING" in failure.message
        await handle.terminate("done")
