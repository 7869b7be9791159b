"""Part of RunState (history/run_state.py): the activities of a run.

An activity attempt is dispatched through matching (with its schedule-to-start
timer) or started eagerly, runs under its start-to-close and heartbeat timers,
and ends completed, failed, timed out or cancelled. A failed or timed-out attempt
is retried after a backoff timer (no events) until the retry policy or the
schedule-to-close deadline says stop; only then are ActivityTaskStarted and the
outcome written. An executor item's result goes beside history.
"""
from __future__ import annotations

from fanflow.errors import FailedPrecondition, NotFound
from fanflow.timeutil import ts_from_ns
from history import activity_routing, retry
from history.persistence.store import ExecutorItemFailed
from protos import common_pb2, internal_pb2, persistence_pb2

ACTIVITY_TASK = common_pb2.TASK_TYPE_ACTIVITY
K = persistence_pb2  # timer kinds live here
S = 1_000_000_000  # nanoseconds per second


class Activities:
    """RunState's activity operations (see history/run_state.py for the state they use)."""

    def _add_activity_task(self, info: persistence_pb2.ActivityInfo, now: int) -> None:
        """Dispatch an activity attempt through matching, with its schedule-to-start timer."""
        timeout = info.schedule_to_start_timeout.ToNanoseconds()
        self.add_task(ACTIVITY_TASK, info.task_queue, info.scheduled_event_id, info.attempt, now, expire_at=now + timeout if timeout else 0,
                      rate_limit=info.rate_limit if info.HasField("rate_limit") else None)
        if timeout:
            self.add_timer(now + timeout, K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START, info.scheduled_event_id, info.attempt)


    def _put_activity(self, info: persistence_pb2.ActivityInfo) -> None:
        self.activities[info.scheduled_event_id] = info
        self.mutation.activity_upserts[info.scheduled_event_id] = info
        self.mutation.activity_deletes.discard(info.scheduled_event_id)
        self.state.pending_activity_count = len(self.activities)

    def _drop_activity(self, scheduled_event_id: int) -> None:
        self.activities.pop(scheduled_event_id, None)
        self.scheduled.pop(scheduled_event_id, None)
        self.mutation.activity_upserts.pop(scheduled_event_id, None)
        self.mutation.activity_deletes.add(scheduled_event_id)
        self.state.pending_activity_count = len(self.activities)


    # ----------------------------------------------------------- activities
    def _activity_for_token(self, token: internal_pb2.TaskToken) -> persistence_pb2.ActivityInfo:
        self.require_running()
        info = self.activities.get(token.scheduled_event_id)
        if token.task_type != ACTIVITY_TASK or info is None or info.attempt != token.attempt or not info.started:
            raise NotFound(
                f"activity task (scheduled event {token.scheduled_event_id}, attempt {token.attempt}) is not running: "
                "it already completed, timed out and was retried, or the token is stale"
            )
        return info

    def record_activity_task_started(self, scheduled_event_id: int, attempt: int, identity: str, now: int) -> persistence_pb2.ActivityInfo:
        self.require_running()
        info = self.activities.get(scheduled_event_id)
        if info is None or info.attempt != attempt:
            raise NotFound(f"activity task {scheduled_event_id} attempt {attempt} is no longer pending")
        if info.started:
            raise NotFound(f"activity task {scheduled_event_id} attempt {attempt} was already started by {info.started_identity!r}")
        info.started = True
        info.started_identity = identity
        info.started_time.CopyFrom(ts_from_ns(now))
        info.ClearField("last_heartbeat_time")
        self._put_activity(info)
        self.add_timer(now + info.start_to_close_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE, scheduled_event_id, attempt)
        if info.heartbeat_timeout.ToNanoseconds():
            self.add_timer(now + info.heartbeat_timeout.ToNanoseconds(), K.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT, scheduled_event_id, attempt)
        return info

    def _write_activity_started(self, info: persistence_pb2.ActivityInfo, now: int) -> int:
        # Written with the outcome, but stamped with the attempt's start (as Temporal does), so
        # history shows when each activity started (what a rate limit is checked against).
        started_at = info.started_time.ToNanoseconds() if info.HasField("started_time") else now
        event = self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            "activity_task_started",
            common_pb2.ActivityTaskStartedEventAttributes(
                scheduled_event_id=info.scheduled_event_id,
                identity=info.started_identity,
                attempt=info.attempt,
                last_failure=info.last_failure,
            ),
            started_at,
        )
        return event.event_id

    def complete_activity(self, token: internal_pb2.TaskToken, result: common_pb2.Payload, identity: str, now: int, sticky_task_queue: str = "") -> tuple[int, int] | None:
        """Record the result. An executor item's result goes beside history (the event keeps
        an empty one). If the run now needs a workflow task and its sticky queue is the
        completing worker's, start the task for that worker: returns (started, previous)."""
        info = self._activity_for_token(token)
        started_id = self._write_activity_started(info, now)
        if info.HasField("result_sink") and info.result_sink.executor_id:
            self.mutation.executor_results.append((info.result_sink.executor_id, info.result_sink.index, result))
            result = common_pb2.Payload()
        self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            "activity_task_completed",
            common_pb2.ActivityTaskCompletedEventAttributes(
                scheduled_event_id=info.scheduled_event_id, started_event_id=started_id, result=result, identity=identity
            ),
            now,
        )
        self._drop_activity(info.scheduled_event_id)
        wft = self.state.workflow_task
        if sticky_task_queue and not wft.scheduled_event_id and self.state.sticky_task_queue.name == sticky_task_queue:
            self.schedule_workflow_task(now, dispatch=False)
            return self.record_workflow_task_started(self.state.workflow_task.scheduled_event_id, identity, now)
        self._new_events_need_workflow_task(now)
        return None

    def fail_activity(
        self,
        token: internal_pb2.TaskToken,
        failure: common_pb2.Failure,
        last_heartbeat_details: common_pb2.Payload | None,
        identity: str,
        now: int,
    ) -> None:
        info = self._activity_for_token(token)
        if last_heartbeat_details is not None and last_heartbeat_details.ByteSize():
            info.heartbeat_details.CopyFrom(last_heartbeat_details)
        if info.result_sink.executor_id:
            self.mutation.executor_failed_attempts.append(info.result_sink.executor_id)
        self._attempt_failed(info, failure, common_pb2.TIMEOUT_TYPE_UNSPECIFIED, now)

    def _attempt_failed(self, info: persistence_pb2.ActivityInfo, failure: common_pb2.Failure, timeout_type: int, now: int) -> None:
        """Retry (no events, a backoff timer) or give up (Started + Failed/TimedOut)."""
        retry_state = retry.retry_state_after_failure(info.retry_policy, info.attempt, failure)
        if timeout_type in (common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_START, common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE):
            retry_state = common_pb2.RETRY_STATE_TIMEOUT
        delay = retry.backoff_seconds(info.retry_policy, info.attempt)
        deadline = info.schedule_to_close_timeout.ToNanoseconds()
        if retry_state == common_pb2.RETRY_STATE_IN_PROGRESS and deadline:
            if now + int(delay * S) >= info.scheduled_time.ToNanoseconds() + deadline:
                retry_state = common_pb2.RETRY_STATE_TIMEOUT
        self._note_item_failure(info, failure, final=retry_state != common_pb2.RETRY_STATE_IN_PROGRESS)
        if retry_state == common_pb2.RETRY_STATE_IN_PROGRESS:
            info.attempt += 1
            info.started = False
            info.started_identity = ""
            info.ClearField("started_time")
            info.last_failure.CopyFrom(failure)
            info.attempt_scheduled_time.CopyFrom(ts_from_ns(now + int(delay * S)))
            self._put_activity(info)
            self.add_timer(now + int(delay * S), K.TIMER_TASK_KIND_ACTIVITY_RETRY, info.scheduled_event_id, info.attempt)
            return
        started_id = self._write_activity_started(info, now) if info.started else 0
        if timeout_type == common_pb2.TIMEOUT_TYPE_UNSPECIFIED:
            self.add_event(
                common_pb2.EVENT_TYPE_ACTIVITY_TASK_FAILED,
                "activity_task_failed",
                common_pb2.ActivityTaskFailedEventAttributes(
                    scheduled_event_id=info.scheduled_event_id,
                    started_event_id=started_id,
                    failure=failure,
                    retry_state=retry_state,
                    identity=info.started_identity,
                ),
                now,
            )
        else:
            self.add_event(
                common_pb2.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
                "activity_task_timed_out",
                common_pb2.ActivityTaskTimedOutEventAttributes(
                    scheduled_event_id=info.scheduled_event_id,
                    started_event_id=started_id,
                    failure=failure,
                    timeout_type=timeout_type,
                    retry_state=retry_state,
                ),
                now,
            )
        self._drop_activity(info.scheduled_event_id)
        self._new_events_need_workflow_task(now)

    def _note_item_failure(self, info: persistence_pb2.ActivityInfo, failure: common_pb2.Failure, final: bool) -> None:
        """Executor item failures: an executor item's failed attempt is kept beside history
        (latest per item), in this same commit, for the web UI's failed-items view."""
        if info.result_sink.executor_id:
            self.mutation.executor_item_failures.append(ExecutorItemFailed(
                info.result_sink.executor_id, info.result_sink.index, info.attempt, final, info.activity_type, failure,
            ))

    def heartbeat(self, token: internal_pb2.TaskToken, details: common_pb2.Payload, now: int) -> bool:
        """Record the heartbeat; returns whether the workflow asked to cancel the activity."""
        info = self._activity_for_token(token)
        if details.ByteSize():
            info.heartbeat_details.CopyFrom(details)
        info.last_heartbeat_time.CopyFrom(ts_from_ns(now))
        self._put_activity(info)
        return info.cancel_requested

    def _request_cancel_activity(self, scheduled_event_id: int, wft_completed_id: int, now: int) -> bool:
        """Returns True when the activity was cancelled at once (the workflow must hear it)."""
        info = self.activities.get(scheduled_event_id)
        if info is None:
            # Already finished: its result is on its way to the workflow (or was just recorded).
            return False
        self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
            "activity_task_cancel_requested",
            common_pb2.ActivityTaskCancelRequestedEventAttributes(scheduled_event_id=scheduled_event_id, workflow_task_completed_event_id=wft_completed_id),
            now,
        )
        if info.started:
            info.cancel_requested = True  # the worker hears it on its next heartbeat
            self._put_activity(info)
            return False
        self._write_activity_canceled(info, None, "", now, schedule_task=False)  # the completing task schedules the next
        return True

    def activity_canceled(self, token: internal_pb2.TaskToken, details: common_pb2.Payload | None, identity: str, now: int) -> None:
        """The worker stopped the activity because the workflow asked it to."""
        info = self._activity_for_token(token)
        if not info.cancel_requested:
            raise FailedPrecondition(
                f"activity {info.activity_id} (scheduled event {info.scheduled_event_id}) was not asked to cancel; "
                "report a failure (RespondActivityTaskFailed) or its result instead"
            )
        self._write_activity_canceled(info, details, identity, now)

    def _write_activity_canceled(self, info: persistence_pb2.ActivityInfo, details: common_pb2.Payload | None, identity: str, now: int, schedule_task: bool = True) -> None:
        started_id = self._write_activity_started(info, now) if info.started else 0
        self.add_event(
            common_pb2.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
            "activity_task_canceled",
            common_pb2.ActivityTaskCanceledEventAttributes(
                scheduled_event_id=info.scheduled_event_id, started_event_id=started_id, details=details, identity=identity
            ),
            now,
        )
        self._drop_activity(info.scheduled_event_id)
        if schedule_task:
            self._new_events_need_workflow_task(now)

    def _fire_activity_timer(self, task: persistence_pb2.TimerTask, now: int) -> None:
        info = self.activities[task.event_id]
        kind = task.kind
        if kind == K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE:
            self._attempt_failed(info, _timeout_failure("schedule-to-close", info), common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_RETRY:
            self._add_activity_task(info, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START:
            # A sticky session's activity that its worker did not take: say the worker is gone.
            failure = activity_routing.session_lost_failure(info) if activity_routing.is_session_activity(info) else _timeout_failure("schedule-to-start", info)
            self._attempt_failed(info, failure, common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_START, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE:
            self._attempt_failed(info, _timeout_failure("start-to-close", info), common_pb2.TIMEOUT_TYPE_START_TO_CLOSE, now)
        elif kind == K.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT:
            last = info.last_heartbeat_time if info.HasField("last_heartbeat_time") else info.started_time
            due = last.ToNanoseconds() + info.heartbeat_timeout.ToNanoseconds()
            if due <= now:
                self._attempt_failed(info, _timeout_failure("heartbeat", info), common_pb2.TIMEOUT_TYPE_HEARTBEAT, now)
            else:
                self.add_timer(due, K.TIMER_TASK_KIND_ACTIVITY_HEARTBEAT, info.scheduled_event_id, info.attempt)


def _timeout_failure(kind: str, info: persistence_pb2.ActivityInfo) -> common_pb2.Failure:
    return common_pb2.Failure(
        message=f"activity {info.activity_type} (id {info.activity_id}) attempt {info.attempt} timed out ({kind})",
        type="TimeoutError",
        source="server",
    )
