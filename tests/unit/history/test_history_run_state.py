"""Unit tests of one run's state machine (history/run_state.py): the fast paths that
hand work straight back to a worker, timers that no longer matter, executor results."""
from __future__ import annotations

from history.run_state import K, Limits, RunState
from protos import common_pb2 as C
from protos import internal_pb2, persistence_pb2
from protos import workflow_service_pb2 as ws

S = 1_000_000_000
STICKY = "q/sticky/worker-1"


def _start(now: int = 1 * S) -> RunState:
    request = ws.StartWorkflowExecutionRequest(
        namespace="default", workflow_id="wf", workflow_type=C.WorkflowType(name="T"), task_queue=C.TaskQueue(name="q"), request_id="r"
    )
    run = RunState.start(shard_id=0, limits=Limits(), request=request, now=now)
    run.take_mutation()
    run.committed([])  # as the shard does after the commit
    return run


def _token(run: RunState, task_type: int, scheduled: int, started: int = 0, attempt: int = 0) -> internal_pb2.TaskToken:
    return internal_pb2.TaskToken.FromString(run.task_token(task_type, scheduled, started, attempt))


def _start_wft(run: RunState, now: int) -> internal_pb2.TaskToken:
    scheduled = run.state.workflow_task.scheduled_event_id
    started, _ = run.record_workflow_task_started(scheduled, "worker-1", now)
    return _token(run, C.TASK_TYPE_WORKFLOW, scheduled, started)


def _schedule(activity_id: str, *, eager: bool, task_queue: str = "") -> C.Command:
    return C.Command(
        command_type=C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task=C.ScheduleActivityTaskCommandAttributes(
            activity_id=activity_id,
            activity_type=C.ActivityType(name="act"),
            task_queue=C.TaskQueue(name=task_queue),
            input=C.Payload(data=activity_id.encode()),
            request_eager_execution=eager,
        ),
    )


def _sticky() -> ws.StickyExecutionAttributes:
    return ws.StickyExecutionAttributes(worker_task_queue=C.TaskQueue(name=STICKY, kind=C.TASK_QUEUE_KIND_STICKY))


def test_eager_activities_are_started_for_the_completing_worker_and_skip_matching():
    run = _start()
    token = _start_wft(run, 2 * S)
    run.take_mutation()
    commands = [_schedule("a", eager=True), _schedule("b", eager=False), _schedule("c", eager=True, task_queue="elsewhere")]
    outcome = run.complete_workflow_task(token, commands, _sticky(), "worker-1", 3 * S)
    mutation = run.take_mutation()

    assert [info.activity_id for info, _ in outcome.eager_activities] == ["a"]
    info, scheduled = outcome.eager_activities[0]
    assert info.started and info.started_identity == "worker-1" and scheduled.input.data == b"a"
    # b and c go through matching; a does not
    assert sorted(t.scheduled_event_id for t in mutation.outbox) == sorted(
        i.scheduled_event_id for i in run.activities.values() if i.activity_id in ("b", "c")
    )
    # a's start-to-close timeout runs from now (it is started)
    assert (3 * S + info.start_to_close_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE) in [
        (at, t.kind) for at, t in mutation.timers if t.event_id == info.scheduled_event_id
    ]
    # no Started event yet: it is written with the completion, as for any activity
    assert [e.event_type for e in mutation.events].count(C.EVENT_TYPE_ACTIVITY_TASK_STARTED) == 0


def _run_with_one_activity() -> tuple[RunState, persistence_pb2.ActivityInfo]:
    run = _start()
    token = _start_wft(run, 2 * S)
    outcome = run.complete_workflow_task(token, [_schedule("a", eager=True)], _sticky(), "worker-1", 3 * S)
    run.committed(run.take_mutation().events)
    return run, outcome.eager_activities[0][0]


def test_activity_completion_starts_the_next_workflow_task_for_the_sticky_worker():
    run, info = _run_with_one_activity()
    token = _token(run, C.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=1)
    new_task = run.complete_activity(token, C.Payload(data=b"1"), "worker-1", 4 * S, sticky_task_queue=STICKY)
    mutation = run.take_mutation()
    assert new_task is not None
    started, previous = new_task
    assert not mutation.outbox, "the task is handed back, not dispatched through matching"
    assert run.state.workflow_task.started_event_id == started
    assert previous == run.state.last_completed_wft_started_event_id
    # the events the worker gets are all in memory, ending with the task's Started event
    run.committed(mutation.events)
    events = run.events_between(previous, started)
    assert events is not None and events[-1].event_type == C.EVENT_TYPE_WORKFLOW_TASK_STARTED
    assert [e.event_type for e in events][:3] == [
        C.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, C.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, C.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]


def test_activity_completion_from_another_worker_goes_through_matching():
    run, info = _run_with_one_activity()
    token = _token(run, C.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=1)
    assert run.complete_activity(token, C.Payload(data=b"1"), "worker-2", 4 * S, sticky_task_queue="q/sticky/worker-2") is None
    mutation = run.take_mutation()
    assert [t.task_type for t in mutation.outbox] == [C.TASK_TYPE_WORKFLOW]
    assert mutation.outbox[0].task_queue.name == STICKY
    # matching may drop it once history's sticky schedule-to-start (default 5 s) has fired
    assert mutation.outbox[0].expire_time.ToNanoseconds() == 4 * S + 5 * S


def test_only_tasks_with_a_schedule_to_start_timer_expire_in_matching():
    request = ws.StartWorkflowExecutionRequest(
        namespace="default", workflow_id="wf", workflow_type=C.WorkflowType(name="T"), task_queue=C.TaskQueue(name="q"), request_id="r"
    )
    run = RunState.start(shard_id=0, limits=Limits(), request=request, now=1 * S)
    [first_wft] = run.take_mutation().outbox
    assert first_wft.task_queue.name == "q" and not first_wft.HasField("expire_time"), "a normal-queue workflow task never expires"
    run.committed([])
    token = _start_wft(run, 2 * S)
    timed = _schedule("timed", eager=False)
    timed.schedule_activity_task.schedule_to_start_timeout.FromSeconds(30)
    run.complete_workflow_task(token, [timed, _schedule("untimed", eager=False)], None, "worker-1", 3 * S)
    mutation = run.take_mutation()
    expiry = {t.scheduled_event_id: (t.expire_time.ToNanoseconds() if t.HasField("expire_time") else None) for t in mutation.outbox}
    assert sorted(expiry.values(), key=str) == [33 * S, None]


def test_events_that_arrive_during_a_workflow_task_come_back_in_its_reply():
    run, info = _run_with_one_activity()
    # the next task is running when the activity completes
    run.schedule_workflow_task(4 * S)
    run.take_mutation()
    token = _start_wft(run, 4 * S)
    activity_token = _token(run, C.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=1)
    assert run.complete_activity(activity_token, C.Payload(data=b"1"), "worker-1", 5 * S, sticky_task_queue=STICKY) is None
    run.take_mutation()

    outcome = run.complete_workflow_task(token, [], _sticky(), "worker-1", 6 * S, return_new_task=True)
    mutation = run.take_mutation()
    assert outcome.new_task is not None and not mutation.outbox
    # without return_new_task the same situation dispatches through matching
    run2, info2 = _run_with_one_activity()
    run2.schedule_workflow_task(4 * S)
    run2.take_mutation()
    token2 = _start_wft(run2, 4 * S)
    run2.complete_activity(_token(run2, C.TASK_TYPE_ACTIVITY, info2.scheduled_event_id, attempt=1), C.Payload(), "w", 5 * S)
    run2.take_mutation()
    assert run2.complete_workflow_task(token2, [], _sticky(), "worker-1", 6 * S).new_task is None
    assert [t.task_type for t in run2.take_mutation().outbox] == [C.TASK_TYPE_WORKFLOW]


def test_timers_of_finished_work_are_not_live():
    run, info = _run_with_one_activity()
    start_to_close = persistence_pb2.TimerTask(kind=K.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE, event_id=info.scheduled_event_id, attempt=1)
    assert run.timer_is_live(start_to_close)
    run.complete_activity(_token(run, C.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=1), C.Payload(), "w", 4 * S)
    assert not run.timer_is_live(start_to_close)
    wft = run.state.workflow_task
    assert run.timer_is_live(persistence_pb2.TimerTask(kind=K.TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START, event_id=wft.scheduled_event_id, attempt=1))
    assert not run.timer_is_live(persistence_pb2.TimerTask(kind=K.TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START, event_id=1, attempt=1))


def test_an_executor_items_result_is_stored_beside_history_with_its_completion():
    run = _start()
    token = _start_wft(run, 2 * S)
    command = _schedule("item-7", eager=True)
    command.schedule_activity_task.result_sink.CopyFrom(C.ResultSink(executor_id="first-run/0", index=7))
    outcome = run.complete_workflow_task(token, [command], _sticky(), "worker-1", 3 * S)
    run.take_mutation()
    info = outcome.eager_activities[0][0]
    run.complete_activity(_token(run, C.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=1), C.Payload(data=b"49"), "worker-1", 4 * S)
    mutation = run.take_mutation()
    assert mutation.executor_results == [("first-run/0", 7, C.Payload(data=b"49"))]
    completed = [e for e in mutation.events if e.event_type == C.EVENT_TYPE_ACTIVITY_TASK_COMPLETED][0]
    assert completed.activity_task_completed.result.ByteSize() == 0, "history keeps no copy of the item's result"


def test_a_run_loaded_from_disk_reads_its_events_from_the_table():
    run = _start()
    loaded = RunState(run.state, {}, 0, Limits())
    assert loaded.events_between(0, 3) is None
    assert run.events_between(0, 2) is not None


def test_cancelling_a_started_activity_waits_for_the_worker_and_an_unstarted_one_ends_at_once():
    import pytest

    from fanflow.errors import FailedPrecondition

    run, info = _run_with_one_activity()  # started (eager)
    wft = run.state.workflow_task
    assert not wft.scheduled_event_id
    run.schedule_workflow_task(4 * S)
    token = _start_wft(run, 4 * S)
    run.take_mutation()
    activity_token = _token(run, C.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=1)
    with pytest.raises(FailedPrecondition):
        run.activity_canceled(activity_token, None, "worker-1", 5 * S)  # nobody asked
    cancel = C.Command(
        command_type=C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
        request_cancel_activity_task=C.RequestCancelActivityTaskCommandAttributes(scheduled_event_id=info.scheduled_event_id),
    )
    outcome = run.complete_workflow_task(token, [cancel], _sticky(), "worker-1", 5 * S)
    mutation = run.take_mutation()
    assert [e.event_type for e in mutation.events][-1] == C.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED
    assert not outcome.new_events and info.scheduled_event_id in run.activities
    assert run.heartbeat(activity_token, C.Payload(), 6 * S) is True  # the worker hears it
    run.activity_canceled(activity_token, C.Payload(data=b"7"), "worker-1", 7 * S)
    mutation = run.take_mutation()
    assert [e.event_type for e in mutation.events] == [
        C.EVENT_TYPE_ACTIVITY_TASK_STARTED, C.EVENT_TYPE_ACTIVITY_TASK_CANCELED, C.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
    ]
    assert info.scheduled_event_id not in run.activities and [t.task_type for t in mutation.outbox] == [C.TASK_TYPE_WORKFLOW]

    # not started (no eager): cancelled in the same completion, and the workflow hears it next
    run = _start()
    token = _start_wft(run, 2 * S)
    run.complete_workflow_task(token, [_schedule("b", eager=False)], _sticky(), "worker-1", 3 * S)
    scheduled = next(iter(run.activities))
    run.take_mutation()
    run.schedule_workflow_task(4 * S)
    token = _start_wft(run, 4 * S)
    run.take_mutation()
    cancel.request_cancel_activity_task.scheduled_event_id = scheduled
    outcome = run.complete_workflow_task(token, [cancel], _sticky(), "worker-1", 5 * S, return_new_task=True)
    types = [e.event_type for e in run.take_mutation().events]
    assert C.EVENT_TYPE_ACTIVITY_TASK_CANCELED in types and outcome.new_events and outcome.new_task is not None
    assert not run.activities


def test_a_failed_attempt_of_an_executor_item_is_counted_with_the_failure():
    run = _start()
    token = _start_wft(run, 2 * S)
    command = _schedule("item-3", eager=True)
    command.schedule_activity_task.result_sink.CopyFrom(C.ResultSink(executor_id="first-run/0", index=3))
    info = run.complete_workflow_task(token, [command], _sticky(), "worker-1", 3 * S).eager_activities[0][0]
    run.take_mutation()
    run.fail_activity(_token(run, C.TASK_TYPE_ACTIVITY, info.scheduled_event_id, attempt=1), C.Failure(message="boom"), None, "worker-1", 4 * S)
    assert run.take_mutation().executor_failed_attempts == ["first-run/0"]  # the retry is scheduled, the attempt counted


def test_undelivered_tasks_are_queued_again_but_not_started_sticky_or_backing_off_ones():
    request = ws.StartWorkflowExecutionRequest(
        namespace="default", workflow_id="wf", workflow_type=C.WorkflowType(name="T"), task_queue=C.TaskQueue(name="q"), request_id="r"
    )
    run = RunState.start(shard_id=0, limits=Limits(), request=request, now=1 * S)
    run.take_mutation()
    run.committed([])
    # The first workflow task, on the normal queue and not started: queued again.
    assert run.queue_undelivered_tasks(2 * S) == 1
    [task] = run.take_mutation().outbox
    assert (task.task_type, task.task_queue.name, task.scheduled_event_id) == (C.TASK_TYPE_WORKFLOW, "q", run.state.workflow_task.scheduled_event_id)

    token = _start_wft(run, 2 * S)
    timed = _schedule("timed", eager=False)
    timed.schedule_activity_task.schedule_to_start_timeout.FromSeconds(30)
    commands = [timed, _schedule("plain", eager=False), _schedule("started", eager=False), _schedule("backing-off", eager=False)]
    run.complete_workflow_task(token, commands, _sticky(), "worker-1", 3 * S)
    run.committed(run.take_mutation().events)
    by_id = {info.activity_id: info for info in run.activities.values()}
    run.record_activity_task_started(by_id["started"].scheduled_event_id, 1, "worker-2", 4 * S)
    run.record_activity_task_started(by_id["backing-off"].scheduled_event_id, 1, "worker-2", 4 * S)
    failure = C.Failure(message="boom")
    run.fail_activity(_token(run, C.TASK_TYPE_ACTIVITY, by_id["backing-off"].scheduled_event_id, attempt=1), failure, None, "worker-2", 5 * S)
    assert run.activities[by_id["backing-off"].scheduled_event_id].attempt_scheduled_time.ToNanoseconds() > 5 * S  # in backoff
    run.take_mutation()

    assert run.queue_undelivered_tasks(5 * S) == 2  # the sticky workflow task (if any) is left to its timer
    queued = {t.scheduled_event_id: t for t in run.take_mutation().outbox}
    assert set(queued) == {by_id["timed"].scheduled_event_id, by_id["plain"].scheduled_event_id}
    assert queued[by_id["timed"].scheduled_event_id].expire_time.ToNanoseconds() == 33 * S
    assert not queued[by_id["plain"].scheduled_event_id].HasField("expire_time")
    # Later: past its schedule-to-start, "timed" is its timer's business; the backoff is over.
    assert run.queue_undelivered_tasks(40 * S) == 2
    later = {t.scheduled_event_id for t in run.take_mutation().outbox}
    assert later == {by_id["plain"].scheduled_event_id, by_id["backing-off"].scheduled_event_id}
