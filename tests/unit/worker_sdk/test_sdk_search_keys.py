"""Search keys in the SDK (worker_sdk/search_keys.py) without a cluster: values coerced as the
seed stores them, the declared keys extracted from a run's input (paths rooted as the seed
roots them), bad keys refused with every problem listed, and replay: a workflow's own
add/delete commands are matched strictly, the SDK's (the input's keys at the first task) and
changes from outside the code leniently."""
from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from protos import common_pb2 as E
from worker_sdk import converter, search_keys
from worker_sdk._instance import WorkflowInstance
from worker_sdk.exceptions import ApplicationError, NonDeterminismError


class Tier(enum.Enum):
    GOLD = "gold"


class Customer(BaseModel):
    id: str
    tier: Tier = Tier.GOLD
    since: datetime.date | None = None
    vip: bool = False


class SkOrder(BaseModel):
    order_id: str
    customer: Customer | None = None
    total: float = 0.5
    tags: list[str] = []


@workflows.activity()
async def sk_unit_step(x: str) -> str:
    return x


@workflows.workflow.define(name="sk_unit_order", search_keys=["order_id", "customer.id", "customer.tier", "customer.since", "customer.vip", "total"])
class SkUnitOrder:
    @workflows.workflow.entrypoint
    async def run(self, params: SkOrder) -> str:
        return await sk_unit_step(params.order_id)


@workflows.workflow.define(name="sk_unit_params", search_keys=["payload.order_id", "tenant", "when"])
class SkUnitParams:
    @workflows.workflow.entrypoint
    async def run(self, payload: SkOrder, tenant: str = "acme", when: datetime.datetime | None = None) -> str:
        return payload.order_id


@workflows.workflow.define(name="sk_unit_scalar", search_keys=["city"])
class SkUnitScalar:
    @workflows.workflow.entrypoint
    async def run(self, city: str) -> str:
        return city


@workflows.workflow.define(name="sk_unit_tagging")
class SkUnitTagging:
    @workflows.workflow.entrypoint
    async def run(self, tag: str) -> str:
        await workflows.workflow.add_search_keys({"tag": tag})
        return await sk_unit_step(tag)


def defn(cls):
    return workflows.workflow.get_definition(cls)


# ---------------------------------------------------------------- values and extraction


def test_values_are_coerced_as_the_seed_stores_them():
    when = datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.timezone.utc)
    ident = uuid.UUID(int=7)
    coerced = {k: search_keys.coerce_value(k, v) for k, v in {
        "enum": Tier.GOLD, "yes": True, "no": False, "day": datetime.date(2026, 5, 1), "when": when, "n": 3, "x": 1.5, "id": ident, "none": None,
    }.items()}
    assert coerced == {
        "enum": "gold", "yes": "true", "no": "false", "day": "2026-05-01", "when": "2026-05-01T09:30:00+00:00", "n": "3", "x": "1.5",
        "id": str(ident), "none": None,
    }
    assert search_keys.coerce_value("long", "v" * 9000) == "v" * 8192  # truncated, not refused


def test_the_declared_keys_are_read_from_the_input_model_with_defaults():
    found = search_keys.extract_search_keys(defn(SkUnitOrder), [SkOrder(order_id="A1", customer=Customer(id="c1", vip=True))], {})
    # customer.since is None at the last step: present without a value
    assert found == {"order_id": "A1", "customer.id": "c1", "customer.tier": "gold", "customer.since": None, "customer.vip": "true", "total": "0.5"}
    # a None on the way (no customer) leaves the keys under it out
    assert search_keys.extract_search_keys(defn(SkUnitOrder), [SkOrder(order_id="A2")], {}) == {"order_id": "A2", "total": "0.5"}
    # as a client sends it: a payload keyed by parameter name
    payload = defn(SkUnitOrder).encode_params({"order_id": "A3", "customer": {"id": "c3", "since": "2026-01-02"}})
    assert search_keys.extract_from_payload(defn(SkUnitOrder), payload)["customer.since"] == "2026-01-02"


def test_paths_are_rooted_at_parameter_names_for_other_entrypoints():
    when = datetime.datetime(2026, 1, 1, 12, 0)
    assert search_keys.extract_search_keys(defn(SkUnitParams), [SkOrder(order_id="P1")], {"when": when}) == {
        "payload.order_id": "P1", "tenant": "acme", "when": "2026-01-01T12:00:00",
    }
    assert search_keys.extract_search_keys(defn(SkUnitScalar), ["Paris"], {}) == {"city": "Paris"}


def test_extraction_never_raises_on_input_that_does_not_fit():
    assert search_keys.extract_search_keys(defn(SkUnitOrder), [], {"wrong": 1}) == {}
    assert search_keys.extract_from_payload(defn(SkUnitOrder), converter.to_payload([1, 2, 3])) == {}


# ---------------------------------------------------------------- bad keys


@pytest.mark.parametrize("value, problems", [
    ({"a:b": "x", " pad": "x", "ends=": "x", "internal.x": "x", "k" * 257: "x"},
     ["must not contain ':'", "padded with whitespace", "must not end with '='", "must not start with 'internal.'", "257 characters long; at most 256"]),
    ({"list": [1], "dict": {"a": 1}}, ["'list' must map to a scalar value, got list", "'dict' must map to a scalar value, got dict"]),
    ({f"k{i}": i for i in range(21)}, ["at most 20 keys per call, got 21"]),
    (["not", "a", "mapping"], ["takes a mapping of key to value, got list"]),
])
def test_bad_keys_for_add_raise_a_non_retryable_error_naming_every_problem(value, problems):
    with pytest.raises(ApplicationError) as raised:
        search_keys.checked_upsert(value)
    assert raised.value.non_retryable and raised.value.type == "InvalidSearchKeys"
    for problem in problems:
        assert problem in str(raised.value)


def test_bad_keys_for_delete_raise_and_repeated_keys_are_sent_once():
    with pytest.raises(ApplicationError, match="takes a list or tuple of keys, got str"):
        search_keys.checked_delete("tier")
    with pytest.raises(ApplicationError, match="at most 20 keys per call, got 21"):
        search_keys.checked_delete([f"k{i}" for i in range(21)])
    with pytest.raises(ApplicationError, match="must not contain ':'"):
        search_keys.checked_delete(["ok", "a:b"])
    assert search_keys.checked_delete(("a", "b", "a")) == ["a", "b"]
    assert search_keys.checked_delete(["internal.execution.state"], allow_reserved=True) == ["internal.execution.state"]


async def test_outside_a_workflow_or_activity_nothing_is_recorded_but_bad_keys_still_raise():
    await workflows.workflow.add_search_keys({"tier": "gold"})  # a warning, nothing else
    await workflows.workflow.delete_search_keys(["tier"])
    with pytest.raises(ApplicationError):
        await workflows.workflow.add_search_keys({"a:b": "x"})


# ---------------------------------------------------------------- replay


class History:
    """Builds a run's history event by event."""

    def __init__(self, workflow_type: str, payload: E.Payload, keys: dict[str, str] | None = None):
        self.events: list[E.HistoryEvent] = []
        started = E.WorkflowExecutionStartedEventAttributes(
            workflow_type=E.WorkflowType(name=workflow_type), input=payload,
            search_keys=[E.SearchKey(key=k, value=v) for k, v in (keys or {}).items()],
        )
        self.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, "workflow_execution_started", started)

    def add(self, event_type: int, field: str, attrs) -> E.HistoryEvent:
        ev = E.HistoryEvent(event_id=len(self.events) + 1, event_type=event_type)
        getattr(ev, field).CopyFrom(attrs)
        self.events.append(ev)
        return ev

    def task(self) -> int:
        """A workflow task scheduled and started; returns the started event id."""
        scheduled = self.add(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, "workflow_task_scheduled", E.WorkflowTaskScheduledEventAttributes())
        return self.add(E.EVENT_TYPE_WORKFLOW_TASK_STARTED, "workflow_task_started", E.WorkflowTaskStartedEventAttributes(scheduled_event_id=scheduled.event_id)).event_id

    def completed(self, started: int) -> int:
        return self.add(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, "workflow_task_completed",
                        E.WorkflowTaskCompletedEventAttributes(scheduled_event_id=started - 1, started_event_id=started)).event_id

    def upserted(self, keys: dict[str, str], wft: int, from_sdk: bool = False) -> None:
        self.add(E.EVENT_TYPE_SEARCH_KEYS_UPSERTED, "search_keys_upserted", E.SearchKeysUpsertedEventAttributes(
            search_keys=[E.SearchKey(key=k, value=v) for k, v in keys.items()], workflow_task_completed_event_id=wft, from_sdk=from_sdk))

    def activity(self, wft: int, name: str = "sk_unit_step") -> None:
        self.add(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, "activity_task_scheduled", E.ActivityTaskScheduledEventAttributes(
            activity_id="1", activity_type=E.ActivityType(name=name), workflow_task_completed_event_id=wft))


def _order_payload(order_id: str = "A1") -> E.Payload:
    return defn(SkUnitOrder).encode_params(SkOrder(order_id=order_id))


def test_the_first_task_records_the_declared_keys_the_start_did_not_carry():
    history = History("sk_unit_order", _order_payload(), keys={"order_id": "A1"})
    history.task()
    commands = WorkflowInstance(defn(SkUnitOrder), workflow_id="w", run_id="r").activate(history.events)
    assert [c.command_type for c in commands] == [E.COMMAND_TYPE_UPSERT_SEARCH_KEYS, E.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]
    upsert = commands[0].upsert_search_keys
    assert upsert.from_sdk and {k.key: k.value for k in upsert.search_keys} == {"total": "0.5"}  # order_id was carried

    complete = History("sk_unit_order", _order_payload(), keys={"order_id": "A1", "total": "0.5"})
    complete.task()
    commands = WorkflowInstance(defn(SkUnitOrder), workflow_id="w", run_id="r").activate(complete.events)
    assert [c.command_type for c in commands] == [E.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]


@pytest.mark.parametrize("recorded_with_keys", [True, False])
def test_replay_tolerates_declared_keys_that_changed_since_the_history_was_written(recorded_with_keys):
    """A history written before search_keys were declared replays with the new definition, and
    one with the SDK's upsert replays with a definition that declares none."""
    history = History("sk_unit_order", _order_payload())
    first = history.task()
    completed = history.completed(first)
    if recorded_with_keys:
        history.upserted({"order_id": "A1", "total": "0.5"}, completed, from_sdk=True)
    history.activity(completed)
    history.task()
    current = defn(SkUnitOrder) if not recorded_with_keys else dataclasses.replace(defn(SkUnitOrder), search_keys=())
    assert WorkflowInstance(current, workflow_id="w", run_id="r").activate(history.events) == []  # waits for its activity


def test_a_workflows_own_search_key_commands_are_matched_strictly_and_outside_changes_skipped():
    history = History("sk_unit_tagging", defn(SkUnitTagging).encode_params({"tag": "blue"}))
    first = history.task()
    history.upserted({"from.activity": "x"}, 0)  # an activity's change while the task ran: not a command
    completed = history.completed(first)
    history.upserted({"tag": "blue"}, completed)
    history.activity(completed)
    history.task()
    assert WorkflowInstance(defn(SkUnitTagging), workflow_id="w", run_id="r").activate(history.events) == []

    changed = History("sk_unit_tagging", defn(SkUnitTagging).encode_params({"tag": "blue"}))
    first = changed.task()
    completed = changed.completed(first)
    changed.upserted({"colour": "blue"}, completed)  # recorded by another version of the code
    changed.activity(completed)
    changed.task()
    with pytest.raises(NonDeterminismError, match="UpsertSearchKeys"):
        WorkflowInstance(defn(SkUnitTagging), workflow_id="w", run_id="r").activate(changed.events)
