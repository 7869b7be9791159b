"""The frontend's checks of the search-key calls (frontend/validation.py) and the merge of the
shards' counts (frontend/listing.py): every bad filter is INVALID_ARGUMENT naming the field and
what to give instead; a page token is good only for the filters it came from."""
from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2

from fanflow.errors import InvalidArgument
from frontend import listing
from frontend import validation as v
from protos import common_pb2 as C
from protos import workflow_service_pb2 as ws

NS = "default"


def _ts(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def _rejects(check, request, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        check(request)


@pytest.mark.parametrize("make", [ws.ListWorkflowExecutionsRequest, ws.CountWorkflowExecutionsRequest])
def test_list_and_count_refuse_bad_filters_naming_them(make):
    check = v.validate_list_workflows if make is ws.ListWorkflowExecutionsRequest else v.validate_count_workflows
    check(make(namespace=NS, status_filter=C.WORKFLOW_EXECUTION_STATUS_RUNNING, start_time_from=_ts(10), start_time_to=_ts(20),
               workflow_id_prefix="order-", display_name_filter="Orders", search_key_filters=[C.SearchKey(key="internal.execution.state", value="waiting_for_input")]))
    _rejects(check, make(namespace=NS, status_filter=42), "status_filter has unknown value 42; use one of WORKFLOW_EXECUTION_STATUS_RUNNING")
    _rejects(check, make(namespace=NS, start_time_from=_ts(10, 1_000_000_000)), r"start_time_from is not a valid time \(10s 1000000000ns\)")
    _rejects(check, make(namespace=NS, start_time_to=_ts(253_402_300_800)), "start_time_to is not a valid time")
    _rejects(check, make(namespace=NS, start_time_from=_ts(20), start_time_to=_ts(20)), "start_time_from .* must be before start_time_to")
    _rejects(check, make(namespace=NS, workflow_id_prefix="w" * 1001), "workflow_id_prefix is 1,001 characters long")
    _rejects(check, make(namespace=NS, search_key_filters=[C.SearchKey(key="a:b", value="x")]), r"search_key_filters\[0\]: search key 'a:b' must not contain ':'")
    _rejects(check, make(namespace=NS, search_key_filters=[C.SearchKey(key="k", value="x"), C.SearchKey(key="k", value="y")]), "'k' is given twice")
    _rejects(check, make(namespace=NS, search_key_filters=[C.SearchKey(key="k", value="x", unset=True)]), "is unset but has a value")
    _rejects(check, make(namespace=NS, search_key_filters=[C.SearchKey(key=f"k{i}") for i in range(21)]), "has 21 keys; at most 20")


def test_count_refuses_an_unknown_grouping():
    _rejects(v.validate_count_workflows, ws.CountWorkflowExecutionsRequest(namespace=NS, group_by=9), "group_by has unknown value 9")


def test_a_start_refuses_bad_search_keys_and_the_sdks_prefix():
    def start(*keys: C.SearchKey) -> ws.StartWorkflowExecutionRequest:
        return ws.StartWorkflowExecutionRequest(namespace=NS, workflow_id="w", workflow_type=C.WorkflowType(name="t"),
                                                task_queue=C.TaskQueue(name="q"), search_keys=keys)

    v.validate_start_workflow(start(C.SearchKey(key="order_id", value="A1"), C.SearchKey(key="note", unset=True)))
    _rejects(v.validate_start_workflow, start(C.SearchKey(key="internal.x", value="1")), "must not start with 'internal.'")
    _rejects(v.validate_start_workflow, start(C.SearchKey(key="big", value="v" * 8193)), "8,193 characters long; at most 8,192")


def test_update_search_keys_takes_keys_to_set_or_to_remove():
    execution = C.WorkflowExecution(workflow_id="w")
    v.validate_update_search_keys(ws.UpdateWorkflowSearchKeysRequest(namespace=NS, execution=execution, upsert=[C.SearchKey(key="tier", value="gold")]))
    v.validate_update_search_keys(ws.UpdateWorkflowSearchKeysRequest(namespace=NS, execution=execution, delete_keys=["tier"]))
    _rejects(v.validate_update_search_keys, ws.UpdateWorkflowSearchKeysRequest(namespace=NS, execution=execution), "one of the two")
    _rejects(v.validate_update_search_keys, ws.UpdateWorkflowSearchKeysRequest(namespace=NS, execution=execution, upsert=[C.SearchKey(key="a")], delete_keys=["b"]), "one of the two")
    _rejects(v.validate_update_search_keys, ws.UpdateWorkflowSearchKeysRequest(namespace=NS, execution=execution, delete_keys=["x="]), r"delete_keys\[0\]: .* must not end with '='")
    _rejects(v.validate_update_search_keys, ws.UpdateWorkflowSearchKeysRequest(namespace=NS, execution=execution, upsert=[C.SearchKey(key="internal.y", value="1")]), "reserves")
    _rejects(v.validate_update_search_keys, ws.UpdateWorkflowSearchKeysRequest(namespace=NS, upsert=[C.SearchKey(key="a", value="1")]), "execution.workflow_id is required")


def test_a_page_token_is_bound_to_every_filter():
    first = ws.ListWorkflowExecutionsRequest(namespace=NS, page_size=1, search_key_filters=[C.SearchKey(key="tier", value="gold")], start_time_from=_ts(5))
    token = listing.encode_page_token(first, (10, "w", "r"))
    again = ws.ListWorkflowExecutionsRequest()
    again.CopyFrom(first)
    again.next_page_token = token
    assert listing.decode_page_token(again) == (10, "w", "r")
    for change in ({"workflow_id_prefix": "x"}, {"display_name_filter": "Orders"}):
        other = ws.ListWorkflowExecutionsRequest(**change)
        other.MergeFrom(again)
        with pytest.raises(InvalidArgument, match="different query"):
            listing.decode_page_token(other)
    silver = ws.ListWorkflowExecutionsRequest(namespace=NS, next_page_token=token, start_time_from=_ts(5), search_key_filters=[C.SearchKey(key="tier", value="silver")])
    with pytest.raises(InvalidArgument, match="another filter changed"):
        listing.decode_page_token(silver)


def test_the_shards_counts_add_up_and_groups_merge_largest_first():
    running, done = C.WORKFLOW_EXECUTION_STATUS_RUNNING, C.WORKFLOW_EXECUTION_STATUS_COMPLETED
    pages = [
        ws.CountWorkflowExecutionsResponse(count=3, groups=[ws.CountGroup(value="running", status=running, count=1), ws.CountGroup(value="completed", status=done, count=2)]),
        ws.CountWorkflowExecutionsResponse(count=0),
        ws.CountWorkflowExecutionsResponse(count=4, groups=[ws.CountGroup(value="running", status=running, count=4)]),
    ]
    merged = listing.merge_counts(pages)
    assert merged.count == 7
    assert [(g.value, g.status, g.count) for g in merged.groups] == [("running", running, 5), ("completed", done, 2)]
