"""What fuzzing found in history (fuzz/retry.py, fuzz/run_state.py), kept as regression
cases: retry backoffs that overflowed or went negative, and commands whose attributes were
written as given (empty ids, negative timeouts, retry policies that cannot be followed)."""
from __future__ import annotations

import math

import pytest

from fanflow.errors import InvalidArgument
from history import retry
from history.run_state import K, Limits, RunState
from protos import common_pb2 as C
from protos import internal_pb2
from protos import workflow_service_pb2 as ws

S = 1_000_000_000


@pytest.mark.parametrize("attempt", [1_024, 1_025, 5_000, 2**31 - 1])
def test_backoff_of_a_late_attempt_is_the_maximum_not_an_overflow(attempt):
    # unlimited attempts is the default: a day and a half of failures reaches attempt 1,025
    assert retry.backoff_seconds(C.RetryPolicy(), attempt) == 100.0
    assert retry.backoff_seconds(C.RetryPolicy(backoff_coefficient=10.0), attempt) == 100.0


def test_backoff_grows_as_before_up_to_the_maximum():
    policy = C.RetryPolicy(backoff_coefficient=2.0)
    policy.initial_interval.FromSeconds(1)
    policy.maximum_interval.FromSeconds(30)
    assert [retry.backoff_seconds(policy, n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


@pytest.mark.parametrize("coefficient", [0.5, -2.0, float("nan"), float("inf")])
def test_backoff_of_a_stored_policy_outside_the_rules_falls_back_to_the_defaults(coefficient):
    policy = C.RetryPolicy(backoff_coefficient=coefficient)
    policy.initial_interval.seconds = -5
    policy.maximum_interval.seconds = -1
    delays = [retry.backoff_seconds(policy, n) for n in (1, 2, 3, 2_000)]
    assert all(math.isfinite(d) and d >= 0 for d in delays)
    assert delays == [1.0, 2.0, 4.0, 100.0]


def _running_task() -> tuple[RunState, internal_pb2.TaskToken]:
    request = ws.StartWorkflowExecutionRequest(
        namespace="default", workflow_id="wf", workflow_type=C.WorkflowType(name="T"), task_queue=C.TaskQueue(name="q"), request_id="r")
    run = RunState.start(shard_id=0, limits=Limits(), request=request, now=S)
    run.take_mutation()
    scheduled = run.state.workflow_task.scheduled_event_id
    started, _ = run.record_workflow_task_started(scheduled, "w", 2 * S)
    run.take_mutation()
    return run, internal_pb2.TaskToken.FromString(run.task_token(C.TASK_TYPE_WORKFLOW, scheduled, started))


def _activity(**changes) -> C.Command:
    command = C.Command(command_type=C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)
    attrs = command.schedule_activity_task
    attrs.activity_id, attrs.activity_type.name = "1", "act"
    for path, value in changes.items():
        target, _, field = path.rpartition(".")
        holder = attrs
        for part in filter(None, target.split(".")):
            holder = getattr(holder, part)
        setattr(holder, field, value)
    return command


@pytest.mark.parametrize("changes, words", [
    ({"activity_id": ""}, "needs an activity_id"),
    ({"activity_type.name": "x" * 1001}, "activity_type.name is 1,001 characters long"),
    ({"start_to_close_timeout.seconds": -1}, "start_to_close_timeout is negative"),
    ({"schedule_to_close_timeout.seconds": -30}, "schedule_to_close_timeout is negative"),
    ({"heartbeat_timeout.nanos": -1}, "heartbeat_timeout is negative"),
    ({"retry_policy.initial_interval.seconds": -1}, "retry_policy.initial_interval is negative"),
    ({"retry_policy.maximum_interval.seconds": -1}, "retry_policy.maximum_interval is negative"),
    ({"retry_policy.backoff_coefficient": 0.5}, "backoff_coefficient is 0.5; it must be at least 1"),
    ({"retry_policy.maximum_attempts": -1}, "maximum_attempts is -1"),
])
def test_an_activity_command_history_cannot_follow_is_refused_and_nothing_is_written(changes, words):
    run, token = _running_task()
    with pytest.raises(InvalidArgument, match=words):
        run.complete_workflow_task(token, [_activity(**changes)], None, "w", 3 * S)
    # refused before it was applied (the shard drops the state of a failed operation anyway)
    assert not run.activities
    assert all(e.event_type != C.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in run.take_mutation().events)


def test_a_timer_without_an_id_is_refused():
    run, token = _running_task()
    command = C.Command(command_type=C.COMMAND_TYPE_START_TIMER)
    command.start_timer.start_to_fire_timeout.seconds = 5
    with pytest.raises(InvalidArgument, match="StartTimer needs a timer_id"):
        run.complete_workflow_task(token, [command], None, "w", 3 * S)


def test_the_defaults_and_zero_values_are_still_accepted():
    run, token = _running_task()
    run.complete_workflow_task(token, [_activity(**{"retry_policy.backoff_coefficient": 0.0, "retry_policy.maximum_attempts": 0})], None, "w", 3 * S)
    assert [e.event_type for e in run.take_mutation().events].count(C.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 1


def test_an_activity_failing_on_attempt_1100_is_retried():
    """The overflow's effect on a run: the 1,100th failure raised instead of scheduling the
    next attempt, so the activity was stuck."""
    run, token = _running_task()
    run.complete_workflow_task(token, [_activity()], None, "w", 3 * S)
    run.take_mutation()
    (scheduled,) = run.activities
    run.activities[scheduled].attempt = 1_100  # as after 1,099 failures
    run.record_activity_task_started(scheduled, 1_100, "w", 4 * S)
    run.take_mutation()
    activity_token = internal_pb2.TaskToken.FromString(run.task_token(C.TASK_TYPE_ACTIVITY, scheduled, 0, 1_100))
    run.fail_activity(activity_token, C.Failure(message="boom"), None, "w", 5 * S)
    mutation = run.take_mutation()
    retries = [(at, t) for at, t in mutation.timers if t.kind == K.TIMER_TASK_KIND_ACTIVITY_RETRY]
    assert [at for at, _ in retries] == [5 * S + 100 * S]  # the maximum interval (100 x the 1 s default)
    assert retries[0][1].attempt == run.activities[scheduled].attempt == 1_101 and not run.activities[scheduled].started
