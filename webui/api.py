"""The JSON API under /api/v1: the cluster's public operations over HTTP.

Each endpoint makes the frontend calls it needs with the caller's API key (header
`Authorization: Bearer KEY` or the login session) and answers JSON shaped by `models.py`;
a failed call answers the gRPC status as an HTTP code with the cluster's message
(`errors.py`). Workflow ids go in the path as they are, percent-encoded (an id may hold `/`).
"""
from __future__ import annotations

import asyncio
import base64
import datetime
import json
import uuid

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from protos import admin_service_pb2 as admin, common_pb2, schedule_pb2, workflow_service_pb2 as ws
from webui import convert, listing, models
from webui.caller import Caller, auth_is_on, execution, outcome
from webui.stream import STREAM_RESPONSES, stream
from webui.security import SESSION_COOKIE
from webui.timeline import build_timeline

IDENTITY = "fanflow-ui"
MAX_PAGE = 1000
HISTORY_SCAN_LIMIT = 10_000  # events one filtered history request looks at before it answers
TIMELINE_WINDOW = 2_000  # events of a run the timeline reads by default
MAX_TIMELINE_WINDOW = 10_000

ERRORS = {code: {"model": models.ErrorBody} for code in (400, 401, 403, 404, 409, 429, 503)}
router = APIRouter(prefix="/api/v1", responses=ERRORS)


def _time_param(value: str | None, field: str) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise listing.BadFilter(field, f"{value!r} is not an ISO 8601 time (e.g. 2026-05-01T09:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def filters_from(status: str, workflow_type: str, id_prefix: str, started_after: str | None, started_before: str | None) -> listing.Filters:
    return listing.Filters(
        status=status.lower(), workflow_type=workflow_type, id_prefix=id_prefix,
        started_after=_time_param(started_after, "started_after"), started_before=_time_param(started_before, "started_before"),
    )


def payload(value) -> common_pb2.Payload:
    return common_pb2.Payload(data=json.dumps(value).encode(), encoding="json/plain")


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode() if raw else ""


def _untoken(token: str, field: str = "page_token") -> bytes:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True) if token else b""
    except ValueError:
        raise listing.BadFilter(field, "malformed; pass the next_page_token of the previous page unchanged") from None


@router.get("/me", response_model=models.Me, summary="Whether the cluster asks for a key, and the browser session's key")
async def me(request: Request, caller: Caller = Depends()):
    session = request.app.state.sessions.get(request.cookies.get(SESSION_COOKIE))
    return {"auth": await auth_is_on(caller), "logged_in": session is not None,
            "namespace": session.namespace if session else None, "admin": session.admin if session else None}


# ------------------------------------------------------------------ namespaces and listing
@router.get("/namespaces", response_model=models.Namespaces, summary="List namespaces (admin key)")
async def list_namespaces(caller: Caller = Depends()):
    response = await caller.admin("ListNamespaces", admin.ListNamespacesRequest())
    return {"namespaces": [
        {"name": n.name, "description": n.description or None, "created_time": convert.timestamp(n.created_time)} for n in response.namespaces
    ]}


@router.get("/namespaces/{namespace}/workflows", response_model=models.WorkflowList, summary="List workflow runs, newest first")
async def list_workflows(
    namespace: str,
    status: str = Query("", description="running, completed, failed, terminated, continued_as_new, timed_out or canceled"),
    workflow_type: str = Query("", alias="type"),
    id_prefix: str = "",
    started_after: str | None = Query(None, description="ISO 8601, inclusive"),
    started_before: str | None = Query(None, description="ISO 8601, exclusive"),
    page_size: int = Query(50, ge=1, le=MAX_PAGE),
    page_token: str = "",
    caller: Caller = Depends(),
):
    filters = filters_from(status, workflow_type, id_prefix, started_after, started_before)
    rows, token = await listing.list_page(caller.client, caller.api_key, namespace, filters, page_size, page_token)
    return {"workflows": [convert.execution_info(info) for info in rows], "next_page_token": token}


@router.get("/namespaces/{namespace}/workflow-count", response_model=models.WorkflowCount, summary="Count workflow runs by status")
async def count_workflows(
    namespace: str,
    status: str = "",
    workflow_type: str = Query("", alias="type"),
    id_prefix: str = "",
    started_after: str | None = None,
    started_before: str | None = None,
    caller: Caller = Depends(),
):
    filters = filters_from(status, workflow_type, id_prefix, started_after, started_before)
    return await listing.count(caller.client, caller.api_key, namespace, filters)


@router.post("/namespaces/{namespace}/workflows", response_model=models.Started, status_code=201, summary="Start a workflow")
async def start_workflow(namespace: str, body: models.StartRequest, caller: Caller = Depends()):
    workflow_id = body.workflow_id or f"{body.workflow_type}-{uuid.uuid4()}"
    request = ws.StartWorkflowExecutionRequest(
        namespace=namespace, workflow_id=workflow_id, workflow_type=common_pb2.WorkflowType(name=body.workflow_type),
        task_queue=common_pb2.TaskQueue(name=body.task_queue), input=payload(body.input if body.input is not None else {}),
        identity=IDENTITY, request_id=body.request_id or str(uuid.uuid4()),
    )
    response = await caller.workflows("StartWorkflowExecution", request)
    return {"workflow_id": workflow_id, "run_id": response.run_id}


# ------------------------------------------------------------------ one workflow
# Sub-resources first: `{workflow_id:path}` is greedy, so ".../ID/history" must match here first.
@router.get("/namespaces/{namespace}/workflows/{workflow_id:path}/history", response_model=models.HistoryPage, summary="A page of a run's event history")
async def history(
    namespace: str,
    workflow_id: str,
    run_id: str = "",
    page_size: int = Query(100, ge=1, le=MAX_PAGE),
    page_token: str = Query("", description="the next event id to read (from next_page_token)"),
    first_event_id: int = Query(1, ge=1, description="start here (ignored with a page_token)"),
    event_type: str = Query("", description="comma-separated event types to keep, e.g. ActivityTaskFailed,WorkflowExecutionSignaled"),
    q: str = Query("", description="keep events whose JSON contains this text (case-insensitive)"),
    caller: Caller = Depends(),
):
    if not run_id:
        run_id = (await caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace=namespace, execution=execution(workflow_id)))).info.execution.run_id
    start = first_event_id
    if page_token:
        if not page_token.isdigit() or int(page_token) < 1:
            raise listing.BadFilter("page_token", "malformed; pass the next_page_token of the previous page unchanged")
        start = int(page_token)
    types = {t.strip() for t in event_type.split(",") if t.strip()}
    unknown = types - {convert.event_type_name(v) for v in common_pb2.EventType.values()}
    if unknown:
        raise listing.BadFilter("event_type", f"unknown event type(s) {sorted(unknown)}; e.g. ActivityTaskScheduled, WorkflowExecutionSignaled")
    needle = q.lower()
    filtered = bool(types or needle)
    events, scanned, next_id = [], 0, start
    while True:
        size = MAX_PAGE if filtered else page_size
        response = await caller.workflows("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(
            namespace=namespace, execution=execution(workflow_id, run_id), maximum_page_size=size, first_event_id=next_id,
        ))
        page = list(response.history.events)
        more = bool(response.next_page_token)
        for i, e in enumerate(page):
            item = convert.event(e)
            scanned += 1
            next_id = e.event_id + 1
            if filtered and ((types and item["type"] not in types) or (needle and needle not in json.dumps(item).lower())):
                continue
            events.append(item)
            if len(events) == page_size:
                more = more or i + 1 < len(page)
                return {"run_id": run_id, "events": events, "next_page_token": str(next_id) if more else "", "scanned_to_event_id": next_id - 1}
        if not more or not filtered or scanned >= HISTORY_SCAN_LIMIT:
            return {"run_id": run_id, "events": events, "next_page_token": str(next_id) if more else "", "scanned_to_event_id": next_id - 1}


@router.get("/namespaces/{namespace}/workflows/{workflow_id:path}/progress", response_model=models.Progress, summary="Executor progress and recorded events")
async def progress(namespace: str, workflow_id: str, max_events: int = Query(100, ge=1, le=10_000), caller: Caller = Depends()):
    response = await caller.workflows("GetWorkflowProgress", ws.GetWorkflowProgressRequest(namespace=namespace, workflow_id=workflow_id, max_events=max_events))
    return convert.progress(response)


@router.get("/namespaces/{namespace}/workflows/{workflow_id:path}/failures", response_model=models.ItemFailures, summary="Executor items that failed, with their latest error")
async def failures(
    namespace: str, workflow_id: str, executor_id: str = "", page_size: int = Query(100, ge=1, le=MAX_PAGE), page_token: str = "",
    caller: Caller = Depends(),
):
    response = await caller.workflows("GetParallelFailures", ws.GetParallelFailuresRequest(
        namespace=namespace, workflow_id=workflow_id, executor_id=executor_id, page_size=page_size, next_page_token=_untoken(page_token),
    ))
    return {
        "failures": [
            {"executor_id": f.executor_id, "index": int(f.index), "attempt": f.attempt, "activity_type": f.activity_type or None,
             "final": f.final, "recovered": f.recovered, "time": convert.timestamp(f.time), "failure": convert.failure(f.failure)}
            for f in response.failures
        ],
        "total": int(response.total),
        "next_page_token": _token(response.next_page_token),
    }


@router.get("/namespaces/{namespace}/workflows/{workflow_id:path}/result", response_model=models.Outcome, summary="The result or failure (following continue-as-new)")
async def result(
    namespace: str, workflow_id: str, run_id: str = "", wait: float = Query(0, ge=0, le=60, description="seconds to wait for the close"),
    caller: Caller = Depends(),
):
    request = ws.GetWorkflowResultRequest(namespace=namespace, execution=execution(workflow_id, run_id), follow_runs=not run_id)
    request.wait_timeout.FromNanoseconds(int(wait * 1e9))
    return outcome(await caller.workflows("GetWorkflowResult", request, timeout=30.0 + wait))


@router.get("/namespaces/{namespace}/workflows/{workflow_id:path}/runs", response_model=models.Runs, summary="The continue-as-new chain, newest first")
async def runs(
    namespace: str, workflow_id: str, page_size: int = Query(20, ge=1, le=100), page_token: str = Query("", description="the run id to go on from"),
    caller: Caller = Depends(),
):
    chain, run_id = [], page_token
    while len(chain) < page_size:
        described = await caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace=namespace, execution=execution(workflow_id, run_id)))
        info = described.info
        chain.append({"run_id": info.execution.run_id, "status": convert.status_name(info.status), "start_time": convert.timestamp(info.start_time),
                      "close_time": convert.timestamp(info.close_time), "history_length": int(info.history_length)})
        first = await _first_event(caller, namespace, workflow_id, info.execution.run_id)
        run_id = first.workflow_execution_started.continued_execution_run_id if first is not None else ""
        if not run_id:
            break
    return {"runs": chain, "next_page_token": run_id}


async def _first_event(caller: Caller, namespace: str, workflow_id: str, run_id: str):
    response = await caller.workflows("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(
        namespace=namespace, execution=execution(workflow_id, run_id), maximum_page_size=1, first_event_id=1,
    ))
    return response.history.events[0] if response.history.events else None


@router.get("/namespaces/{namespace}/workflows/{workflow_id:path}/timeline", response_model=models.Timeline, summary="Activity executions, timers and signals of a run")
async def timeline(
    namespace: str, workflow_id: str, run_id: str = "",
    first_event_id: int = Query(0, ge=0, description="0 = the last events of the run"),
    events: int = Query(TIMELINE_WINDOW, ge=1, le=MAX_TIMELINE_WINDOW, description="how many events to read"),
    caller: Caller = Depends(),
):
    described = await caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace=namespace, execution=execution(workflow_id, run_id)))
    run_id, length = described.info.execution.run_id, int(described.info.history_length)
    first = first_event_id or max(1, length - events + 1)
    read, next_id = [], first
    while next_id <= length and len(read) < events:
        response = await caller.workflows("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(
            namespace=namespace, execution=execution(workflow_id, run_id), maximum_page_size=min(MAX_PAGE, events - len(read)), first_event_id=next_id,
        ))
        if not response.history.events:
            break
        read.extend(response.history.events)
        next_id = read[-1].event_id + 1
        if not response.next_page_token:
            break
    last = read[-1].event_id if read else first - 1
    return {"run_id": run_id, "first_event_id": first, "last_event_id": last, "history_length": length, "spans": build_timeline(read)}


@router.post("/namespaces/{namespace}/workflows/{workflow_id:path}/signal", response_model=models.Done, summary="Signal a workflow")
async def signal(namespace: str, workflow_id: str, body: models.SignalRequest, caller: Caller = Depends()):
    await caller.workflows("SignalWorkflowExecution", ws.SignalWorkflowExecutionRequest(
        namespace=namespace, execution=execution(workflow_id, body.run_id), signal_name=body.name, input=payload(body.input), identity=IDENTITY,
    ))
    return {"ok": True}


@router.post("/namespaces/{namespace}/workflows/{workflow_id:path}/cancel", response_model=models.Done, summary="Ask a workflow to cancel")
async def cancel(namespace: str, workflow_id: str, body: models.ReasonRequest, caller: Caller = Depends()):
    await caller.workflows("RequestCancelWorkflowExecution", ws.RequestCancelWorkflowExecutionRequest(
        namespace=namespace, execution=execution(workflow_id, body.run_id), reason=body.reason, identity=IDENTITY,
    ))
    return {"ok": True}


@router.post("/namespaces/{namespace}/workflows/{workflow_id:path}/terminate", response_model=models.Done, summary="Terminate a workflow")
async def terminate(namespace: str, workflow_id: str, body: models.ReasonRequest, caller: Caller = Depends()):
    await caller.workflows("TerminateWorkflowExecution", ws.TerminateWorkflowExecutionRequest(
        namespace=namespace, execution=execution(workflow_id, body.run_id), reason=body.reason or "terminated from the web UI", identity=IDENTITY,
    ))
    return {"ok": True}


async def describe_workflow(caller: Caller, namespace: str, workflow_id: str, run_id: str = "") -> dict:
    """Describe + the run's input (its first event) + its outcome once closed."""
    described = await caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace=namespace, execution=execution(workflow_id, run_id)))
    info = described.info
    run_id = info.execution.run_id
    first_task = _first_event(caller, namespace, workflow_id, run_id)
    outcome_task = None
    if info.status != common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
        outcome_task = caller.workflows("GetWorkflowResult", ws.GetWorkflowResultRequest(namespace=namespace, execution=execution(workflow_id, run_id)))
    first, closed = await asyncio.gather(first_task, outcome_task if outcome_task else asyncio.sleep(0, None))
    started = first.workflow_execution_started if first is not None else None
    return {
        "info": convert.execution_info(info),
        "input": convert.payload_value(started.input) if started is not None else None,
        "sdk_state": convert.payload_value(started.sdk_state) if started is not None and started.HasField("sdk_state") else None,
        "continued_from_run_id": (started.continued_execution_run_id or None) if started is not None else None,
        "outcome": outcome(closed) if closed is not None else None,
        "pending_activities": [pending_activity(a) for a in described.pending_activities],
    }


def pending_activity(a) -> dict:
    return {
        "activity_id": a.activity_id, "activity_type": a.activity_type.name, "scheduled_event_id": int(a.scheduled_event_id),
        "started": a.started, "attempt": a.attempt, "last_worker_identity": a.last_worker_identity or None,
        "last_failure": convert.failure(a.last_failure),
        "heartbeat_details": convert.payload_value(a.heartbeat_details) if a.HasField("heartbeat_details") else None,
        "last_heartbeat_time": convert.timestamp(a.last_heartbeat_time) if a.HasField("last_heartbeat_time") else None,
        "scheduled_time": convert.timestamp(a.scheduled_time) if a.HasField("scheduled_time") else None,
        "started_time": convert.timestamp(a.started_time) if a.HasField("started_time") else None,
    }


router.add_api_route(
    "/namespaces/{namespace}/workflows/{workflow_id:path}/stream", stream, methods=["GET"], response_class=StreamingResponse,
    summary="Follow a workflow: server-sent events (status, progress, recorded, closed)", responses=STREAM_RESPONSES,
)


# Last: the greedy id would otherwise swallow the sub-resources above.
@router.get("/namespaces/{namespace}/workflows/{workflow_id:path}", response_model=models.WorkflowDescription, summary="Describe a workflow run")
async def describe(namespace: str, workflow_id: str, run_id: str = "", caller: Caller = Depends()):
    return await describe_workflow(caller, namespace, workflow_id, run_id)


# ------------------------------------------------------------------ cluster and task queues
@router.get("/cluster", response_model=models.Cluster, summary="Processes and shards (admin key)")
async def cluster(caller: Caller = Depends()):
    described, shards = await asyncio.gather(
        caller.admin("DescribeCluster", admin.DescribeClusterRequest()), caller.admin("ListShards", admin.ListShardsRequest()),
    )
    live = described.membership == "live"
    return {
        "cluster_name": described.cluster_name, "history_shard_count": described.history_shard_count,
        "task_queue_partitions": described.task_queue_partitions,
        "membership": described.membership or "static",
        "members": [
            {"role": m.role, "address": m.address, "name": m.name or None, "shards": list(m.shards),
             **({"live": m.live, "draining": m.draining, "heartbeat_age_seconds": m.heartbeat_age_seconds} if live else {})}
            for m in described.members
        ],
        "shards": [
            {"shard_id": s.shard_id, "owner": s.owner, "range_id": int(s.range_id),
             "lease_remaining_seconds": s.lease_remaining_seconds if live else None, "running_workflows": int(s.running_workflows),
             "closed_workflows": int(s.closed_workflows), "events": int(s.events), "outbox_depth": int(s.outbox_depth),
             "pending_timers": int(s.pending_timers)}
            for s in shards.shards
        ],
    }


@router.get("/namespaces/{namespace}/task-queues", response_model=models.TaskQueues, summary="Task queue names: served by registered workers or used by running workflows")
async def task_queues(namespace: str, caller: Caller = Depends()):
    seen: dict[str, str] = {}
    registered = await caller.workflows("ListWorkflowTypes", schedule_pb2.ListWorkflowTypesRequest(namespace=namespace))
    for entry in registered.workflow_types:
        for name in entry.task_queues:
            seen.setdefault(name, "registered workers")
    running, _ = await listing.list_page(caller.client, caller.api_key, namespace, listing.Filters(status="running"), MAX_PAGE)
    for info in running:
        seen.setdefault(info.task_queue.name, "running workflows")
    return {"task_queues": [{"name": name, "seen_in": where} for name, where in sorted(seen.items())]}


@router.get("/namespaces/{namespace}/task-queues/{name:path}", response_model=models.TaskQueue, summary="A task queue's partitions (admin key)")
async def task_queue(namespace: str, name: str, caller: Caller = Depends()):
    kinds = {}
    for kind, task_type in (("workflow", common_pb2.TASK_TYPE_WORKFLOW), ("activity", common_pb2.TASK_TYPE_ACTIVITY)):
        response = await caller.admin("DescribeTaskQueue", admin.DescribeTaskQueueRequest(
            namespace=namespace, task_queue=common_pb2.TaskQueue(name=name), task_type=task_type,
        ))
        kinds[kind] = {
            "partitions": [
                {"partition": p.partition, "owner": p.owner, "backlog": int(p.backlog), "pollers": p.pollers, "tasks_added": int(p.tasks_added),
                 "tasks_dispatched": int(p.tasks_dispatched), "sync_matched": int(p.sync_matched)}
                for p in response.partitions
            ],
            "recent_poller_identities": list(response.recent_poller_identities),
        }
    return {"name": name, **kinds}


