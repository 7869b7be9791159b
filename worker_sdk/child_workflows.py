"""Child workflows in workflow code: ``execute_workflow`` called from a running workflow.

    result = await workflows.execute_workflow(Child, params=ChildInput(...))             # wait=True
    handle = await workflows.workflow.execute_workflow(Child, params=..., wait=False)    # started
    await handle.signal("approve", "ops"); result = await handle

The seed's semantics (its ``execute_workflow`` inside a workflow):

- ``params`` binds to the child's entrypoint as for a top-level start (``bind_params``);
  ``execution_timeout`` defaults to the child's ``@workflow.define(execution_timeout=...)``;
  ``execution_id`` is the child's workflow id (default: ``<type>-<deterministic uuid>``).
- ``wait=True`` waits for the child's result; ``wait=False`` returns a ``ChildWorkflowHandle``
  once the child has started (its ``workflow_id``, ``run_id``, ``signal(...)``; awaiting it
  gives the result).
- ``parent_close_policy`` defaults to TERMINATE with ``wait=True`` and ABANDON with
  ``wait=False``; it is applied by history whenever the parent run closes.
- A child that fails, times out, is cancelled or terminated raises ``ChildWorkflowError`` in
  the parent (naming the child's type, id and run, with the child's failure as its cause); a
  start refused because the id is running raises ``ChildWorkflowAlreadyStartedError``.
- Cancelling the task that awaits a child (its start or its result) asks history to cancel
  the child; the wait ends with ``asyncio.CancelledError`` once the child has closed (Temporal's
  default for children, WAIT_CANCELLATION_COMPLETED, which the seed gets: the child's clean-up
  runs before the parent moves on, and so before a parent that lets the cancellation through
  closes and applies its parent close policy). A start not yet sent is withdrawn instead.

In history a child is the StartChildWorkflowExecution command (StartChildWorkflowExecutionInitiated),
then ChildWorkflowExecutionStarted (or StartChildWorkflowExecutionFailed), then the child's
close (ChildWorkflowExecutionCompleted / Failed / Canceled / TimedOut / Terminated); a cancel
is the RequestCancelExternalWorkflowExecution command. ``ChildWorkflows`` is the part of the
replay loop (``_instance.WorkflowInstance.children``) that keeps those in step.

Signalling a child from the parent runs the internal activity ``fanflow.signal_workflow``
(durable and retried like any activity; a retry after a lost answer may deliver the signal
twice). Every worker that runs activities has it; a worker that runs only workflows does not.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import TYPE_CHECKING, Any

from fanflow import timeutil
from protos import common_pb2, workflow_service_pb2 as ws

from . import activity as activity_module
from . import converter
from .activity_context import ActivityContext
from .exceptions import ApplicationError, ChildWorkflowAlreadyStartedError, ChildWorkflowError

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance
    from .workflow import WorkflowDefinition

E = common_pb2.EventType
CT = common_pb2.CommandType
MAX_ID_LENGTH = 1_000  # the cluster's limit on workflow ids and type names

__all__ = [
    "ChildWorkflowError",
    "ChildWorkflowAlreadyStartedError",
    "ChildWorkflowHandle",
    "ChildWorkflows",
    "execute_child_workflow",
    "SIGNAL_WORKFLOW_ACTIVITY",
    "SIGNAL_WORKFLOW_DEFN",
]

#: Command types of child workflows and the event history writes for each.
COMMAND_EVENTS = {
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
    E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
}
#: Events that move a child along (resolved by ``ChildWorkflows.apply``).
RESULT_EVENTS = frozenset({
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
})
_CLOSE_FIELDS = {
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: "child_workflow_execution_completed",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: "child_workflow_execution_failed",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: "child_workflow_execution_canceled",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: "child_workflow_execution_timed_out",
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: "child_workflow_execution_terminated",
}


# ------------------------------------------------------------------ the handle


class ChildWorkflowHandle:
    """A started child workflow (``execute_workflow(..., wait=False)`` in workflow code).

    ``workflow_id`` (also ``id``) and ``run_id`` name it; ``await handle`` (or ``await
    handle.result()``) waits for its result, raising ``ChildWorkflowError`` if it did not
    complete; ``await handle.signal(name, arg)`` signals it. Cancelling the task that awaits
    it asks the child to cancel (and waits until it closed)."""

    def __init__(self, children: "ChildWorkflows", state: "_ChildState") -> None:
        self._children = children
        self._state = state

    @property
    def workflow_id(self) -> str:
        return self._state.workflow_id

    @property
    def id(self) -> str:
        return self._state.workflow_id

    @property
    def run_id(self) -> str:
        return self._state.run_id

    @property
    def workflow_type(self) -> str:
        return self._state.workflow_type

    def __await__(self):
        return self.result().__await__()

    async def result(self) -> Any:
        return await self._children.result(self._state)

    async def signal(self, name: Any, arg: Any = None) -> None:
        """Send signal ``name`` (or the ``@workflow.signal`` method) with one value to the child,
        through the internal activity ``fanflow.signal_workflow``."""
        mark = getattr(name, "__fanflow_handler__", None)
        if mark is not None:
            name = mark.name or name.__name__
        if not isinstance(name, str) or not name:
            raise TypeError(f"signal name must be a non-empty string or a @workflow.signal method, got {name!r}")
        inst = self._children.instance
        await inst.execute_activity(
            SIGNAL_WORKFLOW_DEFN,
            (),
            {"spec": SignalSpec(workflow_id=self.workflow_id, run_id=self.run_id, signal_name=name, arg=arg)},
        )

    def __repr__(self) -> str:
        return f"ChildWorkflowHandle(workflow_id={self.workflow_id!r}, run_id={self.run_id!r}, workflow_type={self.workflow_type!r})"


# ------------------------------------------------------------------ the replay loop's part


@dataclasses.dataclass(slots=True, eq=False)
class _ChildState:
    workflow_id: str
    workflow_type: str
    command: common_pb2.Command
    started: asyncio.Future  # the child's run id (or the start's failure)
    closed: asyncio.Future  # (result payload, None) or (None, ChildWorkflowError)
    definition: "WorkflowDefinition | None"
    initiated_event_id: int = 0
    started_event_id: int = 0
    run_id: str = ""
    cancel_requested: bool = False


class ChildWorkflows:
    """The children of one ``WorkflowInstance``: their commands, matched against history, and
    the futures the workflow code awaits."""

    def __init__(self, instance: "WorkflowInstance") -> None:
        self.instance = instance
        self._unechoed: dict[int, _ChildState] = {}  # id(StartChildWorkflowExecution command) -> child
        self._by_initiated: dict[int, _ChildState] = {}  # open children, by initiated event id

    # -------------------------------------------------- commands
    def start(self, attrs: common_pb2.StartChildWorkflowExecutionCommandAttributes, definition: "WorkflowDefinition | None") -> _ChildState:
        inst = self.instance
        command = common_pb2.Command(command_type=CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, start_child_workflow_execution=attrs)
        inst._add_command(command)
        loop = inst._loop
        state = _ChildState(attrs.workflow_id, attrs.workflow_type.name, command, loop.create_future(), loop.create_future(), definition)
        self._unechoed[id(command)] = state
        return state

    def cancel(self, state: _ChildState) -> bool:
        """The code's wait for the child was cancelled: ask history to cancel the child (a start
        not yet sent is simply withdrawn). True: the child was asked and its close is to come."""
        inst = self.instance
        if inst.is_completed or inst._new_commands is None or state.closed.done():
            return False  # (no activation running: the instance is being evicted or closed)
        if state.cancel_requested:
            return True
        state.cancel_requested = True
        if not state.initiated_event_id:
            if any(c is state.command for c in inst._new_commands):
                inst._new_commands = [c for c in inst._new_commands if c is not state.command]
                self._unechoed.pop(id(state.command), None)
            return False
        if state.initiated_event_id not in self._by_initiated:
            return False  # it closed meanwhile
        inst._add_command(
            common_pb2.Command(
                command_type=CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
                request_cancel_external_workflow_execution=common_pb2.RequestCancelExternalWorkflowExecutionCommandAttributes(
                    workflow_id=state.workflow_id, run_id=state.run_id, child_workflow_only=True,
                    reason=f"the parent workflow {inst.workflow_id} stopped waiting for it",
                ),
            )
        )
        return True

    # -------------------------------------------------- events
    def initiated(self, event: common_pb2.HistoryEvent, command: common_pb2.Command) -> None:
        """StartChildWorkflowExecutionInitiated matched ``command``."""
        if event.event_type != E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            return
        state = self._unechoed.pop(id(command))
        state.initiated_event_id = event.event_id
        self._by_initiated[event.event_id] = state

    def apply(self, event: common_pb2.HistoryEvent) -> None:
        t = event.event_type
        if t == E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            return  # the child's shard took the request; the child decides
        if t == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            a = event.child_workflow_execution_started
            state = self._child(event, a.initiated_event_id)
            state.run_id = a.workflow_execution.run_id
            state.started_event_id = event.event_id
            if not state.started.done():
                state.started.set_result(state.run_id)
            return
        if t == E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
            a = event.start_child_workflow_execution_failed
            state = self._child(event, a.initiated_event_id, pop=True)
            error = self._start_failed(state, a)
            if not state.started.done():
                state.started.set_exception(error)
            if not state.closed.done():
                state.closed.set_result((None, error))
            return
        a = getattr(event, _CLOSE_FIELDS[t])
        state = self._child(event, a.initiated_event_id, pop=True)
        if t == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            outcome = (a.result, None)
        else:
            outcome = (None, self._close_error(state, t, a))
        if not state.closed.done():
            state.closed.set_result(outcome)
        if not state.started.done():  # started and closed in one batch
            state.started.set_result(state.run_id)

    def _child(self, event: common_pb2.HistoryEvent, initiated_event_id: int, pop: bool = False) -> _ChildState:
        state = self._by_initiated.pop(initiated_event_id, None) if pop else self._by_initiated.get(initiated_event_id)
        if state is None:
            from ._instance import event_type_name
            from .exceptions import NonDeterminismError

            raise NonDeterminismError(
                f"{self.instance._prefix()}history event {event.event_id} is {event_type_name(event.event_type)} for the child "
                f"workflow initiated at event {initiated_event_id}, which the workflow code did not start",
                event_id=event.event_id, recorded=event_type_name(event.event_type),
            )
        return state

    # -------------------------------------------------- errors
    def _start_failed(self, state: _ChildState, a: common_pb2.StartChildWorkflowExecutionFailedEventAttributes) -> ChildWorkflowError:
        already = a.cause == common_pb2.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
        kind = "WorkflowAlreadyStarted" if already else "StartChildWorkflowExecutionFailed"
        reason = a.message or common_pb2.StartChildWorkflowExecutionFailedCause.Name(a.cause)
        failure = common_pb2.Failure(message=reason, type=kind, source="server", non_retryable=True)
        cls = ChildWorkflowAlreadyStartedError if already else ChildWorkflowError
        return cls(
            f"child workflow {state.workflow_type!r} (workflow_id={state.workflow_id}) could not start: {reason}",
            failure=failure, namespace=a.namespace, workflow_id=state.workflow_id, workflow_type=state.workflow_type,
            initiated_event_id=state.initiated_event_id, cause=converter.exception_from_failure(failure),
        )

    def _close_error(self, state: _ChildState, event_type: int, a: Any) -> ChildWorkflowError:
        if event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
            outcome, cause = "failed", a.failure
        elif event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
            outcome, cause = "was cancelled", common_pb2.Failure(message="the child workflow was cancelled", type="CancelledError", source="workflow")
        elif event_type == E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
            outcome, cause = "timed out", common_pb2.Failure(message=a.message or "the child workflow timed out", type="TimeoutError", source="server")
        else:
            outcome = "was terminated"
            cause = common_pb2.Failure(message=f"terminated: {a.reason}" if a.reason else "terminated", type="Terminated", source="server")
        return ChildWorkflowError(
            f"child workflow {state.workflow_type!r} (workflow_id={state.workflow_id}, run_id={state.run_id}) {outcome}: "
            f"{converter.describe_failure(cause)}",
            failure=cause, namespace=a.namespace, workflow_id=state.workflow_id, run_id=state.run_id,
            workflow_type=state.workflow_type, initiated_event_id=a.initiated_event_id, started_event_id=a.started_event_id,
            retry_state=getattr(a, "retry_state", 0), cause=converter.exception_from_failure(cause),
        )

    # -------------------------------------------------- what the workflow code awaits
    async def wait_started(self, state: _ChildState) -> str:
        try:
            return await asyncio.shield(state.started)
        except asyncio.CancelledError:
            if self.cancel(state):
                await self._until_closed(state)
            raise

    async def result(self, state: _ChildState) -> Any:
        try:
            payload, error = await asyncio.shield(state.closed)
        except asyncio.CancelledError:
            if self.cancel(state):
                await self._until_closed(state)
            raise
        if error is not None:
            raise error
        if state.definition is not None:
            return state.definition.decode_result(payload)
        return converter.from_payload(payload)


    @staticmethod
    async def _until_closed(state: _ChildState) -> None:
        """Wait for the child asked to cancel to close (WAIT_CANCELLATION_COMPLETED); further
        cancellations of the waiting task do not cut this short."""
        while not state.closed.done():
            try:
                await asyncio.shield(state.closed)
            except asyncio.CancelledError:
                continue


# ------------------------------------------------------------------ command and event keys (replay matching)


def command_key(cmd: common_pb2.Command) -> tuple:
    if cmd.command_type == CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        a = cmd.start_child_workflow_execution
        return (cmd.command_type, a.workflow_type.name, a.workflow_id)
    return (cmd.command_type, cmd.request_cancel_external_workflow_execution.workflow_id)


def event_key(ev: common_pb2.HistoryEvent) -> tuple:
    if ev.event_type == E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        a = ev.start_child_workflow_execution_initiated
        return (CT.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, a.workflow_type.name, a.workflow_id)
    return (CT.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION, ev.request_cancel_external_workflow_execution_initiated.workflow_execution.workflow_id)


def describe(key: tuple, name: str) -> str:
    """``Name(workflow_type=..., workflow_id=...)`` for a command or event key."""
    if len(key) == 3:
        return f"{name}(workflow_type={key[1]!r}, workflow_id={key[2]!r})"
    return f"{name}(workflow_id={key[1]!r})"


# ------------------------------------------------------------------ execute_workflow in workflow code


def _policy_value(policy: Any, wait: bool) -> int:
    from .workflow_context import ParentClosePolicy

    if policy is None or policy == ParentClosePolicy.UNSPECIFIED:
        return int(ParentClosePolicy.TERMINATE if wait else ParentClosePolicy.ABANDON)
    if not isinstance(policy, ParentClosePolicy):
        raise TypeError(f"execute_workflow(parent_close_policy=...) must be a workflows.ParentClosePolicy, got {policy!r}")
    return int(policy)


def _check_id(value: Any, option: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"execute_workflow({option}=...) must be a string (the child's workflow id), got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"execute_workflow({option}=...) must not be empty: give the child's workflow id, or leave it out for a generated one")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"execute_workflow({option}=...) is {len(value):,} characters long; a workflow id may have at most {MAX_ID_LENGTH:,}")
    return value


async def execute_child_workflow(
    inst: "WorkflowInstance",
    workflow: Any,
    params: Any,
    *,
    execution_timeout: datetime.timedelta | float | None,
    execution_id: str | None,
    wait: bool,
    parent_close_policy: Any,
    task_queue: str | None = None,
    run_timeout: datetime.timedelta | float | None = None,
) -> Any:
    """Start ``workflow`` as a child of the running workflow ``inst``; its result (``wait``) or
    its ``ChildWorkflowHandle`` once started. Bad arguments raise ``TypeError`` / ``ValueError``
    naming the option, before anything is recorded."""
    from .workflow import get_definition, timeout_seconds

    if not isinstance(wait, bool):
        raise TypeError(f"execute_workflow(wait=...) must be True or False, got {wait!r}")
    if isinstance(workflow, str):
        definition, type_name = None, _check_id(workflow, "workflow")
        payload = converter.to_payload(params)
    else:
        definition = get_definition(workflow)
        type_name = definition.name
        payload = definition.encode_params(params)
    workflow_id = _check_id(execution_id, "execution_id") if execution_id is not None else f"{type_name}-{inst.uuid4()}"
    queue = task_queue or inst.task_queue
    if task_queue is not None:
        _check_id(task_queue, "task_queue")
    known = inst.registered_workflow_types
    if known is not None and queue == inst.task_queue and type_name not in known:
        raise ApplicationError(
            f"child workflow type {type_name!r} is not registered on this worker (task queue {queue!r}), so nothing would run it: "
            f"register it with the worker (Worker(workflows=[...]) / run_worker([...])), or pass task_queue= of a worker that has it "
            f"(registered here: {sorted(known)})",
            type="ChildWorkflowTypeNotRegistered",
            non_retryable=True,
        )
    attrs = common_pb2.StartChildWorkflowExecutionCommandAttributes(
        workflow_id=workflow_id,
        workflow_type=common_pb2.WorkflowType(name=type_name),
        task_queue=common_pb2.TaskQueue(name=queue),
        input=payload,
        parent_close_policy=_policy_value(parent_close_policy, wait),
    )
    execution_seconds = timeout_seconds(execution_timeout, "execution_timeout")
    if execution_seconds is None and definition is not None and definition.execution_timeout is not None:
        execution_seconds = definition.execution_timeout.total_seconds()
    if execution_seconds:
        attrs.workflow_execution_timeout.CopyFrom(timeutil.duration(execution_seconds))
    run_seconds = timeout_seconds(run_timeout, "run_timeout")
    if run_seconds:
        attrs.workflow_run_timeout.CopyFrom(timeutil.duration(run_seconds))
    if definition is not None:
        attrs.metadata.CopyFrom(definition.metadata())
    children = inst.children
    state = children.start(attrs, definition)
    await children.wait_started(state)
    handle = ChildWorkflowHandle(children, state)
    if not wait:
        return handle
    return await handle.result()


# ------------------------------------------------------------------ signalling a child (internal activity)

#: Registered name of the internal activity that signals a workflow for its parent.
SIGNAL_WORKFLOW_ACTIVITY = "fanflow.signal_workflow"

from pydantic import BaseModel  # noqa: E402 - the activity's parameter model


class SignalSpec(BaseModel):
    workflow_id: str
    run_id: str = ""
    signal_name: str
    arg: Any = None


@activity_module.activity(name=SIGNAL_WORKFLOW_ACTIVITY, retry_policy=activity_module.RetryPolicy(maximum_attempts=0))
async def signal_workflow(spec: SignalSpec) -> None:
    """Signal the current run of ``spec.workflow_id`` (a child may have continued as new) for
    the workflow that runs this activity."""
    import grpc

    ctx = ActivityContext.current()
    client = ctx.client if ctx is not None else None
    if client is None:
        raise ApplicationError(f"{SIGNAL_WORKFLOW_ACTIVITY} runs on a worker (it needs the worker's client)", non_retryable=True)
    request = ws.SignalWorkflowExecutionRequest(
        namespace=client.namespace,
        execution=common_pb2.WorkflowExecution(workflow_id=spec.workflow_id),
        signal_name=spec.signal_name,
        input=converter.to_payload(spec.arg),
        identity=f"parent workflow {ctx.info.workflow_id}",
    )
    try:
        await client.call("SignalWorkflowExecution", request)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            raise ApplicationError(
                f"could not signal child workflow {spec.workflow_id!r}: {exc.details()}", type="SignalFailed", non_retryable=True
            ) from None
        raise


SIGNAL_WORKFLOW_DEFN = signal_workflow.__fanflow_activity__  # type: ignore[attr-defined]
