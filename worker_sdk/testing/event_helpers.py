"""The seed's expected-event builders (`mistralai.workflows.testing.event_helpers`): events
with only the fields a test cares about filled in, to compare with what the event stream
sent (`compare_itemwise(expected, [e["data"] for e in events], exclude_paths={...})`).

Ids, run ids and times are left empty (0), so compare with those paths excluded.
"""
from __future__ import annotations

from typing import Any

from fanflow import seed_events as ev

__all__ = [
    "workflow_started", "workflow_completed", "workflow_canceled", "workflow_failed", "activity_started", "activity_completed",
    "custom_task_started", "custom_task_in_progress", "custom_task_completed", "custom_task_failed",
]


def _blank(workflow_name: str) -> dict[str, Any]:
    """The envelope with nothing known but the workflow's name."""
    return {"event_id": "", "event_timestamp": 0, "root_workflow_exec_id": "", "workflow_exec_id": "", "workflow_run_id": "",
            "workflow_name": workflow_name}


def workflow_started(workflow_name: str = "", payload: dict[str, Any] | None = None) -> ev.BaseEvent:
    return ev.WorkflowExecutionStarted(**_blank(workflow_name), attributes=ev.WorkflowExecutionStartedAttributes(
        task_id="", workflow_name=workflow_name, input=ev.JSONPayload(value=payload or {})))


def workflow_completed(workflow_name: str = "", result: dict[str, Any] | None = None) -> ev.BaseEvent:
    return ev.WorkflowExecutionCompleted(**_blank(workflow_name), attributes=ev.WorkflowExecutionCompletedAttributes(
        task_id="", result=ev.JSONPayload(value=result or {})))


def workflow_canceled(workflow_name: str = "", reason: str | None = None) -> ev.BaseEvent:
    return ev.WorkflowExecutionCanceled(**_blank(workflow_name), attributes=ev.WorkflowExecutionCanceledAttributes(task_id="", reason=reason))


def workflow_failed(workflow_name: str = "", error_message: str = "") -> ev.BaseEvent:
    return ev.WorkflowExecutionFailed(**_blank(workflow_name), attributes=ev.WorkflowExecutionFailedAttributes(
        task_id="", failure=ev.Failure(message=error_message)))


def activity_started(activity_name: str = "", payload: dict[str, Any] | None = None, workflow_name: str = "") -> ev.BaseEvent:
    return ev.ActivityTaskStarted(**_blank(workflow_name), attributes=ev.ActivityTaskStartedAttributes(
        task_id="", activity_name=activity_name, input=ev.JSONPayload(value=payload or {})))


def activity_completed(activity_name: str = "", result: dict[str, Any] | None = None, workflow_name: str = "") -> ev.BaseEvent:
    return ev.ActivityTaskCompleted(**_blank(workflow_name), attributes=ev.ActivityTaskCompletedAttributes(
        task_id="", activity_name=activity_name, result=ev.JSONPayload(value=result or {})))


def custom_task_started(custom_task_type: str, payload: dict[str, Any] | None = None, workflow_name: str = "") -> ev.BaseEvent:
    return ev.CustomTaskStarted(**_blank(workflow_name), attributes=ev.CustomTaskStartedAttributes(
        custom_task_id="", custom_task_type=custom_task_type, payload=ev.JSONPayload(value=payload or {})))


def custom_task_in_progress(custom_task_type: str, payload: Any, workflow_name: str = "") -> ev.BaseEvent:
    """`payload`: a `JSONPayload` / `JSONPatchPayload` (fanflow.seed_events) or its dict."""
    return ev.CustomTaskInProgress(**_blank(workflow_name), attributes=ev.CustomTaskInProgressAttributes(
        custom_task_id="", custom_task_type=custom_task_type, payload=payload))


def custom_task_completed(custom_task_type: str, payload: dict[str, Any] | None = None, workflow_name: str = "") -> ev.BaseEvent:
    return ev.CustomTaskCompleted(**_blank(workflow_name), attributes=ev.CustomTaskCompletedAttributes(
        custom_task_id="", custom_task_type=custom_task_type, payload=ev.JSONPayload(value=payload or {})))


def custom_task_failed(custom_task_type: str, error_message: str = "", workflow_name: str = "") -> ev.BaseEvent:
    return ev.CustomTaskFailed(**_blank(workflow_name), attributes=ev.CustomTaskFailedAttributes(
        custom_task_id="", custom_task_type=custom_task_type, failure=ev.Failure(message=error_message)))
