"""The seed system's activity decorator without a cluster: `@workflows.activity(...)` with the
seed's options, positional order and defaults (3 attempts, backoff 2.0), each bad option named
at definition time, `RateLimit`'s bounds, `with_options`; `Depends` values for direct calls
and `DependencyInjector`; `activity_heartbeat` and `run_activities_locally` outside an activity;
`WorkflowError`'s shape. (The same API on a cluster: tests/service/worker_sdk/test_seed_activity_api.py.)"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

import worker_sdk as workflows
from protos import common_pb2 as E
from support.seed_activity_depends import (
    LOG,
    Database,
    every_provider_kind,
    get_config,
    get_db,
    insert_user,
    needs_broken,
    sync_cm,
    sync_gen,
    sync_with_dependency,
)
from worker_sdk import Depends, DependencyInjector, RateLimit, run_activities_locally
from worker_sdk.exceptions import DependencyError, NotInTemporalContextError, WorkflowError


def defn(fn):
    return workflows.activity.get_definition(fn)


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


# ------------------------------------------------------------------ Depends


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


def test_activity_heartbeat_outside_an_activity_is_a_no_op():
    workflows.activity_heartbeat(1, 2)
    workflows.activity_heartbeat()


def test_run_activities_locally_outside_a_workflow_changes_nothing():
    with run_activities_locally():
        assert workflows.activity.runs_locally()
    assert not workflows.activity.runs_locally()


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
