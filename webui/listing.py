"""Listing and counting workflows with filters: the one module that knows how the cluster
answers them.

Filters: status, workflow type, workflow-id prefix, start-time range. All of them go to the
frontend: ListWorkflowExecutions pages runs newest first with them, CountWorkflowExecutions
counts them grouped by status; each shard answers from its own index, so neither costs more
with more stored runs (DESIGN.md, "Search keys").
"""
from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

from protos import workflow_service_pb2 as ws
from webui import convert
from webui.cluster import ClusterClient


class BadFilter(ValueError):
    """A filter value the API refuses (400), naming the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Filters:
    status: str = ""  # a status name (running, completed, ...) or "" for all
    workflow_type: str = ""
    id_prefix: str = ""
    started_after: datetime.datetime | None = None  # inclusive
    started_before: datetime.datetime | None = None  # exclusive

    def __post_init__(self) -> None:
        if self.status and self.status not in convert.STATUS_VALUES:
            raise BadFilter("status", f"unknown status {self.status!r}; use one of {', '.join(convert.STATUS_VALUES)}")
        for name in ("started_after", "started_before"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                object.__setattr__(self, name, value.replace(tzinfo=datetime.timezone.utc))
        if self.started_after and self.started_before and self.started_after >= self.started_before:
            raise BadFilter("started_before", f"{self.started_before.isoformat()} is not after started_after ({self.started_after.isoformat()}): no run could match")

    def fill(self, request) -> None:
        """Set the filter fields ListWorkflowExecutionsRequest and CountWorkflowExecutionsRequest share."""
        request.status_filter = convert.STATUS_VALUES.get(self.status, 0)
        request.workflow_type_filter = self.workflow_type
        request.workflow_id_prefix = self.id_prefix
        if self.started_after:
            request.start_time_from.FromDatetime(self.started_after)
        if self.started_before:
            request.start_time_to.FromDatetime(self.started_before)


def encode_token(server_token: bytes) -> str:
    return base64.urlsafe_b64encode(server_token).decode() if server_token else ""


def decode_token(token: str) -> bytes:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True) if token else b""
    except ValueError:
        raise BadFilter("page_token", "malformed; pass the next_page_token of the previous page unchanged") from None


async def list_page(client: ClusterClient, api_key: str | None, namespace: str, filters: Filters, page_size: int, page_token: str = ""):
    """One page of runs, newest first: (WorkflowExecutionInfo list, next page token or "")."""
    request = ws.ListWorkflowExecutionsRequest(namespace=namespace, page_size=page_size, next_page_token=decode_token(page_token))
    filters.fill(request)
    response = await client.call("workflows", "ListWorkflowExecutions", request, api_key)
    return list(response.executions), encode_token(response.next_page_token)


async def count(client: ClusterClient, api_key: str | None, namespace: str, filters: Filters) -> dict:
    """{"total": n, "by_status": {status name: n, ...}} for the runs matching `filters`."""
    request = ws.CountWorkflowExecutionsRequest(namespace=namespace, group_by=ws.COUNT_GROUP_BY_STATUS)
    filters.fill(request)
    response = await client.call("workflows", "CountWorkflowExecutions", request, api_key)
    by_status = {name: 0 for name in convert.STATUS_VALUES}
    for group in response.groups:
        by_status[convert.status_name(group.status)] = int(group.count)
    return {"total": int(response.count), "by_status": by_status}
