"""The timer queue: fires the shard's durable timers, each exactly once.

Timeouts, retry backoffs and user timers are timer rows committed with the state
change that needs them. The loop reads due timers in pages; firing one is a
normal update of its run that deletes the timer row in the same commit, so a
timer fires once even across crashes. Most timers are stale when due (the
activity or workflow task finished first): those are deleted in one batch
without touching the run's state.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import structlog

from fanflow import clock

from protos import common_pb2, persistence_pb2

if TYPE_CHECKING:
    from history.shard import Shard

log = structlog.get_logger("fanflow.history.shard")

PAGE = 256
PASS_INTERVAL = 0.05  # timers fire within ~50 ms of due; passes over due timers batch up
IDLE_WAIT = 1.0  # longest sleep between looks at the timers table
READ_RETRY = 1.0  # after a failed read of the timers table (e.g. PostgreSQL restarting)
FIRED, DEAD, FAILED = "fired", "dead", "failed"
FIRE_TIMEOUT = 90.0  # longest one timer may hold up a pass (the store's own statements give up after 60 s)


class TimerQueue:
    def __init__(self, shard: "Shard", fired_metric: Any):
        self._shard = shard
        self._wakeup = asyncio.Event()
        self._next_fire_ns: int | None = None
        self._fired_metric = fired_metric

    def start(self) -> asyncio.Task:
        return asyncio.create_task(self._loop(), name=f"shard-{self._shard.shard_id}-timers")

    def committed(self, earliest_fire_ns: int) -> None:
        """A commit added timers, the earliest due then: wake the loop if that is sooner."""
        if self._next_fire_ns is None or earliest_fire_ns < self._next_fire_ns:
            self._wakeup.set()

    async def _loop(self) -> None:
        store = self._shard.store
        while True:
            self._wakeup.clear()
            try:
                due = await store.due_timers(clock.now_ns(), PAGE)
            except Exception as exc:  # the store is unavailable (database down or cut off): look again, never give up
                log.warning("could not read due timers, will retry", shard=self._shard.shard_id, error=str(exc)[:300])
                await asyncio.sleep(READ_RETRY)
                continue
            if due:
                outcomes = await asyncio.gather(*(self._fire_within_bound(timer_id, task) for timer_id, task in due))
                dead = [timer.id for timer, outcome in zip(due, outcomes) if outcome == DEAD]
                if dead:
                    try:
                        await store.delete_timers(dead)
                    except Exception as exc:  # retried on the next pass
                        log.warning("could not delete stale timers", error=str(exc))
                        await asyncio.sleep(0.5)
                if len(due) < PAGE:
                    await asyncio.sleep(PASS_INTERVAL)  # let due timers gather: one pass per interval
                continue
            try:
                self._next_fire_ns = await store.next_timer_time()
            except Exception as exc:
                log.warning("could not read the next timer's time, will retry", shard=self._shard.shard_id, error=str(exc)[:300])
                self._next_fire_ns = None
                await asyncio.sleep(READ_RETRY)
                continue
            wait = IDLE_WAIT if self._next_fire_ns is None else min(IDLE_WAIT, max(0.0, (self._next_fire_ns - clock.now_ns()) / 1e9))
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
            # arrives just as the event is set (a commit right before Shard.stop), and the loop
            # would run on with stop() waiting for it forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wakeup.wait()

    async def _fire_within_bound(self, timer_id: int, task: persistence_pb2.TimerTask) -> str:
        """fire(), given up after FIRE_TIMEOUT (FAILED: the next pass tries again): one timer whose
        run's lock or write does not come free must not stop every other timer of the shard."""
        try:
            async with asyncio.timeout(FIRE_TIMEOUT):
                return await self.fire(timer_id, task)
        except TimeoutError:
            log.warning("a timer did not fire in time; will retry", shard=self._shard.shard_id, kind=task.kind,
                        workflow_id=task.workflow_id, waited=FIRE_TIMEOUT)
            return FAILED

    async def fire(self, timer_id: int, task: persistence_pb2.TimerTask) -> str:
        """Apply one due timer: FIRED, DEAD (stale: the caller deletes it, in a batch with
        others) or FAILED (left for the next pass)."""
        shard = self._shard
        if task.kind == persistence_pb2.TIMER_TASK_KIND_SCHEDULE_WAKEUP:  # a schedule, not a run
            return await shard.schedules.fire_timer(timer_id, task)
        key = (task.namespace, task.workflow_id, task.run_id)
        async with shard.locks.hold(key[:2]):
            run = await shard.load(key)
            if run is not None and _behind(run.state.next_event_id, task):
                # The cached run has not seen the event this timer was set with: it is behind the
                # store (a commit it was told had failed landed after all). Judging the timer by it
                # would delete a live one; read the run again.
                shard.forget(key)
                run = await shard.load(key)
                if run is not None and _behind(run.state.next_event_id, task):
                    log.warning("a timer names an event its run does not have yet; will look again", shard=shard.shard_id,
                                workflow_id=task.workflow_id, kind=task.kind, event_id=task.event_id, next_event_id=run.state.next_event_id)
                    await asyncio.sleep(0.5)
                    return FAILED
            if run is None or not run.timer_is_live(task):
                return DEAD
        try:
            await shard.update(
                task.namespace,
                common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id),
                lambda run, now: run.fire_timer(task, now),
                fired_timer=timer_id,
                missing_ok=True,
            )
            self._fired_metric.inc()
            return FIRED
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("timer failed, will retry", error=str(exc), kind=task.kind, workflow_id=task.workflow_id)
            await asyncio.sleep(0.5)
            return FAILED


# Timers set together with an event that stays in history: the event (TimerStarted, ActivityTaskScheduled)
# was committed with the timer row, so a run that knows the row must know the event.
_SET_WITH_AN_EVENT = frozenset({
    persistence_pb2.TIMER_TASK_KIND_USER_TIMER,
    persistence_pb2.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE,
    persistence_pb2.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START,
    persistence_pb2.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE,
    persistence_pb2.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT,
    persistence_pb2.TIMER_TASK_KIND_ACTIVITY_RETRY,
})


def _behind(next_event_id: int, task: persistence_pb2.TimerTask) -> bool:
    return task.kind in _SET_WITH_AN_EVENT and task.event_id >= next_event_id
