"""The seed system's activity-side API on an embedded cluster: the seed's default retry policy
decided by history, `Depends` values entered once per worker (in an Offset executor too),
`activity_heartbeat` and the heartbeat timeout, `run_activities_locally`, `WorkflowError` /
`WorkflowsException` reaching the client. Programs are written in the seed's documented shapes
with only the import changed. (The decorators' options and checks without a cluster:
tests/unit/worker_sdk/test_seed_activity_definitions.py; a program on `fanflow dev`:
tests/cluster/programs/test_seed_activity_program.py.)"""
from __future__ import annotations

import asyncio
import http
import json
from collections import Counter
from datetime import timedelta

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from protos import common_pb2 as E
from support.seed_activity_depends import LOG, every_provider_kind, get_config, insert_user, needs_broken, sync_with_dependency
from worker_sdk import Depends, Worker, run_activities_locally
from worker_sdk.exceptions import ErrorCode, WorkflowError, WorkflowFailureError, WorkflowsException

CALLS: Counter = Counter()


def scheduled(events) -> list:
    return [e.activity_task_scheduled for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]


def started(events) -> list:
    return [e.activity_task_started for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED]


# ------------------------------------------------------ defaults and retries

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


# ------------------------------------------------------------------ Depends


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


# --------------------------------------------------------- heartbeat, local

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


# --------------------------------------------------------------------- errors

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
