"""A run's search keys in its state machine (history/search_attributes.py): the keys a start
carries, the UpsertSearchKeys / DeleteSearchKeys commands and their events, the limit of 20
keys a run holds, changes from outside the code (no workflow task follows, none on a closed
run), the carry-over on continue-as-new, and bad commands refused."""
from __future__ import annotations

import pytest

from fanflow.errors import FailedPrecondition, InvalidArgument
from history.run_state import Limits, RunState
from protos import common_pb2 as C
from protos import internal_pb2
from protos import workflow_service_pb2 as ws

S = 1_000_000_000


def _key(key: str, value: str | None) -> C.SearchKey:
    return C.SearchKey(key=key, unset=True) if value is None else C.SearchKey(key=key, value=value)


def _keys(run: RunState) -> dict[str, str | None]:
    return {k.key: (None if k.unset else k.value) for k in run.state.search_keys}


def _start(keys: dict[str, str | None] | None = None) -> RunState:
    request = ws.StartWorkflowExecutionRequest(
        namespace="default", workflow_id="wf", workflow_type=C.WorkflowType(name="T"), task_queue=C.TaskQueue(name="q"), request_id="r",
        search_keys=[_key(k, v) for k, v in (keys or {}).items()],
    )
    run = RunState.start(shard_id=0, limits=Limits(), request=request, now=1 * S)
    return run


def _complete(run: RunState, commands: list[C.Command], now: int = 3 * S) -> list[C.HistoryEvent]:
    """Start the pending workflow task and complete it with `commands`; the events written."""
    scheduled = run.state.workflow_task.scheduled_event_id
    started, _ = run.record_workflow_task_started(scheduled, "worker-1", 2 * S)
    run.take_mutation()
    token = internal_pb2.TaskToken.FromString(run.task_token(C.TASK_TYPE_WORKFLOW, scheduled, started))
    run.complete_workflow_task(token, commands, None, "worker-1", now)
    return run.mutation.events


def _upsert(keys: dict[str, str | None], from_sdk: bool = False) -> C.Command:
    return C.Command(
        command_type=C.COMMAND_TYPE_UPSERT_SEARCH_KEYS,
        upsert_search_keys=C.UpsertSearchKeysCommandAttributes(search_keys=[_key(k, v) for k, v in keys.items()], from_sdk=from_sdk),
    )


def _delete(keys: list[str]) -> C.Command:
    return C.Command(command_type=C.COMMAND_TYPE_DELETE_SEARCH_KEYS, delete_search_keys=C.DeleteSearchKeysCommandAttributes(keys=keys))


def test_a_start_carries_its_keys_into_state_event_and_index():
    run = _start({"order_id": "A1", "note": None})
    mutation = run.take_mutation()
    started = mutation.events[0].workflow_execution_started
    assert {k.key: k.value for k in started.search_keys} == {"order_id": "A1", "note": ""} and started.search_keys[1].unset
    assert _keys(run) == {"order_id": "A1", "note": None}
    assert mutation.search_keys_changed  # the shard writes the index rows with this commit
    assert not _start().take_mutation().search_keys_changed


def test_commands_set_replace_and_remove_keys_each_with_its_event():
    run = _start({"order_id": "A1"})
    events = _complete(run, [_upsert({"stage": "paid", "order_id": "A2"}), _delete(["stage", "not-held"])])
    assert _keys(run) == {"order_id": "A2"}  # a held key is replaced in place; unknown deletes are ignored
    completed = next(e for e in events if e.event_type == C.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    upserted = next(e for e in events if e.event_type == C.EVENT_TYPE_SEARCH_KEYS_UPSERTED).search_keys_upserted
    deleted = next(e for e in events if e.event_type == C.EVENT_TYPE_SEARCH_KEYS_DELETED).search_keys_deleted
    assert [k.key for k in upserted.search_keys] == ["stage", "order_id"] and not upserted.dropped_keys
    assert upserted.workflow_task_completed_event_id == completed.event_id == deleted.workflow_task_completed_event_id
    assert list(deleted.keys) == ["stage", "not-held"]
    assert run.mutation.search_keys_changed


def test_a_run_holds_at_most_20_keys_new_ones_beyond_are_dropped_and_said_so():
    run = _start({f"k{i}": str(i) for i in range(18)})
    events = _complete(run, [_upsert({"k0": "changed", "n1": "x", "n2": "y", "n3": "z"})])
    upserted = next(e for e in events if e.event_type == C.EVENT_TYPE_SEARCH_KEYS_UPSERTED).search_keys_upserted
    assert list(upserted.dropped_keys) == ["n3"]
    assert len(run.state.search_keys) == 20 and _keys(run)["k0"] == "changed" and "n3" not in _keys(run)


def test_keys_from_outside_the_code_need_no_workflow_task_and_only_a_running_run():
    run = _start()
    run.take_mutation()
    dropped = run.update_search_keys([_key("tag", "a")], [], "activity-worker", 2 * S)
    events = run.take_mutation().events
    assert dropped == [] and _keys(run) == {"tag": "a"}
    assert [e.event_type for e in events] == [C.EVENT_TYPE_SEARCH_KEYS_UPSERTED]
    assert events[0].search_keys_upserted.workflow_task_completed_event_id == 0 and events[0].search_keys_upserted.identity == "activity-worker"

    # while a workflow task runs: no extra task is scheduled because of it
    scheduled = run.state.workflow_task.scheduled_event_id
    started, _ = run.record_workflow_task_started(scheduled, "worker-1", 3 * S)
    run.take_mutation()
    run.update_search_keys([], ["tag"], "activity-worker", 4 * S)
    assert not run.state.events_since_wft_started and _keys(run) == {}
    token = internal_pb2.TaskToken.FromString(run.task_token(C.TASK_TYPE_WORKFLOW, scheduled, started))
    run.complete_workflow_task(token, [], None, "worker-1", 5 * S)
    assert not run.state.workflow_task.scheduled_event_id

    run.terminate("done", "me", 6 * S)
    with pytest.raises(FailedPrecondition, match="is closed \\(TERMINATED\\): search keys change only while it runs"):
        run.update_search_keys([_key("late", "x")], [], "activity-worker", 7 * S)


def test_continue_as_new_carries_the_keys_over():
    run = _start({"order_id": "A1"})
    run.take_mutation()
    can = C.Command(
        command_type=C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continue_as_new_workflow_execution=C.ContinueAsNewWorkflowExecutionCommandAttributes(input=C.Payload(data=b"{}")),
    )
    _complete(run, [_upsert({"stage": "first run"}), can])
    (new_run,) = run.mutation.new_runs
    assert _keys(new_run) == {"order_id": "A1", "stage": "first run"}
    started = new_run.mutation.events[0].workflow_execution_started
    assert [k.key for k in started.search_keys] == ["order_id", "stage"] and new_run.mutation.search_keys_changed


@pytest.mark.parametrize("command, message", [
    (_upsert({"a:b": "x"}), "must not contain ':'"),
    (_upsert({" padded": "x"}), "must not be empty or padded"),
    (_upsert({"k" * 257: "x"}), "257 characters long; at most 256"),
    (_upsert({"big": "v" * 8193}), "8,193 characters long; at most 8,192"),
    (_upsert({f"k{i}": "x" for i in range(21)}), "has 21 keys; at most 20 at a time"),
    (_delete(["ends="]), "must not end with '='"),
])
def test_a_bad_command_is_refused_with_what_is_wrong(command, message):
    run = _start()
    with pytest.raises(InvalidArgument, match=message):
        _complete(run, [command])
