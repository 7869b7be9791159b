"""The seed system's REST API (Mistral Workflows' `/v1/workflows/...`) over fanflow's cluster.

A router of its own, at the seed's paths, so that code written against the seed's API, such
as its test helpers (`worker_sdk.testing`: `execute_workflow`, `stream_workflow_events`, ...),
runs against `fanflow ui` / `fanflow dev` with only the base URL changed. fanflow's own API
(`webui/api.py`, /api/v1) is separate and unchanged. Every call goes through the same cluster
client and API key as the rest of the server (`Authorization: Bearer KEY`).

    POST /v1/workflows/{name}/execute            start (or run, wait_for_result) a workflow
    GET  /v1/workflows                           the workflow types workers registered
    GET  /v1/workflows/{name}                    one of them
    GET  /v1/workflows/executions                executions, newest first
    GET  /v1/workflows/executions/{id}           status (+ result once completed)
    POST /v1/workflows/executions/{id}/signals   {"name", "input"}
    POST /v1/workflows/executions/{id}/queries   {"name", "input"} (`__get_pending_inputs` too)
    POST /v1/workflows/executions/{id}/updates   {"name", "input"} (`__submit_input` too)
    POST /v1/workflows/executions/{id}/cancel | /terminate
    GET  /v1/workflows/events/stream             SSE of the seed's workflow events
    GET  /v1/workflows/events/list               the same events, as pages

A workflow's `input` is an object spread onto its entrypoint's parameters by name, as in the
seed. Statuses are the seed's upper-case names. Errors answer
`{"code", "message", "detail"}` with the HTTP code of the cluster's gRPC status (404 for an
unknown workflow or execution, 400 for bad input, naming what to fix). The namespace is
`default` unless `?namespace=` says otherwise.
"""
from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from fanflow.timeutil import duration
from protos import common_pb2, schedule_pb2, workflow_service_pb2 as ws
from webui import convert, listing
from webui.api import IDENTITY, payload
from webui.caller import Caller, execution
from webui.cluster import UpstreamError
from webui.errors import HTTP_STATUS
from webui.seed_stream import Reader, envelope, find_execution, follow

PREFIX = "/v1/workflows"
router = APIRouter(prefix=PREFIX, tags=["seed-compatible API"])
EXECUTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # the seed's rule for ids chosen by the caller
UPDATE_WAIT_SECONDS = 20.0  # one UpdateWorkflowExecution call waits at most this long (the server's limit)
UPDATE_DEADLINE_SECONDS = 300.0
QUERY_SECONDS = 20.0
NAMESPACE = Query("default", description="fanflow namespace (the seed has one per workspace)")


class SeedError(Exception):
    """An answer other than 200 from this API."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def seed_error_response(status: int, code: str, message: str) -> JSONResponse:
    # `detail` is where FastAPI-style clients (the seed's) look; code/message as fanflow's API.
    return JSONResponse({"code": code, "message": message, "detail": message}, status_code=status)


def upstream_as_seed(exc: UpstreamError) -> JSONResponse:
    return seed_error_response(HTTP_STATUS.get(exc.code, 500), exc.code.name, exc.message)


# ------------------------------------------------------------------ request bodies (the seed's)
class ExecuteBody(BaseModel):
    execution_id: str | None = Field(None, description="the execution id (default: a new one); letters, digits, - and _")
    input: dict[str, Any] | None = Field(None, description="spread onto the entrypoint's parameters by name")
    task_queue: str | None = Field(None, description="the task queue (the seed's deprecated name of deployment_name)")
    deployment_name: str | None = Field(None, description="the task queue to run on (default: the one its workers serve)")
    wait_for_result: bool = False
    timeout_seconds: float | None = Field(None, gt=0, description="with wait_for_result: how long to wait (default 30 s)")


class InvocationBody(BaseModel):
    name: str = Field(min_length=1, description="the handler's name")
    input: Any = Field(None, description="an object keyed by the handler's parameter names, or the value of a one-parameter handler")


# ------------------------------------------------------------------ workflow types
async def _registered(caller: Caller, namespace: str, names: list[str] | None = None) -> list:
    response = await caller.workflows("ListWorkflowTypes", schedule_pb2.ListWorkflowTypesRequest(namespace=namespace, workflow_types=names or []))
    return list(response.workflow_types)


def _definition(entry) -> dict:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fanflow-workflow-type:{entry.workflow_type}")),  # stable: the seed's ids are UUIDs
        "name": entry.workflow_type, "display_name": entry.workflow_type, "description": None,
        "metadata": {"shared_namespace": None}, "archived": False, "tags": [],
        "task_queues": list(entry.task_queues), "last_registered_time": convert.timestamp(entry.last_registered_time),
    }


async def _workflow_type(caller: Caller, namespace: str, name: str):
    entries = [e for e in await _registered(caller, namespace, [name]) if e.workflow_type == name]
    if not entries or not entries[0].task_queues:
        known = sorted(e.workflow_type for e in await _registered(caller, namespace))
        listed = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "") if known else "none"
        raise SeedError(404, "NOT_FOUND", f"workflow {name!r} is not registered in namespace {namespace!r}: no worker serves it "
                                          f"(start a worker with it; registered workflows: {listed})")
    return entries[0]


@router.get("", summary="The workflow types workers have registered")
async def list_workflows(namespace: str = NAMESPACE, caller: Caller = Depends()):
    return {"workflows": [_definition(e) for e in await _registered(caller, namespace)], "next_cursor": None}


# ------------------------------------------------------------------ executions (static paths before /{name})
def _status(value: int) -> str:
    return convert.status_name(value).upper()


async def _execution_response(caller: Caller, namespace: str, execution_id: str) -> dict:
    described = await caller.workflows("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace=namespace, execution=execution(execution_id)))
    info = described.info
    result = None
    if info.status == common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED:
        closed = await caller.workflows("GetWorkflowResult", ws.GetWorkflowResultRequest(namespace=namespace, execution=execution(execution_id, info.execution.run_id)))
        result = convert.payload_value(closed.result) if closed.HasField("result") else None
    return _execution_row(info, result)


def _execution_row(info, result: Any = None) -> dict:
    start, close = info.start_time.ToNanoseconds(), info.close_time.ToNanoseconds() if info.HasField("close_time") else 0
    parent = info.parent_execution.workflow_id or None
    return {
        "workflow_name": info.type.name, "workflow_id": None, "deployment_name": info.task_queue.name or None,
        "execution_id": info.execution.workflow_id, "parent_execution_id": parent, "root_execution_id": parent or info.execution.workflow_id,
        "run_id": info.execution.run_id, "user_id": None, "status": _status(info.status),
        "start_time": convert.timestamp(info.start_time), "end_time": convert.timestamp(info.close_time) if close else None,
        "total_duration_ms": (close - start) // 1_000_000 if close else None, "result": result,
    }


@router.get("/executions", summary="Executions, newest first")
async def list_executions(
    namespace: str = NAMESPACE, workflow_name: str = "", status: str = Query("", description="RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT or CONTINUED_AS_NEW"),
    page_size: int = Query(50, ge=1, le=1000), next_page_token: str = "", caller: Caller = Depends(),
):
    filters = listing.Filters(status=status.lower(), workflow_type=workflow_name)
    rows, token = await listing.list_page(caller.client, caller.api_key, namespace, filters, page_size, next_page_token)
    return {"executions": [_execution_row(info) for info in rows], "next_page_token": token or None}


@router.get("/executions/{execution_id}", summary="An execution's status (its latest run), with the result once completed")
async def get_execution(execution_id: str, namespace: str = NAMESPACE, caller: Caller = Depends()):
    return await _execution_response(caller, namespace, execution_id)


@router.post("/executions/{execution_id}/signals", summary="Signal an execution")
async def signal(execution_id: str, body: InvocationBody, namespace: str = NAMESPACE, caller: Caller = Depends()):
    await caller.workflows("SignalWorkflowExecution", ws.SignalWorkflowExecutionRequest(
        namespace=namespace, execution=execution(execution_id), signal_name=body.name, input=payload(body.input), identity=IDENTITY,
    ))
    return {"message": "Signal accepted"}


@router.post("/executions/{execution_id}/queries", summary="Query an execution (answered by a worker; nothing is recorded)")
async def query(execution_id: str, body: InvocationBody, namespace: str = NAMESPACE, caller: Caller = Depends()):
    request = ws.QueryWorkflowRequest(
        namespace=namespace, execution=execution(execution_id),
        query=common_pb2.WorkflowQuery(query_type=body.name, query_args=payload(body.input) if body.input is not None else None),
        timeout=duration(QUERY_SECONDS),
    )
    response = await caller.workflows("QueryWorkflow", request, timeout=QUERY_SECONDS + 10)
    return {"query_name": body.name, "result": convert.payload_value(response.query_result)}


@router.post("/executions/{execution_id}/updates", summary="Update an execution and wait for its handler's result")
async def update(execution_id: str, body: InvocationBody, namespace: str = NAMESPACE, caller: Caller = Depends()):
    update_id = str(uuid.uuid4())
    completed = ws.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
    response = await caller.workflows("UpdateWorkflowExecution", ws.UpdateWorkflowExecutionRequest(
        namespace=namespace, execution=execution(execution_id), update_id=update_id, name=body.name,
        input=payload(body.input) if body.input is not None else None, identity=IDENTITY,
        wait_for_stage=completed, wait_timeout=duration(UPDATE_WAIT_SECONDS),
    ), timeout=UPDATE_WAIT_SECONDS + 10)
    run_id, stage, outcome = response.execution.run_id, response.stage, response.outcome
    deadline = asyncio.get_running_loop().time() + UPDATE_DEADLINE_SECONDS
    while stage != completed:
        if asyncio.get_running_loop().time() >= deadline:
            raise SeedError(504, "DEADLINE_EXCEEDED", f"update {body.name!r} of {execution_id!r} (id {update_id}) was accepted but had not finished after {UPDATE_DEADLINE_SECONDS:.0f} s")
        polled = await caller.workflows("PollWorkflowExecutionUpdate", ws.PollWorkflowExecutionUpdateRequest(
            namespace=namespace, execution=execution(execution_id, run_id), update_id=update_id, wait_timeout=duration(UPDATE_WAIT_SECONDS),
        ), timeout=UPDATE_WAIT_SECONDS + 10)
        stage, outcome = polled.stage, polled.outcome
    if outcome.HasField("failure"):
        failure = outcome.failure
        raise SeedError(400, "UPDATE_FAILED", f"update {body.name!r} of {execution_id!r} failed: {failure.type + ': ' if failure.type else ''}{failure.message}")
    return {"update_name": body.name, "result": convert.payload_value(outcome.success)}


@router.post("/executions/{execution_id}/cancel", summary="Ask an execution to cancel (its code may clean up)")
async def cancel(execution_id: str, namespace: str = NAMESPACE, caller: Caller = Depends()):
    await caller.workflows("RequestCancelWorkflowExecution", ws.RequestCancelWorkflowExecutionRequest(
        namespace=namespace, execution=execution(execution_id), reason="canceled through the seed-compatible API", identity=IDENTITY,
    ))
    return {"message": "Cancel requested"}


@router.post("/executions/{execution_id}/terminate", summary="Terminate an execution at once")
async def terminate(execution_id: str, namespace: str = NAMESPACE, caller: Caller = Depends()):
    await caller.workflows("TerminateWorkflowExecution", ws.TerminateWorkflowExecutionRequest(
        namespace=namespace, execution=execution(execution_id), reason="terminated through the seed-compatible API", identity=IDENTITY,
    ))
    return {"message": "Terminated"}


# ------------------------------------------------------------------ events
def _scope(workflow_exec_id: str, root_workflow_exec_id: str) -> tuple[str, bool]:
    """(execution id, with its children): one execution, or a root with its child workflows."""
    one, root = workflow_exec_id not in ("", "*"), root_workflow_exec_id not in ("", "*")
    if one and root:
        raise SeedError(400, "INVALID_ARGUMENT", "pass workflow_exec_id (one execution) or root_workflow_exec_id (it and its child workflows), not both")
    if not one and not root:
        raise SeedError(400, "INVALID_ARGUMENT", "workflow_exec_id or root_workflow_exec_id: one is required (fanflow streams the events of one execution tree)")
    return (root_workflow_exec_id, True) if root else (workflow_exec_id, False)


def _types(workflow_event_types: list[str] | None) -> set[str] | None:
    from fanflow.seed_events import WorkflowEventType

    if not workflow_event_types:
        return None
    known = {t.value for t in WorkflowEventType}
    unknown = sorted(set(workflow_event_types) - known)
    if unknown:
        raise SeedError(400, "INVALID_ARGUMENT", f"workflow_event_types: unknown {unknown}; e.g. ACTIVITY_TASK_COMPLETED, WORKFLOW_EXECUTION_COMPLETED")
    return set(workflow_event_types)


@router.get("/events/stream", response_class=StreamingResponse, summary="Server-sent events: an execution's workflow events, until it closes",
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}})
async def stream_events(
    workflow_exec_id: str = "", root_workflow_exec_id: str = "",
    start_seq: int = Query(0, ge=0, description="the broker_sequence to start at (the last one received + 1 to resume)"),
    workflow_event_types: list[str] | None = Query(None), namespace: str = NAMESPACE, caller: Caller = Depends(),
):
    execution_id, with_children = _scope(workflow_exec_id, root_workflow_exec_id)
    types = _types(workflow_event_types)
    ex = await find_execution(caller, namespace, execution_id)  # unknown: 404 before the stream
    return StreamingResponse(follow(caller, ex, start_seq, types, with_children), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/events/list", summary="An execution's workflow events so far, oldest first, in pages")
async def list_events(
    workflow_exec_id: str = "", root_workflow_exec_id: str = "", limit: int = Query(100, ge=1, le=1000),
    cursor: str = Query("", description="next_cursor of the previous page"), workflow_event_types: list[str] | None = Query(None),
    namespace: str = NAMESPACE, caller: Caller = Depends(),
):
    if cursor and not cursor.isdigit():
        raise SeedError(400, "INVALID_ARGUMENT", "cursor: malformed; pass next_cursor of the previous page unchanged")
    types = _types(workflow_event_types)
    execution_id, with_children = _scope(workflow_exec_id, root_workflow_exec_id)
    ex = await find_execution(caller, namespace, execution_id)
    start = int(cursor or 0)
    events = [e for e in await Reader(caller, ex, with_children).read() if not types or e["event_type"] in types]
    page = events[start:start + limit]
    return {"events": page, "next_cursor": str(start + limit) if start + limit < len(events) else None}


# ------------------------------------------------------------------ one workflow type (last: /{name} would match the paths above)
@router.get("/{workflow_name}", summary="A registered workflow type")
async def get_workflow(workflow_name: str, namespace: str = NAMESPACE, caller: Caller = Depends()):
    entry = await _workflow_type(caller, namespace, workflow_name)
    return {"workflow": {**_definition(entry), "active": True}}


@router.post("/{workflow_name}/execute", summary="Start a workflow (or run it and wait, with wait_for_result)")
async def execute(workflow_name: str, body: ExecuteBody, namespace: str = NAMESPACE, caller: Caller = Depends()):
    if body.execution_id is not None and not EXECUTION_ID.match(body.execution_id):
        raise SeedError(400, "INVALID_ARGUMENT", f"execution_id {body.execution_id!r}: use 1 to 256 letters, digits, '-' and '_'")
    entry = await _workflow_type(caller, namespace, workflow_name)
    task_queue = body.deployment_name or body.task_queue
    served = list(entry.task_queues)
    if task_queue is None:
        if len(served) != 1:
            raise SeedError(400, "INVALID_ARGUMENT", f"task_queue: workflow {workflow_name!r} is served on several task queues {served}; pass one of them")
        task_queue = served[0]
    elif task_queue not in served:
        raise SeedError(400, "INVALID_ARGUMENT", f"task_queue {task_queue!r}: no worker serves workflow {workflow_name!r} there; "
                                                 f"its workers serve {served} (pass one of them, or start a worker on {task_queue!r})")
    execution_id = body.execution_id or uuid.uuid4().hex
    started = await caller.workflows("StartWorkflowExecution", ws.StartWorkflowExecutionRequest(
        namespace=namespace, workflow_id=execution_id, workflow_type=common_pb2.WorkflowType(name=workflow_name),
        task_queue=common_pb2.TaskQueue(name=task_queue), input=payload(body.input if body.input is not None else {}),
        identity=IDENTITY, request_id=str(uuid.uuid4()),
    ))
    if not body.wait_for_result:
        return await _execution_response(caller, namespace, execution_id)
    wait = body.timeout_seconds or 30.0
    request = ws.GetWorkflowResultRequest(namespace=namespace, execution=execution(execution_id), follow_runs=True)
    request.wait_timeout.FromNanoseconds(int(wait * 1e9))
    try:
        closed = await caller.workflows("GetWorkflowResult", request, timeout=wait + 30)
    except UpstreamError as exc:
        if exc.code != grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
        closed = None
    if closed is None or closed.status == common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
        raise SeedError(408, "DEADLINE_EXCEEDED", f"execution {execution_id!r} (run {started.run_id}) was started but had not finished after {wait:g} s; "
                                                  f"read it later at {PREFIX}/executions/{execution_id}")
    if closed.status != common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED:
        why = closed.failure.message or closed.termination_reason or ""
        raise SeedError(409, _status(closed.status), f"execution {execution_id!r} ended {_status(closed.status)}" + (f": {why}" if why else ""))
    return {"workflow_name": workflow_name, "execution_id": execution_id, "result": convert.payload_value(closed.result) if closed.HasField("result") else None}
