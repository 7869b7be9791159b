"""What every endpoint needs: the caller's cluster client and API key, and small helpers."""
from __future__ import annotations

import time

import grpc
from fastapi import Request

from protos import admin_service_pb2, common_pb2
from webui import convert
from webui.cluster import ClusterClient, UpstreamError
from webui.security import SESSION_COOKIE, bearer_key


class Caller:
    """The request's cluster client and API key."""

    def __init__(self, request: Request):
        state = request.app.state
        self.client: ClusterClient = state.cluster
        session = state.sessions.get(request.cookies.get(SESSION_COOKIE))
        self.api_key = bearer_key(request.headers) or (session.api_key if session else None)

    async def workflows(self, method: str, request, *, timeout: float = 30.0):
        return await self.client.call("workflows", method, request, self.api_key, timeout=timeout)

    async def admin(self, method: str, request):
        return await self.client.call("admin", method, request, self.api_key)


def execution(workflow_id: str, run_id: str = "") -> common_pb2.WorkflowExecution:
    return common_pb2.WorkflowExecution(workflow_id=workflow_id, run_id=run_id)


def outcome(response) -> dict:
    return {
        "status": convert.status_name(response.status),
        "run_id": response.execution.run_id,
        "result": convert.payload_value(response.result) if response.HasField("result") else None,
        "failure": convert.failure(response.failure),
        "termination_reason": response.termination_reason or None,
    }


_auth_probe: dict[str, tuple[float, bool]] = {}


async def auth_is_on(caller: Caller) -> bool:
    """Whether the cluster asks for API keys (an anonymous call is refused); kept for 10 s."""
    cached = _auth_probe.get(caller.client.address)
    if cached and time.monotonic() - cached[0] < 10:
        return cached[1]
    try:
        await caller.client.call("admin", "ListNamespaces", admin_service_pb2.ListNamespacesRequest(), None)
        on = False
    except UpstreamError as exc:
        on = exc.code == grpc.StatusCode.UNAUTHENTICATED
    _auth_probe[caller.client.address] = (time.monotonic(), on)
    return on
