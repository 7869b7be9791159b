"""Listing and counting workflows from the client (search keys): ``Client.list_workflows``,
``list_workflows_page`` and ``count_workflows`` (``ListingClient``, mixed into ``Client``), and
the parsing of filters as people type them (also used by ``fanflow workflow list|count``).

Filters (every one given must hold): ``status`` (a name such as ``"running"`` or the enum
value), ``workflow_type``, ``since`` / ``until`` (start time: a datetime, an ISO 8601 string, or
a duration ago such as ``"2h"``; ``since`` inclusive, ``until`` exclusive), ``workflow_id_prefix``,
``display_name`` (the definition's ``workflow_display_name``), and ``search_keys``
(``{"key": value}``, equality; several keys: all of them; values coerced as
``add_search_keys`` stores them, ``None`` matching a key present without a value). Runs come
newest first, across all shards. A filter that cannot be understood raises ``ValueError`` (or
``TypeError``) naming it, before anything is sent.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from google.protobuf import timestamp_pb2

from fanflow import search_keys as rules
from protos import common_pb2, workflow_service_pb2 as ws

from .search_keys import coerce_value

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = [
    "ListingClient",
    "WorkflowListPage",
    "WorkflowExecutionCount",
    "parse_status",
    "parse_time",
    "parse_search_key",
    "status_name",
    "STATUS_NAMES",
]

_STATUS_PREFIX = "WORKFLOW_EXECUTION_STATUS_"
#: "running", "completed", ... by enum value (UNSPECIFIED left out).
STATUS_NAMES = {
    v.number: v.name.removeprefix(_STATUS_PREFIX).lower() for v in common_pb2.WorkflowExecutionStatus.DESCRIPTOR.values if v.number
}
_GROUP_BY = {None: ws.COUNT_GROUP_BY_UNSPECIFIED, "status": ws.COUNT_GROUP_BY_STATUS, "workflow_type": ws.COUNT_GROUP_BY_WORKFLOW_TYPE, "type": ws.COUNT_GROUP_BY_WORKFLOW_TYPE}
_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$")
_AGO_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status, str(status))


def parse_status(value: Any, option: str = "status") -> int:
    """A status by name (any case, ``-`` or ``_``, with or without the enum's prefix) or by
    enum value; 0 / None / "" = any."""
    if value is None or value == "" or value == 0:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{option} must be a status name such as 'running' or a WorkflowExecutionStatus value, got {type(value).__name__}")
    if isinstance(value, int):
        if value not in STATUS_NAMES:
            raise ValueError(f"{option}={value} is not a workflow status; use one of {', '.join(STATUS_NAMES.values())}")
        return value
    name = value.strip().upper().replace("-", "_").removeprefix(_STATUS_PREFIX)
    name = {"CANCELLED": "CANCELED", "CONTINUED": "CONTINUED_AS_NEW", "TIMEOUT": "TIMED_OUT"}.get(name, name)
    for number, known in STATUS_NAMES.items():
        if known.upper() == name:
            return number
    raise ValueError(f"{option}: {value!r} is not a workflow status; use one of {', '.join(STATUS_NAMES.values())}")


def parse_time(value: Any, option: str, *, now: datetime.datetime | None = None) -> timestamp_pb2.Timestamp:
    """A datetime (naive: UTC), a date (its midnight, UTC), an ISO 8601 string, or a duration
    ago ("30m", "2h", "7d")."""
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        ago = _AGO.match(text)
        if ago:
            now = now or datetime.datetime.now(datetime.timezone.utc)
            moment = now - datetime.timedelta(seconds=float(ago.group(1)) * _AGO_UNITS[ago.group(2)])
        else:
            try:
                moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                raise ValueError(
                    f"{option}: {value!r} is not a time; give ISO 8601 (e.g. 2026-05-01T09:00:00Z; no zone = UTC) "
                    "or a duration ago (e.g. 30m, 2h, 7d)"
                ) from None
            if not moment.tzinfo:
                moment = moment.replace(tzinfo=datetime.timezone.utc)
    else:
        raise TypeError(f"{option} must be a datetime, a date or a string, got {type(value).__name__}")
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(moment.astimezone(datetime.timezone.utc))
    return ts


def parse_search_key(text: str, option: str = "--search") -> tuple[str, str]:
    """``key=value`` (split at the first ``=``; a key cannot end with ``=``)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"{option} {text!r}: give KEY=VALUE, e.g. {option} customer.tier=gold")
    problems = rules.key_problems(key, allow_reserved=True)
    if problems:
        raise ValueError(f"{option} {text!r}: {'; '.join(problems)}")
    return key, value


def _search_key_filters(search_keys: Any) -> list[common_pb2.SearchKey]:
    if search_keys is None:
        return []
    if not isinstance(search_keys, Mapping):
        raise TypeError(f"search_keys must be a mapping of key to value, got {type(search_keys).__name__}")
    if len(search_keys) > rules.MAX_SEARCH_KEYS:
        raise ValueError(f"search_keys: at most {rules.MAX_SEARCH_KEYS} keys, got {len(search_keys)}")
    out = []
    for key, value in search_keys.items():
        problems = rules.key_problems(key, allow_reserved=True)
        if problems:
            raise ValueError(f"search_keys: {'; '.join(problems)}")
        if isinstance(value, (Mapping, list, tuple, set, frozenset)):
            raise ValueError(f"search_keys: the value of {key!r} must be a scalar, got {type(value).__name__}")
        coerced = coerce_value(key, value)
        out.append(common_pb2.SearchKey(key=key, unset=True) if coerced is None else common_pb2.SearchKey(key=key, value=coerced))
    return out


def apply_filters(
    request: ws.ListWorkflowExecutionsRequest | ws.CountWorkflowExecutionsRequest,
    *,
    status: Any = None,
    workflow_type: str | None = None,
    since: Any = None,
    until: Any = None,
    workflow_id_prefix: str | None = None,
    display_name: str | None = None,
    search_keys: Mapping[str, Any] | None = None,
) -> None:
    """Fill a list or count request's filters (checked here first)."""
    request.status_filter = parse_status(status)
    for option, value in (("workflow_type", workflow_type), ("workflow_id_prefix", workflow_id_prefix), ("display_name", display_name)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{option} must be a string, got {type(value).__name__}")
    request.workflow_type_filter = workflow_type or ""
    request.workflow_id_prefix = workflow_id_prefix or ""
    request.display_name_filter = display_name or ""
    if since is not None:
        request.start_time_from.CopyFrom(parse_time(since, "since"))
    if until is not None:
        request.start_time_to.CopyFrom(parse_time(until, "until"))
    if since is not None and until is not None and request.start_time_from.ToNanoseconds() >= request.start_time_to.ToNanoseconds():
        raise ValueError(f"since ({request.start_time_from.ToJsonString()}) must be before until ({request.start_time_to.ToJsonString()})")
    request.search_key_filters.extend(_search_key_filters(search_keys))


@dataclasses.dataclass(frozen=True)
class WorkflowListPage:
    executions: list[ws.WorkflowExecutionInfo]
    next_page_token: bytes  # b"": the last page


@dataclasses.dataclass(frozen=True)
class WorkflowExecutionCount:
    """``count``: every matching run; ``groups``: runs per status name or workflow type (with
    ``group_by``), largest first."""

    count: int
    groups: dict[str, int] = dataclasses.field(default_factory=dict)


class ListingClient:
    """``Client``'s listing and counting (see the module docstring)."""

    async def list_workflows_page(
        self: "Client", *, page_size: int = 100, next_page_token: bytes = b"", **filters: Any
    ) -> WorkflowListPage:
        """One page of matching runs, newest first; pass ``next_page_token`` back for the next."""
        if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 1000:
            raise ValueError(f"page_size must be between 1 and 1,000, got {page_size!r}")
        request = ws.ListWorkflowExecutionsRequest(namespace=self.namespace, page_size=page_size, next_page_token=next_page_token)
        apply_filters(request, **filters)
        response = await self.call("ListWorkflowExecutions", request)
        return WorkflowListPage(list(response.executions), response.next_page_token)

    async def list_workflows(self: "Client", page_size: int = 100, status: Any = None, *, limit: int | None = None, **filters: Any) -> list[ws.WorkflowExecutionInfo]:
        """Every matching run (at most ``limit``), newest first, read ``page_size`` at a time."""
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative number of runs, got {limit!r}")
        out: list[ws.WorkflowExecutionInfo] = []
        token = b""
        while limit is None or len(out) < limit:
            size = page_size if limit is None else max(1, min(page_size, limit - len(out)))
            page = await self.list_workflows_page(page_size=size, next_page_token=token, status=status, **filters)
            out.extend(page.executions)
            token = page.next_page_token
            if not token:
                break
        return out if limit is None else out[:limit]

    async def count_workflows(self: "Client", *, group_by: str | None = None, **filters: Any) -> WorkflowExecutionCount:
        """How many runs match, counted by the cluster without loading them; ``group_by``
        ``"status"`` or ``"workflow_type"`` counts per group too."""
        if group_by not in _GROUP_BY:
            raise ValueError(f"group_by must be None, 'status' or 'workflow_type', got {group_by!r}")
        request = ws.CountWorkflowExecutionsRequest(namespace=self.namespace, group_by=_GROUP_BY[group_by])
        apply_filters(request, **filters)
        response = await self.call("CountWorkflowExecutions", request)
        return WorkflowExecutionCount(response.count, {g.value: g.count for g in response.groups})
