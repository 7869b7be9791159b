"""Workflow-task heartbeats: while a workflow task's code runs long on the workflow-code
thread (e.g. it reads millions of executor results from the store), the worker tells history
it is still at work (``RecordWorkflowTaskHeartbeat``) every third of the task's timeout, and
history moves the task's deadline forward, up to its cap on a workflow task's duration
(``max_workflow_task_duration``, 10 minutes by default). The event loop is free meanwhile:
the code runs on its own thread (``WorkflowWorker.run_code``).
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Iterable

import grpc
import structlog

from fanflow.timeutil import seconds
from protos import common_pb2, workflow_service_pb2 as ws

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

log = structlog.get_logger("fanflow.sdk.worker")

__all__ = ["DEFAULT_TASK_TIMEOUT", "task_timeout", "heartbeating"]

#: The cluster's default workflow-task timeout (seconds), for a task whose scheduled event
#: the worker did not receive.
DEFAULT_TASK_TIMEOUT = 10.0


def task_timeout(events: Iterable[common_pb2.HistoryEvent]) -> float:
    """The start-to-close timeout of the workflow task these events lead to (its
    WorkflowTaskScheduled event, the last one), else ``DEFAULT_TASK_TIMEOUT``."""
    timeout = 0.0
    for ev in events:
        if ev.event_type == common_pb2.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            timeout = seconds(ev.workflow_task_scheduled.start_to_close_timeout)
    return timeout or DEFAULT_TASK_TIMEOUT


@contextlib.asynccontextmanager
async def heartbeating(client: "Client", identity: str, task_token: bytes, timeout: float):
    """Heartbeat the workflow task ``task_token`` every ``timeout / 3`` seconds while the
    block runs. Stops when history says the task is gone (NOT_FOUND: it timed out or the
    run closed; the completion will be refused too) or at the cap; other errors are logged
    and the next beat tries again."""
    interval = max(0.05, timeout / 3)
    request = ws.RecordWorkflowTaskHeartbeatRequest(namespace=client.namespace, task_token=task_token, identity=identity)

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                reply = await client.call("RecordWorkflowTaskHeartbeat", request, timeout=max(interval, 1.0), retry=False)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    log.warning("workflow task is no longer running; heartbeats stop", error=exc.details())
                    return
                log.warning("workflow task heartbeat failed; trying again", code=str(exc.code()), error=exc.details())
                continue
            if reply.at_cap:
                log.warning("workflow task reached the cluster's cap on a workflow task's duration (max_workflow_task_duration); it times out at its deadline")
                return

    beater = asyncio.ensure_future(beat())
    try:
        yield
    finally:
        beater.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await beater
