"""RecordWorkflowTaskStarted / RecordActivityTaskStarted (matching hands a task to a
poller) and the task a worker gets: token, events, activity input.

The same builders answer the fast paths that skip matching: activities started
eagerly and the next workflow task, returned in the reply to a completion.
"""
from __future__ import annotations

from fanflow.errors import NotFound
from history.run_state import RunState
from history.shard import Shard
from protos import common_pb2, internal_pb2, persistence_pb2, workflow_service_pb2


async def record_workflow_task_started(
    shard: Shard, task: internal_pb2.TaskInfo, identity: str, partition: int
) -> workflow_service_pb2.PollWorkflowTaskQueueResponse:
    execution = common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id)

    def start(run: RunState, now: int):
        started, previous = run.record_workflow_task_started(task.scheduled_event_id, identity, now)
        return workflow_task_response(shard, run, started, previous, partition)

    response = await shard.update(task.namespace, execution, start)
    return await with_new_events(shard, task.namespace, response)


async def record_activity_task_started(
    shard: Shard, task: internal_pb2.TaskInfo, identity: str, partition: int
) -> workflow_service_pb2.PollActivityTaskQueueResponse:
    execution = common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id)

    def start(run: RunState, now: int):
        info = run.record_activity_task_started(task.scheduled_event_id, task.attempt, identity, now)
        scheduled = run.scheduled.get(info.scheduled_event_id)  # kept in memory: no read per dispatch
        return activity_task_response(shard, run, info, partition, scheduled), scheduled is not None

    response, has_input = await shard.update(task.namespace, execution, start)
    if not has_input:  # not in memory (its event could not be found when the run was loaded): read it
        events = await shard.store.read_events((task.namespace, task.workflow_id, task.run_id), task.scheduled_event_id, task.scheduled_event_id)
        if not events:
            raise NotFound(f"event {task.scheduled_event_id} of workflow {task.workflow_id!r} run {task.run_id!r} not found")
        add_scheduled_input(response, events[0].activity_task_scheduled)
    return response


def workflow_task_response(
    shard: Shard, run: RunState, started: int, previous: int, partition: int = 0
) -> workflow_service_pb2.PollWorkflowTaskQueueResponse:
    """A started workflow task for the worker, with its new events when they are all
    in memory (else with_new_events reads them after the commit)."""
    s = run.state
    wft = s.workflow_task
    response = workflow_service_pb2.PollWorkflowTaskQueueResponse(
        task_token=shard.sign(run.task_token(common_pb2.TASK_TYPE_WORKFLOW, wft.scheduled_event_id, started)),
        workflow_execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id),
        workflow_type=common_pb2.WorkflowType(name=s.workflow_type),
        previous_started_event_id=previous,
        started_event_id=started,
        attempt=wft.attempt,
        scheduled_time=wft.scheduled_time,
        started_time=wft.started_time,
        task_queue=wft.task_queue,
        partition=partition,
    )
    events = run.events_between(previous, started)
    if events is not None:
        response.history.events.extend(events)
    return response


async def with_new_events(
    shard: Shard, namespace: str, response: workflow_service_pb2.PollWorkflowTaskQueueResponse
) -> workflow_service_pb2.PollWorkflowTaskQueueResponse:
    if not response.history.events:  # not all in memory: read them
        key = (namespace, response.workflow_execution.workflow_id, response.workflow_execution.run_id)
        response.history.events.extend(await shard.store.read_events(key, response.previous_started_event_id + 1, response.started_event_id))
    return response


def activity_task_response(
    shard: Shard,
    run: RunState,
    info: persistence_pb2.ActivityInfo,
    partition: int = 0,
    scheduled: common_pb2.ActivityTaskScheduledEventAttributes | None = None,
) -> workflow_service_pb2.PollActivityTaskQueueResponse:
    """A started activity task for the worker; built under the workflow's lock (info changes later)."""
    s = run.state
    token = run.task_token(common_pb2.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=info.attempt)
    response = workflow_service_pb2.PollActivityTaskQueueResponse(
        task_token=shard.sign(token),
        workflow_execution=common_pb2.WorkflowExecution(workflow_id=s.workflow_id, run_id=s.run_id),
        workflow_type=common_pb2.WorkflowType(name=s.workflow_type),
        activity_id=info.activity_id,
        activity_type=common_pb2.ActivityType(name=info.activity_type),
        attempt=info.attempt,
        heartbeat_details=info.heartbeat_details,
        scheduled_time=info.scheduled_time,
        started_time=info.started_time,
        start_to_close_timeout=info.start_to_close_timeout,
        heartbeat_timeout=info.heartbeat_timeout,
        schedule_to_close_timeout=info.schedule_to_close_timeout,
        partition=partition,
        task_queue=info.task_queue,
    )
    if scheduled is not None:
        add_scheduled_input(response, scheduled)
    return response


def add_scheduled_input(response: workflow_service_pb2.PollActivityTaskQueueResponse, scheduled: common_pb2.ActivityTaskScheduledEventAttributes) -> None:
    response.input.CopyFrom(scheduled.input)
    if scheduled.HasField("result_sink"):
        response.result_sink.CopyFrom(scheduled.result_sink)
