"""Child workflows on real services (embedded cluster, real SQLite): the seed's documented
snippets with only the import changed; results and failures coming back to the parent; the
wait=False handle; each parent close policy when the parent completes, is cancelled or is
terminated; the links in both histories, describe and progress; an id already running; full
replay (max_cached_workflows=0); bad input. Children land on other shards than their parents
(16 shards), so every step crosses shards through the outbox."""
from __future__ import annotations

import asyncio
import datetime

import grpc
import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from conftest import wait_for_event
from fanflow import routing
from protos import common_pb2, history_service_pb2, workflow_service_pb2 as ws
from worker_sdk import Client, Worker, WorkflowFailureError

E = common_pb2
TQ = "children"
RUNNING = E.WORKFLOW_EXECUTION_STATUS_RUNNING


# --------------------------------------------------------------------------- workflows


@workflows.activity()
async def cw_double(n: int) -> int:
    return n * 2


@workflows.workflow.define(name="cw_child_sum", execution_timeout=datetime.timedelta(minutes=7))
class ChildSum:
    @workflows.workflow.entrypoint
    async def run(self, numbers: list[int]) -> int:
        doubled = await asyncio.gather(*(cw_double(n) for n in numbers))
        return sum(doubled)


@workflows.workflow.define(name="cw_child_fails")
class ChildFails:
    @workflows.workflow.entrypoint
    async def run(self, why: str) -> int:
        raise workflows.ApplicationError(f"child refuses: {why}", type="ValueError", non_retryable=True)


@workflows.workflow.define(name="cw_child_waits")
class ChildWaits:
    """Waits for a `finish` signal; records whether it was asked to cancel."""

    def __init__(self) -> None:
        self.value: str | None = None

    @workflows.workflow.signal
    def finish(self, value: str) -> None:
        self.value = value

    @workflows.workflow.entrypoint
    async def run(self, tag: str) -> str:
        await workflows.workflow.wait_condition(lambda: self.value is not None)
        return f"{tag}:{self.value}"


class SumParams(BaseModel):
    groups: list[list[int]]


@workflows.workflow.define(name="cw_parent_sums")
class ParentSums:
    @workflows.workflow.entrypoint
    async def run(self, params: SumParams) -> list[int]:
        return list(await asyncio.gather(*(workflows.execute_workflow(ChildSum, params={"numbers": g}) for g in params.groups)))


@workflows.workflow.define(name="cw_parent_catches")
class ParentCatches:
    @workflows.workflow.entrypoint
    async def run(self, why: str) -> dict:
        try:
            await workflows.execute_workflow(ChildFails, params={"why": why}, execution_id=f"{workflows.get_execution_id()}-child")
        except workflows.ChildWorkflowError as err:
            return {
                "message": str(err), "workflow_id": err.workflow_id, "run_id": err.run_id, "type": err.workflow_type,
                "cause_type": err.cause.type, "cause": str(err.cause), "initiated": err.initiated_event_id,
            }
        return {}


@workflows.workflow.define(name="cw_parent_lets_it_fail")
class ParentLetsItFail:
    @workflows.workflow.entrypoint
    async def run(self, why: str) -> int:
        return await workflows.execute_workflow(ChildFails, params={"why": why})


@workflows.workflow.define(name="cw_parent_handle")
class ParentHandle:
    @workflows.workflow.entrypoint
    async def run(self, child_id: str) -> dict:
        handle = await workflows.workflow.execute_workflow(ChildWaits, params={"tag": "h"}, execution_id=child_id, wait=False)
        await handle.signal(ChildWaits.finish, "from-parent")
        result = await handle
        return {"id": handle.id, "workflow_id": handle.workflow_id, "run_id": handle.run_id, "result": result}


class PolicyParams(BaseModel):
    prefix: str
    then: str  # "complete": return at once; "wait": wait forever (to be cancelled or terminated)


@workflows.workflow.define(name="cw_parent_policies")
class ParentPolicies:
    @workflows.workflow.entrypoint
    async def run(self, params: PolicyParams) -> str:
        for policy in (workflows.ParentClosePolicy.TERMINATE, workflows.ParentClosePolicy.REQUEST_CANCEL, workflows.ParentClosePolicy.ABANDON):
            await workflows.execute_workflow(
                ChildWaits, params={"tag": policy.name}, execution_id=f"{params.prefix}-{policy.name.lower()}", wait=False, parent_close_policy=policy,
            )
        if params.then == "wait":
            await workflows.workflow.wait_condition(lambda: False)
        return "done"


@workflows.workflow.define(name="cw_parent_default_policy")
class ParentDefaultPolicy:
    """wait=True: TERMINATE by default; the parent is terminated while it waits."""

    @workflows.workflow.entrypoint
    async def run(self, child_id: str) -> str:
        return await workflows.execute_workflow(ChildWaits, params={"tag": "x"}, execution_id=child_id)


@workflows.workflow.define(name="cw_parent_conflict")
class ParentConflict:
    @workflows.workflow.entrypoint
    async def run(self, child_id: str) -> dict:
        try:
            await workflows.execute_workflow(ChildWaits, params={"tag": "dup"}, execution_id=child_id)
        except workflows.ChildWorkflowAlreadyStartedError as err:
            return {"error": type(err).__name__, "message": str(err), "is_child_error": isinstance(err, workflows.ChildWorkflowError)}
        return {}


@workflows.workflow.define(name="cw_parent_cancels_child")
class ParentCancelsChild:
    """Cancels the task that awaits a child: the child is asked to cancel."""

    @workflows.workflow.entrypoint
    async def run(self, child_id: str) -> str:
        task = asyncio.ensure_future(workflows.execute_workflow(ChildWaits, params={"tag": "c"}, execution_id=child_id))
        await workflows.workflow.sleep(0.3)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        return "not cancelled"


@workflows.workflow.define(name="cw_parent_mixed")
class ParentMixed:
    """Every kind of child step in one run (replayed in full when the cache is off)."""

    @workflows.workflow.entrypoint
    async def run(self, prefix: str) -> dict:
        total = await workflows.execute_workflow(ChildSum, params={"numbers": [1, 2, 3]})
        handle = await workflows.execute_workflow(ChildWaits, params={"tag": "m"}, execution_id=f"{prefix}-waits", wait=False)
        await workflows.workflow.sleep(0.05)
        await handle.signal("finish", "ok")
        failed = ""
        try:
            await workflows.execute_workflow(ChildFails, params={"why": "mixed"})
        except workflows.ChildWorkflowError as err:
            failed = err.cause.type
        cancel_me = asyncio.ensure_future(workflows.execute_workflow(ChildWaits, params={"tag": "c"}, execution_id=f"{prefix}-cancel"))
        await workflows.workflow.sleep(0.2)
        cancel_me.cancel()
        cancelled = False
        try:
            await cancel_me
        except asyncio.CancelledError:
            cancelled = True
        return {"total": total, "waited": await handle, "failed": failed, "cancelled": cancelled, "random": workflows.workflow.random().randint(0, 10**6)}


@workflows.workflow.define(name="cw_parent_bad_id")
class ParentBadId:
    @workflows.workflow.entrypoint
    async def run(self, which: str) -> str:
        bad = {"empty": "", "long": "x" * 1001, "number": 42}[which]
        try:
            await workflows.execute_workflow(ChildSum, params={"numbers": [1]}, execution_id=bad)
        except (TypeError, ValueError) as err:
            return f"{type(err).__name__}: {err}"
        return "accepted"


@workflows.workflow.define(name="cw_parent_too_many")
class ParentTooMany:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return list(await asyncio.gather(*(workflows.execute_workflow(ChildSum, params={"numbers": [i]}) for i in range(n))))


@workflows.workflow.define(name="cw_not_served_here")
class NotServedHere:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        return "never"


@workflows.workflow.define(name="cw_parent_unknown_type")
class ParentUnknownType:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        return await workflows.execute_workflow(NotServedHere)


@workflows.workflow.define(name="cw_parent_progress")
class ParentProgress:
    """20 children, each running an executor over 50 items (their progress is the point)."""

    @workflows.workflow.entrypoint
    async def run(self, children: int, items: int) -> list[int]:
        return list(await asyncio.gather(*(
            workflows.execute_workflow(ChildExecutor, params={"start": i * items, "items": items}, execution_id=f"{workflows.get_execution_id()}-{i}")
            for i in range(children)
        )))


@workflows.activity()
async def cw_slow_square(n: int) -> int:
    await asyncio.sleep(0.01)
    return n * n


@workflows.workflow.define(name="cw_child_executor")
class ChildExecutor:
    @workflows.workflow.entrypoint
    async def run(self, start: int, items: int) -> int:
        results = await workflows.execute_activities_in_parallel(
            cw_slow_square, items=list(range(start, start + items)), max_concurrent_scheduled_tasks=5,
        )
        return sum(results)


ALL_WORKFLOWS = [
    ChildSum, ChildFails, ChildWaits, ParentSums, ParentCatches, ParentLetsItFail, ParentHandle, ParentPolicies,
    ParentDefaultPolicy, ParentConflict, ParentCancelsChild, ParentMixed, ParentBadId, ParentUnknownType, ParentProgress, ChildExecutor,
    ParentTooMany,
]


async def _status(client: Client, workflow_id: str) -> int:
    return (await client.get_workflow_handle(workflow_id).describe()).info.status


async def _wait_status(client: Client, workflow_id: str, statuses: set[int], timeout: float = 30) -> int:
    for _ in range(int(timeout / 0.1)):
        try:
            status = await _status(client, workflow_id)
        except grpc.aio.AioRpcError:
            status = None
        if status in statuses:
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} status {status} not in {statuses} after {timeout} s")


def _events(history, event_type: int) -> list[common_pb2.HistoryEvent]:
    return [e for e in history if e.event_type == event_type]


# --------------------------------------------------------------------------- the seed's snippets


def _run_seed_program(data_dir, *args: str) -> str:
    """tests/support/seed_child_workflows_program.py in a process of its own (its `process_item` is the
    documentation's, whose name other test modules use too), on an embedded cluster in data_dir."""
    import os
    import subprocess
    import sys

    from conftest import ROOT, SUPPORT

    env = {k: v for k, v in os.environ.items() if k != "FANFLOW_ADDRESS"}
    env.update(FANFLOW_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(SUPPORT / "seed_child_workflows_program.py"), *args],
                         capture_output=True, text=True, timeout=180, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


async def test_the_seeds_child_workflow_snippets_run_unchanged(tmp_path):
    import json

    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig

    data = tmp_path / "data"
    # "Basic usage": the whole program, on an embedded cluster
    assert "Parent got: processed:hello" in await asyncio.to_thread(_run_seed_program, data)
    # "Fire and forget" and "Parent close policy": the fragments inside parents
    report = json.loads((await asyncio.to_thread(_run_seed_program, data, "fragments")).strip().splitlines()[-1])
    assert report["fire_and_forget"]["result"] == "processed:later" and report["fire_and_forget"]["child_id"].startswith("child_workflow-")

    # The data stays: open it again and look at the close-policy child (TERMINATE: the parent
    # returned at once, so the child was terminated unless it finished first).
    cluster = await embedded(ClusterConfig.embedded(data, poll_timeout=5.0)).start()
    client = await Client.connect(cluster.frontend_address)
    try:
        child = client.get_workflow_handle(report["close_policy_child"])
        started = (await child.history())[0].workflow_execution_started
        assert started.parent_workflow_execution.workflow_id == report["close_policy_parent"]
        status = await _wait_status(client, child.workflow_id, {E.WORKFLOW_EXECUTION_STATUS_COMPLETED, E.WORKFLOW_EXECUTION_STATUS_TERMINATED})
        if status == E.WORKFLOW_EXECUTION_STATUS_TERMINATED:
            terminated = _events(await child.history(), E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED)[0]
            assert "parent close policy TERMINATE" in terminated.workflow_execution_terminated.reason
    finally:
        await client.close()
        await cluster.stop()


# --------------------------------------------------------------------------- results and failures


async def test_results_come_back_and_both_histories_link_each_other(client, embedded_cluster):
    groups = [[1, 2], [3], [4, 5, 6], [7, 8, 9, 10]]
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentSums, SumParams(groups=groups), id="sums", task_queue=TQ)
        assert await parent.result(timeout=60) == [2 * sum(g) for g in groups]
    history = await parent.history()
    initiated = _events(history, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    started = _events(history, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
    completed = _events(history, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
    assert len(initiated) == len(started) == len(completed) == len(groups)
    shards = {routing.shard_for("default", "sums", 16)}
    for event in started:
        a = event.child_workflow_execution_started
        child = client.get_workflow_handle(a.workflow_execution.workflow_id, a.workflow_execution.run_id)
        child_start = (await child.history())[0].workflow_execution_started
        # the child's history names its parent and the event that started it
        assert child_start.parent_workflow_execution == parent.execution
        assert child_start.parent_initiated_event_id == a.initiated_event_id
        assert child_start.workflow_execution_timeout.seconds == 7 * 60  # the child's declared execution_timeout
        described = (await child.describe()).info
        assert described.parent_execution == parent.execution and described.parent_initiated_event_id == a.initiated_event_id
        shards.add(routing.shard_for("default", a.workflow_execution.workflow_id, 16))
    assert len(shards) > 1, "parent and children on one shard: nothing crossed shards"
    for event in completed:  # the parent's close events name the child's execution
        a = event.child_workflow_execution_completed
        assert a.workflow_execution.run_id and a.started_event_id in {e.event_id for e in started}
    progress = await parent.progress()
    s = progress.children_summary
    assert (s.initiated, s.started, s.completed, s.pending) == (4, 4, 4, 0)


async def test_a_child_failure_reaches_the_parent_as_child_workflow_error(client):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        caught = await (await client.start_workflow(ParentCatches, "bad input", id="catches", task_queue=TQ)).result(timeout=30)
        assert caught["workflow_id"] == "catches-child" and caught["type"] == "cw_child_fails" and caught["run_id"]
        assert caught["cause_type"] == "ValueError" and caught["cause"] == "child refuses: bad input"
        assert "child workflow 'cw_child_fails' (workflow_id=catches-child" in caught["message"] and "failed" in caught["message"]
        assert caught["initiated"] > 0

        uncaught = await client.start_workflow(ParentLetsItFail, "nope", task_queue=TQ)
        with pytest.raises(WorkflowFailureError) as info:
            await uncaught.result(timeout=30)
    failure = info.value.failure
    assert failure.type == "ChildWorkflowError" and "cw_child_fails" in failure.message
    assert failure.cause.type == "ValueError" and failure.cause.message == "child refuses: nope"


async def test_wait_false_returns_a_handle_that_signals_and_awaits_the_child(client):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentHandle, "handled-child", task_queue=TQ)
        out = await parent.result(timeout=30)
    assert out["id"] == out["workflow_id"] == "handled-child" and out["result"] == "h:from-parent"
    child = client.get_workflow_handle("handled-child")
    assert out["run_id"] == (await child.describe()).info.execution.run_id
    signals = _events(await child.history(), E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    assert [s.workflow_execution_signaled.signal_name for s in signals] == ["finish"]


async def test_cancelling_the_wait_asks_the_child_to_cancel(client):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentCancelsChild, "to-cancel", task_queue=TQ)
        assert await parent.result(timeout=30) == "cancelled"
        await _wait_status(client, "to-cancel", {E.WORKFLOW_EXECUTION_STATUS_CANCELED})
    history = await parent.history()
    assert len(_events(history, E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)) == 1
    child_history = await client.get_workflow_handle("to-cancel").history()
    assert _events(child_history, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)


async def test_cancelling_the_parent_cancels_the_child_it_waits_for_first(client):
    """The parent's cancellation reaches the child it awaits; the parent closes CANCELED only
    once the child has (so its TERMINATE policy finds nothing left to terminate)."""
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentDefaultPolicy, "awaited-child", id="cancelled-parent", task_queue=TQ)
        await wait_for_event(parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        await wait_for_event(client.get_workflow_handle("awaited-child"), E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await parent.cancel("stop everything")
        await _wait_status(client, "cancelled-parent", {E.WORKFLOW_EXECUTION_STATUS_CANCELED})
    assert await _status(client, "awaited-child") == E.WORKFLOW_EXECUTION_STATUS_CANCELED
    history = await parent.history()
    canceled = _events(history, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED)
    closed = _events(history, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED)
    assert canceled and closed and canceled[0].event_id < closed[0].event_id


# --------------------------------------------------------------------------- parent close policies


async def _policies_after(client: Client, prefix: str, close) -> dict[str, int]:
    """Start ParentPolicies (three children, one per policy), close it with `close`, and
    return each child's final status (ABANDON: still running, then finished by a signal)."""
    then = "complete" if close is None else "wait"
    parent = await client.start_workflow(ParentPolicies, PolicyParams(prefix=prefix, then=then), id=f"{prefix}-parent", task_queue=TQ)
    for _ in range(300):  # the parent goes on after each child started: all three have once it waits
        if len(_events(await parent.history(), E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)) == 3:
            break
        await asyncio.sleep(0.1)
    if close is not None:
        for policy in ("terminate", "request_cancel", "abandon"):  # each child waits for its signal
            await wait_for_event(client.get_workflow_handle(f"{prefix}-{policy}"), E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        await close(parent)
    statuses = {
        "terminate": await _wait_status(client, f"{prefix}-terminate", {E.WORKFLOW_EXECUTION_STATUS_TERMINATED}),
        "request_cancel": await _wait_status(client, f"{prefix}-request_cancel", {E.WORKFLOW_EXECUTION_STATUS_CANCELED}),
    }
    await asyncio.sleep(0.3)
    statuses["abandon"] = await _status(client, f"{prefix}-abandon")
    abandoned = client.get_workflow_handle(f"{prefix}-abandon")
    await abandoned.signal("finish", "later")
    assert await abandoned.result(timeout=30) == "ABANDON:later"
    return statuses


@pytest.mark.parametrize("how", ["completes", "is_cancelled", "is_terminated"])
async def test_each_parent_close_policy_applies_when_the_parent_closes(client, how):
    close = {
        "completes": None,
        "is_cancelled": lambda parent: parent.cancel("stop"),
        "is_terminated": lambda parent: parent.terminate("stop"),
    }[how]
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        statuses = await _policies_after(client, f"pol-{how}", close)
        parent_status = await _status(client, f"pol-{how}-parent")
    assert statuses == {
        "terminate": E.WORKFLOW_EXECUTION_STATUS_TERMINATED,
        "request_cancel": E.WORKFLOW_EXECUTION_STATUS_CANCELED,
        "abandon": RUNNING,
    }
    assert parent_status == {
        "completes": E.WORKFLOW_EXECUTION_STATUS_COMPLETED,
        "is_cancelled": E.WORKFLOW_EXECUTION_STATUS_CANCELED,
        "is_terminated": E.WORKFLOW_EXECUTION_STATUS_TERMINATED,
    }[how]
    terminated = _events(await client.get_workflow_handle(f"pol-{how}-terminate").history(), E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED)
    assert f"parent workflow pol-{how}-parent closed (parent close policy TERMINATE)" == terminated[0].workflow_execution_terminated.reason


async def test_wait_true_defaults_to_terminate_and_describe_shows_the_open_child(client):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentDefaultPolicy, "default-child", id="default-parent", task_queue=TQ)
        await wait_for_event(parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
        info = (await parent.describe()).info
        assert info.pending_child_count == 1
        [pending] = info.pending_children
        assert pending.workflow_id == "default-child" and pending.run_id and pending.parent_close_policy == E.PARENT_CLOSE_POLICY_TERMINATE
        progress = await parent.progress()
        assert [c.workflow_id for c in progress.children] == ["default-child"] and progress.children[0].status == RUNNING
        await parent.terminate("enough")
        await _wait_status(client, "default-child", {E.WORKFLOW_EXECUTION_STATUS_TERMINATED})
    assert (await parent.describe()).info.pending_child_count == 0


# --------------------------------------------------------------------------- id conflict, replay


async def test_a_child_id_already_running_fails_the_start_in_the_parent(client):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        busy = await client.start_workflow(ChildWaits, "first", id="busy-id", task_queue=TQ)
        parent = await client.start_workflow(ParentConflict, "busy-id", task_queue=TQ)
        out = await parent.result(timeout=30)
        assert out["error"] == "ChildWorkflowAlreadyStartedError" and out["is_child_error"]
        assert "child workflow 'cw_child_waits' (workflow_id=busy-id) could not start" in out["message"]
        assert "busy-id" in out["message"] and "already running" in out["message"]
        [failed] = _events(await parent.history(), E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
        assert failed.start_child_workflow_execution_failed.cause == E.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
        assert (await busy.describe()).info.status == RUNNING  # the running one is untouched
        await busy.signal("finish", "done")
        assert await busy.result(timeout=30) == "first:done"


async def test_full_replay_without_a_cache_gives_the_same_outcome(client):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS, max_cached_workflows=0):
        parent = await client.start_workflow(ParentMixed, "replayed", id="replayed", task_queue=TQ)
        out = await parent.result(timeout=60)
    assert out["total"] == 12 and out["waited"] == "m:ok" and out["failed"] == "ValueError" and out["cancelled"] is True
    history = await parent.history()
    assert not _events(history, E.EVENT_TYPE_WORKFLOW_TASK_FAILED), "replay disagreed with history"
    assert len(_events(history, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) > 4  # many tasks, each replayed from event 1
    # and a cached worker on the same history agrees with it too
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        again = await client.start_workflow(ParentMixed, "replayed2", id="replayed2", task_queue=TQ)
        out2 = await again.result(timeout=60)
    assert {k: v for k, v in out2.items() if k != "random"} == {k: v for k, v in out.items() if k != "random"}


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("which, expected", [
    ("empty", "ValueError: execute_workflow(execution_id=...) must not be empty"),
    ("long", "ValueError: execute_workflow(execution_id=...) is 1,001 characters long; a workflow id may have at most 1,000"),
    ("number", "TypeError: execute_workflow(execution_id=...) must be a string"),
])
async def test_an_invalid_child_id_is_refused_in_workflow_code(client, which, expected):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentBadId, which, task_queue=TQ)
        assert (await parent.result(timeout=30)).startswith(expected)
    assert not _events(await parent.history(), E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)


async def test_a_child_type_the_worker_lacks_fails_the_parent_clearly(client):
    served = [w for w in ALL_WORKFLOWS if w is not NotServedHere]
    async with Worker(client, task_queue=TQ, workflows=served):
        parent = await client.start_workflow(ParentUnknownType, task_queue=TQ)
        with pytest.raises(WorkflowFailureError) as info:
            await parent.result(timeout=30)
    assert info.value.failure.type == "ChildWorkflowTypeNotRegistered"
    assert "child workflow type 'cw_not_served_here' is not registered on this worker (task queue 'children')" in info.value.failure.message
    assert not _events(await parent.history(), E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)


async def test_more_than_2000_open_children_fails_the_workflow_task_and_starts_none(client):
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentTooMany, 2001, task_queue=TQ)
        for _ in range(300):
            info = (await parent.describe()).info
            if info.HasField("last_workflow_task_failure"):
                break
            await asyncio.sleep(0.1)
        failure = info.last_workflow_task_failure
        assert failure.cause == E.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND
        assert "would leave 2001 open child workflows; the limit is 2000 per run" in failure.failure.message
        assert info.pending_child_count == 0
        assert not _events(await parent.history(), E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
        await parent.terminate("done checking")


async def test_bad_child_commands_and_parent_fields_get_clear_status_codes(embedded_cluster):
    """Raw protobuf: history refuses a bad StartChildWorkflowExecution (INVALID_ARGUMENT, the
    workflow task fails as BAD_COMMAND, no child recorded); a client may not set `parent`."""
    from fanflow.channels import insecure_channel
    from protos import workflow_service_pb2_grpc

    channel = insecure_channel(embedded_cluster.frontend_address)
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    tq = E.TaskQueue(name="raw-children")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(
                namespace="default", workflow_id="p", workflow_type=E.WorkflowType(name="Raw"), task_queue=tq,
                parent=E.ParentExecutionInfo(execution=E.WorkflowExecution(workflow_id="someone"))))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "parent is set by history" in err.value.details()

        await stub.StartWorkflowExecution(ws.StartWorkflowExecutionRequest(namespace="default", workflow_id="raw-parent", workflow_type=E.WorkflowType(name="Raw"), task_queue=tq))
        bad_commands = [
            (E.StartChildWorkflowExecutionCommandAttributes(workflow_type=E.WorkflowType(name="C")), "workflow_id is required"),
            (E.StartChildWorkflowExecutionCommandAttributes(workflow_id="c", workflow_type=E.WorkflowType(name="C"), namespace="other"), "differs from the parent's"),
            (E.StartChildWorkflowExecutionCommandAttributes(workflow_id="c", workflow_type=E.WorkflowType(name="C"), parent_close_policy=9), "parent_close_policy has unknown value 9"),
        ]
        for attrs, message in bad_commands:
            task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace="default", task_queue=tq, identity="raw"))
            assert task.task_token
            command = E.Command(command_type=E.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, start_child_workflow_execution=attrs)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace="default", task_token=task.task_token, commands=[command], identity="raw"))
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and message in err.value.details()
        cancel = E.Command(command_type=E.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                           request_cancel_external_workflow_execution=E.RequestCancelExternalWorkflowExecutionCommandAttributes(workflow_id="x"))
        task = await stub.PollWorkflowTaskQueue(ws.PollWorkflowTaskQueueRequest(namespace="default", task_queue=tq, identity="raw"))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.RespondWorkflowTaskCompleted(ws.RespondWorkflowTaskCompletedRequest(namespace="default", task_token=task.task_token, commands=[cancel], identity="raw"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "set child_workflow_only" in err.value.details()
        history = await stub.GetWorkflowExecutionHistory(ws.GetWorkflowExecutionHistoryRequest(namespace="default", execution=E.WorkflowExecution(workflow_id="raw-parent")))
        types = [e.event_type for e in history.history.events]
        assert E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED not in types
        causes = [e.workflow_task_failed.cause for e in history.history.events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        assert causes == [E.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND] * 4
    finally:
        await channel.close()


async def test_the_receiving_side_is_idempotent(client, embedded_cluster):
    """A start re-sent after the child closed returns the same run; a close reported twice is
    recorded once (what the outbox does after a crash)."""
    history = embedded_cluster.history_client
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS):
        parent = await client.start_workflow(ParentSums, SumParams(groups=[[5]]), id="idem-parent", task_queue=TQ)
        assert await parent.result(timeout=30) == [10]
    parent_history = await parent.history()
    [initiated] = _events(parent_history, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    [started] = _events(parent_history, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
    child_execution = started.child_workflow_execution_started.workflow_execution
    a = initiated.start_child_workflow_execution_initiated
    request = ws.StartWorkflowExecutionRequest(
        namespace="default", workflow_id=a.workflow_id, workflow_type=a.workflow_type, task_queue=a.task_queue, input=a.input,
        request_id=f"{parent.run_id}:{initiated.event_id}",
        parent=E.ParentExecutionInfo(namespace="default", execution=parent.execution, initiated_event_id=initiated.event_id),
    )
    child_shard = history.shard_for("default", a.workflow_id)
    again = await history.stub(child_shard).StartChildWorkflowExecution(history_service_pb2.StartChildWorkflowExecutionRequest(shard_id=child_shard, request=request))
    assert again.run_id == child_execution.run_id  # the same child, though it closed
    child = client.get_workflow_handle(child_execution.workflow_id, child_execution.run_id)
    close_event = (await child.history())[-1]
    parent_shard = history.shard_for("default", "idem-parent")
    before = len(await parent.history())
    await history.stub(parent_shard).RecordChildExecutionCompleted(history_service_pb2.RecordChildExecutionCompletedRequest(
        shard_id=parent_shard, namespace="default", parent_execution=parent.execution, parent_initiated_event_id=initiated.event_id,
        child_execution=child_execution, child_workflow_type=a.workflow_type, close_event=close_event))
    assert len(await parent.history()) == before  # already recorded (and the parent closed): nothing written
    runs = [w for w in await client.list_workflows() if w.execution.workflow_id == a.workflow_id]
    assert len(runs) == 1


# --------------------------------------------------------------------------- scale and progress


def _cli_progress(address: str, workflow_id: str) -> str:
    import subprocess
    import sys

    from conftest import ROOT

    out = subprocess.run([sys.executable, "-m", "fanflow.cli", "workflow", "progress", workflow_id, "--once", "--address", address],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


async def test_twenty_children_with_fifty_items_each_show_their_progress(client, embedded_cluster):
    children, items = 20, 50
    address = embedded_cluster.frontend_address
    async with Worker(client, task_queue=TQ, workflows=ALL_WORKFLOWS, max_concurrent_activities=40):
        parent = await client.start_workflow(ParentProgress, args=(children, items), id="fan", task_queue=TQ)
        seen_partial = False
        seen_children = 0
        cli_parent = cli_child = ""
        for _ in range(600):
            progress = await parent.progress()
            if progress.status != RUNNING:
                break
            seen_children = max(seen_children, len(progress.children))
            for c in progress.children:
                if c.executors and 0 < c.done < c.total:
                    seen_partial = True
                    one = await client.get_workflow_handle(c.workflow_id).progress()  # the child's own progress
                    assert one.executors and one.executors[0].total == items
                    if not cli_child:  # and what the CLI shows of it and of the parent
                        cli_child = await asyncio.to_thread(_cli_progress, address, c.workflow_id)
                        cli_parent = await asyncio.to_thread(_cli_progress, address, "fan")
            await asyncio.sleep(0.1)
        result = await parent.result(timeout=120)
    assert f"/{items} done" in cli_child and "[list]" in cli_child
    assert f"children: {children} started by this run" in cli_parent and "child fan-" in cli_parent and "[cw_child_executor] running" in cli_parent
    assert result == [sum(n * n for n in range(i * items, (i + 1) * items)) for i in range(children)]
    assert seen_partial, "never saw a child part-way through its items"
    assert seen_children >= 10
    s = (await parent.progress()).children_summary
    assert (s.initiated, s.completed, s.pending) == (children, children, 0)
    for i in range(children):
        p = await client.get_workflow_handle(f"fan-{i}").progress()
        assert [(e.total, e.done) for e in p.executors] == [(items, items)]
