"""ReadWorkflowStream (the long poll behind the frontend's WatchWorkflow) and RecordTaskState
(an activity's task changed). See history/stream.py for what the stream holds."""
from __future__ import annotations

import asyncio
import time

from fanflow import timeutil
from fanflow.errors import InvalidArgument, NotFound
from history import stream
from history.shard import Shard
from protos import common_pb2, history_service_pb2, internal_pb2, workflow_service_pb2 as ws

MAX_ENTRIES = 1000
RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING


async def read_workflow_stream(shard: Shard, request: history_service_pb2.ReadWorkflowStreamRequest) -> history_service_pb2.ReadWorkflowStreamResponse:
    ns, wf = request.namespace, request.workflow_id
    limit = min(request.limit or MAX_ENTRIES, MAX_ENTRIES)
    wait = timeutil.seconds(request.wait) if request.HasField("wait") else 0.0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        waiter = shard.next_stream_entry(ns, wf)  # before reading: a commit after the read wakes us
        try:
            current = await shard.current(ns, wf)
            if current is None:
                raise NotFound(f"workflow {wf!r} not found in namespace {ns!r}")
            # The status first: entries written up to the close are then all in what we read.
            closed = current.status != RUNNING
            entries = await shard.store.watch_entries(ns, wf, request.after_cursor, limit)
            if entries or closed:
                return history_service_pb2.ReadWorkflowStreamResponse(entries=entries, closed=closed and len(entries) < limit)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return history_service_pb2.ReadWorkflowStreamResponse()
            try:
                await asyncio.wait_for(asyncio.shield(waiter), remaining)
            except asyncio.TimeoutError:
                return history_service_pb2.ReadWorkflowStreamResponse()
        finally:
            shard.stop_waiting_stream(ns, wf, waiter)


async def record_task_state(shard: Shard, token: internal_pb2.TaskToken, request: ws.RecordTaskStateRequest) -> ws.RecordTaskStateResponse:
    """An activity's task changed: stored (latest state + stream entry) while its run is open."""
    task = request.task
    if task.status not in (ws.TASK_STATUS_STARTED, ws.TASK_STATUS_IN_PROGRESS, ws.TASK_STATUS_COMPLETED, ws.TASK_STATUS_FAILED):
        raise InvalidArgument("task.status must be STARTED, IN_PROGRESS, COMPLETED or FAILED")
    ns, wf, run_id = token.namespace, token.workflow_id, token.run_id
    async with shard.locks.hold((ns, wf)):
        run = await shard.load((ns, wf, run_id))
        if run is None:
            raise NotFound(f"workflow {wf!r} run {run_id!r} not found in namespace {ns!r}")
        info = run._activity_for_token(token)  # the run is open and this attempt still runs
        now = time.time_ns()
        change = stream.task_change(task, run_id, now, activity_id=info.activity_id)
        await shard.store.record_task_state(ns, wf, change, stream.task_entry(change, now))
    shard.notify_stream(ns, wf)
    return ws.RecordTaskStateResponse()

