"""Schedules survive SIGKILL: a real `fanflow dev` process (history, matching, frontend) is
killed mid-run, stays down 14 s, and is started again on the same data folder. Every time of
every schedule is started at most once (workflow ids, the nominal times in the runs' started
events, the schedules' own counts), and the missed times are caught up as each policy says:

- A, every 2 s, ALLOW_ALL, catch-up window 1 min: every missed time runs once;
- B, every 2 s, SKIP, first time during the outage: only the earliest missed time runs (the
  others overlap it and are skipped);
- C, every 2 s, ALLOW_ALL, catch-up window 10 s, first time during the outage: the times older
  than 10 s when the schedule woke up are counted missed, the younger ones run.
"""
from __future__ import annotations

import asyncio
import datetime as dt

import worker_sdk as workflows
from conftest import free_port, wait_for_port
from protos import common_pb2 as C
from worker_sdk import Client, Worker

QUEUE = "sched-crash"
NS = 1_000_000_000
STEP = 2 * NS
UTC = dt.timezone.utc


@workflows.workflow.define(name="sched_crash_quick")
class CrashQuick:
    @workflows.workflow.entrypoint
    async def run(self) -> str:
        return "ok"


def every_two_seconds(overlap: str, catchup: dt.timedelta, start_at: dt.datetime | None = None) -> workflows.Schedule:
    return workflows.Schedule(
        intervals=[workflows.ScheduleInterval(every=dt.timedelta(seconds=2))], start_at=start_at,
        policy=workflows.SchedulePolicy(overlap=workflows.ScheduleOverlapPolicy[overlap], catchup_window=catchup),
    )


def nominal_of(workflow_id: str, schedule_id: str) -> int:
    stamp = workflow_id[len(schedule_id) + 1:]
    return int(dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()) * NS


async def started_times(client: Client, schedule_id: str) -> list[int]:
    """Nominal times of the runs a schedule started, from each run's WorkflowExecutionStarted event
    (checked against its workflow id); a time started twice would appear twice."""
    times = []
    for info in await client.list_workflows(page_size=1000):
        workflow_id = info.execution.workflow_id
        if not workflow_id.startswith(schedule_id + "-"):
            continue
        events = await client.get_workflow_handle(workflow_id, info.execution.run_id).history()
        started = events[0].workflow_execution_started
        assert started.schedule_id == schedule_id
        assert started.scheduled_time.ToNanoseconds() == nominal_of(workflow_id, schedule_id)
        times.append(started.scheduled_time.ToNanoseconds())
    return sorted(times)


def grid(first_ns: int, last_ns: int) -> list[int]:
    """The 2-second interval's times in [first, last]."""
    start = -(-first_ns // STEP) * STEP
    return list(range(start, last_ns + 1, STEP))


async def test_schedules_survive_sigkill_and_catch_up_by_policy(tmp_path, processes):
    port = free_port()
    args = ("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--shards", "4")
    dev = processes.fanflow(*args, name="dev")
    wait_for_port(port, proc=dev)
    client = await Client.connect(f"127.0.0.1:{port}")
    worker = await Worker(client, task_queue=QUEUE, workflows=[CrashQuick], activities=[]).start()
    try:
        a = await client.create_schedule(CrashQuick, every_two_seconds("ALLOW_ALL", dt.timedelta(minutes=1)), schedule_id="sched-a", task_queue=QUEUE)
        for _ in range(200):
            if (await a.describe()).action_count >= 2:
                break
            await asyncio.sleep(0.1)
        first_start = dt.datetime.now(UTC) + dt.timedelta(seconds=3)  # B and C begin during the outage
        b = await client.create_schedule(CrashQuick, every_two_seconds("SKIP", dt.timedelta(minutes=1), first_start), schedule_id="sched-b", task_queue=QUEUE)
        c = await client.create_schedule(CrashQuick, every_two_seconds("ALLOW_ALL", dt.timedelta(seconds=10), first_start), schedule_id="sched-c", task_queue=QUEUE)
        processes.kill(dev)  # SIGKILL: no shutdown, no flush
        killed_at = dt.datetime.now(UTC)
        assert killed_at < first_start, "the kill must come before B's and C's first time"
        await asyncio.sleep(14)
        dev = processes.fanflow(*args, name="dev-restarted")
        wait_for_port(port, proc=dev)

        async def caught_up() -> bool:
            described = [await h.describe() for h in (a, b, c)]
            return all(d.action_count >= 1 for d in described[1:]) and all(e.status == "completed" for d in described for e in d.recent_executions[:-1])

        for _ in range(300):
            if await caught_up():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(4)  # a few regular times after the catch-up
        for handle in (a, b, c):
            await handle.pause("test over")
        await asyncio.sleep(1)

        # A: every time from its first to its last ran exactly once, none missed
        times_a = await started_times(client, "sched-a")
        described_a = await a.describe_raw()
        assert len(times_a) == len(set(times_a)) == described_a.info.action_count
        assert times_a == grid(times_a[0], times_a[-1]), "a time of the outage is missing"
        assert times_a[0] < int(killed_at.timestamp() * NS) < times_a[-1] and described_a.info.missed_catchup_window == 0

        first_ns = int(first_start.timestamp() * NS)
        # B (SKIP): of the times up to its wakeup, only the earliest ran
        described_b = await b.describe_raw()
        woke_b = described_b.info.recent_actions[0].buffered_time.ToNanoseconds()
        due_b = grid(first_ns, woke_b)
        times_b = await started_times(client, "sched-b")
        assert len(due_b) >= 4 and len(times_b) == len(set(times_b)) == described_b.info.action_count
        assert [t for t in times_b if t <= woke_b] == [due_b[0]]
        assert described_b.info.overlap_skipped >= len(due_b) - 1 and described_b.info.missed_catchup_window == 0

        # C (ALLOW_ALL, 10 s window): the times older than 10 s at its wakeup were missed, the others ran
        described_c = await c.describe_raw()
        woke_c = described_c.info.recent_actions[0].buffered_time.ToNanoseconds()
        due_c = grid(first_ns, woke_c)
        times_c = await started_times(client, "sched-c")
        assert len(times_c) == len(set(times_c)) == described_c.info.action_count
        ran = [t for t in times_c if t <= woke_c]
        # The newest times ran, none older than the window; a time right at the window's edge
        # may also be given up if its first start attempt failed while the cluster came back
        # (a retry past the window counts it missed), so the edge has 2 s of slack.
        # A time buffered before the kill may also run after it, retried within its own window
        # (started by its actual time + 10 s), which can be a little more than 10 s before this wakeup.
        assert ran == due_c[len(due_c) - len(ran):] and all(woke_c - t <= 12 * NS for t in ran)
        assert set(ran) >= {t for t in due_c if woke_c - t <= 8 * NS}
        assert described_c.info.missed_catchup_window == len(due_c) - len(ran) >= 1
        assert all(r.status == C.WORKFLOW_EXECUTION_STATUS_COMPLETED for r in await client.list_workflows(page_size=1000)
                   if r.execution.workflow_id.startswith("sched-"))
    finally:
        await worker.shutdown()
        await client.close()
