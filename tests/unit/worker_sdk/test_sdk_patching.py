"""workflow.patched / deprecate_patch with Temporal's rules, and the replayer, on histories
written by an in-memory history (support/fake_history.py) with one version of the code and
replayed or continued with another: the versions below are deploys of one workflow type."""
from __future__ import annotations

import json

import pytest
from google.protobuf import json_format

import worker_sdk as workflows
from protos import common_pb2
from worker_sdk import patching
from worker_sdk.exceptions import NotInTemporalContextError
from worker_sdk.queries import ReadOnlyViolation

from support.fake_history import FakeHistory, cmd_bytes, drive, new_instance

E = common_pb2.EventType
CT = common_pb2.CommandType
FLOW = "patchunit_flow"


@workflows.activity(name="patchunit_a")
async def step_a(x: str) -> str:
    return f"a:{x}"


@workflows.activity(name="patchunit_b")
async def step_b(x: str) -> str:
    return f"b:{x}"


@workflows.activity(name="patchunit_new")
async def step_new(x: str) -> str:
    return f"new:{x}"


# Deploy 1: a, a timer, b.
@workflows.workflow.define(name=FLOW)
class V1:
    @workflows.workflow.entrypoint
    async def run(self, x: str) -> list[str]:
        out = [await step_a(x)]
        await workflows.workflow.sleep(60)
        out.append(await step_b(x))
        return out


# Deploy 2: a new step after the timer, under a patch.
@workflows.workflow.define(name=FLOW)
class V2:
    def __init__(self) -> None:
        self.took_new: bool | None = None

    @workflows.workflow.query(name="took_new")
    def took_new_query(self) -> bool | None:
        return self.took_new

    @workflows.workflow.entrypoint
    async def run(self, x: str) -> list[str]:
        out = [await step_a(x)]
        await workflows.workflow.sleep(60)
        self.took_new = workflows.workflow.patched("new-step")
        if self.took_new:
            out.append(await step_new(x))
        out.append(await step_b(x))
        return out


# Deploy 3: the old branch deleted, the patch deprecated.
@workflows.workflow.define(name=FLOW)
class V3:
    @workflows.workflow.entrypoint
    async def run(self, x: str) -> list[str]:
        out = [await step_a(x)]
        await workflows.workflow.sleep(60)
        workflows.workflow.deprecate_patch("new-step")
        out.append(await step_new(x))
        out.append(await step_b(x))
        return out


# Deploy 4: no patch call left (over deploy 1 directly: the unsafe change).
@workflows.workflow.define(name=FLOW)
class V4:
    @workflows.workflow.entrypoint
    async def run(self, x: str) -> list[str]:
        out = [await step_a(x)]
        await workflows.workflow.sleep(60)
        out.append(await step_new(x))
        out.append(await step_b(x))
        return out


# The patch asked about twice: before the timer (as a replaced first step) and after it.
@workflows.workflow.define(name=FLOW)
class TwiceAsked:
    def __init__(self) -> None:
        self.answers: list[bool] = []

    @workflows.workflow.entrypoint
    async def run(self, x: str) -> list[str]:
        self.answers.append(workflows.workflow.patched("new-step"))
        out = [await (step_new(x) if self.answers[-1] else step_a(x))]
        await workflows.workflow.sleep(60)
        self.answers.append(workflows.workflow.patched("new-step"))
        if self.answers[-1]:
            out.append(await step_new(x))
        out.append(await step_b(x))
        return out


# V2's patched() call moved before the first step (its marker now comes too early).
@workflows.workflow.define(name=FLOW)
class MovedEarlier:
    @workflows.workflow.entrypoint
    async def run(self, x: str) -> list[str]:
        took_new = workflows.workflow.patched("new-step")
        out = [await step_a(x)]
        await workflows.workflow.sleep(60)
        if took_new:
            out.append(await step_new(x))
        out.append(await step_b(x))
        return out


# ------------------------------------------------------------------ helpers


def task_by(history: FakeHistory, workflow) -> list[common_pb2.Command]:
    """One workflow task as a worker of `workflow` that never saw the run does it: the full
    history replayed into a new instance; its commands are recorded."""
    commands = new_instance(workflow).activate(history.events)
    history.complete_task(commands)
    return commands


async def results_in(history: FakeHistory) -> None:
    """Activities finish and timers fire; the next workflow task starts."""
    for sid in list(history.pending_activities):
        await history.run_activity(sid)
    for timer_id in list(history.pending_timers):
        history.fire_timer(timer_id)
    history.start_task()


async def run_until_waiting(workflow) -> FakeHistory:
    """A run of `workflow` up to its timer: a, then the timer started (then it is deployed over)."""
    defn = workflows.workflow.get_definition(workflow)
    history = FakeHistory(FLOW, defn.encode_input("o1"))
    task_by(history, workflow)  # schedules a
    await results_in(history)
    task_by(history, workflow)  # starts the timer
    await results_in(history)  # the timer fires: the next task is the first after the deploy
    return history


def markers(history: FakeHistory) -> list[dict]:
    return [json.loads(e.marker_recorded.details.data) for e in history.events if e.event_type == E.EVENT_TYPE_MARKER_RECORDED]


def scheduled(commands: list[common_pb2.Command]) -> list[str]:
    return [c.schedule_activity_task.activity_type.name for c in commands if c.command_type == CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]


def replayed(events, workflow) -> object:
    """The workflow object after a whole history was replayed with `workflow`."""
    instance = new_instance(workflow)
    instance.replay_history(events)
    return instance.workflow_object


# ------------------------------------------------------------------ patched


async def test_a_new_run_records_the_marker_takes_the_new_branch_and_replays_with_it():
    run = await drive(V2, "o1", sticky=False)  # every task replays the full history: the marker is found each time
    assert run.result() == ["a:o1", "new:o1", "b:o1"]
    assert markers(run.history) == [{"id": "new-step", "deprecated": False}]
    marker_at = next(e.event_id for e in run.history.events if e.event_type == E.EVENT_TYPE_MARKER_RECORDED)
    assert run.history.events[marker_at].activity_task_scheduled.activity_type.name == "patchunit_new"  # the marker, then the new step
    assert replayed(run.history.events, V2).took_new is True
    assert workflows.replay(run.history.events, V2).ok


async def test_a_history_recorded_before_the_patch_replays_with_patched_false():
    old = await drive(V1, "o1")
    assert old.result() == ["a:o1", "b:o1"]
    assert replayed(old.history.events, V2).took_new is False
    result = workflows.replay(old.history.events, V2)
    assert result.ok and result.replay_failure is None


async def test_an_unpatched_change_is_non_determinism_at_the_event_with_both_commands():
    old = await drive(V1, "o1")
    b_at = next(e.event_id for e in old.history.events if e.activity_task_scheduled.activity_type.name == "patchunit_b")
    with pytest.raises(workflows.NonDeterminismError) as err:
        workflows.replay(old.history.events, V4)
    exc = err.value
    assert exc.event_id == b_at
    assert exc.recorded == "ActivityTaskScheduled(activity_type='patchunit_b', activity_id='2')"
    assert exc.produced == "ScheduleActivityTask(activity_type='patchunit_new', activity_id='2')"
    assert f"history event {b_at} is ActivityTaskScheduled(activity_type='patchunit_b'" in str(exc)
    result = workflows.replay(old.history.events, V4, raise_on_replay_failure=False)
    assert result.replay_failure.event_id == b_at
    assert workflows.replayer.describe_replay_failure(result.replay_failure) == (
        f"non-determinism at event {b_at}: history has ActivityTaskScheduled(activity_type='patchunit_b', activity_id='2'), "
        "the code produced ScheduleActivityTask(activity_type='patchunit_new', activity_id='2')"
    )


async def test_a_run_waiting_before_the_patch_takes_the_new_branch_after_the_deploy():
    history = await run_until_waiting(V1)
    commands = task_by(history, V2)  # the first task after the deploy is not a replay: patched() is True
    assert scheduled(commands) == ["patchunit_new"]
    assert commands[0].command_type == CT.COMMAND_TYPE_RECORD_MARKER
    await results_in(history)
    task_by(history, V2)
    await results_in(history)
    task_by(history, V2)
    assert history.close_event is not None
    assert markers(history) == [{"id": "new-step", "deprecated": False}]
    assert replayed(history.events, V2).took_new is True
    assert workflows.replay(history.events, V2).ok


async def test_the_first_answer_holds_for_the_rest_of_the_run():
    history = await run_until_waiting(V1)
    instance = new_instance(TwiceAsked)
    commands = instance.activate(history.events)  # replays a (patched: False), then runs on
    assert instance.workflow_object.answers == [False, False]  # False in the replay, and still after it
    assert scheduled(commands) == ["patchunit_b"] and not markers(history)

    fresh = await drive(TwiceAsked, "o2")  # a new run: True both times, one marker
    assert fresh.result() == ["new:o2", "new:o2", "b:o2"]
    assert markers(fresh.history) == [{"id": "new-step", "deprecated": False}]
    assert fresh.instance.workflow_object.answers == [True, True]


async def test_a_patched_call_moved_before_its_marker_names_the_patch():
    run = await drive(V2, "o1")
    marker_at = next(e.event_id for e in run.history.events if e.event_type == E.EVENT_TYPE_MARKER_RECORDED)
    with pytest.raises(workflows.NonDeterminismError, match=r"already returned False earlier in this replay") as err:
        workflows.replay(run.history.events, MovedEarlier)
    assert err.value.event_id == marker_at and err.value.patch_id == "new-step"
    assert err.value.recorded == "MarkerRecorded(fanflow.patch: workflow.patched('new-step'))"


# ------------------------------------------------------------------ deprecate_patch


async def test_deprecate_patch_replays_histories_with_the_marker_and_histories_that_had_not_reached_it():
    patched_run = await drive(V2, "o1")
    assert workflows.replay(patched_run.history.events, V3).ok  # the marker of patched() matches deprecate_patch()
    waiting = await run_until_waiting(V1)  # recorded before the patch, still before its point
    assert workflows.replay(waiting.events, V3).ok  # deprecate_patch() records nothing while replaying
    commands = task_by(waiting, V3)  # and the run goes on with the new code
    assert commands[0].command_type == CT.COMMAND_TYPE_RECORD_MARKER and scheduled(commands) == ["patchunit_new"]
    assert markers(waiting) == [{"id": "new-step", "deprecated": True}]


async def test_deprecate_patch_never_branches_and_its_markers_replay_once_the_call_is_gone():
    run = await drive(V3, "o1", sticky=False)
    assert run.result() == ["a:o1", "new:o1", "b:o1"]
    assert markers(run.history) == [{"id": "new-step", "deprecated": True}]
    assert workflows.replay(run.history.events, V4).ok  # a deprecated marker with no call is skipped
    assert replayed(run.history.events, V2).took_new is True  # patched() still finds the marker


async def test_removing_the_call_while_runs_recorded_by_patched_remain_names_the_patch():
    run = await drive(V2, "o1")
    marker_at = next(e.event_id for e in run.history.events if e.event_type == E.EVENT_TYPE_MARKER_RECORDED)
    with pytest.raises(workflows.NonDeterminismError) as err:
        workflows.replay(run.history.events, V4)
    exc = err.value
    assert exc.event_id == marker_at and exc.patch_id == "new-step"
    assert exc.recorded == "MarkerRecorded(fanflow.patch: workflow.patched('new-step'))"
    assert exc.produced == "ScheduleActivityTask(activity_type='patchunit_new', activity_id='2')"
    assert "needs workflow.patched('new-step') or workflow.deprecate_patch('new-step')" in str(exc)


async def test_deprecate_patch_over_runs_that_took_the_old_branch_fails_where_the_branches_differ():
    old = await drive(V1, "o1")
    with pytest.raises(workflows.NonDeterminismError) as err:
        workflows.replay(old.history.events, V3)
    assert err.value.recorded.startswith("ActivityTaskScheduled(activity_type='patchunit_b'")
    assert err.value.produced.startswith("ScheduleActivityTask(activity_type='patchunit_new'")


# ------------------------------------------------------------------ bad calls


@workflows.workflow.define(name="patchunit_bad_ids")
class BadIds:
    @workflows.workflow.entrypoint
    async def run(self, patch_id: object) -> str:
        try:
            workflows.workflow.patched(patch_id)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return "accepted"


async def test_bad_patch_ids_and_calls_outside_a_workflow_say_what_is_wrong():
    assert (await drive(BadIds, 7)).result() == "TypeError: workflow.patched(patch_id) takes a string id, got int 7"
    assert "needs a non-empty id" in (await drive(BadIds, " ")).result()
    assert "at most 1000" in (await drive(BadIds, "x" * 1001)).result()
    with pytest.raises(NotInTemporalContextError, match=r"workflow\.patched\(\) can only be called from workflow code"):
        workflows.workflow.patched("new-step")
    with pytest.raises(NotInTemporalContextError, match=r"deprecate_patch"):
        workflows.workflow.deprecate_patch("new-step")
    with pytest.raises(TypeError, match="deprecate_patch"):
        workflows.workflow.deprecate_patch(None)  # type: ignore[arg-type]


async def test_a_query_handler_may_not_ask_for_a_patch():
    run = await drive(V2, "o1")
    instance = run.instance
    with pytest.raises(ReadOnlyViolation, match=r"called workflow.patched\('other'\)"):
        with instance.read_only_section("query handler 'x'"):
            workflows.workflow.patched("other")


async def test_a_query_replay_answers_from_the_markers_of_its_last_task():
    """A query's replay stops at the last completed task's WorkflowTaskStarted; the markers
    that task recorded come after it, and patched() must still find them."""
    history = await run_until_waiting(V1)
    task_by(history, V2)  # after the deploy: the marker and the new step
    last_started = history.started_id
    events = [e for e in history.events if e.event_id <= last_started]
    later = [e for e in history.events if e.event_id > last_started]
    instance = new_instance(V2)
    instance.replay_only = True
    instance.patches.upcoming = patching.recorded_before_next_task(later)
    instance.activate(events)
    assert instance.workflow_object.took_new is True


# ------------------------------------------------------------------ the replayer


async def test_the_lines_fanflow_workflow_history_prints_replay_like_the_events():
    run = await drive(V2, "o1")
    lines = "\n".join(json.dumps(json_format.MessageToDict(e)) for e in run.history.events)
    history = workflows.WorkflowHistory.from_json("order-1", lines)
    assert [e.SerializeToString() for e in history.events] == [e.SerializeToString() for e in run.history.events]
    assert history.workflow_id == "order-1" and history.workflow_type == FLOW
    assert workflows.replay(lines, V2).ok
    as_object = json.dumps({"workflow_id": "order-9", "run_id": "r9", "events": [json_format.MessageToDict(e) for e in run.history.events]})
    from_object = workflows.WorkflowHistory.from_json(None, as_object)
    assert (from_object.workflow_id, from_object.run_id) == ("order-9", "r9")
    with pytest.raises(workflows.NonDeterminismError):
        workflows.replay(lines.encode(), [V4])


async def test_a_running_history_replays_up_to_its_in_flight_task_and_the_events_after_it():
    history = await run_until_waiting(V2)
    history.add(
        E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        common_pb2.WorkflowExecutionSignaledEventAttributes(signal_name="nobody", input=common_pb2.Payload()),
    )  # arrived while the task runs: the history ends with it, not with WorkflowTaskStarted
    instance = new_instance(V2)
    commands = instance.replay_history(history.events)
    assert scheduled(commands) == ["patchunit_new"]  # the task in flight ran as the newest one
    assert workflows.replay(history.events, V1).ok
    assert cmd_bytes(new_instance(V2).activate(history.events[:-1])) == cmd_bytes(commands)


async def test_code_with_more_commands_than_a_closed_history_fails_at_its_end():
    run = await drive(V1, "o1")
    events = run.history.events[:-1]  # the close event cut off: the code's CompleteWorkflowExecution has no event
    with pytest.raises(workflows.NonDeterminismError, match=r"history ends at event") as err:
        workflows.replay(events, V1)
    assert err.value.produced == "CompleteWorkflowExecution" and err.value.event_id == events[-1].event_id


async def test_bad_histories_and_unknown_types_say_what_is_wrong():
    run = await drive(V1, "o1")
    with pytest.raises(ValueError, match="history JSON is empty"):
        workflows.WorkflowHistory.from_json("w", "  ")
    with pytest.raises(ValueError, match="is not JSON"):
        workflows.WorkflowHistory.from_json("w", '{"eventId": "1"}\nnot json')
    with pytest.raises(ValueError, match="numbered from 1 without gaps"):
        workflows.WorkflowHistory("w", run.history.events[1:])
    with pytest.raises(ValueError, match="event 1 of a history must be WorkflowExecutionStarted"):
        workflows.WorkflowHistory("w", [common_pb2.HistoryEvent(event_id=1, event_type=E.EVENT_TYPE_TIMER_FIRED)])
    with pytest.raises(ValueError, match="not a fanflow history event"):
        workflows.WorkflowHistory.from_json("w", '[{"eventId": "1", "noSuchField": 3}]')
    with pytest.raises(ValueError, match="needs at least one @workflow.define"):
        workflows.Replayer(workflows=[])
    result = workflows.replay(run.history.events, BadIds, raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, workflows.UnknownWorkflowTypeError)
    assert "workflow type 'patchunit_flow', which the replayed code does not define (it defines: patchunit_bad_ids)" in str(result.replay_failure)


async def test_replay_workflows_collects_the_failures_by_run():
    good, bad = await drive(V2, "o1"), await drive(V1, "o2")
    replayer = workflows.Replayer(workflows=[V4])
    histories = [workflows.WorkflowHistory("good", good.history.events, "run-good"), workflows.WorkflowHistory("bad", bad.history.events, "run-bad")]
    results = await replayer.replay_workflows(histories, raise_on_replay_failure=False)
    assert set(results.replay_failures) == {"run-good", "run-bad"}  # V4 has dropped the call V2's marker needs
    results = await workflows.Replayer(workflows=[V2]).replay_workflows(histories, raise_on_replay_failure=False)
    assert dict(results.replay_failures) == {}
    with pytest.raises(workflows.NonDeterminismError):
        await replayer.replay_workflow(histories[1])
