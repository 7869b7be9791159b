"""Query tasks on the worker: queries, and the check of an update before it is accepted.

History hands a query task (``PollWorkflowTaskQueueResponse.query``) to a workflow-task
poller; nothing of it is recorded. The worker answers from the run's state after the
workflow task started at ``query_state_event_id``: its cached instance when it is that recent
(the run's sticky worker), else a throwaway instance into which it replays the run's history
up to there (a closed run too). The cached instance is read, never changed: the handler runs
in a read-only section (``read_only_section``) that refuses commands (an activity, a timer,
a marker...), drops anything the handler scheduled on the workflow's loop and restores the
counters and the random generator, so the run's next workflow task produces exactly what it
would have.

An update's check (``QUERY_KIND_UPDATE_VALIDATION``): the name must be one of the workflow's
update handlers, the input must decode against the handler's parameters, and the handler's
validator (``@my_update.validator``), if any, must not raise. The answer's failure type says
whose fault a refusal is (history maps it to a status): ``UnknownQuery`` / ``UnknownUpdate`` /
``InvalidInput`` / ``InvalidArgument`` are the caller's (INVALID_ARGUMENT), anything else the
workflow's (FAILED_PRECONDITION).
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from asyncio import events
from typing import TYPE_CHECKING, Any, Iterator

import grpc
import structlog
from pydantic import ValidationError

from fanflow.protocol import MAX_PAYLOAD_BYTES, payload_too_large_message
from protos import common_pb2, workflow_service_pb2 as ws

from . import converter, patching

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance
    from .workflow import HandlerDefinition, WorkflowDefinition
    from .workflow_worker import WorkflowWorker

from .offload import PayloadBlobNotFoundError, resolve_payloads

log = structlog.get_logger("fanflow.sdk.queries")


class ReadOnlyViolation(RuntimeError):
    """A query handler or update validator tried to change the run (produce a command or
    schedule work on the workflow's loop)."""


class QueryRefused(Exception):
    """The answer to a query task is a failure of this type (see the module docstring)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


# ------------------------------------------------------------------ the worker's side


async def answer(workflow_worker: "WorkflowWorker", task: ws.PollWorkflowTaskQueueResponse) -> None:
    """Answer one query task (the caller holds the run's lock) with RespondQueryTaskCompleted."""
    worker = workflow_worker.worker
    request = ws.RespondQueryTaskCompletedRequest(namespace=worker.client.namespace, task_token=task.task_token, identity=worker.identity)
    try:
        result = await _evaluate(workflow_worker, task)
        if result.ByteSize() > MAX_PAYLOAD_BYTES:  # the frontend would refuse the answer: say why instead
            raise QueryRefused("PayloadTooLarge", payload_too_large_message("the query's result", result.ByteSize(), MAX_PAYLOAD_BYTES))
        request.query_result.CopyFrom(result)
        request.completed_type = ws.QUERY_RESULT_TYPE_ANSWERED
    except QueryRefused as exc:
        request.completed_type = ws.QUERY_RESULT_TYPE_FAILED
        request.failure.CopyFrom(common_pb2.Failure(message=exc.message, type=exc.kind, source="workflow"))
    workflow_worker.queries_answered += 1
    try:
        await worker.client.call("RespondQueryTaskCompleted", request, retry=False)
    except grpc.aio.AioRpcError as exc:  # the caller gave up meanwhile: nobody to tell
        log.info("query answer not delivered", workflow_id=task.workflow_execution.workflow_id, code=str(exc.code()), error=exc.details())


async def _evaluate(workflow_worker: "WorkflowWorker", task: ws.PollWorkflowTaskQueueResponse) -> common_pb2.Payload:
    worker = workflow_worker.worker
    definition = worker.workflows.get(task.workflow_type.name)
    if definition is None:
        raise QueryRefused("UnknownWorkflowType", f"workflow type {task.workflow_type.name!r} is not registered on worker {worker.identity} (known: {sorted(worker.workflows)})")
    query = task.query
    try:  # an update's large input is stored beside history (offload.py)
        await resolve_payloads(worker.client, query)
    except PayloadBlobNotFoundError as exc:
        raise QueryRefused("PayloadBlobNotFound", str(exc)) from None
    payload = query.query_args if query.HasField("query_args") else None
    if query.kind == common_pb2.QUERY_KIND_UPDATE_VALIDATION:
        from .updates import validate_update

        await validate_update(workflow_worker, task, definition, query.query_type, payload)
        return common_pb2.Payload()
    spec = definition.queries.get(query.query_type)
    if spec is None:
        raise QueryRefused("UnknownQuery", f"workflow {definition.name!r} has no query handler named {query.query_type!r}; its queries: {_names(definition.queries)}")
    args, kwargs = decode_handler_input(spec, payload)
    instance, throwaway = await instance_for(workflow_worker, task, definition)

    def evaluate() -> common_pb2.Payload:  # workflow code: may read executor results (run_code)
        try:
            try:
                with instance.read_only_section(f"query handler {spec.method_name!r} ({query.query_type})"):
                    value = getattr(instance.workflow_object, spec.method_name)(*args, **kwargs)
            except ReadOnlyViolation as exc:
                raise QueryRefused("ReadOnlyViolation", str(exc)) from None
            except Exception as exc:  # noqa: BLE001 - the handler's error is the query's answer
                raise QueryRefused(type(exc).__name__, f"query handler {spec.method_name!r} raised {type(exc).__name__}: {exc}") from None
        finally:
            if throwaway:
                instance.close()
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise QueryRefused("ReadOnlyViolation", f"query handler {spec.method_name!r} returned an awaitable: a query cannot wait (use an update to run activities)")
        try:
            return converter.to_payload(value)
        except converter.PayloadTooLargeError as exc:
            raise QueryRefused("PayloadTooLarge", str(exc)) from None
        except TypeError as exc:
            raise QueryRefused("UnserializableResult", f"query handler {spec.method_name!r} returned a value that is not JSON-able: {exc}") from None

    return await workflow_worker.run_code(instance, evaluate)


def _names(handlers: dict) -> str:
    return ", ".join(repr(n) for n in sorted(handlers)) or "none"


async def instance_for(workflow_worker: "WorkflowWorker", task: ws.PollWorkflowTaskQueueResponse, definition: "WorkflowDefinition") -> tuple["WorkflowInstance", bool]:
    """The run's state for a query task: (instance, whether it is a throwaway to close).
    The cached instance when it ran the workflow task the answer must reflect (or a later
    one); else the history replayed, up to that task, into a new instance."""
    state_event_id = task.query_state_event_id
    cached = workflow_worker.cache.get(task.workflow_execution.run_id)  # get(): the LRU order stays as it is
    if cached is not None and cached.last_event_id >= state_event_id and cached.workflow_object is not None:
        return cached, False
    handle = workflow_worker.worker.client.get_workflow_handle(task.workflow_execution.workflow_id, task.workflow_execution.run_id)
    try:
        history = await handle.history(resolve=True)
    except PayloadBlobNotFoundError as exc:
        raise QueryRefused("WorkflowStateUnavailable", f"could not rebuild the workflow's state from its history: {exc}") from None
    events_ = [e for e in history if e.event_id <= state_event_id]
    workflow_worker.query_replays += 1
    instance = workflow_worker._new_instance(definition, task)
    instance.replay_only = True
    # workflow.patched() in that last task answers from the markers its commands recorded.
    instance.patches.upcoming = patching.recorded_before_next_task(e for e in history if e.event_id > state_event_id)
    try:
        await workflow_worker.run_code(instance, instance.activate, events_)
    except Exception as exc:  # noqa: BLE001 - reported as the answer
        instance.close()
        raise QueryRefused("WorkflowStateUnavailable", f"could not rebuild the workflow's state from its history: {type(exc).__name__}: {exc}") from None
    if instance.workflow_object is None:
        instance.close()
        raise QueryRefused("WorkflowStateUnavailable", "the workflow's object was never created (its input did not fit the entrypoint)")
    return instance, True


# ------------------------------------------------------------------ decoding a handler's input


def decode_handler_input(spec: "HandlerDefinition", payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
    """The handler's arguments from a query's or update's input, by the signals' rule
    (``{"param": value}`` or a bare value for one parameter). A mismatch raises
    ``QueryRefused("InvalidInput", ...)`` naming the parameter and what is wrong."""
    if not any(p.kind is not p.VAR_POSITIONAL for p in spec.signature.parameters.values()):
        return [], {}  # a handler without parameters ignores the input
    where = f"{spec.kind} handler {spec.method_name}{spec.signature}"
    try:
        return spec.decode_args(payload)
    except ValidationError as exc:
        raise QueryRefused("InvalidInput", f"input does not fit {where}: {_name_parameter(spec, payload, exc)}") from None
    except (TypeError, ValueError) as exc:
        raise QueryRefused("InvalidInput", f"input does not fit {where}: {exc}") from None


def _name_parameter(spec: "HandlerDefinition", payload: common_pb2.Payload | None, exc: ValidationError) -> str:
    """The pydantic error with the parameter it is about (pydantic knows the value's path, not
    which parameter the value was for)."""
    try:
        raw = json.loads(payload.data) if payload is not None and payload.data else None
    except ValueError:
        raw = None
    params = [p for p in spec.signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    names = {p.name for p in params}
    if isinstance(raw, dict) and set(raw) & names and set(raw) - names:
        # Keyed by parameter name, with keys that are none (one parameter: read as its value).
        return f"unexpected field(s) {sorted(set(raw) - names)}; the handler's parameters are {sorted(names)}"
    hints = converter.type_hints_of(spec.fn)
    candidates = [(p.name, raw[p.name]) for p in params if isinstance(raw, dict) and p.name in raw]
    if not candidates and len(params) == 1:
        candidates = [(params[0].name, raw)]
    for name, value in candidates:
        try:
            converter.type_adapter(hints.get(name, Any)).validate_python(value)
        except ValidationError as param_exc:
            return f"parameter {name!r}: {_describe(param_exc, name)}"
        except Exception:  # noqa: BLE001 - fall back to the whole error
            break
    return converter.describe_validation_error(exc)


def _describe(exc: ValidationError, name: str) -> str:
    """The errors of one parameter's value: ``field.sub: message`` (just the message for the value itself)."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"] for e in exc.errors())


# ------------------------------------------------------------------ the read-only section


@contextlib.contextmanager
def read_only_section(instance: "WorkflowInstance", loop, what: str) -> Iterator[None]:
    """Run a query handler (or update validator) on `instance` without changing it: workflow
    functions work (the workflow's loop is the running loop), a command raises
    ``ReadOnlyViolation``, and afterwards the command counters and the random generator are
    as they were and anything scheduled on the loop is dropped (also a ``ReadOnlyViolation``)."""
    saved = (instance._activity_seq, instance._timer_seq, instance.random.getstate())
    ready_before = len(loop._ready)
    previous = events._get_running_loop()
    events._set_running_loop(loop)
    instance.read_only = what
    violation: str | None = None
    try:
        yield
    finally:
        instance.read_only = None
        events._set_running_loop(previous)
        instance._activity_seq, instance._timer_seq = saved[0], saved[1]
        instance.random.setstate(saved[2])
        scheduled = len(loop._ready) - ready_before
        if scheduled > 0:
            for _ in range(scheduled):
                _discard(loop._ready.pop())
            violation = f"{what} scheduled work on the workflow's event loop (a task or a callback)"
    if violation is not None:
        raise ReadOnlyViolation(f"{violation}: queries and update validators only read the workflow's state (nothing was recorded)")


def _discard(handle: asyncio.Handle) -> None:
    """Drop a callback a read-only section scheduled; a task it started never runs."""
    task = getattr(getattr(handle, "_callback", None), "__self__", None)  # before cancel() clears it
    handle.cancel()
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        if inspect.iscoroutine(coro):
            coro.close()
