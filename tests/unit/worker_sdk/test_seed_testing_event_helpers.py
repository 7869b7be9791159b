"""The seed's pure event helpers in `worker_sdk.testing`: the expected-event builders,
`compare_itemwise`, `sort_json_patch`, the filters and extractors, and the event adapters
(the same JSON shapes as the seed's `WorkflowEvent` models)."""
from __future__ import annotations

import os

import pydantic
import pytest

from fanflow.seed_events import JSONPatchOperation, JSONPatchPayload, JSONPayload
from worker_sdk import testing as t


def _sse(event, sequence: int = 0) -> dict:
    """An event as the stream sends it (`StreamEventSsePayload`)."""
    data = event.model_dump(mode="json")
    return {"stream": "workflow-events", "timestamp": "2026-01-01T00:00:00Z", "data": data, "broker_sequence": sequence,
            "workflow_context": {"namespace": "default", "workflow_name": data["workflow_name"], "workflow_exec_id": "e1"}, "metadata": {}}


def test_builders_make_valid_events_of_their_type():
    built = [
        t.workflow_started("wf", {"a": 1}), t.workflow_completed("wf", {"ok": True}), t.workflow_failed("wf", "boom"),
        t.workflow_canceled("wf", "enough"), t.activity_started("act", {"x": 1}, "wf"), t.activity_completed("act", {"y": 2}, "wf"),
        t.custom_task_started("llm", {"tokens": 0}), t.custom_task_in_progress("llm", JSONPayload(value={"tokens": 3})),
        t.custom_task_completed("llm", {"tokens": 9}), t.custom_task_failed("llm", "rate limited"),
    ]
    types = [t.workflow_event_adapter.validate_python(e.model_dump(mode="json")).event_type.value for e in built]
    assert types == ["WORKFLOW_EXECUTION_STARTED", "WORKFLOW_EXECUTION_COMPLETED", "WORKFLOW_EXECUTION_FAILED", "WORKFLOW_EXECUTION_CANCELED",
                     "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED", "CUSTOM_TASK_STARTED", "CUSTOM_TASK_IN_PROGRESS",
                     "CUSTOM_TASK_COMPLETED", "CUSTOM_TASK_FAILED"]
    assert built[0].attributes.input.value == {"a": 1} and built[2].attributes.failure.message == "boom"
    assert t.workflow_started().attributes.input.value == {}  # the seed's default: an empty object
    with pytest.raises(pydantic.ValidationError):
        t.workflow_event_adapter.validate_python({**built[0].model_dump(mode="json"), "event_type": "NOT_A_TYPE"})
    with pytest.raises(pydantic.ValidationError):  # started with a completed event's attributes
        t.workflow_event_adapter.validate_python({**built[1].model_dump(mode="json"), "event_type": "WORKFLOW_EXECUTION_STARTED"})


def test_compare_itemwise_reports_the_first_difference_per_item():
    got = [{**t.workflow_started("wf", {"a": 1}).model_dump(), "event_id": "r1:1", "extra": "ignored"},
           t.workflow_completed("wf", {"ok": True}).model_dump()]
    expected = [t.workflow_started("wf", {"a": 1}), t.workflow_completed("wf", {"ok": True})]
    assert t.compare_itemwise(expected, got, exclude_paths={"event_id", "event_timestamp"}) == []
    assert t.compare_itemwise(expected, got, exclude_paths={"event_timestamp"}) == ["index 0: value mismatch at event_id: '' != 'r1:1'"]
    assert t.compare_itemwise([t.workflow_completed("wf", {"ok": False})], got[1:], exclude_paths={"event_timestamp"}) == [
        "index 0: value mismatch at attributes.result.value.ok: False != True"]
    assert t.compare_itemwise(expected, got[:1]) == [f"list length mismatch: 2 != 1 ({expected!r} vs {got[:1]!r})"]
    assert t.compare_itemwise([{"a": {"b": 1}}], [{"a": {}}]) == ["index 0: missing key 'b' at a"]
    assert t.compare_itemwise([{"a": {"b": 1}}], [{"a": 3}]) == ["index 0: type mismatch at a: expected mapping or model"]
    assert t.compare_itemwise([{"a": [1, 2]}], [{"a": "12"}]) == ["index 0: type mismatch at a: expected sequence"]
    assert t.compare_itemwise([{"a": [1, 2]}], [{"a": [1]}]) == ["index 0: length mismatch at a: 2 != 1"]


def test_order_independent_paths_compare_patch_lists_as_sets():
    patches = [{"op": "replace", "path": "/b", "value": 2}, {"op": "add", "path": "/a", "value": 1}]
    assert t.sort_json_patch(patches) == [patches[1], patches[0]]
    assert t.compare_itemwise([{"p": patches}], [{"p": patches[::-1]}], order_independent_paths={"p"}) == []
    assert t.compare_itemwise([{"p": patches}], [{"p": patches[::-1]}]) == ["index 0: value mismatch at p[0].op: 'replace' != 'add'"]


def test_filters_and_extractors_read_custom_task_events():
    patch = JSONPatchPayload(value=[JSONPatchOperation(op="append", path="/text", value="lo")])
    events = [
        _sse(t.workflow_started("wf"), 0),
        _sse(t.custom_task_started("llm", {"text": "hel"}, "wf"), 1),
        _sse(t.custom_task_in_progress("llm", patch, "wf"), 2),
        _sse(t.custom_task_completed("llm", {"text": "hello"}, "wf"), 3),
        _sse(t.custom_task_started("search", {}, "wf"), 4),
    ]
    assert t.get_event_types(events) == ["WORKFLOW_EXECUTION_STARTED", "CUSTOM_TASK_STARTED", "CUSTOM_TASK_IN_PROGRESS", "CUSTOM_TASK_COMPLETED", "CUSTOM_TASK_STARTED"]
    assert [e["broker_sequence"] for e in t.filter_events_by_custom_task_type(events, "llm")] == [1, 2, 3]
    assert [e["broker_sequence"] for e in t.filter_events_by_type(events, ["CUSTOM_TASK_STARTED"])] == [1, 4]
    assert [t.extract_state_from_event(e) for e in events] == [None, {"text": "hel"}, None, {"text": "hello"}, {}]
    assert t.extract_json_patches_from_event(events[2]) == [{"op": "append", "path": "/text", "value": "lo"}]
    assert t.extract_json_patches_from_event(events[1]) == []
    encrypted = _sse(t.custom_task_in_progress("llm", JSONPatchPayload(value="b64..."), "wf"))
    with pytest.raises(ValueError, match="encrypted"):
        t.extract_json_patches_from_event(encrypted)
    broken = {**events[1], "data": {**events[1]["data"], "attributes": {"custom_task_type": "llm"}}}
    with pytest.raises(pydantic.ValidationError):  # the filters check what they keep
        t.filter_events_by_custom_task_type([broken], "llm")
    assert t.sse_payload_adapter.validate_python(events[0]).broker_sequence == 0


def test_task_queue_default_is_create_test_workers():
    assert t.DEFAULT_TEST_TASK_QUEUE == "test-task-queue"
    assert t.TEST_TASK_QUEUE == os.environ.get("DEPLOYMENT_NAME", t.DEFAULT_TEST_TASK_QUEUE)  # the seed's variable
