"""Replay of history shapes seen on real clusters."""
from __future__ import annotations

import worker_sdk as workflows
from protos import common_pb2 as E
from worker_sdk._instance import WorkflowInstance
from worker_sdk import converter


@workflows.activity()
async def regress_step(x: int) -> int:
    return x


@workflows.workflow.define(name="regress_one_step")
class OneStep:
    @workflows.workflow.entrypoint
    async def run(self, x: int) -> int:
        return await regress_step(x) + 1


def event(event_id: int, event_type: int, field: str, **attrs) -> E.HistoryEvent:
    ev = E.HistoryEvent(event_id=event_id, event_type=event_type)
    getattr(ev, field).CopyFrom(getattr(E, _ATTRS[field])(**attrs))
    return ev


_ATTRS = {
    "workflow_execution_started": "WorkflowExecutionStartedEventAttributes",
    "workflow_task_scheduled": "WorkflowTaskScheduledEventAttributes",
    "workflow_task_started": "WorkflowTaskStartedEventAttributes",
    "workflow_task_completed": "WorkflowTaskCompletedEventAttributes",
    "workflow_task_timed_out": "WorkflowTaskTimedOutEventAttributes",
    "activity_task_scheduled": "ActivityTaskScheduledEventAttributes",
    "activity_task_started": "ActivityTaskStartedEventAttributes",
    "activity_task_completed": "ActivityTaskCompletedEventAttributes",
}


def test_sticky_task_that_never_started_does_not_undo_the_previous_task():
    """A worker dies; its sticky task times out before starting (started_event_id
    0) and the task goes to another worker, which replays the full history."""
    events = [
        event(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, "workflow_execution_started",
              workflow_type=E.WorkflowType(name="regress_one_step"), input=converter.to_payload({"x": 7})),
        event(2, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, "workflow_task_scheduled"),
        event(3, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, "workflow_task_started", scheduled_event_id=2),
        event(4, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, "workflow_task_completed", scheduled_event_id=2, started_event_id=3),
        event(5, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, "activity_task_scheduled", activity_id="1", activity_type=E.ActivityType(name="regress_step")),
        event(6, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, "activity_task_started", scheduled_event_id=5, attempt=2),
        event(7, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, "activity_task_completed", scheduled_event_id=5, started_event_id=6, result=converter.to_payload(7)),
        event(8, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, "workflow_task_scheduled", task_queue=E.TaskQueue(name="q/sticky", kind=E.TASK_QUEUE_KIND_STICKY)),
        event(9, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, "workflow_task_timed_out", scheduled_event_id=8, started_event_id=0, timeout_type=E.TIMEOUT_TYPE_SCHEDULE_TO_START),
        event(10, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, "workflow_task_scheduled"),
        event(11, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, "workflow_task_started", scheduled_event_id=10),
    ]
    instance = WorkflowInstance(workflows.workflow.get_definition(OneStep), workflow_id="w", run_id="r")
    commands = instance.activate(events)
    assert [c.command_type for c in commands] == [E.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]
    assert converter.from_payload(commands[0].complete_workflow_execution.result) == 8
