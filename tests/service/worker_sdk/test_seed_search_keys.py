"""Search keys end to end on an embedded cluster (worker_sdk/search_keys.py, history's index):
the seed's documented snippets with only the import changed, keys extracted at the start and
at the first workflow task, added and removed by workflow code and by an activity, full replay
(`max_cached_workflows=0`) with all of them, continue-as-new carrying them over, the run's limit
of 20, bad keys failing the run non-retryably, InteractiveWorkflow's waiting state, and a
child workflow's declared keys."""
from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from conftest import wait_for_event
from protos import common_pb2 as E
from protos import workflow_service_pb2 as ws
from support.seed_search_key_snippets import CustomerRef, CustomerTiering, OrderInput, OrderProcessor, fetch_customer
from worker_sdk import ActivityError, Worker, WorkflowFailureError, converter
from worker_sdk import embedded as embedded_module


def keys_of(info: ws.WorkflowExecutionInfo) -> dict[str, str | None]:
    return {k.key: (None if k.unset else k.value) for k in info.search_keys}


async def describe_keys(handle) -> dict[str, str | None]:
    return keys_of((await handle.describe()).info)


# --------------------------------------------------------------------------- the documented snippets


async def test_the_documented_order_processor_is_found_by_the_keys_of_its_input(embedded_cluster, client, monkeypatch):
    monkeypatch.setattr(embedded_module, "_settings", {})
    monkeypatch.delenv("FANFLOW_ADDRESS", raising=False)
    workflows.configure(address=embedded_cluster.frontend_address, task_queue="sk-docs")
    worker = await workflows.run_worker([OrderProcessor], detach=True)
    try:
        for order_id, tier in (("o-1", "gold"), ("o-2", "silver"), ("o-3", "gold")):
            result = await workflows.execute_workflow(OrderProcessor, params=OrderInput(order_id=order_id, customer_tier=tier), execution_id=f"order-{order_id}")
            assert result == f"Processed {order_id}"
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
    gold = await client.list_workflows(search_keys={"customer_tier": "gold"})
    assert [i.execution.workflow_id for i in gold] == ["order-o-3", "order-o-1"]  # newest first
    assert keys_of(gold[0]) == {"order_id": "o-3", "customer_tier": "gold"}
    assert [i.execution.workflow_id for i in await client.list_workflows(search_keys={"order_id": "o-2", "customer_tier": "silver"})] == ["order-o-2"]
    assert (await client.count_workflows(search_keys={"customer_tier": "gold"}, status="completed")).count == 2
    assert await describe_keys(client.get_workflow_handle("order-o-2")) == {"order_id": "o-2", "customer_tier": "silver"}


async def test_keys_from_workflow_code_and_an_activity_replayed_in_full_every_task(client):
    """The docstring examples: a tier known only mid-run is added, later deleted; an activity
    adds its own key through the cluster. Every task replays the whole history (no cache)."""

    @workflows.activity(name="seed_sk_tag_from_activity")
    async def tag_from_activity(customer_id: str) -> None:
        await workflows.workflow.add_search_keys({"checked.by": f"activity-{customer_id}"})

    @workflows.workflow.define(name="seed_sk_code_and_activity", search_keys=["id"])
    class CodeAndActivity(CustomerTiering):
        @workflows.workflow.entrypoint
        async def run(self, payload: CustomerRef) -> str:
            customer = await fetch_customer(payload.id)
            await workflows.workflow.add_search_keys({"customer.tier": customer.tier, "stage": "fetched", "note": None})
            await tag_from_activity(payload.id)
            await workflows.workflow.wait_condition(lambda: self.released)
            await workflows.workflow.delete_search_keys(["customer.tier", "note"])
            await workflows.workflow.add_search_keys({"stage": "done"})
            return customer.tier

    async with Worker(client, task_queue="sk-code", workflows=[CodeAndActivity], activities=[fetch_customer, tag_from_activity], max_cached_workflows=0):
        handle = await client.start_workflow(CodeAndActivity, CustomerRef(id="vip-7"), task_queue="sk-code", id="tiering-vip-7")
        while "checked.by" not in await describe_keys(handle):
            await asyncio.sleep(0.05)
        assert await describe_keys(handle) == {"id": "vip-7", "customer.tier": "gold", "stage": "fetched", "note": None, "checked.by": "activity-vip-7"}
        assert [i.execution.workflow_id for i in await client.list_workflows(search_keys={"note": None, "customer.tier": "gold"})] == ["tiering-vip-7"]
        await handle.signal("release")
        assert await handle.result() == "gold"
    assert await describe_keys(handle) == {"id": "vip-7", "stage": "done", "checked.by": "activity-vip-7"}
    assert (await client.count_workflows(search_keys={"customer.tier": "gold"})).count == 0
    events = await handle.history()
    upserts = [e.search_keys_upserted for e in events if e.event_type == E.EVENT_TYPE_SEARCH_KEYS_UPSERTED]
    assert [(tuple(k.key for k in u.search_keys), bool(u.workflow_task_completed_event_id)) for u in upserts] == [
        (("customer.tier", "stage", "note"), True),
        (("checked.by",), False),  # the activity's: not a command of the code
        (("stage",), True),
    ]
    assert not any(e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in events)  # replays matched
    # the replayer skips the activity's keys (not the code's) and matches the code's commands
    assert (await workflows.Replayer(workflows=[CodeAndActivity]).replay_workflow(await handle.fetch_history())).ok


async def test_the_documented_tiering_workflow_with_the_cache_on(client):
    async with Worker(client, task_queue="sk-tiering", workflows=[CustomerTiering], activities=[fetch_customer]):
        handle = await client.start_workflow(CustomerTiering, CustomerRef(id="c-1"), task_queue="sk-tiering")
        await wait_for_event(handle, E.EVENT_TYPE_SEARCH_KEYS_UPSERTED)
        assert await describe_keys(handle) == {"id": "c-1", "customer.tier": "standard"}
        found = await client.list_workflows(display_name="Customer tiering", search_keys={"customer.tier": "standard"})
        assert [i.execution.workflow_id for i in found] == [handle.workflow_id]
        await handle.signal("release")
        assert await handle.result() == "standard"
    assert await describe_keys(handle) == {"id": "c-1"}


# --------------------------------------------------------------------------- define(search_keys=...) at the start


class Round(BaseModel):
    job: str
    round: int = 1


@workflows.workflow.define(name="seed_sk_rounds", search_keys=["job", "round"])
class Rounds:
    @workflows.workflow.entrypoint
    async def run(self, params: Round) -> int:
        if params.round == 1:
            await workflows.workflow.add_search_keys({"owner": "ops"})
        if params.round < 3:
            workflows.workflow.continue_as_new(Round(job=params.job, round=params.round + 1))
        return params.round


async def test_continue_as_new_carries_the_keys_over_with_the_new_inputs_values(client):
    async with Worker(client, task_queue="sk-rounds", workflows=[Rounds], max_cached_workflows=0):
        handle = await client.start_workflow(Rounds, Round(job="nightly"), task_queue="sk-rounds", id="rounds-nightly")
        assert await handle.result() == 3
    runs = await client.list_workflows(workflow_id_prefix="rounds-")
    assert [(i.status, keys_of(i)) for i in runs] == [
        (E.WORKFLOW_EXECUTION_STATUS_COMPLETED, {"job": "nightly", "round": "3", "owner": "ops"}),
        (E.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, {"job": "nightly", "round": "2", "owner": "ops"}),
        (E.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, {"job": "nightly", "round": "1", "owner": "ops"}),
    ]
    assert (await client.count_workflows(search_keys={"owner": "ops", "job": "nightly"}, group_by="status")).groups == {"continued_as_new": 2, "completed": 1}
    # the second run started with the first run's keys and recorded its own round at its first task
    second = [e for e in await handle.history(run_id=runs[1].execution.run_id)]
    started = second[0].workflow_execution_started
    assert {k.key: k.value for k in started.search_keys} == {"job": "nightly", "round": "1", "owner": "ops"}
    (upsert,) = [e.search_keys_upserted for e in second if e.event_type == E.EVENT_TYPE_SEARCH_KEYS_UPSERTED]
    assert upsert.from_sdk and [(k.key, k.value) for k in upsert.search_keys] == [("round", "2")]
    replayed = await workflows.Replayer(workflows=[Rounds]).replay_workflows(
        [await handle.fetch_history(run.execution.run_id) for run in runs], raise_on_replay_failure=False)
    assert replayed.replay_failures == {}


async def test_a_start_that_carries_no_keys_gets_them_at_the_first_workflow_task(client):
    """As a schedule, grpcurl or a start by type name from elsewhere: the worker extracts them."""
    request = ws.StartWorkflowExecutionRequest(
        namespace=client.namespace, workflow_id="rounds-bare", workflow_type=E.WorkflowType(name="seed_sk_rounds"),
        task_queue=E.TaskQueue(name="sk-bare"), input=converter.to_payload({"params": {"job": "bare", "round": 3}}), request_id="bare-1",
    )
    await client.call("StartWorkflowExecution", request)
    assert (await client.count_workflows(search_keys={"job": "bare"})).count == 0
    async with Worker(client, task_queue="sk-bare", workflows=[Rounds]):
        assert await client.get_workflow_handle("rounds-bare").result() == 3
    assert await describe_keys(client.get_workflow_handle("rounds-bare")) == {"job": "bare", "round": "3"}


# --------------------------------------------------------------------------- limits and bad keys


@workflows.workflow.define(name="seed_sk_many_keys")
class ManyKeys:
    @workflows.workflow.entrypoint
    async def run(self) -> int:
        await workflows.workflow.add_search_keys({f"k{i:02d}": i for i in range(15)})
        await workflows.workflow.add_search_keys({"k00": "first changed", **{f"n{i}": i for i in range(10)}})
        return 0


async def test_a_run_holds_at_most_20_keys_and_history_says_which_were_dropped(client):
    async with Worker(client, task_queue="sk-many", workflows=[ManyKeys]):
        handle = await client.start_workflow(ManyKeys, task_queue="sk-many")
        await handle.result()
    keys = await describe_keys(handle)
    assert len(keys) == 20 and keys["k00"] == "first changed" and [k for k in keys if k.startswith("n")] == ["n0", "n1", "n2", "n3", "n4"]
    (_, second) = [e.search_keys_upserted for e in await handle.history() if e.event_type == E.EVENT_TYPE_SEARCH_KEYS_UPSERTED]
    assert list(second.dropped_keys) == ["n5", "n6", "n7", "n8", "n9"]


@workflows.activity(name="seed_sk_bad_activity_keys")
async def bad_activity_keys() -> None:
    await workflows.workflow.delete_search_keys("tier")  # a string, not a list of keys


@workflows.workflow.define(name="seed_sk_bad_keys")
class BadKeys:
    @workflows.workflow.entrypoint
    async def run(self, where: str) -> str:
        if where == "activity":
            try:
                await bad_activity_keys()
            except ActivityError as exc:
                return f"activity failed: {exc.cause}"
        await workflows.workflow.add_search_keys({"a:b": 1, "internal.mine": 2, "ok": [1, 2]})
        return "unreachable"


async def test_bad_keys_fail_the_run_or_the_activity_at_once_naming_every_problem(client):
    async with Worker(client, task_queue="sk-bad", workflows=[BadKeys], activities=[bad_activity_keys]):
        handle = await client.start_workflow(BadKeys, "workflow", task_queue="sk-bad")
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        message = str(failed.value)
        for problem in ("must not contain ':'", "must not start with 'internal.'", "'ok' must map to a scalar value, got list"):
            assert problem in message
        assert (await client.count_workflows(status="failed")).count == 1
        outcome = await client.execute_workflow(BadKeys, "activity", task_queue="sk-bad")
        assert "delete_search_keys takes a list or tuple of keys, got str" in outcome
    events = await client.get_workflow_handle(handle.workflow_id).history()
    assert not any(e.event_type == E.EVENT_TYPE_SEARCH_KEYS_UPSERTED for e in events)  # nothing half-recorded
    attempts = [e for e in await client.list_workflows(workflow_type="seed_sk_bad_keys", status="completed")]
    (activity_run,) = attempts
    started = [e for e in await client.get_workflow_handle(activity_run.execution.workflow_id).history() if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED]
    assert [e.activity_task_started.attempt for e in started] == [1]  # non-retryable: one attempt


# --------------------------------------------------------------------------- InteractiveWorkflow


class Approval(BaseModel):
    approved: bool


@workflows.workflow.define(name="seed_sk_waiting")
class Waiting(workflows.InteractiveWorkflow):
    @workflows.workflow.entrypoint
    async def run(self) -> bool:
        answer = await self.wait_for_input(Approval, label="approve")
        return answer.approved


async def test_runs_waiting_for_input_are_found_by_the_seeds_state_key(client):
    waiting = {"internal.execution.state": "waiting_for_input"}
    async with Worker(client, task_queue="sk-wait", workflows=[Waiting], max_cached_workflows=0):
        handle = await client.start_workflow(Waiting, task_queue="sk-wait")
        await wait_for_event(handle, E.EVENT_TYPE_SEARCH_KEYS_UPSERTED)
        assert [i.execution.workflow_id for i in await client.list_workflows(search_keys=waiting)] == [handle.workflow_id]
        await handle.submit_input({"approved": True})
        assert await handle.result() is True
    assert await client.list_workflows(search_keys=waiting) == []
    assert await describe_keys(handle) == {}


# --------------------------------------------------------------------------- child workflows


@workflows.workflow.define(name="seed_sk_parent")
class Parent:
    @workflows.workflow.entrypoint
    async def run(self, job: str) -> int:
        return await workflows.execute_workflow(Rounds, params=Round(job=job, round=3), execution_id=f"{job}-child")


async def test_a_child_workflow_gets_its_declared_keys_at_its_first_task(client):
    async with Worker(client, task_queue="sk-parent", workflows=[Parent, Rounds]):
        assert await client.execute_workflow(Parent, "kid", task_queue="sk-parent") == 3
    (child,) = await client.list_workflows(search_keys={"job": "kid"})
    assert child.execution.workflow_id == "kid-child" and keys_of(child) == {"job": "kid", "round": "3"}
