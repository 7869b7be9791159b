"""Workflow message handlers: ``@workflow.signal``, ``@workflow.query``, ``@workflow.update``
(with ``@my_update.validator``), and how a workflow class's handlers are collected into
``HandlerDefinition``s."""
from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable

from protos import common_pb2

from . import converter


@dataclasses.dataclass(frozen=True)
class HandlerDefinition:
    """A ``@workflow.signal`` / ``query`` / ``update`` method of a workflow class."""

    kind: str  # "signal" | "query" | "update"
    name: str
    description: str | None
    method_name: str
    fn: Callable[..., Any]  # the function in the class body (takes self)
    #: An update's ``@my_update.validator`` (takes self and the handler's parameters; raising
    #: refuses the update before anything is recorded).
    validator: Callable[..., Any] | None = None

    @property
    def signature(self) -> inspect.Signature:
        return converter.signature_of(self.fn)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self.signature.parameters)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def decode_args(self, payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
        """The handler's arguments from a signal's (or query's, update's) payload: an object
        keyed by parameter name (``{"name": "ann", "priority": 2}``), or for a handler with one
        parameter also its bare value. Extra keys go to ``**kwargs`` when the handler has one.
        No value (``null``) for a handler whose parameters all have defaults: the defaults."""
        no_value = payload is None or not payload.data or payload.data.strip() == b"null"
        if no_value and all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in self.signature.parameters.values()):
            return [], {}
        return converter.decode_params(self.fn, payload)

    def input_schema(self) -> dict[str, Any]:
        from ._schemas import json_schema, params_model

        model = params_model(self.method_name, self.signature, converter.type_hints_of(self.fn))
        return json_schema(model, f"the parameters of {self.kind} handler {self.name!r}") or {}

    def output_schema(self) -> dict[str, Any] | None:
        from ._schemas import json_schema, result_model

        return json_schema(result_model(self.method_name, converter.type_hints_of(self.fn)), f"the result of {self.kind} handler {self.name!r}")

@dataclasses.dataclass(frozen=True)
class _HandlerMark:
    kind: str
    name: str | None
    description: str | None


#: Handler names the SDK's own ``InteractiveWorkflow`` uses (the seed's reserved names).
RESERVED_HANDLER_NAMES = {"query": frozenset({"__get_pending_inputs"}), "update": frozenset({"__submit_input"})}


def _handler_decorator(kind: str, name: Any, description: Any, internal: bool = False) -> Any:
    if callable(name) and not isinstance(name, str) and description is None:
        return _mark_handler(kind, name, None, None, internal)  # bare: @workflow.signal
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise TypeError(f"workflow.{kind}(name=...) must be a non-empty string, got {name!r}")
    if description is not None and not isinstance(description, str):
        raise TypeError(f"workflow.{kind}(description=...) must be a string, got {type(description).__name__}")
    return lambda fn: _mark_handler(kind, fn, name, description, internal)


def _mark_handler(kind: str, fn: Any, name: str | None, description: str | None, internal: bool = False) -> Any:
    if not inspect.isfunction(fn):
        raise TypeError(f"@workflow.{kind} decorates a method of a workflow class, not {fn!r}")
    existing = getattr(fn, "__fanflow_handler__", None)
    if existing is not None:
        raise TypeError(f"{fn.__qualname__} is already a {existing.kind} handler; a method handles one kind of message")
    if kind == "query" and inspect.iscoroutinefunction(fn):
        raise TypeError(f"query handler {fn.__qualname__} must be a plain `def` (queries read state, they cannot wait), not `async def`")
    if kind in ("query", "update") and converter.type_hints_of(fn).get("return", ...) in (None, type(None)):
        raise TypeError(f"{kind} handler {fn.__qualname__} must return a value (its annotation is `-> None`)")
    reserved = RESERVED_HANDLER_NAMES.get(kind, frozenset())
    if not internal and (name or fn.__name__) in reserved:
        raise ValueError(f"{kind} name {name or fn.__name__!r} is reserved by InteractiveWorkflow; reserved {kind} names: {', '.join(sorted(reserved))}")
    fn.__fanflow_handler__ = _HandlerMark(kind, name, description)
    if kind == "update":
        fn.validator = functools.partial(_mark_validator, fn)  # Temporal's `@my_update.validator`
    return fn


def _mark_validator(update_fn: Any, validator: Any) -> Any:
    """``@my_update.validator``: a plain ``def`` taking the update's parameters, run on the
    workflow's state before the update is accepted; raising refuses it (nothing recorded):
    ``ValueError`` / ``TypeError`` / pydantic's ``ValidationError`` as bad input
    (INVALID_ARGUMENT), anything else as the workflow's refusal (FAILED_PRECONDITION)."""
    if not inspect.isfunction(validator):
        raise TypeError(f"@{update_fn.__name__}.validator decorates a method of the workflow class, not {validator!r}")
    if inspect.iscoroutinefunction(validator):
        raise TypeError(f"update validator {validator.__qualname__} must be a plain `def` (it reads state, it cannot wait), not `async def`")
    update_fn.__fanflow_update_validator__ = validator
    return validator


def signal(name: Any = None, description: str | None = None) -> Any:
    """Mark a workflow method as the handler of a signal: ``@workflow.signal``,
    ``@workflow.signal()`` or ``@workflow.signal(name="approve", description="...")`` (the
    default name is the method's name).

    The handler takes any parameters. A client sends one value: an object keyed by parameter
    name (``handle.signal("add", {"message": "hi", "priority": 2})``, or a pydantic model with
    those fields) is spread onto them; a handler with one parameter may also get that value
    bare (``handle.signal("approve", "ops")``); extra keys go to ``**kwargs`` if it has one. It
    may be ``async`` (it then runs as a task of the workflow, so it can await activities).
    Signals are applied in the order history recorded them, on every replay. A signal whose
    value does not fit the handler is dropped with a warning (as Temporal's SDK does)."""
    return _handler_decorator("signal", name, description)


def query(name: Any = None, description: str | None = None, _internal: bool = False) -> Any:
    """Mark a workflow method (a plain ``def`` that returns a value) as a query handler:
    ``handle.query("name", value)``, ``fanflow workflow query ID --name N --input JSON`` or
    the QueryWorkflow RPC run it on a worker and return its value, writing nothing to history.

    It takes parameters like a signal handler (``{"param": value}`` or a bare value for one
    parameter). It reads state: it cannot wait, and anything that would produce a command
    (an activity, a timer, a marker...) fails the query and changes nothing. Closed runs can
    be queried too (their history is replayed)."""
    return _handler_decorator("query", name, description, _internal)


def update(name: Any = None, description: str | None = None, _internal: bool = False) -> Any:
    """Mark a workflow method (``def`` or ``async def``, returning a value) as an update
    handler: ``handle.execute_update("name", value)`` (or the CLI, or the
    UpdateWorkflowExecution RPC) runs it in the workflow and returns its value.

    A worker first checks the name and decodes the input against the parameters, and runs the
    validator if there is one (``@my_update.validator``); a refused update writes nothing.
    Accepted, it is recorded in history (its handler reruns from there on replay, so it
    survives a worker restart), may run activities and timers, and its result or failure is
    recorded too. The same update id is applied once."""
    return _handler_decorator("update", name, description, _internal)


def _collect_handlers(cls: type) -> dict[str, dict[str, HandlerDefinition]]:
    """Every handler of the class and its bases, by kind then name (a subclass's method of
    the same attribute name replaces its base's). Two handlers of one kind may not share a name."""
    by_attr: dict[str, tuple[_HandlerMark, Callable[..., Any]]] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            mark = getattr(value, "__fanflow_handler__", None)
            if isinstance(mark, _HandlerMark):
                by_attr[attr] = (mark, value)
            elif attr in by_attr and callable(value):
                del by_attr[attr]  # overridden without a decorator: no longer a handler
    handlers: dict[str, dict[str, HandlerDefinition]] = {"signal": {}, "query": {}, "update": {}}
    for attr, (mark, fn) in by_attr.items():
        name = mark.name or attr
        same_kind = handlers[mark.kind]
        if name in same_kind:
            raise ValueError(
                f"workflow class {cls.__qualname__}: {mark.kind} {name!r} has two handlers "
                f"({same_kind[name].method_name}, {attr}); give one of them another name"
            )
        same_kind[name] = HandlerDefinition(mark.kind, name, mark.description, attr, fn, getattr(fn, "__fanflow_update_validator__", None))
    return handlers
