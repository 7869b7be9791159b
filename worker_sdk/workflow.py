"""Workflows: ``@workflow.define``, ``@workflow.entrypoint``, the registry, and the API that
workflow code calls while it runs (``now``, ``sleep``, ``info``, ``uuid4``, ``random``,
``continue_as_new``, ``record_marker``, ``in_workflow``, ``is_replaying``).

    @workflows.workflow.define(name="concurrency_workflow")
    class ConcurrencyWorkflow:
        @workflows.workflow.entrypoint
        async def run(self, params: Input) -> list[dict]:
            ...

The in-workflow functions raise ``RuntimeError`` when called outside workflow code
(``in_workflow()`` excepted).
"""
from __future__ import annotations

import dataclasses
import datetime
import inspect
import random as _random_module
import uuid as _uuid_module
from typing import TYPE_CHECKING, Any, Callable, NoReturn, TypeVar

from protos import common_pb2

from . import converter
from ._loop import current_instance
from .exceptions import ContinueAsNewError, UnknownWorkflowTypeError

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance

__all__ = [
    "define",
    "entrypoint",
    "WorkflowDefinition",
    "WorkflowInfo",
    "get_workflow",
    "get_definition",
    "all_workflows",
    "info",
    "now",
    "time",
    "sleep",
    "uuid4",
    "random",
    "continue_as_new",
    "record_marker",
    "in_workflow",
    "is_replaying",
]

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])


# ------------------------------------------------------------- definitions


@dataclasses.dataclass(frozen=True)
class WorkflowDefinition:
    """What ``@workflow.define`` registers.

    ``run_fn`` is the (unbound) entrypoint function, ``run_name`` its attribute name,
    ``signature`` its signature without ``self``, ``param_types`` the parameters' type hints
    and ``return_type`` its return hint (``Any`` when not annotated) — the client decodes
    the workflow's result with ``decode_result``.
    """

    name: str
    cls: type
    run_fn: Callable[..., Any]
    run_name: str
    signature: inspect.Signature
    type_hints: dict[str, Any]
    signals: dict[str, str] = dataclasses.field(default_factory=dict)  # signal name -> handler method name

    @property
    def param_types(self) -> dict[str, Any]:
        return {n: self.type_hints.get(n, Any) for n in self.signature.parameters}

    @property
    def return_type(self) -> Any:
        return self.type_hints.get("return", Any)

    def encode_input(self, *args: Any, **kwargs: Any) -> common_pb2.Payload:
        """The StartWorkflowExecution input for ``run(*args, **kwargs)``."""
        return converter.encode_args(self.signature, args, kwargs)

    def decode_input(self, payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
        return converter.decode_args(self.run_fn, payload)

    def decode_result(self, payload: common_pb2.Payload | None) -> Any:
        """Decode a WorkflowExecutionCompleted result with the entrypoint's return hint."""
        return converter.from_payload(payload, self.return_type)


_REGISTRY: dict[str, WorkflowDefinition] = {}


def entrypoint(fn: Any = None) -> Any:
    """Mark the workflow's ``async def run(self, ...)`` method (``@workflow.entrypoint`` or
    ``@workflow.entrypoint()``)."""
    if fn is None:
        return entrypoint
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"@workflow.entrypoint must decorate an `async def` method, not {fn!r}")
    fn.__fanflow_entrypoint__ = True
    return fn


def signal(fn: Any = None, *, name: str | None = None) -> Any:
    """Mark a workflow method as the handler of a signal (``@workflow.signal`` or
    ``@workflow.signal(name="approve")``; the default name is the method's name). The handler
    takes no argument or one (the value ``handle.signal(name, value)`` sent, decoded with its
    type hint); it may be ``async`` (it then runs as a task of the workflow, so it can await
    activities). Signals are applied in the order history recorded them, on every replay."""
    if fn is None:
        return lambda f: signal(f, name=name)
    if not callable(fn):
        raise TypeError(f"@workflow.signal decorates a method, not {fn!r}")
    params = [p for p in list(inspect.signature(fn).parameters.values())[1:] if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if sum(1 for p in params if p.default is p.empty) > 1:
        raise TypeError(f"signal handler {fn.__qualname__} takes at most one argument (the signal's value)")
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError("workflow.signal(name=...) must be a non-empty string")
    fn.__fanflow_signal__ = name or fn.__name__
    return fn


async def wait_condition(condition: Callable[[], bool], timeout: float | datetime.timedelta | None = None) -> None:
    """Wait until ``condition()`` is true (checked whenever the workflow is idle within a
    workflow task, e.g. after a signal handler ran). With ``timeout``, a durable timer bounds
    the wait and ``asyncio.TimeoutError`` is raised when it fires first."""
    inst = _instance("wait_condition()")
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    await inst.wait_condition(condition, timeout)


def define(name: Any = None) -> Any:
    """Class decorator registering a workflow (``@workflow.define(name=...)``; bare
    ``@workflow.define`` works too). The class needs exactly one ``@workflow.entrypoint``
    method and a constructor without required arguments."""
    if isinstance(name, type):
        return define()(name)
    if name is not None and not isinstance(name, str):
        raise TypeError("workflow.define(name=...) must be a string")

    def decorate(cls: C) -> C:
        if not isinstance(cls, type):
            raise TypeError("@workflow.define decorates a class")
        found: list[tuple[str, Callable[..., Any]]] = []
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if getattr(value, "__fanflow_entrypoint__", False):
                    found = [f for f in found if f[0] != attr] + [(attr, value)]
        if len(found) != 1:
            names = [f[0] for f in found]
            raise ValueError(
                f"workflow class {cls.__qualname__} must have exactly one @workflow.entrypoint method, found {names or 'none'}"
            )
        run_name, run_fn = found[0]
        signals: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                signal_name = getattr(value, "__fanflow_signal__", None)
                if signal_name is not None:
                    signals = {k: v for k, v in signals.items() if v != attr}
                    if signal_name in signals and signals[signal_name] != attr:
                        raise ValueError(f"workflow class {cls.__qualname__}: signal {signal_name!r} has two handlers ({signals[signal_name]}, {attr})")
                    signals[signal_name] = attr
        defn = WorkflowDefinition(
            name=name or cls.__name__,
            cls=cls,
            run_fn=run_fn,
            run_name=run_name,
            signature=converter.signature_of(run_fn),
            type_hints=converter.type_hints_of(run_fn),
            signals=signals,
        )
        cls.__fanflow_workflow__ = defn  # type: ignore[attr-defined]
        _REGISTRY[defn.name] = defn
        return cls

    return decorate


def get_workflow(name: str) -> WorkflowDefinition:
    """The workflow registered under ``name``; raises ``UnknownWorkflowTypeError``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownWorkflowTypeError(f"no workflow named {name!r} is registered (known: {known})") from None


def get_definition(workflow: Any) -> WorkflowDefinition:
    """The definition of a ``@workflow.define`` class, a definition, or a registered name."""
    if isinstance(workflow, WorkflowDefinition):
        return workflow
    if isinstance(workflow, str):
        return get_workflow(workflow)
    defn = vars(workflow).get("__fanflow_workflow__") if isinstance(workflow, type) else None
    if defn is None:
        raise ValueError(f"{workflow!r} is not a workflow: decorate the class with @workflows.workflow.define()")
    return defn


def all_workflows() -> dict[str, WorkflowDefinition]:
    return dict(_REGISTRY)


# ------------------------------------------------------ in-workflow API


@dataclasses.dataclass(frozen=True)
class WorkflowInfo:
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    namespace: str
    attempt: int
    #: Event id of the WorkflowTaskStarted being processed (Temporal's "current history length").
    history_length: int
    history_size_bytes: int
    continued_run_id: str
    first_execution_run_id: str
    start_time: datetime.datetime | None
    suggest_continue_as_new: bool

    def is_continue_as_new_suggested(self) -> bool:
        """True when history flagged the current workflow task (history grew large)."""
        return self.suggest_continue_as_new

    def get_current_history_length(self) -> int:
        return self.history_length


def _instance(what: str) -> "WorkflowInstance":
    inst = current_instance()
    if inst is None:
        raise RuntimeError(f"workflow.{what} can only be called from workflow code (inside a running workflow)")
    return inst


def in_workflow() -> bool:
    """True while workflow code is running (on the workflow's deterministic loop)."""
    return current_instance() is not None


def is_replaying() -> bool:
    """True while the code runs to rebuild state from history (not the newest workflow task)."""
    return _instance("is_replaying()").is_replaying


def info() -> WorkflowInfo:
    return _instance("info()").info()


def now() -> datetime.datetime:
    """Deterministic 'now' (UTC, aware): the start time of the current workflow task."""
    return datetime.datetime.fromtimestamp(_instance("now()").now_seconds, datetime.timezone.utc)


def time() -> float:
    """``now()`` as POSIX seconds."""
    return _instance("time()").now_seconds


async def sleep(seconds: float | datetime.timedelta) -> None:
    """A durable timer (StartTimer command, resolved by TimerFired). ``<= 0`` just yields."""
    inst = _instance("sleep()")
    if isinstance(seconds, datetime.timedelta):
        seconds = seconds.total_seconds()
    await inst.sleep(float(seconds))


def uuid4() -> _uuid_module.UUID:
    """A deterministic random UUID (same on every replay)."""
    return _instance("uuid4()").uuid4()


def random() -> _random_module.Random:
    """The workflow's deterministic ``random.Random`` (seeded from the run id), as in
    Temporal: ``workflow.random().randint(1, 6)``."""
    return _instance("random()").random


def continue_as_new(*args: Any, **kwargs: Any) -> NoReturn:
    """End this run and start a new one of the same workflow with ``run(*args, **kwargs)``.

    Raises an internal ``ContinueAsNewError`` (a ``BaseException``): call it from the
    entrypoint's flow (not from a detached task) and do not swallow it."""
    inst = _instance("continue_as_new()")
    defn = inst.definition
    payload = converter.encode_args(defn.signature, args, kwargs)
    raise ContinueAsNewError(payload, workflow_type=defn.name, task_queue=inst.task_queue)


def record_marker(name: str, details: Any = None) -> None:
    """Record a marker event (RecordMarker command) with JSON-able ``details``."""
    _instance("record_marker()").record_marker(name, details)


def record_event(name: str, details: Any = None) -> None:
    """Record a custom event, durable with the workflow's history and readable
    with the progress API (`Client.progress`, `fanflow workflow progress ID`)."""
    if not isinstance(name, str) or not name:
        raise ValueError("record_event needs a non-empty name")
    _instance("record_event()").record_marker("fanflow.event", {"name": name, "details": details})
