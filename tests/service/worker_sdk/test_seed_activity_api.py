"""The seed system's activity-side API on fanflow: `@workflows.activity(...)` with the seed's
options and defaults, `Depends`, `activity_heartbeat`, `run_activities_locally`, `WorkflowError`
/ `WorkflowsException`. Programs are written in the seed's documented shapes with only the import
changed; they run on an embedded cluster and (the last test) on a `fanflow dev` process."""
from __future__ import annotations

import asyncio
import contextlib
import http
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

import worker_sdk as workflows
from conftest import ROOT, SUPPORT, free_port, wait_for_port
from protos import common_pb2 as E
from worker_sdk import Depends, DependencyInjector, RateLimit, Worker, run_activities_locally
from worker_sdk.exceptions import (
    DependencyError,
    ErrorCode,
    NotInTemporalContextError,
    WorkflowError,
    WorkflowFailureError,
    WorkflowsException,
)

CALLS: Counter = Counter()


def scheduled(events) -> list:
    return [e.activity_task_scheduled for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]


def started(events) -> list:
    return [e.activity_task_started for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED]


def defn(fn):
    return workflows.activity.get_definition(fn)


# ------------------------------------------------------------------ 1. options


@workflows.activity(start_to_close_timeout=timedelta(minutes=10))
async def seed_timeout_activity(input_data: str, count: int = 1) -> dict:
    return {"result": input_data, "processed_count": count}


@workflows.activity(retry_policy_max_attempts=5, retry_policy_backoff_coefficient=2.0)
async def seed_retry_activity(x: int) -> int:
    return x


@workflows.activity(name="custom_activity_name")
async def seed_named_activity(x: int) -> int:
    return x


@workflows.activity(sticky_to_worker=True, rate_limit=RateLimit(time_window_in_sec=60, max_execution=10))
async def seed_sticky_limited(x: int) -> int:
    return x


@workflows.activity(timedelta(seconds=30), 4)  # the seed's positional order
async def seed_positional(x: int) -> int:
    return x


@workflows.activity("seed_named_positionally")
async def seed_named_positional(x: int) -> int:
    return x


@workflows.activity
async def seed_bare(x: int) -> int:
    return x


def test_seed_options_are_stored_and_sent():
    o = defn(seed_timeout_activity).options
    assert o.start_to_close_timeout == timedelta(minutes=10)
    rp = defn(seed_retry_activity).options.retry_policy
    assert (rp.maximum_attempts, rp.backoff_coefficient) == (5, 2.0)
    assert rp.initial_interval == timedelta(seconds=1) and rp.effective_maximum_interval == timedelta(seconds=100)  # Temporal's other defaults
    assert defn(seed_named_activity).name == "custom_activity_name" and workflows.activity.get_activity("custom_activity_name")
    o = defn(seed_sticky_limited).options
    assert o.sticky_to_worker is True and o.rate_limit == RateLimit(time_window_in_sec=60, max_execution=10, key=None)
    o = defn(seed_positional).options
    assert o.start_to_close_timeout == timedelta(seconds=30) and o.retry_policy.maximum_attempts == 4
    assert defn(seed_named_positional).name == "seed_named_positionally"
    assert defn(seed_bare).name == "seed_bare"
    # what a ScheduleActivityTask command carries
    attrs = E.ScheduleActivityTaskCommandAttributes()
    defn(seed_retry_activity).options.apply_to(attrs)
    assert attrs.retry_policy.maximum_attempts == 5 and attrs.retry_policy.backoff_coefficient == 2.0
    assert attrs.retry_policy.initial_interval.seconds == 1 and attrs.retry_policy.maximum_interval.seconds == 100


def test_seed_defaults():
    """Neither retry_policy nor retry_policy_max_attempts: the seed's policy (3 attempts, 2.0);
    start-to-close unset on the wire: history's default, 300 s (checked on a cluster below)."""
    o = defn(seed_bare).options
    assert o.retry_policy == workflows.activity.DEFAULT_RETRY_POLICY
    assert (o.retry_policy.maximum_attempts, o.retry_policy.backoff_coefficient) == (3, 2.0)
    assert o.start_to_close_timeout is None and workflows.activity.DEFAULT_START_TO_CLOSE_TIMEOUT == timedelta(seconds=300)
    assert o.sticky_to_worker is False and o.rate_limit is None
    # only one of the two seed numbers: the other keeps the seed's default
    only_attempts = workflows.activity(retry_policy_max_attempts=7)(lambda: None)
    assert (defn(only_attempts).options.retry_policy.maximum_attempts, defn(only_attempts).options.retry_policy.backoff_coefficient) == (7, 2.0)
    # 0 = unlimited, as Temporal's maximum_attempts
    assert defn(workflows.activity(retry_policy_max_attempts=0)(lambda: None)).options.retry_policy.maximum_attempts == 0
    # fanflow's RetryPolicy() itself stays Temporal's (unlimited)
    assert defn(workflows.activity(retry_policy=workflows.RetryPolicy())(lambda: None)).options.retry_policy.maximum_attempts == 0


def _decorate(**options):
    return workflows.activity(**options)(lambda x: x)


@pytest.mark.parametrize(
    "options, error, names",
    [
        (dict(retry_policy=workflows.RetryPolicy(), retry_policy_max_attempts=3), TypeError, ["retry_policy", "retry_policy_max_attempts"]),
        (dict(retry_policy=workflows.RetryPolicy(), retry_policy_backoff_coefficient=3.0), TypeError, ["retry_policy", "retry_policy_backoff_coefficient"]),
        (dict(retry_policy_max_attempt=3), TypeError, ["retry_policy_max_attempt"]),  # typo
        (dict(start_to_close=30), TypeError, ["start_to_close"]),  # typo
        (dict(start_to_close_timeout=-1), ValueError, ["start_to_close_timeout"]),
        (dict(start_to_close_timeout=timedelta(seconds=-5)), ValueError, ["start_to_close_timeout"]),
        (dict(start_to_close_timeout="5m"), TypeError, ["start_to_close_timeout"]),
        (dict(heartbeat_timeout="30s"), TypeError, ["heartbeat_timeout"]),
        (dict(heartbeat_timeout=float("nan")), ValueError, ["heartbeat_timeout"]),
        (dict(retry_policy_max_attempts="3"), TypeError, ["retry_policy_max_attempts"]),
        (dict(retry_policy_max_attempts=-1), ValueError, ["retry_policy_max_attempts"]),
        (dict(retry_policy_max_attempts=True), TypeError, ["retry_policy_max_attempts"]),
        (dict(retry_policy_backoff_coefficient=0.5), ValueError, ["retry_policy_backoff_coefficient"]),
        (dict(retry_policy_backoff_coefficient="2"), TypeError, ["retry_policy_backoff_coefficient"]),
        (dict(sticky_to_worker="yes"), TypeError, ["sticky_to_worker"]),
        (dict(rate_limit={"time_window_in_sec": 1, "max_execution": 1}), TypeError, ["rate_limit"]),
        (dict(name=3), TypeError, ["name"]),
        (dict(name=""), TypeError, ["name"]),
        (dict(task_queue=""), TypeError, ["task_queue"]),
        (dict(retry_policy={"maximum_attempts": 3}), TypeError, ["retry_policy"]),
    ],
)
def test_bad_options_raise_at_definition_time_naming_the_option(options, error, names):
    with pytest.raises(error) as err:
        _decorate(**options)
    for name in names:
        assert name in str(err.value), (name, str(err.value))


@pytest.mark.parametrize(
    "fields, name",
    [
        (dict(time_window_in_sec=0, max_execution=1), "time_window_in_sec"),
        (dict(time_window_in_sec=3601, max_execution=1), "time_window_in_sec"),
        (dict(time_window_in_sec=1, max_execution=0), "max_execution"),
        (dict(time_window_in_sec=1, max_execution=100_001), "max_execution"),
        (dict(max_execution=5), "time_window_in_sec"),
    ],
)
def test_rate_limit_bounds_are_the_seeds(fields, name):
    with pytest.raises(ValidationError) as err:
        RateLimit(**fields)
    assert name in str(err.value)
    assert RateLimit(time_window_in_sec=3600, max_execution=100_000, key="api").key == "api"


def test_first_positional_name_and_name_keyword_conflict():
    with pytest.raises(TypeError, match="name given twice"):
        workflows.activity("a", name="b")


def test_with_options_accepts_the_seed_options():
    call = seed_retry_activity.with_options(retry_policy_max_attempts=1, start_to_close_timeout=timedelta(seconds=9))
    assert callable(call)
    with pytest.raises(TypeError, match="unknown activity option"):
        seed_retry_activity.with_options(retry_policy_max_attempt=1)
    with pytest.raises(TypeError, match="retry_policy_max_attempts"):
        seed_retry_activity.with_options(retry_policy=workflows.RetryPolicy(), retry_policy_max_attempts=1)


# ------------------------------------------- 1b. defaults and retries on a cluster

@workflows.activity()
async def seed_always_fails(key: str) -> str:
    CALLS[key] += 1
    raise RuntimeError(f"attempt {CALLS[key]} of {key} fails")


@workflows.activity(retry_policy_max_attempts=2, retry_policy_backoff_coefficient=1.0)
async def seed_fails_once(key: str) -> str:
    CALLS[key] += 1
    if CALLS[key] == 1:
        raise RuntimeError("first attempt fails")
    return f"ok after {CALLS[key]}"


@workflows.workflow.define(name="seed_final_failure")
class FinalFailure:
    """A seed program that handles an activity's final failure (it would hang retrying
    forever under Temporal's unlimited default)."""

    @workflows.workflow.entrypoint
    async def run(self, key: str) -> dict:
        try:
            await seed_always_fails(key)
            outcome = "succeeded"
        except workflows.ActivityError as exc:
            outcome = f"gave up: {exc.cause.message}"
        return {"outcome": outcome, "second": await seed_fails_once(f"{key}-once")}


async def test_default_policy_gives_up_after_three_attempts(client):
    async with Worker(client, task_queue="seed-final", workflows=[FinalFailure], activities=[seed_always_fails, seed_fails_once]):
        handle = await client.start_workflow(FinalFailure, "ff", task_queue="seed-final")
        result = await handle.result(timeout=60)
    assert result == {"outcome": "gave up: attempt 3 of ff fails", "second": "ok after 2"}
    assert CALLS["ff"] == 3 and CALLS["ff-once"] == 2
    events = await handle.history()
    first, second = scheduled(events)
    assert first.retry_policy.maximum_attempts == 3 and first.retry_policy.backoff_coefficient == 2.0
    assert first.start_to_close_timeout.seconds == 300  # the seed's default start-to-close
    assert second.retry_policy.maximum_attempts == 2 and second.retry_policy.backoff_coefficient == 1.0
    assert [s.attempt for s in started(events)] == [3, 2]


# ------------------------------------------------------------------ 2. Depends

LOG: list[str] = []


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.rows: list[str] = []

    async def insert(self, name: str) -> int:
        self.rows.append(name)
        return len(self.rows)


async def get_db() -> Database:
    LOG.append("get_db")
    return Database("postgres://example")


def get_config() -> dict:
    LOG.append("config")
    return {"region": "eu"}


@contextlib.contextmanager
def sync_cm():
    LOG.append("sync_cm enter")
    yield "sync_cm"
    LOG.append("sync_cm exit")


@contextlib.asynccontextmanager
async def async_cm():
    LOG.append("async_cm enter")
    yield "async_cm"
    LOG.append("async_cm exit")


class ClientPool:
    """A class used as a provider: calling it gives a context manager."""

    def __enter__(self):
        LOG.append("pool enter")
        return "pool"

    def __exit__(self, *exc):
        LOG.append("pool exit")


def sync_gen():
    LOG.append("sync_gen enter")
    try:
        yield "sync_gen"
    finally:
        LOG.append("sync_gen exit")


async def async_gen():
    LOG.append("async_gen enter")
    try:
        yield "async_gen"
    finally:
        LOG.append("async_gen exit")


@workflows.activity()
async def insert_user(name: str, db: Database = Depends(get_db)) -> int:
    return await db.insert(name)


@workflows.activity()
async def every_provider_kind(
    tag: str,
    config: dict = Depends(get_config),
    a: str = Depends(sync_cm),
    b: str = Depends(async_cm),
    c: str = Depends(ClientPool),
    d: str = Depends(sync_gen),
    e: str = Depends(async_gen),
) -> list:
    return [tag, config["region"], a, b, c, d, e]


@workflows.activity()
def sync_with_dependency(x: int, config: dict = Depends(get_config)) -> str:
    return f"{x}:{config['region']}"


def broken_provider() -> str:
    raise ConnectionError("database is down")


@workflows.activity(retry_policy_max_attempts=1)
async def needs_broken(x: int, conn: str = Depends(broken_provider)) -> int:
    return x


@workflows.workflow.define(name="seed_depends")
class DependsWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, names: list[str]) -> dict:
        ids = [await insert_user(n) for n in names]
        kinds = await every_provider_kind("t")
        again = await every_provider_kind("u")
        sync = await sync_with_dependency(7)
        try:
            await needs_broken(1)
            broken = "no error"
        except workflows.ActivityError as exc:
            broken = str(exc)
        return {"ids": ids, "kinds": kinds, "again": again, "sync": sync, "broken": broken}


async def test_depends_on_a_worker_is_entered_once_and_exited_at_shutdown(client):
    LOG.clear()
    worker = Worker(client, task_queue="seed-depends", workflows=[DependsWorkflow], activities=[insert_user, every_provider_kind, sync_with_dependency, needs_broken])
    async with worker:
        handle = await client.start_workflow(DependsWorkflow, ["ada", "bob", "cy"], task_queue="seed-depends")
        result = await handle.result(timeout=60)
        assert not [x for x in LOG if x.endswith("exit")], "worker-scoped: nothing exited while the worker runs"
    assert result["ids"] == [1, 2, 3]  # the same Database for every call on this worker
    assert result["kinds"] == ["t", "eu", "sync_cm", "async_cm", "pool", "sync_gen", "async_gen"]
    assert result["again"] == ["u", "eu", "sync_cm", "async_cm", "pool", "sync_gen", "async_gen"]
    assert result["sync"] == "7:eu"
    assert "needs_broken" in result["broken"] and "broken_provider" in result["broken"] and "database is down" in result["broken"]
    assert "DependencyError" in result["broken"]
    # each provider ran once for the worker's lifetime and was exited when it shut down
    counts = Counter(LOG)
    assert counts["get_db"] == 1 and counts["config"] == 1
    for kind in ("sync_cm", "async_cm", "pool", "sync_gen", "async_gen"):
        assert counts[f"{kind} enter"] == 1 and counts[f"{kind} exit"] == 1, kind
    # injected parameters are not part of the input: nothing about them crossed the wire
    events = await handle.history()
    inputs = {s.activity_type.name: json.loads(s.input.data) for s in scheduled(events)}
    assert inputs["insert_user"] == {"name": "cy"} and inputs["every_provider_kind"] == {"tag": "u"}
    assert inputs["sync_with_dependency"] == {"x": 7} and inputs["needs_broken"] == {"x": 1}


async def test_depends_in_an_offset_executor_uses_the_workers_values(client):
    LOG.clear()

    @workflows.activity()
    async def seed_dep_index(params: workflows.GetItemFromIndexParams) -> int:
        return params.idx

    @workflows.activity()
    async def seed_dep_process(n: int, config: dict = Depends(get_config)) -> str:
        return f"{n}:{config['region']}"

    @workflows.workflow.define(name="seed_depends_offset")
    class DependsOffset:
        @workflows.workflow.entrypoint
        async def run(self, n: int) -> list:
            return await workflows.execute_activities_in_parallel(
                seed_dep_process, get_item_from_index_activity=seed_dep_index, n_items=n, max_concurrent_executions_per_worker=3
            )

    async with Worker(client, task_queue="seed-dep-offset", workflows=[DependsOffset], activities=[seed_dep_index, seed_dep_process]):
        handle = await client.start_workflow(DependsOffset, 7, task_queue="seed-dep-offset")
        assert await handle.result(timeout=60) == [f"{i}:eu" for i in range(7)]
    assert LOG.count("config") == 1


async def test_depends_called_directly_is_entered_and_exited_per_call():
    LOG.clear()
    assert await insert_user("ada") == 1 and await insert_user("bob") == 1  # a new Database per call
    assert LOG == ["get_db", "get_db"]
    LOG.clear()
    assert await every_provider_kind("x") == ["x", "eu", "sync_cm", "async_cm", "pool", "sync_gen", "async_gen"]
    assert LOG == [
        "config", "sync_cm enter", "async_cm enter", "pool enter", "sync_gen enter", "async_gen enter",
        "async_gen exit", "sync_gen exit", "pool exit", "async_cm exit", "sync_cm exit",
    ]
    assert await sync_with_dependency(3) == "3:eu"
    # a value the caller passes itself is used as is (the provider is not called)
    LOG.clear()
    mine = Database("sqlite://test")
    assert await insert_user("cy", db=mine) == 1 and mine.rows == ["cy"] and LOG == []
    # the provider's error names the activity, the parameter and the provider
    with pytest.raises(DependencyError) as err:
        await needs_broken(1)
    message = str(err.value)
    assert "needs_broken" in message and "'conn'" in message and "broken_provider" in message and "database is down" in message
    assert isinstance(err.value.__cause__, ConnectionError)


async def test_an_activity_error_still_exits_its_dependencies():
    LOG.clear()

    @workflows.activity()
    async def seed_dep_raises(x: int, d: str = Depends(sync_gen)) -> int:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await seed_dep_raises(1)
    assert LOG == ["sync_gen enter", "sync_gen exit"]


async def test_injected_parameters_are_not_input():
    d = defn(insert_user)
    assert list(d.signature.parameters) == ["name"] and "db" not in d.type_hints and d.dependencies == {"db": get_db}
    assert json.loads(d.encode_input("ada").data) == {"name": "ada"}
    with pytest.raises(TypeError, match="db"):
        d.encode_input("ada", db="x")  # workflow code cannot pass it
    with pytest.raises(ValueError, match="valid string"):  # nor can it come over the wire
        d.decode_input(workflows.converter.to_payload({"name": "ada", "db": "x"}))
    assert d.decode_input(workflows.converter.to_payload({"name": "ada"})) == (["ada"], {})
    assert str(__import__("inspect").signature(insert_user)) == "(name: 'str') -> 'int'"


async def test_dependency_injector_blocks_provide_values_to_direct_calls():
    LOG.clear()
    injector = DependencyInjector.get_singleton_instance()
    assert get_db in injector.providers and sync_cm in injector.providers
    assert DependencyInjector.collect_dependencies([insert_user, sync_with_dependency]) == {get_db, get_config}
    assert not DependencyInjector.is_inside_dependencies_context()
    async with injector.with_scoped_dependencies({get_db}):
        assert DependencyInjector.is_inside_dependencies_context()
        assert await insert_user("ada") == 1 and await insert_user("bob") == 2  # one Database for the block
    assert LOG == ["get_db"]
    with pytest.raises(TypeError, match="callable provider"):
        Depends("not callable")


# ------------------------------------------------------- 3. heartbeat, local

@workflows.activity(start_to_close_timeout=timedelta(minutes=30), heartbeat_timeout=timedelta(seconds=1), retry_policy_max_attempts=2, retry_policy_backoff_coefficient=1.0)
async def seed_long_running_task(items: list[str]) -> dict:
    info = workflows.activity.info()
    resumed_from = info.heartbeat_details  # what the last attempt reported
    start = resumed_from[0] if resumed_from else 0
    results = []
    for i in range(start, len(items)):
        results.append(items[i].upper())
        workflows.activity_heartbeat(i + 1, len(items))  # report progress
        if info.attempt == 1 and i == 1:
            await asyncio.sleep(3)  # stuck: no heartbeat for longer than heartbeat_timeout
    return {"attempt": info.attempt, "resumed_from": resumed_from, "results": results}


@workflows.workflow.define(name="seed_heartbeat")
class HeartbeatWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, items: list[str]) -> dict:
        return await seed_long_running_task(items)


async def test_activity_heartbeat_and_heartbeat_timeout(client):
    async with Worker(client, task_queue="seed-heartbeat", workflows=[HeartbeatWorkflow], activities=[seed_long_running_task]):
        handle = await client.start_workflow(HeartbeatWorkflow, ["a", "b", "c", "d"], task_queue="seed-heartbeat")
        result = await handle.result(timeout=60)
    # attempt 1 heartbeat (2, 4) then stalled; history timed it out (heartbeat) and attempt 2
    # resumed from the details it had reported
    assert result == {"attempt": 2, "resumed_from": [2, 4], "results": ["C", "D"]}
    events = await handle.history()
    (s,) = scheduled(events)
    assert s.heartbeat_timeout.seconds == 1 and s.start_to_close_timeout.seconds == 1800
    assert started(events)[0].last_failure.type == "TimeoutError"


def test_activity_heartbeat_outside_an_activity_is_a_no_op():
    workflows.activity_heartbeat(1, 2)
    workflows.activity_heartbeat()


@workflows.activity()
async def validate_email(email: str) -> bool:
    return "@" in email


@workflows.activity()
async def external_api_call(email: str) -> bool:
    return email.endswith(".com")


@workflows.activity(task_queue="seed-elsewhere")
async def quick_lookup(email: str) -> str:
    return email.split("@")[1]


@workflows.workflow.define(name="seed_mixed_workflow")
class MixedWorkflow:
    @workflows.workflow.entrypoint
    async def execute(self, email: str) -> dict:
        # Fast lookup runs locally
        with run_activities_locally():
            valid = await validate_email(email)
            domain = await quick_lookup(email)
        # Slow operation runs as regular activity
        verified = await external_api_call(email)
        remote_domain = await quick_lookup(email)
        return {"valid": valid, "domain": domain, "verified": verified, "remote_domain": remote_domain}


@pytest.mark.parametrize("cached", [True, False], ids=["sticky-cache", "full-replay"])
async def test_run_activities_locally_runs_them_on_the_workflows_worker(client, cached):
    """The workflow's worker polls no activity task (activity_pollers=0) and has eager execution
    switched off: only run_activities_locally() brings activities to it. Another worker on the
    same queue takes the rest; a third serves the queue `quick_lookup` names."""
    queue = f"seed-local-{cached}"
    acts = [validate_email, external_api_call, quick_lookup]
    own = Worker(client, task_queue=queue, workflows=[MixedWorkflow], activities=acts, activity_pollers=0,
                 disable_eager_activity_execution=True, max_cached_workflows=1000 if cached else 0)
    other = Worker(client, task_queue=queue, workflows=[], activities=acts)
    elsewhere = Worker(client, task_queue="seed-elsewhere", workflows=[], activities=acts)
    async with own, other, elsewhere:
        handle = await client.start_workflow(MixedWorkflow, "ada@example.com", task_queue=queue)
        result = await handle.result(timeout=60)
    assert result == {"valid": True, "domain": "example.com", "verified": True, "remote_domain": "example.com"}
    events = await handle.history()
    by_event = {e.event_id: e for e in events}
    sched = lambda s: by_event[s.scheduled_event_id].activity_task_scheduled  # noqa: E731
    ran_by = [(sched(s).activity_type.name, sched(s).task_queue.name, s.identity) for s in started(events)]
    assert ran_by == [
        ("validate_email", queue, own.identity),
        ("quick_lookup", queue, own.identity),  # its task_queue option is set aside: the workflow's queue
        ("external_api_call", queue, other.identity),
        ("quick_lookup", "seed-elsewhere", elsewhere.identity),
    ]
    assert E.EVENT_TYPE_WORKFLOW_TASK_FAILED not in [e.event_type for e in events]


def test_run_activities_locally_outside_a_workflow_changes_nothing():
    with run_activities_locally():
        assert workflows.activity.runs_locally()
    assert not workflows.activity.runs_locally()


# ------------------------------------------------------------------- 4. errors

@workflows.activity()
async def seed_non_retryable(key: str) -> str:
    CALLS[key] += 1
    raise WorkflowError("payment declined", {"code": 51}, type="PaymentDeclined", non_retryable=True)


@workflows.activity(retry_policy_max_attempts=2, retry_policy_backoff_coefficient=1.0)
async def seed_retryable_workflow_error(key: str) -> str:
    CALLS[key] += 1
    if CALLS[key] == 1:
        raise WorkflowError("try again")
    return "second time lucky"


class Order(BaseModel):
    id: str
    amount: int


@workflows.workflow.define(name="seed_errors")
class ErrorsWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, order: Order) -> dict:
        try:
            await seed_non_retryable(order.id)
        except workflows.ActivityError as exc:
            declined = {"type": exc.cause.type, "message": exc.cause.message, "details": exc.cause.details, "non_retryable": exc.cause.non_retryable}
        retried = await seed_retryable_workflow_error(f"{order.id}-r")
        if order.amount > 100:
            raise WorkflowError(f"order {order.id} over the limit", {"amount": order.amount}, type="OverLimit")
        return {"declined": declined, "retried": retried}


async def test_workflow_error_in_activities_and_in_workflow_code(client):
    async with Worker(client, task_queue="seed-errors", workflows=[ErrorsWorkflow], activities=[seed_non_retryable, seed_retryable_workflow_error]):
        ok = await client.start_workflow(ErrorsWorkflow, Order(id="o1", amount=5), task_queue="seed-errors")
        assert await ok.result(timeout=60) == {
            "declined": {"type": "PaymentDeclined", "message": "payment declined", "details": [{"code": 51}], "non_retryable": True},
            "retried": "second time lucky",
        }
        assert CALLS["o1"] == 1 and CALLS["o1-r"] == 2  # non_retryable honoured; a plain WorkflowError retried
        failing = await client.start_workflow(ErrorsWorkflow, Order(id="o2", amount=500), task_queue="seed-errors")
        with pytest.raises(WorkflowFailureError) as err:
            await failing.result(timeout=60)
    assert "OverLimit: order o2 over the limit" in str(err.value)
    cause = err.value.cause
    assert (cause.type, cause.message, cause.details) == ("OverLimit", "order o2 over the limit", [{"amount": 500}])
    assert (await failing.describe()).info.status == E.WORKFLOW_EXECUTION_STATUS_FAILED
    assert isinstance(err.value, WorkflowsException) and err.value.code == ErrorCode.EXECUTION_ERROR


def test_workflow_error_shape():
    err = WorkflowError("m", 1, "two", type="T", non_retryable=True, next_retry_delay=timedelta(seconds=5))
    assert isinstance(err, workflows.ApplicationError) and isinstance(err, workflows.exceptions.FailureError)
    assert (err.message, err.details, err.type, err.non_retryable, err.next_retry_delay) == ("m", (1, "two"), "T", True, timedelta(seconds=5))
    failure = workflows.converter.failure_from_exception(WorkflowError("plain"))
    assert failure.type == "WorkflowError" and failure.message == "plain" and not failure.non_retryable
    with pytest.raises(TypeError, match="next_retry_delay"):
        WorkflowError("m", next_retry_delay=5)
    assert isinstance(NotInTemporalContextError(), WorkflowError) and isinstance(NotInTemporalContextError(), RuntimeError)
    assert workflows.WorkflowError is WorkflowError and workflows.exceptions.ActivityError is workflows.ActivityError


@workflows.activity(retry_policy_max_attempts=2, retry_policy_backoff_coefficient=1.0)
async def validate_input(value: str) -> str:
    if not value:
        raise WorkflowsException(code=ErrorCode.INVALID_ARGUMENTS_ERROR, message="Input value cannot be empty", status=http.HTTPStatus.BAD_REQUEST)
    return f"valid:{value}"


class Input(BaseModel):
    value: str


@workflows.workflow.define(name="seed_exception_workflow_test")
class ExceptionWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: Input) -> str:
        return await validate_input(params.value)


async def test_workflows_exception_reaches_the_client_with_its_code_and_status(client):
    async with Worker(client, task_queue="seed-wfexc", workflows=[ExceptionWorkflow], activities=[validate_input]):
        assert await client.execute_workflow(ExceptionWorkflow, Input(value="hello"), task_queue="seed-wfexc") == "valid:hello"
        try:
            await client.execute_workflow(ExceptionWorkflow, Input(value=""), task_queue="seed-wfexc")
            raise AssertionError("the workflow should have failed")
        except WorkflowsException as e:
            assert (e.code, e.status) == (ErrorCode.INVALID_ARGUMENTS_ERROR, http.HTTPStatus.BAD_REQUEST)
            assert "Input value cannot be empty" in e.message
    direct = WorkflowsException("m", status=404, code="workflow_not_found")
    assert direct.code is ErrorCode.WORKFLOW_NOT_FOUND and direct.status == http.HTTPStatus.NOT_FOUND and direct.message == "m"
    assert direct.asdict() == {"object": "Error", "message": "m", "type": "invalid_request_error", "code": "workflow_not_found"}
    assert WorkflowsException("x", status=503).is_transient()


# ------------------------------------------------------ 5. against `fanflow dev`


async def test_seed_program_on_a_fanflow_dev_process(tmp_path, processes):
    """The program of tests/support/seed_activity_program.py, unchanged but for the import: a `fanflow
    dev` process, a `fanflow worker` process importing it, and the program itself run as a
    script (workflows.execute_workflow with FANFLOW_ADDRESS set)."""
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), name="dev")
    wait_for_port(port, proc=dev)
    address = f"127.0.0.1:{port}"
    # this checkout's packages first (the worker runs from tests/, the program as a script)
    pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {"SEED_MARKS_DIR": str(tmp_path), "FANFLOW_ADDRESS": address, "PYTHONPATH": pythonpath}
    worker = processes.fanflow("worker", "seed_activity_program", "--address", address, "--task-queue", "default", name="worker", env=env, cwd=SUPPORT)
    program = await asyncio.create_subprocess_exec(
        sys.executable, str(SUPPORT / "seed_activity_program.py"), env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    out, err = await asyncio.wait_for(program.communicate(), timeout=120)
    assert program.returncode == 0, err.decode()[-3000:]
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert lines == [
        {"users": {"valid": True, "ids": [1, 2], "report": {"processed": 2, "results": ["ADA", "BOB"]}}},
        {"valid": "valid:hello"},
        {"code": "invalid_arguments_error", "status": 400},
        {"rejected": "rejected x", "type": "Rejected", "details": [{"value": "x"}]},
    ]
    # the worker opened the Depends provider once and closes it when it stops (SIGTERM)
    assert [p.name for p in tmp_path.glob("db-open-*")] == [f"db-open-{worker.pid}"]
    assert not list(tmp_path.glob("db-closed-*"))
    worker.terminate()
    assert await asyncio.to_thread(worker.wait, 30) == 0
    assert [p.name for p in tmp_path.glob("db-closed-*")] == [f"db-closed-{worker.pid}"]
