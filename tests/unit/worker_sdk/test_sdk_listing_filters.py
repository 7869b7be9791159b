"""The client's filters as people give them (worker_sdk/listing.py, also behind `fanflow
workflow list|count`): status names, times (ISO 8601 or a duration ago), KEY=VALUE; anything
that cannot be understood is a ValueError / TypeError naming the option, before a call."""
from __future__ import annotations

import datetime
import enum

import pytest

from protos import common_pb2 as C
from protos import workflow_service_pb2 as ws
from worker_sdk.listing import apply_filters, parse_search_key, parse_status, parse_time

UTC = datetime.timezone.utc


def test_statuses_by_name_in_any_spelling_or_by_value():
    assert parse_status("running") == parse_status("RUNNING") == parse_status("WORKFLOW_EXECUTION_STATUS_RUNNING") == C.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert parse_status("continued-as-new") == C.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
    assert parse_status("cancelled") == C.WORKFLOW_EXECUTION_STATUS_CANCELED
    assert parse_status(C.WORKFLOW_EXECUTION_STATUS_FAILED) == C.WORKFLOW_EXECUTION_STATUS_FAILED
    assert parse_status(None) == parse_status("") == 0
    with pytest.raises(ValueError, match="'runing' is not a workflow status; use one of running, completed, failed"):
        parse_status("runing")
    with pytest.raises(ValueError, match="status=99 is not a workflow status"):
        parse_status(99)
    with pytest.raises(TypeError, match="status must be a status name"):
        parse_status(1.5)


def test_times_as_datetimes_iso_strings_or_durations_ago():
    now = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_time("2026-05-01T09:00:00Z", "since").ToDatetime(UTC) == datetime.datetime(2026, 5, 1, 9, tzinfo=UTC)
    assert parse_time("2026-05-01T09:00:00+02:00", "since").ToDatetime(UTC) == datetime.datetime(2026, 5, 1, 7, tzinfo=UTC)
    assert parse_time("2026-05-01", "since").ToDatetime(UTC) == datetime.datetime(2026, 5, 1, tzinfo=UTC)  # no zone: UTC
    assert parse_time("90m", "since", now=now).ToDatetime(UTC) == datetime.datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
    assert parse_time("7d", "since", now=now).ToDatetime(UTC) == datetime.datetime(2026, 4, 24, 12, tzinfo=UTC)
    assert parse_time(datetime.datetime(2026, 1, 1), "until").ToDatetime(UTC) == datetime.datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_time(datetime.date(2026, 1, 2), "until").ToDatetime(UTC) == datetime.datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="since: 'yesterday' is not a time; give ISO 8601"):
        parse_time("yesterday", "since")
    with pytest.raises(ValueError, match="until: '2026-13-01' is not a time"):
        parse_time("2026-13-01", "until")
    with pytest.raises(TypeError, match="since must be a datetime, a date or a string, got int"):
        parse_time(12, "since")


def test_search_keys_as_key_equals_value():
    assert parse_search_key("customer.tier=gold") == ("customer.tier", "gold")
    assert parse_search_key("expr=a=b") == ("expr", "a=b")  # split at the first '='
    assert parse_search_key("note=") == ("note", "")
    with pytest.raises(ValueError, match="give KEY=VALUE"):
        parse_search_key("tier")
    with pytest.raises(ValueError, match="must not contain ':'"):
        parse_search_key("a:b=c")


class Tier(enum.Enum):
    GOLD = "gold"


def test_filters_fill_the_request_and_bad_ones_name_themselves():
    request = ws.CountWorkflowExecutionsRequest()
    apply_filters(request, status="failed", workflow_type="t", since="2026-01-01T00:00:00Z", until="2026-02-01T00:00:00Z",
                  workflow_id_prefix="order-", display_name="Orders", search_keys={"tier": Tier.GOLD, "vip": True, "note": None})
    assert request.status_filter == C.WORKFLOW_EXECUTION_STATUS_FAILED and request.workflow_type_filter == "t"
    assert request.start_time_from.ToJsonString() == "2026-01-01T00:00:00Z" and request.start_time_to.ToJsonString() == "2026-02-01T00:00:00Z"
    assert [(k.key, k.value, k.unset) for k in request.search_key_filters] == [("tier", "gold", False), ("vip", "true", False), ("note", "", True)]
    with pytest.raises(ValueError, match="since .* must be before until"):
        apply_filters(ws.ListWorkflowExecutionsRequest(), since="2026-02-01", until="2026-01-01")
    with pytest.raises(ValueError, match="search_keys: .*padded with whitespace"):
        apply_filters(ws.ListWorkflowExecutionsRequest(), search_keys={" x": "1"})
    with pytest.raises(ValueError, match="the value of 'tags' must be a scalar"):
        apply_filters(ws.ListWorkflowExecutionsRequest(), search_keys={"tags": ["a"]})
    with pytest.raises(TypeError, match="workflow_id_prefix must be a string"):
        apply_filters(ws.ListWorkflowExecutionsRequest(), workflow_id_prefix=3)
