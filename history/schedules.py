"""The state machine of one schedule (pure: times in, decisions out; no I/O, no clock).

A schedule's record (`ScheduleRecord`) says which times it took (`last_processed_time`),
what it still has to start (`buffer`) and what it started (`info`). `ScheduleMachine`
changes a copy of it; `history/schedule_runner.py` commits it and does the I/O (starting,
cancelling and watching workflows). Temporal's semantics:

- **Taking times.** Every time of the spec after `last_processed_time` whose actual time
  (with jitter) has come is taken: into the buffer, or counted in `missed_catchup_window`
  when it is older than the catch-up window (at least 10 s). While paused, or out of
  remaining actions, the times pass without being taken (they are not caught up later).
- **The buffer and the overlap policy** (`plan`). With nothing running, the first start of
  the buffer goes; each further one overlaps and its policy decides: SKIP drops it,
  BUFFER_ONE keeps one waiting, BUFFER_ALL keeps all, CANCEL_OTHER / TERMINATE_OTHER stop
  the running run and keep it waiting (with nothing running, the later one replaces the
  earlier), ALLOW_ALL starts at once and is not tracked as running.
- **A start** has its workflow id ("<schedule id>-<nominal time>") and request id fixed when
  the time is buffered, and is committed as `starting` before it is attempted, so a start
  repeated after any crash is the same start: history answers it with the run it already
  started. A failed attempt is retried with backoff until the catch-up window has passed.
- **Closes** of the runs it started update `recent_actions`, free the overlap policy, and
  with `pause_on_failure` a FAILED or TIMED_OUT run pauses the schedule.
"""
from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from fanflow.schedule_spec import CompiledSpec, compile_spec
from fanflow.timeutil import ts_from_ns
from protos import common_pb2, schedule_pb2, schedule_state_pb2

S = schedule_pb2
NS = 1_000_000_000
DEFAULT_CATCHUP_NS = 365 * 86400 * NS
MIN_CATCHUP_NS = 10 * NS
RECENT_ACTIONS = 10
MAX_BUFFER = 1000
BACKFILL_TIMES_PER_STEP = 100
MAX_TIMES_PER_STEP = 100_000  # a long outage of a dense schedule: older times are counted missed in one jump
ATTEMPT_DEADLINE_NS = 10 * NS  # a start in flight when the process died is tried again after this
RETRY_MIN_NS, RETRY_MAX_NS = 1 * NS, 60 * NS
RECHECK_RUNNING_NS = 30 * NS  # starts waiting for a running run: look at it at least this often
REQUEST_IDS_KEPT = 50

RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
FAILED_STATUSES = (common_pb2.WORKFLOW_EXECUTION_STATUS_FAILED, common_pb2.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)


def workflow_id_for(schedule_id: str, nominal_ns: int) -> str:
    """The id of the run a schedule starts for a time: "<schedule id>-2024-05-01T09:00:00Z"."""
    seconds = nominal_ns // NS
    stamp = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{schedule_id}-{stamp}"


def new_record(namespace: str, schedule_id: str, schedule: schedule_pb2.Schedule, now_ns: int, declared: bool) -> schedule_state_pb2.ScheduleRecord:
    record = schedule_state_pb2.ScheduleRecord(
        namespace=namespace, schedule_id=schedule_id, schedule=schedule, incarnation=uuid.uuid4().hex, conflict_token=1,
        last_processed_time=ts_from_ns(now_ns),
    )
    record.info.create_time.CopyFrom(ts_from_ns(now_ns))
    record.info.declared = declared
    state = record.schedule.state
    record.max_actions = state.remaining_actions if state.limited_actions else 0
    return record


def compiled(record: schedule_state_pb2.ScheduleRecord) -> CompiledSpec:
    return compile_spec(record.schedule.spec, jitter_seed=f"{record.namespace}/{record.schedule_id}")


@dataclass
class Plan:
    """What to do now: the starts to attempt, and whether to cancel or terminate the running runs."""

    starts: list[schedule_state_pb2.BufferedStart] = field(default_factory=list)
    cancel: bool = False
    terminate: bool = False


class ScheduleMachine:
    def __init__(self, record: schedule_state_pb2.ScheduleRecord, spec: CompiledSpec):
        self.record = record
        self.spec = spec

    # ------------------------------------------------------------ settings
    @property
    def catchup_ns(self) -> int:
        policies = self.record.schedule.policies
        if not policies.HasField("catchup_window"):
            return DEFAULT_CATCHUP_NS
        return max(MIN_CATCHUP_NS, policies.catchup_window.ToNanoseconds())

    def resolve(self, policy: int) -> int:
        if policy == S.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED:
            policy = self.record.schedule.policies.overlap_policy
        return policy or S.SCHEDULE_OVERLAP_POLICY_SKIP

    def can_take_scheduled(self) -> bool:
        state = self.record.schedule.state
        return not state.paused and (not state.limited_actions or state.remaining_actions > 0)

    # ------------------------------------------------------------ taking times
    def take_due_times(self, now_ns: int) -> None:
        """Buffer (or count as missed) every time whose actual time has come."""
        rec = self.record
        if not self.can_take_scheduled():
            rec.last_processed_time.CopyFrom(ts_from_ns(now_ns))  # times pass unseen while paused
            return
        after = rec.last_processed_time.ToNanoseconds()
        oldest_wanted = now_ns - self.catchup_ns
        for _ in range(MAX_TIMES_PER_STEP):
            nxt = self.spec.next_time(after)
            if nxt is None or nxt[1] > now_ns:
                break
            nominal, actual = nxt
            if actual < oldest_wanted:
                rec.info.missed_catchup_window += 1
            else:
                self._buffer(nominal, actual, S.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED, False, now_ns)
            after = actual
            rec.last_processed_time.CopyFrom(ts_from_ns(actual))
        else:  # more than that many times passed: skip to the oldest time still worth taking
            rec.last_processed_time.CopyFrom(ts_from_ns(max(after, oldest_wanted - 1)))
            self.take_due_times(now_ns)

    def take_backfills(self, now_ns: int) -> None:
        """Buffer the times of requested backfills, up to BACKFILL_TIMES_PER_STEP per step."""
        rec = self.record
        budget = BACKFILL_TIMES_PER_STEP
        while rec.backfills and budget > 0 and len(rec.buffer) < MAX_BUFFER // 2:
            backfill = rec.backfills[0]
            after = backfill.start_time.ToNanoseconds() - 1  # the start is inclusive
            end = backfill.end_time.ToNanoseconds()
            done = True
            while True:
                nxt = self.spec.next_time(after)
                if nxt is None or nxt[0] > end:
                    break
                if budget == 0:
                    done = False
                    break
                self._buffer(nxt[0], nxt[0], backfill.overlap_policy, True, now_ns)
                budget -= 1
                after = nxt[0]
            if done:
                del rec.backfills[0]
            else:
                backfill.start_time.CopyFrom(ts_from_ns(after + 1))

    def trigger(self, now_ns: int, overlap_policy: int) -> None:
        self._buffer(now_ns, now_ns, overlap_policy, True, now_ns)

    def _buffer(self, nominal_ns: int, actual_ns: int, policy: int, manual: bool, now_ns: int) -> None:
        rec = self.record
        if len(rec.buffer) >= MAX_BUFFER:
            rec.info.buffer_dropped += 1
            return
        rec.buffer.append(schedule_state_pb2.BufferedStart(
            nominal_time=ts_from_ns(nominal_ns), actual_time=ts_from_ns(actual_ns), overlap_policy=policy, manual=manual,
            workflow_id=workflow_id_for(rec.schedule_id, nominal_ns), request_id=f"{rec.incarnation}-{uuid.uuid4().hex}",
            buffered_time=ts_from_ns(now_ns),
        ))

    # ------------------------------------------------------------ the buffer
    def running(self) -> bool:
        """A run it started is open, or a start that will be tracked as running is in flight."""
        return bool(self.record.info.running_workflows) or any(
            e.starting and self.resolve(e.overlap_policy) != S.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL for e in self.record.buffer
        )

    def has_waiting(self) -> bool:
        return any(not e.starting for e in self.record.buffer)

    def plan(self, now_ns: int) -> Plan:
        """Apply the overlap policies to the buffer: mark the starts to attempt now (`starting`)."""
        rec, plan = self.record, Plan()
        running = self.running()
        kept: list[schedule_state_pb2.BufferedStart] = []
        allow_all: list[schedule_state_pb2.BufferedStart] = []
        chosen = None
        waiting = 0
        for entry in rec.buffer:
            if entry.starting:
                kept.append(entry)
                continue
            if not entry.manual and not self.can_take_scheduled():
                if rec.schedule.state.paused:
                    kept.append(entry)  # waits for unpause
                    waiting += 1
                continue  # out of remaining actions: dropped
            policy = self.resolve(entry.overlap_policy)
            if policy == S.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL:
                allow_all.append(entry)
                continue
            if not running and chosen is None:
                chosen = entry
                continue
            if policy == S.SCHEDULE_OVERLAP_POLICY_SKIP:
                rec.info.overlap_skipped += 1
            elif policy == S.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
                if waiting == 0:
                    kept.append(entry)
                    waiting += 1
                else:
                    rec.info.overlap_skipped += 1
            elif policy == S.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
                kept.append(entry)
                waiting += 1
            elif policy in (S.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER, S.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER):
                if running:
                    if policy == S.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
                        plan.cancel = True
                    else:
                        plan.terminate = True
                    kept.append(entry)
                    waiting += 1
                else:  # not started yet: the later time replaces the earlier one
                    rec.info.overlap_skipped += 1
                    chosen = entry
        if plan.cancel or plan.terminate:
            rec.info.overlap_skipped += len(allow_all)  # they would be stopped at once
            allow_all = []
        for entry in allow_all + ([chosen] if chosen is not None else []):
            entry.starting = True
            if not entry.manual and rec.schedule.state.limited_actions:
                rec.schedule.state.remaining_actions -= 1
            kept.append(entry)
        # keep buffer order (nominal time) for what waits
        order = {id(e): i for i, e in enumerate(rec.buffer)}
        kept.sort(key=lambda e: order[id(e)])
        new = [schedule_state_pb2.BufferedStart.FromString(e.SerializeToString()) for e in kept]
        del rec.buffer[:]
        rec.buffer.extend(new)
        for entry in rec.buffer:
            if entry.starting and (not entry.HasField("retry_time") or entry.retry_time.ToNanoseconds() <= now_ns):
                entry.retry_time.CopyFrom(ts_from_ns(now_ns + ATTEMPT_DEADLINE_NS))
                plan.starts.append(entry)
        if plan.terminate:
            plan.cancel = False
        if plan.cancel and rec.cancel_requested:
            plan.cancel = False  # asked once already
        return plan

    # ------------------------------------------------------------ outcomes
    def _entry(self, request_id: str) -> tuple[int, schedule_state_pb2.BufferedStart] | None:
        for i, entry in enumerate(self.record.buffer):
            if entry.request_id == request_id:
                return i, entry
        return None

    def start_succeeded(self, request_id: str, run_id: str, now_ns: int) -> schedule_state_pb2.ScheduleActionResult | None:
        found = self._entry(request_id)
        if found is None:
            return None
        i, entry = found
        rec = self.record
        del rec.buffer[i]
        result = S.ScheduleActionResult(
            schedule_time=entry.nominal_time, actual_time=ts_from_ns(now_ns), workflow_id=entry.workflow_id, run_id=run_id,
            status=RUNNING, manual=entry.manual, buffered_time=entry.buffered_time,
        )
        rec.info.action_count += 1
        rec.info.recent_actions.append(result)
        del rec.info.recent_actions[:-RECENT_ACTIONS]
        rec.info.last_start_error = ""
        if self.resolve(entry.overlap_policy) != S.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL:
            rec.info.running_workflows.append(common_pb2.WorkflowExecution(workflow_id=entry.workflow_id, run_id=run_id))
            rec.cancel_requested = False
        return result

    def start_failed(self, request_id: str, error: str, now_ns: int, permanent: bool) -> None:
        found = self._entry(request_id)
        if found is None:
            return
        i, entry = found
        rec = self.record
        rec.info.last_start_error = f"{entry.workflow_id}: {error}"
        deadline = entry.actual_time.ToNanoseconds() + self.catchup_ns
        if permanent:
            del rec.buffer[i]
            return
        entry.attempt += 1
        retry_at = now_ns + min(RETRY_MAX_NS, RETRY_MIN_NS * 2 ** min(entry.attempt - 1, 10))
        if retry_at > deadline:
            del rec.buffer[i]
            rec.info.missed_catchup_window += 1
            rec.info.last_start_error += " (gave up: the catch-up window passed)"
            return
        entry.retry_time.CopyFrom(ts_from_ns(retry_at))

    def cancel_sent(self) -> None:
        self.record.cancel_requested = True

    def workflow_closed(self, workflow_id: str, status: int, failure_message: str) -> bool:
        """A run it started closed (status UNSPECIFIED: it is gone); True if that changed anything."""
        rec = self.record
        changed = False
        for i, execution in enumerate(rec.info.running_workflows):
            if execution.workflow_id == workflow_id:
                del rec.info.running_workflows[i]
                changed = True
                break
        for action in rec.info.recent_actions:
            if action.workflow_id == workflow_id and action.status == RUNNING:
                action.status = status
                changed = True
        policies = rec.schedule.policies
        if changed and policies.pause_on_failure and status in FAILED_STATUSES and not rec.schedule.state.paused:
            what = "failed" if status == common_pb2.WORKFLOW_EXECUTION_STATUS_FAILED else "timed out"
            rec.schedule.state.paused = True
            rec.schedule.state.notes = f"paused by pause_on_failure: workflow {workflow_id} {what}" + (f": {failure_message}" if failure_message else "")
        if not rec.info.running_workflows:
            rec.cancel_requested = False
        return changed

    # ------------------------------------------------------------ patches
    def pause(self, note: str, now_ns: int) -> None:
        self.record.schedule.state.paused = True
        self.record.schedule.state.notes = note
        self.record.info.update_time.CopyFrom(ts_from_ns(now_ns))

    def unpause(self, note: str, now_ns: int) -> None:
        rec = self.record
        if rec.schedule.state.paused:
            rec.last_processed_time.CopyFrom(ts_from_ns(max(rec.last_processed_time.ToNanoseconds(), now_ns)))
        rec.schedule.state.paused = False
        rec.schedule.state.notes = note
        rec.info.update_time.CopyFrom(ts_from_ns(now_ns))

    def add_backfill(self, backfill: schedule_pb2.ScheduleBackfill) -> None:
        self.record.backfills.append(backfill)

    # ------------------------------------------------------------ when next
    def next_wakeup(self, now_ns: int) -> int | None:
        """When the runner must look at this schedule again (None: only a patch or a close wakes it)."""
        rec = self.record
        candidates = []
        if rec.backfills:
            candidates.append(now_ns)
        if self.can_take_scheduled():
            nxt = self.spec.next_time(rec.last_processed_time.ToNanoseconds())
            if nxt is not None:
                candidates.append(nxt[1])
        for entry in rec.buffer:
            if entry.starting:
                candidates.append(entry.retry_time.ToNanoseconds() if entry.HasField("retry_time") else now_ns)
        if self.has_waiting() and not rec.schedule.state.paused:
            candidates.append(now_ns + RECHECK_RUNNING_NS)
        return min(candidates) if candidates else None

    def future_times(self, count: int) -> list[int]:
        """The next `count` actual times (no more than the remaining actions)."""
        state = self.record.schedule.state
        if state.limited_actions:
            count = min(count, max(0, state.remaining_actions))
        return [actual for _, actual in self.spec.times(self.record.last_processed_time.ToNanoseconds(), count)]
