"""Deploying changed workflow code over runs in flight, on the embedded cluster: histories
recorded by real workers of one version of `patch_orders` (tests/support/patch_orders_v1..v4),
fetched from history, replayed against the next version, and the runs continued by workers
of that version; and the replayer on what other features leave in history (executors that
continue as new, a parent and its children)."""
from __future__ import annotations

import asyncio
import json

import worker_sdk as workflows
from protos import common_pb2
from worker_sdk import Worker
from worker_sdk.replayer import describe_replay_failure

from support import patch_order_steps as steps
from support.child_cluster_workflows import ClusterChild, ClusterParent, cc_square, expected
from support.executors_at_scale import ScaleTwo, low_limit_client, reset, square  # noqa: F401  (fixture)
from support import patch_orders_v1 as v1
from support import patch_orders_v2 as v2
from support import patch_orders_v3 as v3
from support import patch_orders_v4 as v4

E = common_pb2.EventType
TQ = "patch-orders"


def deploy(client, version, *, activities=(steps.charge, steps.check_fraud, steps.ship), **options) -> Worker:
    """A worker running one version of the code (the class is given: every version module
    registers the same workflow name)."""
    return Worker(client, task_queue=TQ, workflows=[version.OrderWorkflow], activities=list(activities), **options)


async def start(client, version, order: str):
    return await client.start_workflow(version.OrderWorkflow, order, id=f"patch-{order}", task_queue=TQ)


async def until(check, what: str, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def waiting_for_approval(handle) -> None:
    """The run charged and its code now waits for the approval signal."""

    async def check() -> bool:
        kinds = [e.event_type for e in await handle.history()]
        if E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in kinds:
            return False
        return E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in kinds[kinds.index(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED):]

    await until(check, f"{handle.workflow_id} to wait for its approval")


def patch_markers(history) -> list[dict]:
    return [
        json.loads(e.marker_recorded.details.data)
        for e in history.events
        if e.event_type == E.EVENT_TYPE_MARKER_RECORDED and e.marker_recorded.marker_name == "fanflow.patch"
    ]


def scheduled_event(history, activity_type: str) -> int:
    return next(e.event_id for e in history.events if e.activity_task_scheduled.activity_type.name == activity_type)


async def test_a_patched_deploy_replays_the_runs_recorded_before_it_and_continues_them(client):
    # Deploy 1: one run finishes, one waits for its approval when the code changes.
    async with deploy(client, v1):
        done = await start(client, v1, "a")
        await waiting_for_approval(done)
        await done.signal("approve")
        assert await done.result(timeout=30) == ["charged a", "shipped a"]
        waiting = await start(client, v1, "b")
        await waiting_for_approval(waiting)
    done_history, waiting_history = await done.fetch_history(), await waiting.fetch_history()
    assert done_history.run_id == done.run_id and done_history.workflow_type == "patch_orders"

    # Before deploying: the patched code replays both; the same change without the patch
    # breaks the finished run where it scheduled ship, and says what each side has there.
    assert (await workflows.Replayer(workflows=[v2.OrderWorkflow]).replay_workflows([done_history, waiting_history])).replay_failures == {}
    unpatched = workflows.Replayer(workflows=[v4.OrderWorkflow])
    failure = (await unpatched.replay_workflow(done_history, raise_on_replay_failure=False)).replay_failure
    assert isinstance(failure, workflows.NonDeterminismError)
    ship_at = scheduled_event(done_history, "patch_ship")
    assert failure.event_id == ship_at
    assert describe_replay_failure(failure) == (
        f"non-determinism at event {ship_at}: history has ActivityTaskScheduled(activity_type='patch_ship', activity_id='2'), "
        "the code produced ScheduleActivityTask(activity_type='patch_check_fraud', activity_id='2')"
    )
    assert (await unpatched.replay_workflow(waiting_history)).ok  # the waiting run has not reached the change

    # Deploy 2, every task replaying the whole history (no cache): the waiting run takes the
    # new branch once approved (it had not passed the patch); a new run records the marker.
    async with deploy(client, v2, max_cached_workflows=0):
        await waiting.signal("approve")
        assert await waiting.result(timeout=30) == ["charged b", "fraud-checked b", "shipped b"]
        fresh = await start(client, v2, "c")
        await waiting_for_approval(fresh)
        await fresh.signal("approve")
        assert await fresh.result(timeout=30) == ["charged c", "fraud-checked c", "shipped c"]
    for handle in (waiting, fresh):
        history = await handle.fetch_history()
        assert patch_markers(history) == [{"id": "fraud-check", "deprecated": False}]
        assert workflows.replay(history, v2.OrderWorkflow).ok
    assert workflows.replay(done_history, v2.OrderWorkflow).ok
    kinds = [e.event_type for e in (await done.history())]
    assert E.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds


async def test_deprecating_then_removing_the_patch_replays_what_each_step_must(client):
    async with deploy(client, v1):
        old_done = await start(client, v1, "d")
        await waiting_for_approval(old_done)
        await old_done.signal("approve")
        await old_done.result(timeout=30)
        old_waiting = await start(client, v1, "e")
        await waiting_for_approval(old_waiting)
    async with deploy(client, v2):
        patched = await start(client, v2, "f")
        await waiting_for_approval(patched)
        await patched.signal("approve")
        await patched.result(timeout=30)
    async with deploy(client, v3, max_cached_workflows=0):
        deprecated = await start(client, v3, "g")
        await waiting_for_approval(deprecated)
        await deprecated.signal("approve")
        assert await deprecated.result(timeout=30) == ["charged g", "fraud-checked g", "shipped g"]
    histories = {name: await h.fetch_history() for name, h in
                 {"old_done": old_done, "old_waiting": old_waiting, "patched": patched, "deprecated": deprecated}.items()}
    assert patch_markers(histories["deprecated"]) == [{"id": "fraud-check", "deprecated": True}]

    def failures(version) -> dict[str, BaseException]:
        replayer = workflows.Replayer(workflows=[version.OrderWorkflow])
        results = {name: replayer.replay_workflow_now(h, raise_on_replay_failure=False) for name, h in histories.items()}
        return {name: r.replay_failure for name, r in results.items() if not r.ok}

    # Deprecated: the runs recorded by patched() and the ones waiting before the change replay;
    # a run that went down the old branch does not (deploy this step once none remain).
    assert set(failures(v3)) == {"old_done"}
    # Removed: deprecate_patch's markers are skipped; patched()'s are not, and the error names the patch.
    removed = failures(v4)
    assert set(removed) == {"old_done", "patched"}
    exc = removed["patched"]
    assert exc.patch_id == "fraud-check" and exc.recorded == "MarkerRecorded(fanflow.patch: workflow.patched('fraud-check'))"
    assert exc.event_id == next(e.event_id for e in histories["patched"].events if e.event_type == E.EVENT_TYPE_MARKER_RECORDED)
    # And patched() still answers True where deprecate_patch() recorded the marker.
    assert set(failures(v2)) == set()

    # The waiting pre-patch run goes on under deploy 3 with the new code.
    async with deploy(client, v3):
        await old_waiting.signal("approve")
        assert await old_waiting.result(timeout=30) == ["charged e", "fraud-checked e", "shipped e"]


async def test_a_query_answered_by_a_replay_sees_the_patch_of_the_last_task(client):
    """The replay behind a query stops at the run's last completed task; when that task
    recorded the marker, patched() must still answer True there."""
    async with deploy(client, v2, activities=[steps.charge, steps.ship], max_cached_workflows=0) as worker:
        handle = await start(client, v2, "h")
        await waiting_for_approval(handle)
        await handle.signal("approve")

        async def fraud_check_scheduled() -> bool:
            return any(e.activity_task_scheduled.activity_type.name == "patch_check_fraud" for e in await handle.history())

        await until(fraud_check_scheduled, "the fraud check to be scheduled")  # nobody here runs it: the run waits there
        replays = worker.workflow_worker.query_replays
        assert await handle.query("status") == {"steps": ["charged h"], "fraud_check": True}
        assert worker.workflow_worker.query_replays == replays + 1
    async with deploy(client, v2):
        assert await handle.result(timeout=30) == ["charged h", "fraud-checked h", "shipped h"]


async def test_every_run_of_a_continue_as_new_executor_chain_replays(low_limit_client):
    """The replayer on what executors leave: sdk_state checkpoints, executor markers, result
    sinks, the read-back, and runs that continued others (their ids come from history)."""
    reset()
    async with Worker(low_limit_client, task_queue="patch-executors", workflows=[ScaleTwo], activities=[square]):
        handle = await low_limit_client.start_workflow(ScaleTwo, {"first": 100, "second": 400}, task_queue="patch-executors")
        await handle.result(timeout=60)
    runs, run_id = [], handle.run_id
    while run_id:
        history = await handle.fetch_history(run_id)
        runs.append(history)
        last = history.events[-1]
        run_id = last.workflow_execution_continued_as_new.new_execution_run_id
    assert len(runs) > 1 and runs[1].continued_from == runs[0].run_id
    results = await workflows.Replayer(workflows=[ScaleTwo]).replay_workflows(runs, raise_on_replay_failure=False)
    assert dict(results.replay_failures) == {}


async def test_a_parent_and_its_children_replay(client):
    async with Worker(client, task_queue="patch-children", workflows=[ClusterParent, ClusterChild], activities=[cc_square]):
        parent = await client.start_workflow(ClusterParent, {"children": 3, "items": 20}, id="patch-parent", task_queue="patch-children")
        assert await parent.result(timeout=60) == expected(3, 20)
    handles = [parent] + [client.get_workflow_handle(f"patch-parent-c{i}") for i in range(3)]
    histories = [await h.fetch_history() for h in handles]
    assert {h.workflow_type for h in histories} == {"cc_parent", "cc_child"}
    # the children's code sums their executor's results: read from the cluster's result store
    results = await workflows.Replayer(workflows=[ClusterParent, ClusterChild], client=client).replay_workflows(histories, raise_on_replay_failure=False)
    assert dict(results.replay_failures) == {}
    only_children = workflows.Replayer(workflows=[ClusterChild])
    assert isinstance(only_children.replay_workflow_now(histories[0], raise_on_replay_failure=False).replay_failure, workflows.UnknownWorkflowTypeError)
