"""The client's queries, updates and human input (methods of ``WorkflowHandle``).

    status = await handle.query("get_status")                   # the seed's (temporalio's) spelling
    status = await handle.query(MyWorkflow.get_status, req)      # a handler: its return type decodes the result
    result = await handle.execute_update("update_data", "hello")
    result = await handle.update("set_priority", new_priority=3)  # fanflow's: parameters by name
    pending = await handle.pending_inputs()                       # InteractiveWorkflow's open wait_for_input calls
    await handle.submit_input({"approved": True}, label="Manager Approval")

A value follows the signals' rule: one value is sent as it is (an object keyed by the
handler's parameter names, or the bare value of a one-parameter handler); several positional
values or keyword parameters are keyed by the handler's parameter names when the handler is
known (a method, or the handle's workflow class), else sent as a list / an object.

A query or an update that was not carried out raises ``WorkflowQueryFailedError`` /
``WorkflowUpdateRejectedError`` with the gRPC status (``grpc_code``) and the cluster's
message; an accepted update whose handler raised raises ``WorkflowUpdateFailedError``.
Neither is retried here: a refusal is final, and an update id makes a retry by the caller
safe (the same id is applied once).
"""
from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import grpc

from fanflow.timeutil import duration
from protos import common_pb2, workflow_service_pb2 as ws

from . import converter
from .exceptions import (
    WorkflowNotFoundError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRejectedError,
)

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

_UNSET: Any = object()
COMPLETED = ws.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
ACCEPTED = ws.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
SERVER_WAIT = 20.0  # seconds one call waits at most (the server's default); longer waits poll again
CALL_MARGIN = 10.0  # an RPC's deadline: its wait plus this
SUBMIT_INPUT = "__submit_input"
PENDING_INPUTS = "__get_pending_inputs"


class MessagesMixin:
    """Queries, updates and human input for a ``WorkflowHandle`` (``client``, ``workflow_id``,
    ``definition`` and ``_latest()`` are the handle's)."""

    client: "Client"
    workflow_id: str
    definition: Any

    # ------------------------------------------------------------ queries

    async def query(self, query: Any, *args: Any, result_type: Any = None, timeout: float | None = None, **params: Any) -> Any:
        """Run query handler `query` (its name, or the ``@workflow.query`` method) on a worker
        and return its value, writing nothing to history. With a method (or ``result_type``)
        the value is decoded with its return type; with a name it is plain JSON (dicts,
        lists...), as the seed's clients get it. ``timeout``: seconds to wait for an answer
        (default: the server's, 20 s)."""
        name, spec = self._handler("query", query)
        request = ws.QueryWorkflowRequest(
            namespace=self.client.namespace,
            execution=self._latest(),
            query=common_pb2.WorkflowQuery(query_type=name, query_args=_payload(spec, args, params)),
            timeout=duration(timeout) if timeout else None,
        )
        try:
            response = await self.client.call("QueryWorkflow", request, timeout=(timeout or SERVER_WAIT) + CALL_MARGIN, retry=False)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise WorkflowNotFoundError(exc.details()) from None
            raise WorkflowQueryFailedError(exc.details() or exc.code().name, exc.code()) from None
        return converter.from_payload(response.query_result, _result_type(spec, query, result_type))

    # ------------------------------------------------------------ updates

    async def execute_update(
        self, update: Any, arg: Any = _UNSET, *, args: tuple = (), id: str | None = None, result_type: Any = None, timeout: float | None = None, **params: Any
    ) -> Any:
        """Send update `update` (its name, or the ``@workflow.update`` method) and return its
        handler's result once it finished (temporalio's spelling: ``execute_update("name",
        arg)``). ``id``: the update id (default: a new one); sending the same id again applies
        it once. ``timeout``: seconds to wait in all (default: until it finishes)."""
        handle = await self.start_update(update, arg, args=args, id=id, result_type=result_type, timeout=timeout, wait_for_stage=COMPLETED, **params)
        return await handle.result(timeout=timeout)

    async def update(self, update: Any, *args: Any, id: str | None = None, timeout: float | None = None, **params: Any) -> Any:
        """fanflow's spelling of ``execute_update``: ``handle.update("set_priority", 3)`` or
        ``handle.update("set_priority", new_priority=3)``."""
        return await self.execute_update(update, args=args, id=id, timeout=timeout, **params)

    async def start_update(
        self,
        update: Any,
        arg: Any = _UNSET,
        *,
        args: tuple = (),
        id: str | None = None,
        result_type: Any = None,
        timeout: float | None = None,
        wait_for_stage: int = ACCEPTED,
        **params: Any,
    ) -> "WorkflowUpdateHandle":
        """Send the update and return once it is accepted (validated and recorded): a
        ``WorkflowUpdateHandle`` whose ``result()`` waits for the handler's outcome."""
        name, spec = self._handler("update", update)
        if arg is not _UNSET:
            args = (arg, *args)
        update_id = id or str(uuid.uuid4())
        wait = min(timeout, SERVER_WAIT) if timeout else 0.0
        request = ws.UpdateWorkflowExecutionRequest(
            namespace=self.client.namespace, execution=self._latest(), update_id=update_id, name=name,
            input=_payload(spec, args, params), identity=self.client.identity,
            wait_for_stage=wait_for_stage, wait_timeout=duration(wait) if wait else None,
        )
        try:
            response = await self.client.call("UpdateWorkflowExecution", request, timeout=(wait or SERVER_WAIT) + CALL_MARGIN, retry=False)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise WorkflowNotFoundError(exc.details()) from None
            raise WorkflowUpdateRejectedError(exc.details() or exc.code().name, exc.code()) from None
        handle = WorkflowUpdateHandle(self.client, self.workflow_id, update_id, response.execution.run_id, name, _result_type(spec, update, result_type))
        if response.stage == COMPLETED:
            handle._outcome = response.outcome
        return handle

    def get_update_handle(self, update_id: str, run_id: str = "", result_type: Any = None) -> "WorkflowUpdateHandle":
        """A handle on an update sent before (by its id), to wait for its outcome."""
        return WorkflowUpdateHandle(self.client, self.workflow_id, update_id, run_id, "", result_type)

    # ------------------------------------------------------------ human input (InteractiveWorkflow)

    async def pending_inputs(self, timeout: float | None = None) -> list[dict[str, Any]]:
        """The workflow's open ``wait_for_input`` calls: ``[{"task_id", "label", "input_schema"}]``
        (the seed's ``__get_pending_inputs`` query)."""
        answer = await self.query(PENDING_INPUTS, timeout=timeout)
        return list(answer.get("pending_inputs", [])) if isinstance(answer, dict) else []

    async def submit_input(self, input: Any, *, task_id: str | None = None, label: str | None = None, timeout: float | None = None) -> Any:
        """Answer one ``wait_for_input`` call: by ``task_id``, by ``label``, or the only one
        open. The input is checked against its schema before the workflow sees it (a mismatch
        raises ``WorkflowUpdateRejectedError`` with INVALID_ARGUMENT naming the field)."""
        if task_id is None:
            pending = await self.pending_inputs(timeout=timeout)
            matching = [p for p in pending if label is None or p.get("label") == label]
            if len(matching) != 1:
                shown = ", ".join(f"{p['task_id']} (label {p.get('label')!r})" for p in pending) or "none"
                which = f"with label {label!r}" if label is not None else "open"
                raise ValueError(f"workflow {self.workflow_id!r} has {len(matching)} input requests {which}; pass task_id= (open ones: {shown})")
            task_id = matching[0]["task_id"]
        return await self.execute_update(SUBMIT_INPUT, {"task_id": task_id, "input": converter.to_jsonable(input)}, timeout=timeout)

    # ------------------------------------------------------------ helpers

    def _handler(self, kind: str, target: Any) -> tuple[str, Any]:
        """(name, HandlerDefinition or None) of a handler given by name or method."""
        mark = getattr(target, "__fanflow_handler__", None)
        if mark is not None:
            if mark.kind != kind:
                raise TypeError(f"{target.__qualname__} is a {mark.kind} handler, not a {kind} handler")
            name = mark.name or target.__name__
        elif isinstance(target, str) and target:
            name = target
        else:
            raise TypeError(f"{kind} must be a non-empty name or a @workflow.{kind} method, got {target!r}")
        handlers = getattr(self.definition, {"query": "queries", "update": "updates"}[kind], None) or {}
        spec = handlers.get(name)
        if spec is None and mark is not None:
            from .workflow import HandlerDefinition

            spec = HandlerDefinition(kind, name, mark.description, target.__name__, target)
        return name, spec


class WorkflowUpdateHandle:
    """An accepted update: ``await result()`` gives the handler's return value (or raises
    ``WorkflowUpdateFailedError``)."""

    def __init__(self, client: "Client", workflow_id: str, update_id: str, run_id: str, name: str, result_type: Any = None):
        self.client = client
        self.workflow_id = workflow_id
        self.id = update_id
        self.run_id = run_id
        self.name = name
        self.result_type = result_type
        self._outcome: ws.UpdateOutcome | None = None

    async def result(self, timeout: float | None = None) -> Any:
        """Wait (up to ``timeout`` seconds; default: until known) for the outcome."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._outcome is None:
            wait = SERVER_WAIT if deadline is None else max(0.0, min(SERVER_WAIT, deadline - loop.time()))
            request = ws.PollWorkflowExecutionUpdateRequest(
                namespace=self.client.namespace,
                execution=common_pb2.WorkflowExecution(workflow_id=self.workflow_id, run_id=self.run_id),
                update_id=self.id, wait_timeout=duration(wait) if wait else None,
            )
            try:
                response = await self.client.call("PollWorkflowExecutionUpdate", request, timeout=wait + CALL_MARGIN)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    raise WorkflowNotFoundError(exc.details()) from None
                raise
            if response.stage == COMPLETED:
                self._outcome = response.outcome
                break
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutError(f"update {self.id!r} of workflow {self.workflow_id!r} still running after {timeout} s")
        if self._outcome.HasField("failure"):
            failure = self._outcome.failure
            raise WorkflowUpdateFailedError(
                f"update {self.name or self.id!r} of workflow {self.workflow_id!r} failed: {converter.describe_failure(failure)}",
                failure=failure, update_id=self.id,
            )
        return converter.from_payload(self._outcome.success, self.result_type or Any)


def _payload(spec: Any, args: tuple, params: dict[str, Any]) -> common_pb2.Payload | None:
    """The handler's input: see the module docstring."""
    if not args and not params:
        return None
    if len(args) == 1 and not params:
        return converter.to_payload(args[0])
    if spec is not None:
        return converter.encode_args(spec.signature, args, params)
    if args and params:
        raise TypeError("without the handler's signature, pass either positional values or parameters by name, not both")
    return converter.to_payload(dict(params) if params else list(args))


def _result_type(spec: Any, target: Any, result_type: Any) -> Any:
    """What the result decodes to: `result_type`, else the handler's return hint when the
    handler itself was passed, else plain JSON."""
    if result_type is not None:
        return result_type
    if getattr(target, "__fanflow_handler__", None) is not None and spec is not None:
        return converter.type_hints_of(spec.fn).get("return", Any)
    return Any
