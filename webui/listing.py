"""Listing and counting workflows with filters: the one module that knows how the cluster
answers them.

Filters: status, workflow type, workflow-id prefix, start-time range. When the frontend's
ListWorkflowExecutions takes them all and CountWorkflowExecutions exists (the search-keys
work), both go to the server. Until then status and type go to the server and the prefix and
time range are applied here, over pages read newest first (the time range stops the scan
early: runs come newest first); counts are then tallied from those pages and kept for a few
seconds, so a page that shows counts next to a list does not read everything twice.
"""
from __future__ import annotations

import base64
import datetime
import json
import time
from dataclasses import dataclass

from protos import workflow_service_pb2 as ws
from webui import convert
from webui.cluster import ClusterClient

SCAN_PAGE = 1000  # runs per server page while filtering here (the frontend's maximum)
MAX_SCAN_PAGES = 20  # a list page reads at most this many server pages, then returns what it found
COUNT_CACHE_SECONDS = 3.0

SERVER_FILTERS = "workflow_id_prefix" in ws.ListWorkflowExecutionsRequest.DESCRIPTOR.fields_by_name and hasattr(ws, "CountWorkflowExecutionsRequest")


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

    @property
    def filters_here(self) -> bool:
        return not SERVER_FILTERS and bool(self.id_prefix or self.started_after or self.started_before)

    def key(self) -> tuple:
        return (self.status, self.workflow_type, self.id_prefix, self.started_after, self.started_before)

    def matches(self, info) -> bool:
        if self.id_prefix and not info.execution.workflow_id.startswith(self.id_prefix):
            return False
        started = info.start_time.ToDatetime(tzinfo=datetime.timezone.utc)
        if self.started_after and started < self.started_after:
            return False
        if self.started_before and started >= self.started_before:
            return False
        return True

    def older_than_range(self, info) -> bool:
        """Runs come newest first: once one started before the range, so do all after it."""
        return self.started_after is not None and info.start_time.ToDatetime(tzinfo=datetime.timezone.utc) < self.started_after

    def request(self, namespace: str, page_size: int, token: bytes = b""):
        request = ws.ListWorkflowExecutionsRequest(
            namespace=namespace, page_size=page_size, next_page_token=token,
            status_filter=convert.STATUS_VALUES.get(self.status, 0), workflow_type_filter=self.workflow_type,
        )
        if SERVER_FILTERS:
            _server_side(request, self)
        return request


def _server_side(request, filters: Filters) -> None:
    request.workflow_id_prefix = filters.id_prefix
    if filters.started_after:
        request.start_time_from.FromDatetime(filters.started_after)
    if filters.started_before:
        request.start_time_to.FromDatetime(filters.started_before)


def encode_token(server_token: bytes, skip: int) -> str:
    body = json.dumps({"t": base64.b64encode(server_token).decode(), "s": skip}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode()


def decode_token(token: str) -> tuple[bytes, int]:
    if not token:
        return b"", 0
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        return base64.b64decode(body["t"]), int(body["s"])
    except (ValueError, KeyError, TypeError):
        raise BadFilter("page_token", "malformed; pass the next_page_token of the previous page unchanged") from None


async def list_page(client: ClusterClient, api_key: str | None, namespace: str, filters: Filters, page_size: int, page_token: str = ""):
    """One page of runs, newest first: (WorkflowExecutionInfo list, next page token or "")."""
    server_token, skip = decode_token(page_token)
    if not filters.filters_here:
        response = await client.call("workflows", "ListWorkflowExecutions", filters.request(namespace, page_size, server_token), api_key)
        rows = list(response.executions)[skip:]
        return rows, encode_token(response.next_page_token, 0) if response.next_page_token else ""
    found = []
    for _ in range(MAX_SCAN_PAGES):
        response = await client.call("workflows", "ListWorkflowExecutions", filters.request(namespace, SCAN_PAGE, server_token), api_key)
        executions = list(response.executions)
        for i in range(skip, len(executions)):
            info = executions[i]
            if filters.older_than_range(info):
                return found, ""
            if filters.matches(info):
                found.append(info)
                if len(found) == page_size:
                    more = i + 1 < len(executions) or bool(response.next_page_token)
                    return found, encode_token(server_token, i + 1) if more else ""
        if not response.next_page_token:
            return found, ""
        server_token, skip = response.next_page_token, 0
    return found, encode_token(server_token, 0)  # scanned enough for one request: the caller may go on


_count_cache: dict[tuple, tuple[float, dict]] = {}


async def count(client: ClusterClient, api_key: str | None, namespace: str, filters: Filters) -> dict:
    """{"total": n, "by_status": {status name: n, ...}} for the runs matching `filters`."""
    if SERVER_FILTERS:
        return await _count_on_server(client, api_key, namespace, filters)
    cache_key = (api_key, namespace, filters.key())
    cached = _count_cache.get(cache_key)
    if cached and time.monotonic() - cached[0] < COUNT_CACHE_SECONDS:
        return cached[1]
    by_status = {name: 0 for name in convert.STATUS_VALUES}
    token = b""
    while True:
        response = await client.call("workflows", "ListWorkflowExecutions", filters.request(namespace, SCAN_PAGE, token), api_key)
        stop = False
        for info in response.executions:
            if filters.older_than_range(info):
                stop = True
                break
            if filters.matches(info):
                by_status[convert.status_name(info.status)] += 1
        if stop or not response.next_page_token:
            break
        token = response.next_page_token
    result = {"total": sum(by_status.values()), "by_status": by_status}
    if len(_count_cache) > 1000:
        _count_cache.clear()
    _count_cache[cache_key] = (time.monotonic(), result)
    return result


async def _count_on_server(client: ClusterClient, api_key: str | None, namespace: str, filters: Filters) -> dict:
    request = ws.CountWorkflowExecutionsRequest(
        namespace=namespace, status_filter=convert.STATUS_VALUES.get(filters.status, 0), workflow_type_filter=filters.workflow_type,
        group_by=ws.COUNT_GROUP_BY_STATUS,
    )
    _server_side(request, filters)
    response = await client.call("workflows", "CountWorkflowExecutions", request, api_key)
    by_status = {name: 0 for name in convert.STATUS_VALUES}
    for group in response.groups:
        by_status[convert.status_name(group.status)] = int(group.count)
    return {"total": int(response.count), "by_status": by_status}
