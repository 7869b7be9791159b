"""webui/seed_stream.py's mapping of history events to the seed's workflow events, on
histories built here: every mapped type, fanflow's choices where the seed has no event
(terminated, timed out, retries), internal activities left out, continue-as-new."""
from __future__ import annotations

import json

from fanflow.seed_events import workflow_event_adapter
from protos import common_pb2 as E
from webui.seed_stream import Deriver, Execution


def _payload(value) -> E.Payload:
    return E.Payload(data=json.dumps(value).encode(), encoding="json/plain")


def _event(event_id: int, kind: int, field: str, attributes) -> E.HistoryEvent:
    event = E.HistoryEvent(event_id=event_id, event_type=kind)
    event.event_time.FromNanoseconds(1_700_000_000_000_000_000 + event_id)
    getattr(event, field).CopyFrom(attributes)
    return event


def _deriver(parent: str | None = None) -> Deriver:
    return Deriver(Execution("default", "order-1", "orders", "run-1", parent, parent or "order-1"))


def _derive(history: list[tuple[str, E.HistoryEvent]], parent: str | None = None) -> list[dict]:
    """The events of a closed chain: every run's history fed, each run closed."""
    deriver = _deriver(parent)
    for run_id, event in history:
        deriver.feed(run_id, event)
    for run_id in {run_id for run_id, _ in history}:
        deriver.close_run(run_id)
    out = deriver.release()
    assert not deriver.held
    for e in out:  # each one a valid seed event
        workflow_event_adapter.validate_python(e)
    return out


def _scheduled(event_id: int, name: str, activity_id: str) -> E.HistoryEvent:
    return _event(event_id, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, "activity_task_scheduled",
                  E.ActivityTaskScheduledEventAttributes(activity_id=activity_id, activity_type=E.ActivityType(name=name), input=_payload({"id": activity_id})))


def test_a_run_with_a_retried_activity_an_internal_one_and_a_failed_one():
    history = [
        _event(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, "workflow_execution_started",
               E.WorkflowExecutionStartedEventAttributes(workflow_type=E.WorkflowType(name="orders"), input=_payload({"n": 2}), attempt=1)),
        _event(2, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, "workflow_task_scheduled", E.WorkflowTaskScheduledEventAttributes()),
        _event(5, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, "activity_task_scheduled",
               E.ActivityTaskScheduledEventAttributes(activity_id="1", activity_type=E.ActivityType(name="charge"), input=_payload({"amount": 3}))),
        _event(6, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, "activity_task_scheduled",
               E.ActivityTaskScheduledEventAttributes(activity_id="2", activity_type=E.ActivityType(name="fanflow.read_results"))),
        _event(7, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, "activity_task_started",
               E.ActivityTaskStartedEventAttributes(scheduled_event_id=5, attempt=3, last_failure=E.Failure(message="card declined", type="ValueError"))),
        _event(8, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, "activity_task_completed", E.ActivityTaskCompletedEventAttributes(scheduled_event_id=5, result=_payload({"ok": 1}))),
        _event(9, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, "activity_task_started", E.ActivityTaskStartedEventAttributes(scheduled_event_id=6, attempt=1)),
        _event(10, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, "activity_task_completed", E.ActivityTaskCompletedEventAttributes(scheduled_event_id=6)),
        _event(11, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, "activity_task_scheduled",
               E.ActivityTaskScheduledEventAttributes(activity_id="3", activity_type=E.ActivityType(name="ship"), input=_payload({}))),
        _event(12, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, "activity_task_started", E.ActivityTaskStartedEventAttributes(scheduled_event_id=11, attempt=2)),
        _event(13, E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, "activity_task_timed_out", E.ActivityTaskTimedOutEventAttributes(scheduled_event_id=11)),
        _event(14, E.EVENT_TYPE_WORKFLOW_TASK_FAILED, "workflow_task_failed", E.WorkflowTaskFailedEventAttributes(failure=E.Failure(message="NameError: x"))),
        _event(15, E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, "workflow_execution_timed_out", E.WorkflowExecutionTimedOutEventAttributes(execution_timeout=True)),
    ]
    events = _derive([("run-1", e) for e in history])
    assert [(e["event_type"], e["attributes"].get("activity_name")) for e in events] == [
        ("WORKFLOW_EXECUTION_STARTED", None),
        ("ACTIVITY_TASK_STARTED", "charge"), ("ACTIVITY_TASK_RETRYING", "charge"), ("ACTIVITY_TASK_COMPLETED", "charge"),
        ("ACTIVITY_TASK_STARTED", "ship"), ("ACTIVITY_TASK_RETRYING", "ship"), ("ACTIVITY_TASK_FAILED", "ship"),
        ("WORKFLOW_TASK_FAILED", None), ("WORKFLOW_EXECUTION_FAILED", None),
    ]
    started, retrying = events[1]["attributes"], events[2]["attributes"]
    assert started["input"]["value"] == {"amount": 3} and started["task_id"] == "1"
    assert retrying["attempt"] == 2 and retrying["failure"]["message"] == "ValueError: card declined"
    assert events[6]["attributes"]["attempt"] == 2 and events[6]["attributes"]["failure"]["message"] == "the activity timed out"
    assert events[-1]["attributes"]["failure"]["message"] == "the workflow timed out (its execution timeout passed)"
    assert len({e["event_id"] for e in events}) == len(events)  # a retry's extra event gets an id of its own
    assert {(e["workflow_exec_id"], e["root_workflow_exec_id"], e["parent_workflow_exec_id"], e["workflow_name"]) for e in events} == {("order-1", "order-1", None, "orders")}
    assert events[0]["event_timestamp"] == 1_700_000_000_000_000_001


def test_continue_as_new_cancel_and_terminate():
    first = [
        _event(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, "workflow_execution_started", E.WorkflowExecutionStartedEventAttributes(input=_payload({"page": 0}))),
        _event(4, E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, "workflow_execution_continued_as_new",
               E.WorkflowExecutionContinuedAsNewEventAttributes(new_execution_run_id="run-2", workflow_type=E.WorkflowType(name="orders"), input=_payload({"page": 1}))),
    ]
    second = [
        _event(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, "workflow_execution_started",
               E.WorkflowExecutionStartedEventAttributes(input=_payload({"page": 1}), continued_execution_run_id="run-1")),
        _event(5, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, "workflow_execution_cancel_requested", E.WorkflowExecutionCancelRequestedEventAttributes(reason="stop")),
        _event(6, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, "workflow_execution_canceled", E.WorkflowExecutionCanceledEventAttributes()),
    ]
    events = _derive([("run-1", e) for e in first] + [("run-2", e) for e in second], parent="batch-9")
    assert [e["event_type"] for e in events] == ["WORKFLOW_EXECUTION_STARTED", "WORKFLOW_EXECUTION_CONTINUED_AS_NEW", "WORKFLOW_EXECUTION_STARTED", "WORKFLOW_EXECUTION_CANCELED"]
    assert events[1]["attributes"]["new_execution_run_id"] == "run-2" and events[1]["attributes"]["input"]["value"] == {"page": 1}
    assert [e["workflow_run_id"] for e in events] == ["run-1", "run-1", "run-2", "run-2"]
    assert [e["continued_run_id"] for e in events] == [None, None, "run-1", "run-1"]
    assert events[0]["attributes"]["workflow_name"] == "orders"  # the execution's name when the event has none
    assert events[-1]["attributes"]["reason"] == "stop"
    assert {(e["parent_workflow_exec_id"], e["root_workflow_exec_id"], e["first_execution_run_id"]) for e in events} == {("batch-9", "batch-9", "run-1")}

    terminated = _derive([("run-1", first[0]), ("run-1", _event(3, E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, "workflow_execution_terminated",
                                                                  E.WorkflowExecutionTerminatedEventAttributes(reason="bad deploy")))])
    assert terminated[-1]["event_type"] == "WORKFLOW_EXECUTION_CANCELED" and terminated[-1]["attributes"]["reason"] == "terminated: bad deploy"


def test_an_activity_start_is_placed_where_it_was_scheduled_and_known_while_it_runs():
    deriver = _deriver()
    deriver.feed("run-1", _event(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, "workflow_execution_started", E.WorkflowExecutionStartedEventAttributes()))
    deriver.feed("run-1", _scheduled(5, "slow", "1"))
    deriver.feed("run-1", _scheduled(6, "fast", "2"))
    deriver.feed("run-1", _event(7, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, "activity_task_started", E.ActivityTaskStartedEventAttributes(scheduled_event_id=6, attempt=1)))
    deriver.feed("run-1", _event(8, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, "activity_task_completed", E.ActivityTaskCompletedEventAttributes(scheduled_event_id=6)))
    assert [e["event_type"] for e in deriver.release()] == ["WORKFLOW_EXECUTION_STARTED"]
    assert deriver.waiting_run() == "run-1"  # `slow` may still start: what follows waits for it
    assert deriver.release() == []

    deriver.started_live("run-1", 5, 1_800_000_000_000_000_000)  # the run's pending activities say it runs
    released = deriver.release()
    assert [(e["event_type"], e["attributes"]["activity_name"]) for e in released] == [
        ("ACTIVITY_TASK_STARTED", "slow"), ("ACTIVITY_TASK_STARTED", "fast"), ("ACTIVITY_TASK_COMPLETED", "fast")]
    assert released[0]["event_timestamp"] == 1_800_000_000_000_000_000 and released[0]["event_id"] == "run-1:5:started"
    assert deriver.waiting_run() is None

    deriver.feed("run-1", _scheduled(9, "never", "3"))  # cancelled before any attempt started: no started event
    deriver.feed("run-1", _event(10, E.EVENT_TYPE_ACTIVITY_TASK_CANCELED, "activity_task_canceled", E.ActivityTaskCanceledEventAttributes(scheduled_event_id=9)))
    deriver.feed("run-1", _event(11, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, "activity_task_started", E.ActivityTaskStartedEventAttributes(scheduled_event_id=5, attempt=1)))
    deriver.feed("run-1", _event(12, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, "activity_task_completed", E.ActivityTaskCompletedEventAttributes(scheduled_event_id=5)))
    deriver.feed("run-1", _scheduled(13, "orphan", "4"))  # never started before the run closed
    deriver.feed("run-1", _event(14, E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, "workflow_execution_completed", E.WorkflowExecutionCompletedEventAttributes()))
    assert [e["event_type"] for e in deriver.release()] == ["ACTIVITY_TASK_COMPLETED"]  # held at `orphan` while the run is open
    deriver.close_run("run-1")
    assert [e["event_type"] for e in deriver.release()] == ["WORKFLOW_EXECUTION_COMPLETED"] and not deriver.held
