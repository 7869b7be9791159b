"""The deterministic workflow runtime, driven end to end by an in-memory history."""
from __future__ import annotations

import asyncio
import datetime
import uuid

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from protos import common_pb2
from worker_sdk import converter
from worker_sdk._runtime import WorkflowEventLoop, WorkflowLoopError

from support.fake_history import START_TIME, FakeHistory, cmd_bytes, drive, new_instance

E = common_pb2.EventType
CT = common_pb2.CommandType


# ------------------------------------------------------- the seed example
# Verbatim from the seed document (only the import differs), minus execute_workflow.


@workflows.activity()
async def process_item(item: str) -> dict:
    return {"item": item, "result": f"processed:{item}"}


class Input(BaseModel):
    items: list[str]


@workflows.workflow.define(name="concurrency_workflow")
class ConcurrencyWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: Input) -> list[dict]:
        results = await asyncio.gather(*[process_item(item) for item in params.items])
        return list(results)


async def test_seed_example_gathers_four_items_in_order():
    run = await drive(ConcurrencyWorkflow, params=Input(items=["alpha", "beta", "gamma", "delta"]), reverse=True)
    assert run.result() == [{"item": i, "result": f"processed:{i}"} for i in ["alpha", "beta", "gamma", "delta"]]
    first = run.commands[0]
    assert [c.command_type for c in first] == [CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK] * 4
    assert [c.schedule_activity_task.activity_id for c in first] == ["1", "2", "3", "4"]
    assert {c.schedule_activity_task.activity_type.name for c in first} == {"process_item"}
    assert converter.from_payload(first[0].schedule_activity_task.input) == {"item": "alpha"}
    opts = first[0].schedule_activity_task
    assert not opts.HasField("start_to_close_timeout")  # history applies its default
    assert opts.retry_policy.initial_interval.seconds == 1
    assert opts.retry_policy.backoff_coefficient == 2.0
    assert opts.retry_policy.maximum_interval.seconds == 100
    assert [c.command_type for c in run.commands[1]] == [CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]
    # The definition gives the client the result type.
    defn = workflows.workflow.get_definition(ConcurrencyWorkflow)
    assert defn.name == "concurrency_workflow" and defn.return_type == list[dict]
    assert defn.decode_result(run.close_event.workflow_execution_completed.result)[0]["item"] == "alpha"


async def test_seed_example_one_activity_result_per_task_and_without_cache():
    for sticky in (True, False):
        run = await drive(ConcurrencyWorkflow, Input(items=["a", "b", "c"]), per_task=1, sticky=sticky)
        assert [r["item"] for r in run.result()] == ["a", "b", "c"]
        assert len(run.commands) == 4


async def test_gather_over_1000_activities_in_one_task_and_a_full_replay():
    """Speed is the benchmark's business (bench/); this checks the shape: one task schedules
    all 1,000, and replaying the whole history gives the closing command."""
    items = [f"i{n}" for n in range(1000)]
    run = await drive(ConcurrencyWorkflow, Input(items=items), check_replay=False)
    assert [r["item"] for r in run.result()] == items
    assert len(run.commands[0]) == 1000
    assert len(run.history.events) == 3 + 1 + 1000 + 2000 + 3 + 1
    history = run.history.events[: run.close_event.event_id - 2]  # up to the last WorkflowTaskStarted
    commands = new_instance(ConcurrencyWorkflow).activate(history)
    assert [c.command_type for c in commands] == [CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]


async def test_results_arriving_while_a_task_runs_and_in_chunks():
    run = await drive(ConcurrencyWorkflow, Input(items=[str(i) for i in range(30)]), per_task=7, during_task=3, reverse=True)
    assert [r["item"] for r in run.result()] == [str(i) for i in range(30)]
    # Some activity results sit between a WorkflowTaskStarted and its WorkflowTaskCompleted.
    types = [e.event_type for e in run.history.events]
    assert any(
        a == E.EVENT_TYPE_WORKFLOW_TASK_STARTED and b == E.EVENT_TYPE_ACTIVITY_TASK_STARTED for a, b in zip(types, types[1:])
    )


# --------------------------------------------------------------- failures


@workflows.activity(retry_policy=workflows.RetryPolicy(maximum_attempts=3, non_retryable_error_types=["KeyError"]))
async def flaky(n: int) -> int:
    if n < 0:
        raise ValueError(f"negative: {n}")
    if n == 0:
        raise workflows.ApplicationError("zero is not allowed", type="ZeroError", non_retryable=True)
    return n * 10


@workflows.workflow.define(name="t_catching")
class CatchingWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, values: list[int]) -> dict:
        out: dict = {"ok": [], "errors": []}
        for v in values:
            try:
                out["ok"].append(await flaky(v))
            except workflows.ActivityError as err:
                out["errors"].append([err.activity_type, err.activity_id, err.cause.type, err.cause.message, str(err)])
        return out


@workflows.workflow.define(name="t_not_catching")
class NotCatchingWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, values: list[int]) -> list[int]:
        return list(await asyncio.gather(*[flaky(v) for v in values]))


async def test_activity_failure_caught_lets_the_workflow_continue():
    run = await drive(CatchingWorkflow, [1, -2, 3, 0])
    out = run.result()
    assert out["ok"] == [10, 30]
    (t1, id1, type1, msg1, text1), (t2, id2, type2, msg2, _) = out["errors"]
    assert (t1, id1, type1, msg1) == ("flaky", "2", "ValueError", "negative: -2")
    assert "flaky" in text1 and "ValueError: negative: -2" in text1
    assert (t2, id2, type2, msg2) == ("flaky", "4", "ZeroError", "zero is not allowed")


async def test_activity_failure_not_caught_fails_the_workflow():
    run = await drive(NotCatchingWorkflow, [1, -5, 2])
    failure = run.failure
    assert failure.type == "ActivityError"
    assert failure.cause.type == "ValueError" and failure.cause.message == "negative: -5"
    err = workflows.WorkflowFailureError(failure, workflow_id="wf-1")
    assert "wf-1" in str(err) and "ValueError: negative: -5" in str(err)


async def test_activity_timeout_surfaces_as_activity_error():
    defn = workflows.workflow.get_definition(CatchingWorkflow)
    history = FakeHistory(defn.name, defn.encode_input([7]))
    inst = new_instance(CatchingWorkflow)
    seen = len(history.events)
    history.complete_task(inst.activate(history.events))
    (sid,) = history.pending_activities
    history.time_out_activity(sid)
    history.start_task()
    history.complete_task(inst.activate(history.events[seen:]))
    out = converter.from_payload(history.close_event.workflow_execution_completed.result)
    assert out["errors"][0][2] == "TimeoutError" and "START_TO_CLOSE" in out["errors"][0][3]


# ------------------------------------------------------ models round trip


class Item(BaseModel):
    name: str
    qty: int = 1


class Order(BaseModel):
    id: str
    items: list[Item]
    when: datetime.datetime


class Summary(BaseModel):
    order_id: str
    total: int
    names: list[str]
    per_item: dict[str, Item]


@workflows.activity(name="t_count_items", start_to_close_timeout=30)
async def count_items(items: list[Item], *, factor: int = 1) -> dict[str, Item]:
    assert all(isinstance(i, Item) for i in items)
    return {i.name: Item(name=i.name, qty=i.qty * factor) for i in items}


@workflows.workflow.define(name="t_models")
class ModelsWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, order: Order, factor: int = 2) -> Summary:
        assert isinstance(order, Order) and isinstance(order.when, datetime.datetime)
        per_item = await count_items(order.items, factor=factor)
        assert all(isinstance(v, Item) for v in per_item.values())
        return Summary(
            order_id=order.id,
            total=sum(i.qty for i in per_item.values()),
            names=sorted(per_item),
            per_item=per_item,
        )


async def test_pydantic_models_round_trip_through_workflow_and_activity():
    order = Order(id="o1", items=[Item(name="a", qty=2), Item(name="b")], when=datetime.datetime(2024, 1, 2, 3, 4, 5))
    run = await drive(ModelsWorkflow, order)
    summary = workflows.workflow.get_definition(ModelsWorkflow).decode_result(
        run.close_event.workflow_execution_completed.result
    )
    assert isinstance(summary, Summary)
    assert summary.total == 6 and summary.names == ["a", "b"] and summary.per_item["a"] == Item(name="a", qty=4)
    sched = run.commands[0][0].schedule_activity_task
    assert sched.activity_type.name == "t_count_items" and sched.start_to_close_timeout.seconds == 30
    assert converter.from_payload(sched.input) == {"items": [{"name": "a", "qty": 2}, {"name": "b", "qty": 1}], "factor": 2}


async def test_invalid_input_fails_the_workflow():
    defn = workflows.workflow.get_definition(ModelsWorkflow)
    history = FakeHistory(defn.name, converter.to_payload({"order": {"id": 1}}))
    commands = new_instance(ModelsWorkflow).activate(history.events)
    assert [c.command_type for c in commands] == [CT.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION]
    failure = commands[0].fail_workflow_execution.failure
    assert failure.type == "InvalidWorkflowInput" and failure.non_retryable and "Order" in failure.message


# -------------------------------------------------------- non-determinism


@workflows.activity()
async def step_a(x: int) -> int:
    return x + 1


@workflows.activity()
async def step_b(x: int) -> int:
    return x * 2


def _make_sequence_workflow(steps):
    """A workflow named t_sequence that runs the given activities in sequence."""

    class SequenceWorkflow:
        @workflows.workflow.entrypoint
        async def run(self, x: int) -> int:
            for step in steps:
                x = await step(x)
            return x

    return workflows.workflow.define(name="t_sequence")(SequenceWorkflow)


async def _recorded_history(steps, x=1):
    wf = _make_sequence_workflow(steps)
    run = await drive(wf, x)
    assert run.result() is not None
    # Drop the last task's completion: the history a worker replays to answer the last task.
    events = run.history.events
    last_started = max(e.event_id for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    return events[:last_started]


async def test_changed_activity_type_raises_non_determinism_error():
    events = await _recorded_history([step_a, step_b])
    changed = _make_sequence_workflow([step_a, step_a])
    with pytest.raises(workflows.NonDeterminismError) as ei:
        new_instance(changed).activate(events)
    msg = str(ei.value)
    sched = [e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED][1]
    assert f"history event {sched.event_id}" in msg
    assert "activity_type='step_b'" in msg and "activity_type='step_a'" in msg
    assert "t_sequence" in msg and "wf-1" in msg


async def test_missing_activity_raises_non_determinism_error():
    events = await _recorded_history([step_a, step_b, step_a])
    with pytest.raises(workflows.NonDeterminismError, match=r"history event \d+ is ActivityTaskScheduled\(activity_type='step_a', activity_id='3'\) but the workflow code produced CompleteWorkflowExecution"):
        new_instance(_make_sequence_workflow([step_a, step_b])).activate(events)


def _make_parallel_workflow(n: int):
    class ParallelWorkflow:
        @workflows.workflow.entrypoint
        async def run(self, x: int) -> int:
            values = await asyncio.gather(*[step_a(x + i) for i in range(n)])
            return await step_b(sum(values))

    return workflows.workflow.define(name="t_parallel")(ParallelWorkflow)


async def test_extra_activity_raises_non_determinism_error():
    run = await drive(_make_parallel_workflow(1), 1)
    assert run.result() == 4
    events = run.history.events[: run.history.started_id]
    with pytest.raises(
        workflows.NonDeterminismError,
        match=r"produced ScheduleActivityTask\(activity_type='step_a', activity_id='2'\) in the workflow task started at event 3, "
        r"but history has no matching event \(reached the workflow task started at event 9\)",
    ):
        new_instance(_make_parallel_workflow(2)).activate(events)
    # A missing parallel activity: history's next command event has no counterpart.
    run = await drive(_make_parallel_workflow(3), 1)
    with pytest.raises(workflows.NonDeterminismError, match=r"history event 7 is ActivityTaskScheduled\(activity_type='step_a', activity_id='3'\) but the workflow code produced no command"):
        new_instance(_make_parallel_workflow(2)).activate(run.history.events[: run.history.started_id])


async def test_extra_activity_after_close_in_history_raises():
    # History recorded 1 activity and then a completion; the code schedules a second one
    # where history has WorkflowExecutionCompleted.
    run = await drive(_make_sequence_workflow([step_a]), 1)
    events = list(run.history.events)
    with pytest.raises(workflows.NonDeterminismError, match="WorkflowExecutionCompleted"):
        # Feed the whole closed history plus a (fake) final task so that the close event is matched.
        extra = FakeHistory("t_sequence", converter.to_payload({"x": 1}))
        extra.events = events
        extra.start_task()
        new_instance(_make_sequence_workflow([step_a, step_b])).activate(extra.events)


async def test_unchanged_workflow_replays_its_history():
    events = await _recorded_history([step_a, step_b, step_a])
    commands = new_instance(_make_sequence_workflow([step_a, step_b, step_a])).activate(events)
    assert [c.command_type for c in commands] == [CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]
    assert converter.from_payload(commands[0].complete_workflow_execution.result) == ((1 + 1) * 2) + 1


# ------------------------------------------------------------ timers & co


@workflows.workflow.define(name="t_clock")
class ClockWorkflow:
    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        t0 = workflows.workflow.now()
        u0 = workflows.workflow.uuid4()
        r0 = workflows.workflow.random().randint(0, 10**9)
        await workflows.workflow.sleep(30)
        await workflows.workflow.sleep(datetime.timedelta(seconds=0))  # just yields
        t1 = workflows.workflow.now()
        workflows.workflow.record_marker("checkpoint", {"t0": t0.isoformat()})
        info = workflows.workflow.info()
        return {
            "t0": t0.timestamp(),
            "t1": t1.timestamp(),
            "tz": str(t0.tzinfo),
            "u0": str(u0),
            "u1": str(workflows.workflow.uuid4()),
            "r0": r0,
            "loop_time": asyncio.get_running_loop().time(),
            "in_workflow": workflows.workflow.in_workflow(),
            "replaying": workflows.workflow.is_replaying(),
            "info": [info.workflow_id, info.run_id, info.workflow_type, info.task_queue, info.attempt, info.history_length],
        }


async def test_sleep_now_uuid_random_are_deterministic():
    run = await drive(ClockWorkflow)
    out = run.result()
    started = [e for e in run.history.events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED]
    assert out["t0"] == pytest.approx(started[0].event_time.ToNanoseconds() / 1e9)
    assert out["t1"] == pytest.approx(started[1].event_time.ToNanoseconds() / 1e9)
    assert out["loop_time"] == out["t1"] and out["tz"] == "UTC"
    assert out["t0"] > START_TIME
    assert uuid.UUID(out["u0"]).version == 4 and out["u0"] != out["u1"]
    assert out["in_workflow"] is True and out["replaying"] is False
    assert out["info"] == ["wf-1", "run-1", "t_clock", "tq", 1, started[1].event_id]
    timer = run.commands[0][0]
    assert timer.command_type == CT.COMMAND_TYPE_START_TIMER
    assert timer.start_timer.timer_id == "1" and timer.start_timer.start_to_fire_timeout.seconds == 30
    assert [c.command_type for c in run.commands[1]] == [
        CT.COMMAND_TYPE_RECORD_MARKER,
        CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    ]
    # Same run id -> same values; another run id -> others.
    again = await drive(ClockWorkflow)
    assert again.result() == out
    defn = workflows.workflow.get_definition(ClockWorkflow)
    history = run.history.events[: started[1].event_id]
    other = workflows._runtime.WorkflowInstance(defn, workflow_id="wf-1", run_id="run-2").activate(history)
    other_out = converter.from_payload(other[-1].complete_workflow_execution.result)
    assert other_out["u0"] != out["u0"] and other_out["t0"] == out["t0"]


@workflows.workflow.define(name="t_cancel_timer")
class CancelTimerWorkflow:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        long_sleep = asyncio.ensure_future(workflows.workflow.sleep(3600))
        await step_a(1)
        long_sleep.cancel()
        try:
            await long_sleep
        except asyncio.CancelledError:
            return "cancelled"
        return "fired"


async def test_cancelled_sleep_cancels_its_timer():
    defn = workflows.workflow.get_definition(CancelTimerWorkflow)
    history = FakeHistory(defn.name, defn.encode_input())
    inst = new_instance(CancelTimerWorkflow)
    seen = len(history.events)
    first = inst.activate(history.events)
    # The main coroutine schedules the activity before the sleep task gets to run.
    assert [c.command_type for c in first] == [CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, CT.COMMAND_TYPE_START_TIMER]
    history.complete_task(first)
    (sid,) = history.pending_activities
    await history.run_activity(sid)
    history.start_task()
    second = inst.activate(history.events[seen:])
    assert [c.command_type for c in second] == [CT.COMMAND_TYPE_CANCEL_TIMER, CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]
    assert second[0].cancel_timer.timer_id == "1"
    assert converter.from_payload(second[1].complete_workflow_execution.result) == "cancelled"
    history.complete_task(second)
    assert new_instance(CancelTimerWorkflow).activate(history.events[: history.started_id]) == second


@workflows.workflow.define(name="t_continue")
class ContinueWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, n: int, done: list[int] | None = None) -> list[int]:
        done = (done or []) + [await step_a(n)]
        if n < 3:
            workflows.workflow.continue_as_new(n + 1, done=done)
        return done


async def test_continue_as_new_command():
    run = await drive(ContinueWorkflow, 1)
    ev = run.close_event
    assert ev.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    can = run.commands[-1][-1].continue_as_new_workflow_execution
    assert can.workflow_type.name == "t_continue" and can.task_queue.name == "tq"
    assert converter.from_payload(can.input) == {"n": 2, "done": [2]}
    # The next run decodes that input.
    defn = workflows.workflow.get_definition(ContinueWorkflow)
    assert defn.decode_input(can.input) == ([2, [2]], {})


@workflows.workflow.define(name="t_semaphore")
class SemaphoreWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, n: int, limit: int) -> list[int]:
        sem = asyncio.Semaphore(limit)
        queue: asyncio.Queue[int] = asyncio.Queue()

        async def one(i: int) -> int:
            async with sem:
                r = await step_b(i)
                await queue.put(r)
                return r

        tasks = [asyncio.create_task(one(i)) for i in range(n)]
        done, _ = await asyncio.wait(tasks)
        assert len(done) == n and queue.qsize() == n
        return [t.result() for t in tasks]


async def test_asyncio_primitives_bound_concurrency():
    run = await drive(SemaphoreWorkflow, 10, 3, reverse=True)
    assert run.result() == [i * 2 for i in range(10)]
    assert [len(c) for c in run.commands[:4]] == [3, 3, 3, 1]


# ------------------------------------------------- workflow-task failures


@workflows.workflow.define(name="t_buggy")
class BuggyWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, x: int) -> int:
        y = await step_a(x)
        return undefined_name + y  # noqa: F821


@workflows.workflow.define(name="t_buggy")
class FixedWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, x: int) -> int:
        y = await step_a(x)
        return y


async def test_bug_in_workflow_code_fails_the_task_not_the_workflow():
    defn = workflows.workflow.get_definition(BuggyWorkflow)
    history = FakeHistory(defn.name, defn.encode_input(1))
    inst = new_instance(BuggyWorkflow)
    seen = len(history.events)
    history.complete_task(inst.activate(history.events))
    (sid,) = history.pending_activities
    await history.run_activity(sid)
    history.start_task()
    with pytest.raises(NameError):
        inst.activate(history.events[seen:])
    # The instance is poisoned; the worker evicts it.
    with pytest.raises(workflows.StaleWorkflowInstanceError):
        inst.activate(history.events[seen:])
    history.fail_task()
    history.start_task()
    # After a fix, a full replay skips the failed attempt and completes.
    commands = new_instance(FixedWorkflow).activate(history.events)
    assert [c.command_type for c in commands] == [CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]
    assert converter.from_payload(commands[0].complete_workflow_execution.result) == 2


async def test_cached_instance_whose_task_timed_out_must_be_replayed():
    defn = workflows.workflow.get_definition(ConcurrencyWorkflow)
    history = FakeHistory(defn.name, defn.encode_input(Input(items=["x"])))
    inst = new_instance(ConcurrencyWorkflow)
    lost = inst.activate(history.events)  # the answer never reaches history
    history.time_out_task()
    seen = history.started_id
    history.start_task()
    with pytest.raises(workflows.StaleWorkflowInstanceError, match="WorkflowTaskTimedOut"):
        inst.activate(history.events[seen:])
    fresh = new_instance(ConcurrencyWorkflow).activate(history.events)
    assert cmd_bytes(fresh) == cmd_bytes(lost)
    # A gap in event ids is refused too.
    inst2 = new_instance(ConcurrencyWorkflow)
    inst2.activate(history.events[:3])
    with pytest.raises(workflows.StaleWorkflowInstanceError, match="continue at event 4"):
        inst2.activate(history.events[5:])


@workflows.workflow.define(name="t_wallclock")
class WallClockWorkflow:
    @workflows.workflow.entrypoint
    async def run(self) -> None:
        await asyncio.sleep(1)


async def test_asyncio_sleep_in_workflow_is_a_durable_timer():
    # A StartTimer command, as on Temporal and the seed system
    # (tests/service/worker_sdk/test_sdk_asyncio_timers.py runs it on a cluster).
    history = FakeHistory("t_wallclock", converter.to_payload({}))
    commands = new_instance(WallClockWorkflow).activate(history.events)
    assert [c.command_type for c in commands] == [CT.COMMAND_TYPE_START_TIMER]
    assert commands[0].start_timer.timer_id == "1" and commands[0].start_timer.start_to_fire_timeout.seconds == 1


@workflows.workflow.define(name="t_network")
class NetworkWorkflow:
    @workflows.workflow.entrypoint
    async def run(self) -> None:
        await asyncio.get_running_loop().getaddrinfo("example.com", 80)


async def test_io_in_workflow_is_refused_with_a_hint():
    history = FakeHistory("t_network", converter.to_payload({}))
    with pytest.raises(WorkflowLoopError, match="in an activity"):
        new_instance(NetworkWorkflow).activate(history.events)


# ------------------------------------------------------- loop plumbing


async def test_running_loop_is_the_callers_again_after_activate():
    outer = asyncio.get_running_loop()
    seen_loops = []

    @workflows.workflow.define(name="t_loop_probe")
    class Probe:
        @workflows.workflow.entrypoint
        async def run(self) -> bool:
            seen_loops.append(asyncio.get_running_loop())
            return asyncio.current_task() is not None

    history = FakeHistory("t_loop_probe", converter.to_payload({}))
    commands = new_instance(Probe).activate(history.events)
    assert converter.from_payload(commands[0].complete_workflow_execution.result) is True
    assert isinstance(seen_loops[0], WorkflowEventLoop)
    assert asyncio.get_running_loop() is outer
    assert not workflows.workflow.in_workflow()
    await asyncio.sleep(0)  # the real loop still works


def test_running_loop_restored_when_called_without_a_loop():
    history = FakeHistory("t_network", converter.to_payload({}))
    with pytest.raises(WorkflowLoopError):
        new_instance(NetworkWorkflow).activate(history.events)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def test_workflow_api_outside_a_workflow_raises():
    assert workflows.workflow.in_workflow() is False
    for call in (workflows.workflow.now, workflows.workflow.info, workflows.workflow.uuid4, workflows.workflow.random):
        with pytest.raises(RuntimeError, match="only be called from workflow code"):
            call()
    with pytest.raises(RuntimeError, match="only be called from workflow code"):
        asyncio.run(workflows.workflow.sleep(1))
    with pytest.raises(RuntimeError, match="only be called from workflow code"):
        workflows.workflow.continue_as_new()


def test_signals_are_stored():
    history = FakeHistory("t_wallclock", converter.to_payload({}))
    history.events.pop()  # drop WorkflowTaskStarted ...
    history.events.pop()
    history.signal("go", {"now": True})
    history.start_task()

    @workflows.workflow.define(name="t_wallclock_ok")
    class Quiet:
        @workflows.workflow.entrypoint
        async def run(self) -> None:
            return None

    inst = workflows._runtime.WorkflowInstance(
        workflows.workflow.get_definition(Quiet), workflow_id="w", run_id="r"
    )
    history.events[0].workflow_execution_started.workflow_type.name = "t_wallclock_ok"
    commands = inst.activate(history.events)
    assert inst.signals[0][0] == "go" and converter.from_payload(inst.signals[0][1]) == {"now": True}
    assert inst.is_completed and commands[0].command_type == CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION


def test_malformed_batches_are_refused():
    history = FakeHistory("t_wallclock", converter.to_payload({}))
    with pytest.raises(ValueError, match="last event"):
        new_instance(WallClockWorkflow).activate(history.events[:2])
    with pytest.raises(ValueError, match="from event 1"):
        new_instance(WallClockWorkflow).activate(history.events[1:])


@workflows.workflow.define(name="t_batches")
class BatchesWorkflow:
    """Processes items until history suggests continue-as-new, then continues with the rest."""

    @workflows.workflow.entrypoint
    async def run(self, items: list[str], done: int = 0) -> int:
        while items:
            outcome = await asyncio.gather(process_item(items[0]), flaky(-1), return_exceptions=True)
            assert isinstance(outcome[1], workflows.ActivityError)
            items, done = items[1:], done + 1
            if items and workflows.workflow.info().is_continue_as_new_suggested():
                workflows.workflow.continue_as_new(items, done)
        return done


async def test_continue_as_new_suggested_flag_and_return_exceptions():
    defn = workflows.workflow.get_definition(BatchesWorkflow)
    history = FakeHistory(defn.name, defn.encode_input(["a", "b", "c"]))
    inst = new_instance(BatchesWorkflow)
    seen = 0
    for task in range(10):
        commands = inst.activate(history.events[seen:])
        seen = len(history.events)
        history.complete_task(commands)
        if history.close_event is not None:
            break
        for sid in list(history.pending_activities):
            await history.run_activity(sid)
        history.start_task(suggest_continue_as_new=task >= 1)
    assert task == 2
    can = history.close_event.workflow_execution_continued_as_new
    assert converter.from_payload(can.input) == {"items": ["c"], "done": 2}
    assert inst.info().history_length == history.started_id


@workflows.workflow.define(name="t_sync_activity")
class SyncActivityWorkflow:
    @workflows.workflow.entrypoint
    async def run(self) -> int:
        return await sync_double(21)


@workflows.activity()
def sync_double(x: int) -> int:
    return x * 2


async def test_sync_activity_is_scheduled_from_a_workflow():
    run = await drive(SyncActivityWorkflow)
    assert run.result() == 42
    assert run.commands[0][0].schedule_activity_task.activity_type.name == "sync_double"
