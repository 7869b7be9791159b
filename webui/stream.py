"""The server-sent-events stream of one workflow: `GET .../workflows/{id}/stream`.

The server follows the run so the caller does not poll: every `interval` seconds (longer
when reads are slow: READ_SHARE) it reads the workflow's progress and sends what changed, as
SSE events with JSON data:

- `status`   {"status", "current_run_id", "runs"}: first, and when the status or the current
             run changes (a continue-as-new is a new current run);
- `progress` {"executors": [...], "at"}: each executor's total / done / failed / in flight /
             rate / ETA, when any of it changed;
- `recorded` a recorded event (`workflows.record_event`), oldest first, each once;
- `closed`   {"status", "run_id", "result", "failure", ...}: the outcome; the stream ends.

An unknown workflow or a refused key is answered before the stream starts, as JSON with its
HTTP code. A comment line every 15 s keeps idle proxies from closing the connection.
"""
from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from protos import workflow_service_pb2 as ws
from webui import convert
from webui.caller import Caller, execution, outcome
from webui.cluster import UpstreamError

KEEPALIVE_SECONDS = 15.0
# A watcher waits at least this many times as long as its last progress read took, so a run
# whose reads are slow (a million results counted, a loaded cluster) is read less often.
READ_SHARE = 4.0
MAX_WAIT_SECONDS = 10.0


def sse(event: str, data) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


STREAM_RESPONSES = {200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "an SSE stream"}}


async def stream(namespace: str, workflow_id: str, interval: float = Query(1.0, ge=0.1, le=30.0), caller: Caller = Depends()):
    request = ws.GetWorkflowProgressRequest(namespace=namespace, workflow_id=workflow_id, max_events=100)
    first = await caller.workflows("GetWorkflowProgress", request)  # errors answer before the stream starts
    return StreamingResponse(
        _follow(caller, namespace, workflow_id, request, first, interval),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _follow(caller: Caller, namespace: str, workflow_id: str, request, response, interval: float) -> AsyncIterator[bytes]:
    try:
        async for chunk in _changes(caller, namespace, workflow_id, request, response, interval):
            yield chunk
    except UpstreamError as exc:  # the cluster went away or the key was revoked mid-stream
        yield sse("error", {"code": exc.code.name, "message": exc.message})


async def _changes(caller: Caller, namespace: str, workflow_id: str, request, response, interval: float) -> AsyncIterator[bytes]:
    last_status = last_executors = None
    seen_events: set[tuple] = set()
    quiet_since = asyncio.get_running_loop().time()
    read_seconds = 0.0  # how long the last progress read took
    while True:
        view = convert.progress(response)
        status = {"status": view["status"], "current_run_id": view["current_run_id"], "runs": view["runs"]}
        if status != last_status:
            last_status = status
            yield sse("status", status)
        if view["executors"] != last_executors:
            last_executors = view["executors"]
            yield sse("progress", {"executors": view["executors"], "at": datetime.datetime.now(datetime.timezone.utc).isoformat()})
        for event in reversed(view["events"]):  # the API gives newest first
            key = (event["time"], event["name"], event["run_id"], json.dumps(event["details"], sort_keys=True))
            if key not in seen_events:
                seen_events.add(key)
                yield sse("recorded", event)
        if view["status"] != "running":
            closed = await caller.workflows("GetWorkflowResult", ws.GetWorkflowResultRequest(namespace=namespace, execution=execution(workflow_id)))
            yield sse("closed", outcome(closed))
            return
        await asyncio.sleep(max(interval, min(READ_SHARE * read_seconds, MAX_WAIT_SECONDS)))
        now = asyncio.get_running_loop().time()
        if now - quiet_since >= KEEPALIVE_SECONDS:
            quiet_since = now
            yield b": keep-alive\n\n"
        response = await caller.workflows("GetWorkflowProgress", request)
        read_seconds = asyncio.get_running_loop().time() - now
