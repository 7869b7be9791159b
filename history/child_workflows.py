"""Part of RunState (history/run_state.py): child workflows, on both sides of the link.

As a parent, a run's StartChildWorkflowExecution command writes
StartChildWorkflowExecutionInitiated, keeps the child open (a ChildExecutionInfo row of
its own, like an activity) and queues a START_CHILD transfer task. The outbox
(history/child_transfers.py) starts the child on its shard and brings back
ChildWorkflowExecutionStarted or StartChildWorkflowExecutionFailed; the child's shard
reports its close later (ChildWorkflowExecutionCompleted / Failed / Canceled / TimedOut /
Terminated). RequestCancelExternalWorkflowExecution asks an open child to cancel (a
CANCEL_CHILD task; held back until the child started). When the parent run closes, however
it closes, each open child's parent close policy becomes a PARENT_CLOSE_POLICY task
(TERMINATE or REQUEST_CANCEL; ABANDON leaves it alone).

As a child, a run keeps its parent (`ExecutionState.parent`, carried over continue-as-new)
and its close (not a continue-as-new) becomes a CHILD_CLOSED task for the parent's shard.

What another shard's answer drives (`child_started`, `child_start_failed`, `child_closed`,
`external_cancel_requested`) is idempotent: a child no longer open, or already started, is
left as it is and the method returns False, because the outbox delivers again after a crash.
"""
from __future__ import annotations

from fanflow.errors import InvalidArgument
from fanflow.timeutil import ts_from_ns
from protos import common_pb2, internal_pb2, persistence_pb2

MAX_ID_LENGTH = 1_000  # as the frontend's limit on workflow ids and type names
TERMINATE = common_pb2.PARENT_CLOSE_POLICY_TERMINATE
ABANDON = common_pb2.PARENT_CLOSE_POLICY_ABANDON
CONTINUED_AS_NEW = common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
T = internal_pb2  # transfer kinds live here

# The child's close event -> (the parent's event type, its attribute field, the counter it bumps).
_CLOSE_EVENTS = {
    "workflow_execution_completed": (common_pb2.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, "child_workflow_execution_completed", "completed"),
    "workflow_execution_failed": (common_pb2.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, "child_workflow_execution_failed", "failed"),
    "workflow_execution_canceled": (common_pb2.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, "child_workflow_execution_canceled", "canceled"),
    "workflow_execution_timed_out": (common_pb2.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, "child_workflow_execution_timed_out", "timed_out"),
    "workflow_execution_terminated": (common_pb2.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, "child_workflow_execution_terminated", "terminated"),
}


class ChildWorkflows:
    """RunState's child-workflow operations (see history/run_state.py for the state they use)."""

    # ------------------------------------------------------------ bookkeeping
    def _put_child(self, info: persistence_pb2.ChildExecutionInfo) -> None:
        self.children[info.initiated_event_id] = info
        self.mutation.child_upserts[info.initiated_event_id] = info
        self.mutation.child_deletes.discard(info.initiated_event_id)
        self.state.pending_child_count = len(self.children)

    def _drop_child(self, initiated_event_id: int) -> None:
        self.children.pop(initiated_event_id, None)
        self.mutation.child_upserts.pop(initiated_event_id, None)
        self.mutation.child_deletes.add(initiated_event_id)
        self.state.pending_child_count = len(self.children)

    def _add_transfer(
        self, kind: int, event_id: int, now: int, *, target: common_pb2.WorkflowExecution, target_event_id: int = 0, policy: int = 0
    ) -> None:
        """Queue a task for another history shard, in this commit's outbox."""
        self.mutation.outbox.append(
            internal_pb2.TaskInfo(
                namespace=self.state.namespace,
                workflow_id=self.state.workflow_id,
                run_id=self.state.run_id,
                scheduled_event_id=event_id,
                shard_id=self.shard_id,
                created_time=ts_from_ns(now),
                transfer_kind=kind,
                target=target,
                target_event_id=target_event_id,
                parent_close_policy=policy,
            )
        )

    def _child_execution(self, info: persistence_pb2.ChildExecutionInfo) -> common_pb2.WorkflowExecution:
        return common_pb2.WorkflowExecution(workflow_id=info.workflow_id, run_id=info.run_id)

    def _open_child(self, workflow_id: str, run_id: str = "") -> persistence_pb2.ChildExecutionInfo | None:
        """The latest open child with that workflow id (and run id, when given)."""
        found = None
        for info in self.children.values():
            if info.workflow_id == workflow_id and (not run_id or info.run_id == run_id):
                if found is None or info.initiated_event_id > found.initiated_event_id:
                    found = info
        return found

    # ------------------------------------------------------------ commands
    def _validate_child_commands(self, commands: list[common_pb2.Command]) -> None:
        new_children = sum(1 for c in commands if c.command_type == common_pb2.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION)
        if new_children and len(self.children) + new_children > self.limits.max_pending_children:
            raise InvalidArgument(
                f"workflow task would leave {len(self.children) + new_children} open child workflows; the limit is "
                f"{self.limits.max_pending_children} per run. Start fewer children at once (wait for some to finish first)"
            )

    def _start_child_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = command.start_child_workflow_execution
        self._check_start_child(attrs)
        task_queue = common_pb2.TaskQueue(name=attrs.task_queue.name or self.state.task_queue.name, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)
        policy = attrs.parent_close_policy or TERMINATE
        event = self.add_event(
            common_pb2.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
            "start_child_workflow_execution_initiated",
            common_pb2.StartChildWorkflowExecutionInitiatedEventAttributes(
                namespace=self.state.namespace,
                workflow_id=attrs.workflow_id,
                workflow_type=attrs.workflow_type,
                task_queue=task_queue,
                input=attrs.input,
                workflow_execution_timeout=attrs.workflow_execution_timeout,
                workflow_run_timeout=attrs.workflow_run_timeout,
                workflow_task_timeout=attrs.workflow_task_timeout,
                parent_close_policy=policy,
                workflow_task_completed_event_id=wft_completed_id,
                metadata=attrs.metadata,
            ),
            now,
        )
        self._put_child(
            persistence_pb2.ChildExecutionInfo(
                initiated_event_id=event.event_id,
                namespace=self.state.namespace,
                workflow_id=attrs.workflow_id,
                workflow_type=attrs.workflow_type.name,
                task_queue=task_queue.name,
                parent_close_policy=policy,
                # Deterministic: a start re-sent after a crash is recognised by the child's shard.
                create_request_id=f"{self.state.run_id}:{event.event_id}",
                initiated_time=ts_from_ns(now),
            )
        )
        self.state.child_counts.initiated += 1
        self._add_transfer(T.TRANSFER_KIND_START_CHILD, event.event_id, now, target=common_pb2.WorkflowExecution(workflow_id=attrs.workflow_id))

    def _check_start_child(self, attrs: common_pb2.StartChildWorkflowExecutionCommandAttributes) -> None:
        what = "StartChildWorkflowExecution"
        if attrs.namespace and attrs.namespace != self.state.namespace:
            raise InvalidArgument(
                f"{what}: namespace {attrs.namespace!r} differs from the parent's {self.state.namespace!r}; "
                "a child runs in its parent's namespace (leave namespace empty)"
            )
        for field, value in (("workflow_id", attrs.workflow_id), ("workflow_type.name", attrs.workflow_type.name)):
            if not value:
                raise InvalidArgument(f"{what}: {field} is required and must not be empty")
            if len(value) > MAX_ID_LENGTH:
                raise InvalidArgument(f"{what}: {field} is {len(value):,} characters long; the limit is {MAX_ID_LENGTH:,}")
        if len(attrs.task_queue.name) > MAX_ID_LENGTH:
            raise InvalidArgument(f"{what}: task_queue.name is {len(attrs.task_queue.name):,} characters long; the limit is {MAX_ID_LENGTH:,}")
        if attrs.task_queue.kind == common_pb2.TASK_QUEUE_KIND_STICKY:
            raise InvalidArgument(f"{what}: task_queue must be a NORMAL queue (sticky queues belong to one worker's cache)")
        if attrs.parent_close_policy not in common_pb2.ParentClosePolicy.values():
            raise InvalidArgument(f"{what}: parent_close_policy has unknown value {attrs.parent_close_policy}; use TERMINATE, ABANDON or REQUEST_CANCEL")
        for field in ("workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout"):
            value = getattr(attrs, field)
            if value.seconds < 0 or value.nanos < 0:
                raise InvalidArgument(f"{what}: {field} is negative; it must be zero (none) or positive")

    def _request_cancel_external_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = command.request_cancel_external_workflow_execution
        what = "RequestCancelExternalWorkflowExecution"
        if not attrs.child_workflow_only:
            raise InvalidArgument(f"{what}: fanflow cancels only children of the run; set child_workflow_only (cancel other workflows from a client)")
        if attrs.namespace and attrs.namespace != self.state.namespace:
            raise InvalidArgument(f"{what}: namespace {attrs.namespace!r} differs from the parent's {self.state.namespace!r}")
        if not attrs.workflow_id:
            raise InvalidArgument(f"{what}: workflow_id is required (the child to cancel)")
        child = self._open_child(attrs.workflow_id, attrs.run_id)
        event = self.add_event(
            common_pb2.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
            "request_cancel_external_workflow_execution_initiated",
            common_pb2.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes(
                workflow_task_completed_event_id=wft_completed_id,
                namespace=self.state.namespace,
                workflow_execution=common_pb2.WorkflowExecution(workflow_id=attrs.workflow_id, run_id=attrs.run_id or (child.run_id if child else "")),
                child_workflow_only=True,
                reason=attrs.reason,
            ),
            now,
        )
        if child is None:
            return  # it closed meanwhile: its close is on its way to the workflow (or was just recorded)
        child.cancel_initiated_event_id = event.event_id
        self._put_child(child)
        if child.started_event_id:
            self._queue_cancel_child(child, now)
        # Not started yet: the request goes out when ChildWorkflowExecutionStarted is written.

    def _queue_cancel_child(self, info: persistence_pb2.ChildExecutionInfo, now: int) -> None:
        self._add_transfer(
            T.TRANSFER_KIND_CANCEL_CHILD, info.cancel_initiated_event_id, now,
            target=self._child_execution(info), target_event_id=info.initiated_event_id, policy=common_pb2.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
        )

    # ------------------------------------------------------------ answers from the child's shard
    def child_started(self, initiated_event_id: int, child_run_id: str, now: int) -> bool:
        """The child's shard started it: ChildWorkflowExecutionStarted (once)."""
        info = self.children.get(initiated_event_id) if self.running else None
        if info is None or info.started_event_id:
            return False
        self._write_child_started(info, child_run_id, now)
        self._new_events_need_workflow_task(now)
        return True

    def _write_child_started(self, info: persistence_pb2.ChildExecutionInfo, child_run_id: str, now: int) -> None:
        event = self.add_event(
            common_pb2.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
            "child_workflow_execution_started",
            common_pb2.ChildWorkflowExecutionStartedEventAttributes(
                namespace=info.namespace,
                initiated_event_id=info.initiated_event_id,
                workflow_execution=common_pb2.WorkflowExecution(workflow_id=info.workflow_id, run_id=child_run_id),
                workflow_type=common_pb2.WorkflowType(name=info.workflow_type),
            ),
            now,
        )
        info.started_event_id = event.event_id
        info.run_id = child_run_id
        info.started_time.CopyFrom(ts_from_ns(now))
        self.state.child_counts.started += 1
        self._put_child(info)
        if info.cancel_initiated_event_id:
            self._queue_cancel_child(info, now)  # the workflow asked before the child had started

    def child_start_failed(self, initiated_event_id: int, cause: int, message: str, now: int) -> bool:
        """The child's shard refused the start (the id is running, or the request is invalid)."""
        info = self.children.get(initiated_event_id) if self.running else None
        if info is None or info.started_event_id:
            return False
        self.add_event(
            common_pb2.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
            "start_child_workflow_execution_failed",
            common_pb2.StartChildWorkflowExecutionFailedEventAttributes(
                namespace=info.namespace,
                workflow_id=info.workflow_id,
                workflow_type=common_pb2.WorkflowType(name=info.workflow_type),
                cause=cause,
                initiated_event_id=initiated_event_id,
                message=message,
            ),
            now,
        )
        self.state.child_counts.start_failed += 1
        self._drop_child(initiated_event_id)
        self._new_events_need_workflow_task(now)
        return True

    def child_closed(
        self, initiated_event_id: int, child: common_pb2.WorkflowExecution, close_event: common_pb2.HistoryEvent, now: int
    ) -> bool:
        """The child closed: its outcome in the parent's history (ChildWorkflowExecutionStarted
        first, if the start's own answer has not been recorded yet)."""
        info = self.children.get(initiated_event_id) if self.running else None
        which = close_event.WhichOneof("attributes")
        if info is None or info.workflow_id != child.workflow_id or which not in _CLOSE_EVENTS:
            return False
        if not info.started_event_id:
            info.cancel_initiated_event_id = 0  # it has closed: nothing left to cancel
            self._write_child_started(info, child.run_id, now)
        event_type, attr_field, counter = _CLOSE_EVENTS[which]
        self.add_event(event_type, attr_field, self._child_close_attributes(info, close_event), now)
        setattr(self.state.child_counts, counter, getattr(self.state.child_counts, counter) + 1)
        self._drop_child(initiated_event_id)
        self._new_events_need_workflow_task(now)
        return True

    def _child_close_attributes(self, info: persistence_pb2.ChildExecutionInfo, close_event: common_pb2.HistoryEvent):
        common = dict(
            namespace=info.namespace,
            workflow_execution=self._child_execution(info),
            workflow_type=common_pb2.WorkflowType(name=info.workflow_type),
            initiated_event_id=info.initiated_event_id,
            started_event_id=info.started_event_id,
        )
        which = close_event.WhichOneof("attributes")
        if which == "workflow_execution_completed":
            return common_pb2.ChildWorkflowExecutionCompletedEventAttributes(result=close_event.workflow_execution_completed.result, **common)
        if which == "workflow_execution_failed":
            return common_pb2.ChildWorkflowExecutionFailedEventAttributes(
                failure=close_event.workflow_execution_failed.failure, retry_state=common_pb2.RETRY_STATE_NON_RETRYABLE_FAILURE, **common
            )
        if which == "workflow_execution_canceled":
            return common_pb2.ChildWorkflowExecutionCanceledEventAttributes(details=close_event.workflow_execution_canceled.details, **common)
        if which == "workflow_execution_timed_out":
            kind = "execution_timeout" if close_event.workflow_execution_timed_out.execution_timeout else "run timeout"
            return common_pb2.ChildWorkflowExecutionTimedOutEventAttributes(
                retry_state=common_pb2.RETRY_STATE_TIMEOUT, message=f"the child's {kind} passed", **common
            )
        return common_pb2.ChildWorkflowExecutionTerminatedEventAttributes(reason=close_event.workflow_execution_terminated.reason, **common)

    def external_cancel_requested(self, cancel_initiated_event_id: int, child: common_pb2.WorkflowExecution, now: int) -> bool:
        """The child's shard took the cancel request: ExternalWorkflowExecutionCancelRequested (once)."""
        if not self.running:
            return False
        info = next((c for c in self.children.values() if c.cancel_initiated_event_id == cancel_initiated_event_id), None)
        if info is None:
            return False  # recorded already, or the child closed first
        self.add_event(
            common_pb2.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
            "external_workflow_execution_cancel_requested",
            common_pb2.ExternalWorkflowExecutionCancelRequestedEventAttributes(
                initiated_event_id=cancel_initiated_event_id, namespace=info.namespace, workflow_execution=child,
            ),
            now,
        )
        info.cancel_initiated_event_id = 0
        self._put_child(info)
        self._new_events_need_workflow_task(now)
        return True

    # ------------------------------------------------------------ closing
    def _children_on_close(self, status: int, close_event_id: int, now: int) -> None:
        """The run closed (any way): apply each open child's parent close policy, and tell this
        run's own parent, unless the run continued as new (the next run reports instead)."""
        for info in list(self.children.values()):
            if info.parent_close_policy != ABANDON:
                self._add_transfer(
                    T.TRANSFER_KIND_PARENT_CLOSE_POLICY, info.initiated_event_id, now,
                    target=self._child_execution(info), target_event_id=info.initiated_event_id, policy=info.parent_close_policy,
                )
            self._drop_child(info.initiated_event_id)
        if self.state.HasField("parent") and status != CONTINUED_AS_NEW:
            parent = self.state.parent
            self._add_transfer(
                T.TRANSFER_KIND_CHILD_CLOSED, close_event_id, now, target=parent.execution, target_event_id=parent.initiated_event_id,
            )
