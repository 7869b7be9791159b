"""When an executor stops scheduling to continue as new (checkpoint.py ``should_stop``),
driven against an in-memory history: where WorkflowTaskStarted records history's thresholds,
the run stops early enough that the drain and the continue-as-new stay under them; a history
recorded without them (before) replays with the old rule (stop once history suggests it), so
its commands are the same as when it was recorded."""
from __future__ import annotations

import worker_sdk as workflows
from protos import common_pb2
from support.fake_history import FakeHistory, new_instance

E = common_pb2.EventType
SUGGEST = 80


@workflows.activity()
async def stop_rule_noop(n: int) -> None:
    return None


@workflows.workflow.define(name="t_stop_rule")
class StopRule:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> None:
        await workflows.execute_activities_in_parallel(stop_rule_noop, items=list(range(n)), max_concurrent_scheduled_tasks=4)


async def _drive(*, thresholds: bool) -> FakeHistory:
    """One run of StopRule over 200 items, each activity done before the next workflow task; every
    task started with the suggestion set once history reached SUGGEST events."""
    defn = workflows.workflow.get_definition(StopRule)
    history = FakeHistory(defn.name, defn.encode_input(200))
    instance = new_instance(StopRule)
    seen = 0
    for _ in range(500):
        commands = instance.activate(history.events[seen:])
        seen = len(history.events)
        history.complete_task(commands)
        if history.close_event is not None:
            break
        for scheduled_id in list(history.pending_activities):
            await history.run_activity(scheduled_id)
        history.start_task(suggest_continue_as_new=len(history.events) + 1 >= SUGGEST, suggest_events=SUGGEST if thresholds else 0, suggest_bytes=1 << 22 if thresholds else 0)
    assert history.close_event is not None and history.close_event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    # replay: a fresh instance over the whole history up to the last task gives the same last commands
    last_started = max(i for i, e in enumerate(history.events) if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    replayed = new_instance(StopRule).activate(history.events[:last_started + 1])
    assert [c.SerializeToString(deterministic=True) for c in replayed] == [c.SerializeToString(deterministic=True) for c in commands]
    return history


async def test_thresholds_recorded_the_run_stays_under_them():
    history = await _drive(thresholds=True)
    assert history.close_event.event_id < SUGGEST


async def test_without_thresholds_the_old_rule_stops_only_at_the_suggestion():
    history = await _drive(thresholds=False)
    first_suggested = min(e.event_id for e in history.events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED and e.workflow_task_started.suggest_continue_as_new)
    scheduled_after = [e for e in history.events if e.event_id > first_suggested and e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert history.close_event.event_id >= SUGGEST
    assert not scheduled_after  # it stopped scheduling at the suggestion, drained, continued as new
    scheduled_before = [e for e in history.events if e.event_id < first_suggested and e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert len(scheduled_before) > 10
