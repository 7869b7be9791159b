"""Part of RunState (history/run_state.py): the workflow-task cycle.

A workflow task is scheduled when the run has something new for its code to see
(on the sticky queue of the worker caching the run, else the normal queue), started
by one worker (RecordWorkflowTaskStarted, or straight back in a completion's reply),
and completed with commands (commands.py), failed, or timed out; a failure or time
out schedules it again on the normal queue, after a growing backoff once it keeps
failing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fanflow.errors import NotFound
from fanflow.timeutil import seconds, ts_from_ns
from protos import common_pb2, internal_pb2, persistence_pb2, workflow_service_pb2

WORKFLOW_TASK = common_pb2.TASK_TYPE_WORKFLOW
STICKY = common_pb2.TASK_QUEUE_KIND_STICKY
K = persistence_pb2  # timer kinds live here
S = 1_000_000_000  # nanoseconds per second


@dataclass
class WorkflowTaskOutcome:
    """What a workflow-task completion hands straight back to the worker."""

    eager_activities: list[tuple[persistence_pb2.ActivityInfo, common_pb2.ActivityTaskScheduledEventAttributes]] = field(default_factory=list)
    new_task: tuple[int, int] | None = None  # (started_event_id, previous_started_event_id) of the returned next task
    new_events: bool = False  # a command produced an event the workflow must see (an activity cancelled at once)


class WorkflowTasks:
    """RunState's workflow-task operations (see history/run_state.py for the state they use)."""

    def schedule_workflow_task(self, now: int, attempt: int = 1, allow_sticky: bool = True, dispatch: bool = True) -> None:
        """Schedule a workflow task unless one is already pending. dispatch=False: the
        caller starts it at once (no outbox task, no schedule-to-start timer)."""
        if self.state.workflow_task.scheduled_event_id or not self.running:
            return
        sticky = allow_sticky and bool(self.state.sticky_task_queue.name)
        queue = self.state.sticky_task_queue if sticky else self.state.task_queue
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            "workflow_task_scheduled",
            common_pb2.WorkflowTaskScheduledEventAttributes(
                task_queue=queue, start_to_close_timeout=self.state.workflow_task_timeout, attempt=attempt
            ),
            now,
        )
        self.state.workflow_task.CopyFrom(
            persistence_pb2.WorkflowTaskInfo(
                scheduled_event_id=event.event_id, attempt=attempt, task_queue=queue, scheduled_time=ts_from_ns(now)
            )
        )
        if not dispatch:
            return
        if not sticky:
            self.add_task(WORKFLOW_TASK, queue, event.event_id, attempt, now)
            return
        # If the sticky worker does not pick it up quickly, fall back to the normal queue;
        # matching may drop the sticky task from then on (its worker may be gone for good).
        timeout = seconds(self.state.sticky_schedule_to_start_timeout) or self.limits.sticky_schedule_to_start_timeout
        self.add_task(WORKFLOW_TASK, queue, event.event_id, attempt, now, expire_at=now + int(timeout * S))
        self.add_timer(now + int(timeout * S), K.TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START, event.event_id, attempt)

    def _new_events_need_workflow_task(self, now: int) -> None:
        """Something the workflow must see happened: make sure a task will run."""
        wft = self.state.workflow_task
        if not wft.scheduled_event_id:
            self.schedule_workflow_task(now)
        # A started task finishes first; completion then schedules the next one
        # (add_event already set events_since_wft_started).

    def record_workflow_task_started(self, scheduled_event_id: int, identity: str, now: int) -> tuple[int, int]:
        """Returns (started_event_id, previous_started_event_id for a sticky poll)."""
        self.require_running()
        wft = self.state.workflow_task
        if wft.scheduled_event_id != scheduled_event_id:
            raise NotFound(f"workflow task {scheduled_event_id} is no longer pending (current: {wft.scheduled_event_id})")
        if wft.started_event_id:
            raise NotFound(f"workflow task {scheduled_event_id} was already started by {wft.identity!r}")
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            "workflow_task_started",
            common_pb2.WorkflowTaskStartedEventAttributes(
                scheduled_event_id=scheduled_event_id,
                identity=identity,
                suggest_continue_as_new=self.suggest_continue_as_new(),
                history_size_bytes=self.state.history_size_bytes,
                suggest_continue_as_new_events=self.limits.suggest_continue_as_new_events,
                suggest_continue_as_new_bytes=self.limits.suggest_continue_as_new_bytes,
            ),
            now,
        )
        wft.started_event_id = event.event_id
        wft.started_time.CopyFrom(ts_from_ns(now))
        wft.identity = identity
        self.state.events_since_wft_started = False
        self._set_workflow_task_deadline(now + int(self._workflow_task_timeout() * S))
        previous = self.state.last_completed_wft_started_event_id if wft.task_queue.kind == STICKY else 0
        return event.event_id, previous

    def _workflow_task_timeout(self) -> float:
        return seconds(self.state.workflow_task_timeout) or self.limits.workflow_task_timeout

    def _set_workflow_task_deadline(self, deadline_ns: int) -> None:
        """The started task times out at ``deadline_ns``: kept in the mutable state, with a
        durable timer then (an earlier timer of the same task is stale from now on)."""
        wft = self.state.workflow_task
        wft.deadline_ns = deadline_ns
        self.add_timer(deadline_ns, K.TIMER_TASK_KIND_WORKFLOW_TASK_START_TO_CLOSE, wft.scheduled_event_id, wft.attempt, deadline_ns=deadline_ns)

    def heartbeat_workflow_task(self, token: internal_pb2.TaskToken, now: int) -> tuple[int, bool]:
        """The worker still runs the task's code: its deadline moves to now + the task's
        timeout, but never past its start + ``max_workflow_task_duration`` (the cap). Returns
        (deadline ns, whether it is at the cap). NOT_FOUND for a task that is not running."""
        self._check_workflow_task_token(token)
        wft = self.state.workflow_task
        timeout_ns = int(self._workflow_task_timeout() * S)
        started = wft.started_time.seconds * S + wft.started_time.nanos
        cap = started + max(int(self.limits.max_workflow_task_duration * S), timeout_ns)
        deadline = min(now + timeout_ns, cap)
        # Move the deadline (a new timer) only when that is worth a timer row: by a tenth of
        # the timeout at least, or up to the cap.
        if deadline > wft.deadline_ns and (deadline - wft.deadline_ns >= timeout_ns // 10 or deadline == cap):
            self._set_workflow_task_deadline(deadline)
        return wft.deadline_ns, wft.deadline_ns >= cap

    def _check_workflow_task_token(self, token: internal_pb2.TaskToken) -> None:
        self.require_running()
        wft = self.state.workflow_task
        if (
            token.task_type != WORKFLOW_TASK
            or wft.scheduled_event_id != token.scheduled_event_id
            or wft.started_event_id != token.started_event_id
            or not wft.started_event_id
        ):
            raise NotFound(
                f"workflow task (scheduled {token.scheduled_event_id}, started {token.started_event_id}) "
                "is not the running workflow task: it timed out, was already completed, or the token is stale"
            )

    def complete_workflow_task(
        self,
        token: internal_pb2.TaskToken,
        commands: list[common_pb2.Command],
        sticky: workflow_service_pb2.StickyExecutionAttributes | None,
        identity: str,
        now: int,
        return_new_task: bool = False,
    ) -> WorkflowTaskOutcome:
        """Apply the commands. Activities the worker asked to run eagerly are recorded as
        started for it; with return_new_task (sticky workers only) a next task needed for
        events that arrived meanwhile is started at once for the same worker."""
        self._check_workflow_task_token(token)
        self._validate_commands(commands)
        wft = self.state.workflow_task
        new_events_arrived = self.state.events_since_wft_started
        completed = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            "workflow_task_completed",
            common_pb2.WorkflowTaskCompletedEventAttributes(
                scheduled_event_id=wft.scheduled_event_id, started_event_id=wft.started_event_id, identity=identity
            ),
            now,
        )
        self.state.last_completed_wft_started_event_id = wft.started_event_id
        self.state.workflow_task.Clear()
        self.state.events_since_wft_started = False
        self.state.failed_wft_attempts = 0
        self.state.ClearField("last_wft_failure")
        if sticky is not None and sticky.worker_task_queue.name:
            self.state.sticky_task_queue.CopyFrom(
                common_pb2.TaskQueue(name=sticky.worker_task_queue.name, kind=STICKY)
            )
            self.state.sticky_schedule_to_start_timeout.CopyFrom(sticky.schedule_to_start_timeout)
        else:
            self.state.ClearField("sticky_task_queue")
        outcome = WorkflowTaskOutcome()
        for command in commands:
            self._apply_command(command, completed.event_id, now, identity, outcome)
            if not self.running:
                break
        if self.running and (new_events_arrived or outcome.new_events):
            inline = return_new_task and bool(self.state.sticky_task_queue.name)
            self.schedule_workflow_task(now, dispatch=not inline)
            if inline:
                outcome.new_task = self.record_workflow_task_started(self.state.workflow_task.scheduled_event_id, identity, now)
        return outcome


    def fail_workflow_task(
        self,
        token: internal_pb2.TaskToken,
        cause: int,
        failure: common_pb2.Failure,
        identity: str,
        now: int,
    ) -> None:
        if cause == common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE:
            self.refuse_oversized_completion(token, failure.message, identity, now)
            return
        self._check_workflow_task_token(token)
        self._remember_failure(common_pb2.WorkflowTaskFailureInfo(cause=cause, failure=failure, identity=identity), now)
        self._workflow_task_attempt_failed(
            now,
            lambda: self.add_event(
                common_pb2.EVENT_TYPE_WORKFLOW_TASK_FAILED,
                "workflow_task_failed",
                common_pb2.WorkflowTaskFailedEventAttributes(
                    scheduled_event_id=token.scheduled_event_id,
                    started_event_id=token.started_event_id,
                    cause=cause,
                    failure=failure,
                    identity=identity,
                ),
                now,
            ),
        )

    def refuse_oversized_completion(self, token: internal_pb2.TaskToken, message: str, identity: str, now: int) -> None:
        """The workflow task's answer carries a payload over the limit (history found it, or
        the worker could not even send it): record the failed task and terminate the run with
        the reason, as Temporal does. Retrying would fail the same way forever while the
        caller waits."""
        self._check_workflow_task_token(token)
        failure = common_pb2.Failure(message=message, type="PayloadTooLarge", source="server", non_retryable=True)
        cause = common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE
        self._remember_failure(common_pb2.WorkflowTaskFailureInfo(cause=cause, failure=failure, identity=identity), now)
        self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            "workflow_task_failed",
            common_pb2.WorkflowTaskFailedEventAttributes(
                scheduled_event_id=token.scheduled_event_id, started_event_id=token.started_event_id,
                cause=cause, failure=failure, identity=identity,
            ),
            now,
        )
        self.state.workflow_task.Clear()
        self.terminate(f"workflow task failed: {message}", "history (payload limit)", now)

    def _workflow_task_attempt_failed(self, now: int, write_event) -> None:
        """Failed or timed out: retry on the normal queue (the sticky cache may be
        the problem), with backoff after repeated failures so a bad deploy does
        not spin."""
        attempt = self.state.workflow_task.attempt
        write_event()
        self.state.workflow_task.Clear()
        self.state.events_since_wft_started = False
        self.state.ClearField("sticky_task_queue")
        self.state.failed_wft_attempts += 1
        if self.state.failed_wft_attempts <= 1:
            self.schedule_workflow_task(now, attempt=attempt + 1)
        else:
            delay = min(2.0 ** (self.state.failed_wft_attempts - 2), self.limits.max_workflow_task_retry_backoff)
            self.add_timer(now + int(delay * S), K.TIMER_TASK_KIND_WORKFLOW_TASK_RETRY, attempt=attempt + 1)

    def _remember_failure(self, info: common_pb2.WorkflowTaskFailureInfo, now: int) -> None:
        """Keep the latest failed attempt for describe and progress (cleared by a completion),
        so a run whose workflow task keeps failing says why."""
        info.attempt = self.state.workflow_task.attempt
        info.time.CopyFrom(ts_from_ns(now))
        self.state.last_wft_failure.CopyFrom(info)

    def _workflow_task_timed_out(self, timeout_type: int, now: int) -> None:
        wft = self.state.workflow_task
        scheduled, started = wft.scheduled_event_id, wft.started_event_id
        if timeout_type == common_pb2.TIMEOUT_TYPE_START_TO_CLOSE:  # a worker took it and never answered
            timeout = self._workflow_task_timeout()
            started_ns = wft.started_time.seconds * S + wft.started_time.nanos
            ran = (wft.deadline_ns - started_ns) / S if wft.deadline_ns else timeout
            if ran > timeout * 1.01:  # heartbeats moved the deadline: it reached the cap
                message = (f"workflow task started by {wft.identity!r} timed out after {ran:g} s: its worker heartbeated it up to "
                           f"the cap on a workflow task's duration (max_workflow_task_duration, {self.limits.max_workflow_task_duration:g} s)")
            else:
                message = (f"workflow task started by {wft.identity!r} timed out after {timeout:g} s (start-to-close): the worker "
                           "died, was blocked, or its answer was lost")
            self._remember_failure(common_pb2.WorkflowTaskFailureInfo(
                timed_out=True, identity=wft.identity,
                failure=common_pb2.Failure(message=message, type="TimeoutError", source="server"),
            ), now)
        self._workflow_task_attempt_failed(
            now,
            lambda: self.add_event(
                common_pb2.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
                "workflow_task_timed_out",
                common_pb2.WorkflowTaskTimedOutEventAttributes(
                    scheduled_event_id=scheduled, started_event_id=started, timeout_type=timeout_type
                ),
                now,
            ),
        )

