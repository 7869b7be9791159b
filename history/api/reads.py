"""Reading runs: history pages, describe, the result (waiting for the close), and a
shard's own statistics (listing: history/api/listing.py)."""
from __future__ import annotations

import asyncio
import json
import time

from fanflow.errors import InvalidArgument, NotFound
from history.run_state import RunState
from history.persistence.store import RunKey
from history.shard import Shard
from protos import admin_service_pb2, common_pb2, workflow_service_pb2

RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
DEFAULT_HISTORY_PAGE = 1000
PENDING_ACTIVITIES_SHOWN = 100
PENDING_CHILDREN_SHOWN = 100


async def read_event(shard: Shard, key: RunKey, event_id: int) -> common_pb2.HistoryEvent:
    events = await shard.store.read_events(key, event_id, event_id)
    if not events:
        raise NotFound(f"event {event_id} of workflow {key[1]!r} run {key[2]!r} not found")
    return events[0]


async def get_history(
    shard: Shard, request: workflow_service_pb2.GetWorkflowExecutionHistoryRequest
) -> workflow_service_pb2.GetWorkflowExecutionHistoryResponse:
    key = await shard.resolve(request.namespace, request.execution)
    await shard.require(key)
    first = max(1, request.first_event_id)  # web UI: a page from any event on
    if request.next_page_token:
        try:
            first = int(json.loads(request.next_page_token)["next_event_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidArgument(f"next_page_token is not one this server issued: {exc}") from None
    size = request.maximum_page_size or DEFAULT_HISTORY_PAGE
    events = await shard.store.read_events(key, first, limit=size + 1)
    token = b""
    if len(events) > size:
        events = events[:size]
        token = json.dumps({"next_event_id": events[-1].event_id + 1}).encode()
    return workflow_service_pb2.GetWorkflowExecutionHistoryResponse(history=common_pb2.History(events=events), next_page_token=token)


def execution_info(shard: Shard, run: RunState) -> workflow_service_pb2.WorkflowExecutionInfo:
    s = run.state
    return workflow_service_pb2.WorkflowExecutionInfo(
        execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id),
        type=common_pb2.WorkflowType(name=s.workflow_type),
        task_queue=s.task_queue,
        status=s.status,
        start_time=s.start_time,
        close_time=s.close_time,
        history_length=s.next_event_id - 1,
        history_size_bytes=s.history_size_bytes,
        shard_id=shard.shard_id,
        first_run_id=s.first_run_id,
        pending_activity_count=s.pending_activity_count,
        metadata=s.metadata,
        last_workflow_task_failure=s.last_wft_failure if s.HasField("last_wft_failure") else None,
        execution_expiration_time=s.execution_expiration_time if s.HasField("execution_expiration_time") else None,
        search_keys=s.search_keys,
        parent_execution=s.parent.execution if s.HasField("parent") else None,
        parent_initiated_event_id=s.parent.initiated_event_id,
        pending_child_count=s.pending_child_count,
    )


async def describe(shard: Shard, request: workflow_service_pb2.DescribeWorkflowExecutionRequest) -> workflow_service_pb2.DescribeWorkflowExecutionResponse:
    # Under the workflow's lock: never show state whose commit is still in flight.
    async with shard.locks.hold((request.namespace, request.execution.workflow_id)):
        run = await shard.require(await shard.resolve(request.namespace, request.execution))
        pending = [
            workflow_service_pb2.PendingActivityInfo(
                activity_id=a.activity_id,
                activity_type=common_pb2.ActivityType(name=a.activity_type),
                scheduled_event_id=a.scheduled_event_id,
                started=a.started,
                attempt=a.attempt,
                last_worker_identity=a.started_identity,
                last_failure=a.last_failure,
                **_pending_activity_ui_fields(a),
            )
            for a in list(run.activities.values())[:PENDING_ACTIVITIES_SHOWN]
        ]
        info = execution_info(shard, run)
        info.pending_children.extend(pending_children(run, PENDING_CHILDREN_SHOWN))
        return workflow_service_pb2.DescribeWorkflowExecutionResponse(info=info, pending_activities=pending)


def pending_children(run: RunState, limit: int) -> list[workflow_service_pb2.PendingChildExecutionInfo]:
    """The run's open child workflows, oldest first."""
    return [
        workflow_service_pb2.PendingChildExecutionInfo(
            workflow_id=c.workflow_id, run_id=c.run_id, workflow_type=common_pb2.WorkflowType(name=c.workflow_type),
            initiated_event_id=c.initiated_event_id, parent_close_policy=c.parent_close_policy,
        )
        for c in sorted(run.children.values(), key=lambda c: c.initiated_event_id)[:limit]
    ]


def _pending_activity_ui_fields(a) -> dict:
    """Web UI: a pending activity's last heartbeat and its times (unset fields stay unset)."""
    names = ("heartbeat_details", "last_heartbeat_time", "scheduled_time", "started_time")
    return {name: getattr(a, name) for name in names if a.HasField(name)}


async def get_result(shard: Shard, request: workflow_service_pb2.GetWorkflowResultRequest) -> workflow_service_pb2.GetWorkflowResultResponse:
    """The closed run's outcome (following continue-as-new if asked), or RUNNING once
    wait_timeout passed."""
    deadline = time.monotonic() + request.wait_timeout.ToNanoseconds() / 1e9
    execution = request.execution
    while True:
        # Under the workflow's lock: an update in progress changes the cached state before
        # its events are committed (the close event would not be readable yet).
        async with shard.locks.hold((request.namespace, execution.workflow_id)):
            key = await shard.resolve(request.namespace, execution)
            run = await shard.require(key)
            s = run.state
            if s.status == common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW and request.follow_runs:
                execution = common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.continued_as_new_run_id)
                continue
            if s.status != RUNNING:
                return await _closed_result(shard, run)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return workflow_service_pb2.GetWorkflowResultResponse(status=RUNNING, execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id))
            fut = shard.close_waiter(key)  # registered before the lock is released: no close is missed
        try:
            await asyncio.wait_for(fut, remaining)
        except asyncio.TimeoutError:
            pass
        finally:
            shard.stop_waiting(key, fut)
        execution = common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id)


async def _closed_result(shard: Shard, run: RunState) -> workflow_service_pb2.GetWorkflowResultResponse:
    s = run.state
    response = workflow_service_pb2.GetWorkflowResultResponse(
        status=s.status, execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id)
    )
    event = await read_event(shard, run.key, s.close_event_id)
    which = event.WhichOneof("attributes")
    if which == "workflow_execution_completed":
        response.result.CopyFrom(event.workflow_execution_completed.result)
    elif which == "workflow_execution_failed":
        response.failure.CopyFrom(event.workflow_execution_failed.failure)
    elif which == "workflow_execution_terminated":
        response.termination_reason = event.workflow_execution_terminated.reason
        response.failure.CopyFrom(common_pb2.Failure(message=f"terminated: {event.workflow_execution_terminated.reason}", type="Terminated", source="server"))
    elif which == "workflow_execution_canceled":
        response.failure.CopyFrom(common_pb2.Failure(message="workflow run was cancelled", type="CancelledError", source="workflow"))
    elif which == "workflow_execution_timed_out":
        if event.workflow_execution_timed_out.execution_timeout:
            message = f"workflow execution timed out: its execution_timeout passed (the execution expired at {s.execution_expiration_time.ToJsonString()})"
        else:
            message = f"workflow run timed out: its run timeout of {s.workflow_run_timeout.ToTimedelta()} passed"
        response.failure.CopyFrom(common_pb2.Failure(message=message, type="TimeoutError", source="server"))
    return response


async def describe_shard(shard: Shard) -> admin_service_pb2.DescribeShardResponse:
    stats = await shard.store.stats()
    return admin_service_pb2.DescribeShardResponse(
        shard_id=shard.shard_id,
        owner=shard.owner,
        range_id=shard.store.range_id,
        running_workflows=stats.running,
        closed_workflows=stats.closed,
        events=stats.events,
        outbox_depth=stats.outbox,
        pending_timers=stats.timers,
        db_path=shard.store.location,
    )
