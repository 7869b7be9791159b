"""A shard's schedules at work: the I/O around `history.schedules.ScheduleMachine`.

Each schedule is a record in the shard's store, advanced by the shard's durable timer
queue (one live wakeup row per schedule, TIMER_TASK_KIND_SCHEDULE_WAKEUP; a row whose
generation is not the record's is stale). A step, under the schedule's lock:

1. take the times that have come (and backfills) into the buffer; apply closes of runs;
2. if starts wait on a running run, look at those runs (a close may not have reached us);
3. plan: the overlap policies decide what starts now; **commit** (the decision is durable
   before anything is started, with a wakeup that retries it if we die);
4. start the chosen workflows on their own shards (StartWorkflowExecution with the ids the
   buffer fixed: a repeat returns the run already started), cancel or terminate if the
   policy says so; **commit** the outcomes and the next wakeup.

Runs it started are watched (a long poll for their result per run) so their close frees the
overlap policy, lands in `recent_actions` and drives `pause_on_failure`; the watchers are
started again from the records when the shard starts.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import grpc
import structlog

from fanflow import clock
from fanflow.timeutil import duration, ts_from_ns
from history.locks import KeyedLocks
from history.persistence.store import ScheduleWrite
from history.schedules import Plan, ScheduleMachine, compiled
from protos import common_pb2, history_service_pb2, persistence_pb2, schedule_pb2, schedule_state_pb2, workflow_service_pb2 as ws

if TYPE_CHECKING:
    from fanflow.clients import HistoryClient
    from history.shard import Shard

log = structlog.get_logger("fanflow.history.schedules")

WAKEUP = persistence_pb2.TIMER_TASK_KIND_SCHEDULE_WAKEUP
FIRED, DEAD = "fired", "dead"  # as history.timer_queue
START_TIMEOUT = 10.0  # seconds per start attempt
WATCH_WAIT = 30.0  # a watcher's long poll
IDENTITY = "fanflow-scheduler"
PERMANENT = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.UNIMPLEMENTED,
}

Key = tuple[str, str]  # namespace, schedule id


class ScheduleRunner:
    def __init__(self, shard: "Shard", history: "HistoryClient | None"):
        self.shard = shard
        self.history = history
        self.locks = KeyedLocks()
        self._records: dict[Key, schedule_state_pb2.ScheduleRecord] = {}
        self._watchers: dict[tuple[str, str, str], asyncio.Task] = {}
        self._background: set[asyncio.Task] = set()
        self._firing: set[int] = set()  # timer rows whose step is running
        self._stopped = False

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        for record in await self.shard.store.all_schedules():
            key = (record.namespace, record.schedule_id)
            self._records[key] = record
            self._watch_all(record)
            if record.buffer or record.backfills:
                self._spawn(self.step(key))  # starts that were in flight when we stopped

    async def stop(self) -> None:
        self._stopped = True
        tasks = [*self._watchers.values(), *self._background]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._watchers.clear()

    def _spawn(self, coro: Awaitable) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------ records
    async def load(self, key: Key) -> schedule_state_pb2.ScheduleRecord | None:
        """The committed record (a copy: change it, then commit it). Call under the lock."""
        record = self._records.get(key)
        if record is None:
            record = await self.shard.store.load_schedule(*key)
            if record is None:
                return None
            self._records[key] = record
        return schedule_state_pb2.ScheduleRecord.FromString(record.SerializeToString())

    async def commit(self, machine: ScheduleMachine, now_ns: int, fired_timer: int | None = None) -> None:
        """Write the machine's record with its next wakeup (a new timer row when it moved)."""
        rec = machine.record
        key = (rec.namespace, rec.schedule_id)
        wakeup = machine.next_wakeup(now_ns)
        recorded = rec.wakeup_time.ToNanoseconds() if rec.HasField("wakeup_time") else None
        timers = []
        if wakeup != recorded or fired_timer is not None:
            rec.wakeup_generation += 1
            if wakeup is None:
                rec.ClearField("wakeup_time")
            else:
                rec.wakeup_time.CopyFrom(ts_from_ns(wakeup))
                timers.append((wakeup, persistence_pb2.TimerTask(kind=WAKEUP, namespace=rec.namespace, workflow_id=rec.schedule_id, event_id=rec.wakeup_generation)))
        rec.conflict_token += 1
        try:
            await self.shard.store.commit_schedule(ScheduleWrite(rec.namespace, rec.schedule_id, rec, timers, fired_timer))
        except Exception:
            self._records.pop(key, None)  # reload what is stored
            raise
        self._records[key] = schedule_state_pb2.ScheduleRecord.FromString(rec.SerializeToString())
        if timers:
            self.shard.timers.committed(timers[0][0])

    async def delete(self, key: Key) -> None:
        """Delete the record (its timer row turns stale). Call under the lock."""
        await self.shard.store.commit_schedule(ScheduleWrite(key[0], key[1], None))
        self._records.pop(key, None)
        for watch_key in [k for k in self._watchers if k[:2] == key]:
            self._watchers.pop(watch_key).cancel()

    async def records(self, namespace: str, after: str, limit: int) -> list[schedule_state_pb2.ScheduleRecord]:
        return await self.shard.store.list_schedules(namespace, after, limit)

    # ------------------------------------------------------------ the timer
    async def fire_timer(self, timer_id: int, task: persistence_pb2.TimerTask) -> str:
        """A due wakeup row: DEAD if stale; else the step runs in the background (it starts
        workflows on other shards, which must not hold up the shard's other timers) and
        deletes the row in its first commit. Until then the row is due again on each pass:
        it is recognised as in hand."""
        if timer_id in self._firing:
            return FIRED
        key = (task.namespace, task.workflow_id)
        record = self._records.get(key) or await self.shard.store.load_schedule(*key)
        if record is None or record.wakeup_generation != task.event_id:
            return DEAD
        self._firing.add(timer_id)

        async def run() -> None:
            try:
                await self.step(key, fired_timer=timer_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the row stays due: the next pass tries again
                log.warning("schedule step failed, will retry", schedule_id=key[1], error=str(exc))
                await asyncio.sleep(0.5)
            finally:
                self._firing.discard(timer_id)

        self._spawn(run())
        return FIRED

    # ------------------------------------------------------------ a step
    async def step(
        self,
        key: Key,
        *,
        fired_timer: int | None = None,
        change: Callable[[ScheduleMachine, int], None] | None = None,
    ) -> ScheduleMachine | None:
        """Advance the schedule (see the module doc); `change(machine, now)` is applied first
        (a patch, a close). None if the schedule is gone."""
        async with self.locks.hold(key):
            record = await self.load(key)
            if record is None:
                if fired_timer is not None:
                    await self.shard.store.delete_timers([fired_timer])
                return None
            now = clock.now_ns()
            machine = ScheduleMachine(record, compiled(record))
            if change is not None:
                change(machine, now)
            machine.take_due_times(now)
            machine.take_backfills(now)
            if machine.has_waiting() and record.info.running_workflows:
                await self._refresh_running(machine)
            plan = machine.plan(now)
            await self.commit(machine, now, fired_timer)  # decisions durable before any start
            if plan.starts or plan.cancel or plan.terminate:
                await self._carry_out(machine, plan)
                now = clock.now_ns()
                follow_up = machine.plan(now) if not machine.running() and machine.has_waiting() else Plan()
                await self.commit(machine, now)
                if follow_up.starts:  # e.g. TERMINATE_OTHER: the run is gone, its successor may start
                    self._spawn(self.step(key))
            self._watch_all(machine.record)
            return machine

    async def _carry_out(self, machine: ScheduleMachine, plan: Plan) -> None:
        rec = machine.record
        if plan.terminate or plan.cancel:
            for execution in list(rec.info.running_workflows):
                if await self._stop_run(rec.namespace, execution, terminate=plan.terminate):
                    if plan.terminate:
                        machine.workflow_closed(execution.workflow_id, common_pb2.WORKFLOW_EXECUTION_STATUS_TERMINATED, "")
            if plan.cancel:
                machine.cancel_sent()
        outcomes = await asyncio.gather(*(self._start(rec, entry) for entry in plan.starts))
        now = clock.now_ns()
        for entry, (run_id, error, permanent) in zip(plan.starts, outcomes):
            if run_id is not None:
                machine.start_succeeded(entry.request_id, run_id, now)
            else:
                log.warning("schedule could not start its workflow", schedule_id=rec.schedule_id, workflow_id=entry.workflow_id, error=error, retried=not permanent)
                machine.start_failed(entry.request_id, error, now, permanent)

    # ------------------------------------------------------------ calls to other shards
    def _stub(self, namespace: str, workflow_id: str):
        if self.history is None:
            raise RuntimeError("this history service was built without a HistoryClient; schedules cannot start workflows")
        shard_id = self.history.shard_for(namespace, workflow_id)
        return shard_id, self.history.stub(shard_id)

    async def _start(self, rec: schedule_state_pb2.ScheduleRecord, entry: schedule_state_pb2.BufferedStart) -> tuple[str | None, str, bool]:
        """(run id, "", _) once started (or started before: same request id); (None, error, permanent)."""
        action = rec.schedule.action
        request = ws.StartWorkflowExecutionRequest(
            namespace=rec.namespace, workflow_id=entry.workflow_id, workflow_type=action.workflow_type, task_queue=action.task_queue,
            input=action.input, workflow_execution_timeout=action.workflow_execution_timeout, workflow_run_timeout=action.workflow_run_timeout,
            workflow_task_timeout=action.workflow_task_timeout, identity=IDENTITY, request_id=entry.request_id, metadata=action.metadata,
            workflow_id_reuse_policy=ws.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE if entry.manual else ws.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
            schedule_id=rec.schedule_id, scheduled_time=entry.nominal_time,
        )
        try:
            shard_id, stub = self._stub(rec.namespace, entry.workflow_id)
            response = await stub.StartWorkflowExecution(
                history_service_pb2.StartWorkflowExecutionRequest(shard_id=shard_id, request=request), timeout=START_TIMEOUT
            )
            return response.run_id, "", False
        except grpc.aio.AioRpcError as exc:
            return None, f"{exc.code().name}: {exc.details()}", exc.code() in PERMANENT
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no owner for the shard in the config, ...
            return None, f"{type(exc).__name__}: {exc}", False

    async def _stop_run(self, namespace: str, execution: common_pb2.WorkflowExecution, *, terminate: bool) -> bool:
        """Cancel (or terminate) a run it started; True when done or the run is already gone."""
        latest = common_pb2.WorkflowExecution(workflow_id=execution.workflow_id)
        try:
            shard_id, stub = self._stub(namespace, execution.workflow_id)
            if terminate:
                await stub.TerminateWorkflowExecution(history_service_pb2.TerminateWorkflowExecutionRequest(
                    shard_id=shard_id, request=ws.TerminateWorkflowExecutionRequest(
                        namespace=namespace, execution=latest, reason="terminated by its schedule (overlap policy TERMINATE_OTHER)", identity=IDENTITY)),
                    timeout=START_TIMEOUT)
            else:
                await stub.RequestCancelWorkflowExecution(history_service_pb2.RequestCancelWorkflowExecutionRequest(
                    shard_id=shard_id, request=ws.RequestCancelWorkflowExecutionRequest(
                        namespace=namespace, execution=latest, reason="cancelled by its schedule (overlap policy CANCEL_OTHER)", identity=IDENTITY)),
                    timeout=START_TIMEOUT)
            return True
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT):
                return True  # closed already
            log.warning("schedule could not stop a run", workflow_id=execution.workflow_id, error=exc.details())
            return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("schedule could not stop a run", workflow_id=execution.workflow_id, error=str(exc))
            return False

    async def _result(self, namespace: str, workflow_id: str, run_id: str, wait: float) -> ws.GetWorkflowResultResponse:
        shard_id, stub = self._stub(namespace, workflow_id)
        request = ws.GetWorkflowResultRequest(
            namespace=namespace, execution=common_pb2.WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            wait_timeout=duration(wait), follow_runs=True,
        )
        return await stub.GetWorkflowResult(history_service_pb2.GetWorkflowResultRequest(shard_id=shard_id, request=request), timeout=wait + 10.0)

    async def _refresh_running(self, machine: ScheduleMachine) -> None:
        """Look at the runs it thinks are running (a close may not have reached its watcher yet)."""
        rec = machine.record
        for execution in list(rec.info.running_workflows):
            try:
                response = await self._result(rec.namespace, execution.workflow_id, execution.run_id, 0.0)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    machine.workflow_closed(execution.workflow_id, common_pb2.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, "")
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                continue
            if response.status != common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
                machine.workflow_closed(execution.workflow_id, response.status, response.failure.message)

    # ------------------------------------------------------------ watching the runs it started
    def _watch_all(self, record: schedule_state_pb2.ScheduleRecord) -> None:
        if self._stopped or self.history is None:
            return
        open_runs = {e.workflow_id: e.run_id for e in record.info.running_workflows}
        for action in record.info.recent_actions:
            if action.status == common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
                open_runs.setdefault(action.workflow_id, action.run_id)
        for workflow_id, run_id in open_runs.items():
            watch_key = (record.namespace, record.schedule_id, workflow_id)
            task = self._watchers.get(watch_key)
            if task is None or task.done():
                self._watchers[watch_key] = asyncio.create_task(self._watch(watch_key, run_id), name=f"schedule-watch-{workflow_id}")

    async def _watch(self, watch_key: tuple[str, str, str], run_id: str) -> None:
        namespace, schedule_id, workflow_id = watch_key
        delay = 0.5
        while True:
            try:
                response = await self._result(namespace, workflow_id, run_id, WATCH_WAIT)
            except asyncio.CancelledError:
                raise
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    status, message = common_pb2.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, ""
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            except Exception:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            delay = 0.5
            if response.status != common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
                status, message = response.status, response.failure.message
                break
        if self._watchers.get(watch_key) is asyncio.current_task():
            del self._watchers[watch_key]
        while not self._stopped:
            try:
                await self.step((namespace, schedule_id), change=lambda machine, now: machine.workflow_closed(workflow_id, status, message))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("schedule could not record a close, will retry", schedule_id=schedule_id, workflow_id=workflow_id, error=str(exc))
                await asyncio.sleep(1.0)


def list_entry(machine: ScheduleMachine, future: int = 5, recent: int = 5) -> schedule_pb2.ScheduleListEntry:
    rec = machine.record
    return schedule_pb2.ScheduleListEntry(
        schedule_id=rec.schedule_id,
        workflow_type=rec.schedule.action.workflow_type,
        state=rec.schedule.state,
        future_action_times=[ts_from_ns(t) for t in machine.future_times(future)],
        recent_actions=list(rec.info.recent_actions)[-recent:],
        spec=rec.schedule.spec,
    )
