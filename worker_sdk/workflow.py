"""Workflows: ``@workflow.define``, ``@workflow.entrypoint``, the handler decorators
(``signal``, ``query``, ``update``), ``WorkflowDefinition`` and the registry. The namespace
``workflows.workflow`` also holds what workflow code calls while it runs (``now``, ``sleep``,
``wait_condition``, ``info``, ``uuid4``, ``random``, ``continue_as_new``, ... :
``workflow_context``), re-exported here.

    @workflows.workflow.define(name="concurrency_workflow", execution_timeout=timedelta(minutes=30))
    class ConcurrencyWorkflow:
        @workflows.workflow.signal(name="pause", description="stop scheduling new items")
        def pause(self, reason: str, until: int | None = None) -> None: ...

        @workflows.workflow.entrypoint
        async def run(self, params: Input) -> list[dict]:
            ...
"""
from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import inspect
import math
import re
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from protos import common_pb2

from . import converter
from .exceptions import UnknownWorkflowTypeError
from .search_keys import add_search_keys, delete_search_keys
from .workflow_handlers import HandlerDefinition, _collect_handlers, query, signal, update
from .workflow_context import (
    ParentClosePolicy,
    WorkflowInfo,
    continue_as_new,
    deprecate_patch,
    execute_workflow,
    get_execution_id,
    in_workflow,
    info,
    is_replaying,
    now,
    patched,
    random,
    record_event,
    record_marker,
    should_continue_as_new,
    sleep,
    time,
    unsafe,
    uuid4,
    wait_condition,
)

if TYPE_CHECKING:  # pragma: no cover
    from pydantic import BaseModel

    from .schedules import ScheduleDefinition

__all__ = [
    "define",
    "entrypoint",
    "signal",
    "query",
    "update",
    "WorkflowDefinition",
    "HandlerDefinition",
    "WorkflowInfo",
    "ParentClosePolicy",
    "DEFAULT_EXECUTION_TIMEOUT",
    "get_workflow",
    "get_definition",
    "all_workflows",
    "timeout_seconds",
    "info",
    "now",
    "time",
    "sleep",
    "wait_condition",
    "uuid4",
    "random",
    "continue_as_new",
    "should_continue_as_new",
    "execute_workflow",
    "record_marker",
    "record_event",
    "patched",
    "deprecate_patch",
    "in_workflow",
    "is_replaying",
    "unsafe",
    "get_execution_id",
    "add_search_keys",
    "delete_search_keys",
]

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])

#: The seed's default ``execution_timeout`` of ``@workflow.define``.
DEFAULT_EXECUTION_TIMEOUT = datetime.timedelta(hours=1)
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
_MAX_NAME_LENGTH = 128


def timeout_seconds(value: Any, option: str) -> float | None:
    """``value`` (a ``timedelta`` or seconds, or ``None``) as positive seconds; a bad value
    raises naming ``option``."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(f"{option} must be a timedelta or a number of seconds, got {type(value).__name__} {value!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{option} must be a positive duration, got {value!r}")
    return seconds


# ------------------------------------------------------------- definitions


@dataclasses.dataclass(frozen=True)
class WorkflowDefinition:
    """What ``@workflow.define`` registers.

    ``run_fn`` is the (unbound) entrypoint function, ``run_name`` its attribute name,
    ``signature`` its signature without ``self``, ``param_types`` the parameters' type hints
    and ``return_type`` its return hint (``Any`` when not annotated) — the client decodes
    the workflow's result with ``decode_result``. ``signals`` / ``queries`` / ``updates`` map
    handler names to ``HandlerDefinition``. The remaining fields are ``define``'s options.
    """

    name: str
    cls: type
    run_fn: Callable[..., Any]
    run_name: str
    signature: inspect.Signature
    type_hints: dict[str, Any]
    signals: dict[str, HandlerDefinition] = dataclasses.field(default_factory=dict)
    queries: dict[str, HandlerDefinition] = dataclasses.field(default_factory=dict)
    updates: dict[str, HandlerDefinition] = dataclasses.field(default_factory=dict)
    description: str | None = None
    display_name: str | None = None
    is_technical: bool = False
    enforce_determinism: bool = True
    execution_timeout: datetime.timedelta | None = DEFAULT_EXECUTION_TIMEOUT
    on_behalf_of: bool = False
    search_keys: tuple[str, ...] = ()
    schedules: tuple["ScheduleDefinition", ...] = ()

    @property
    def param_types(self) -> dict[str, Any]:
        return {n: self.type_hints.get(n, Any) for n in self.signature.parameters}

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self.signature.parameters)

    @property
    def return_type(self) -> Any:
        return self.type_hints.get("return", Any)

    def encode_input(self, *args: Any, **kwargs: Any) -> common_pb2.Payload:
        """The StartWorkflowExecution input for ``run(*args, **kwargs)``."""
        return converter.encode_args(self.signature, args, kwargs)

    def bind_params(self, params: Any) -> dict[str, Any]:
        """The entrypoint's arguments (by name) for one ``params`` object, by the seed's rule
        (``converter.bind_params``); ``TypeError`` names missing and unexpected names."""
        return converter.bind_params(self.signature, self.type_hints, params, what=f"workflow {self.name!r}")

    def encode_params(self, params: Any) -> common_pb2.Payload:
        """The StartWorkflowExecution input for ``execute_workflow(cls, params=...)``."""
        return converter.to_payload(self.bind_params(params))

    def decode_input(self, payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
        """The entrypoint's arguments from a start's input: keyed by parameter name (what this
        client sends), or any value a seed-style client sent (``converter.decode_params``)."""
        return converter.decode_params(self.run_fn, payload)

    def decode_result(self, payload: common_pb2.Payload | None) -> Any:
        """Decode a WorkflowExecutionCompleted result with the entrypoint's return hint. A
        workflow that returned ``None`` gives ``None`` whatever the hint (as the seed does)."""
        if payload is None or not payload.data or payload.data.strip() == b"null":
            return None
        return converter.from_payload(payload, self.return_type)

    @functools.cached_property
    def input_model(self) -> type["BaseModel"]:
        """The entrypoint's input as a pydantic model (the seed's rule, see ``_schemas``)."""
        from ._schemas import params_model

        return params_model(self.run_fn.__name__, self.signature, self.type_hints)

    @functools.cached_property
    def output_model(self) -> type["BaseModel"] | None:
        from ._schemas import result_model

        return result_model(self.run_fn.__name__, self.type_hints)

    def metadata(self) -> common_pb2.WorkflowMetadata:
        """What the client sends as ``StartWorkflowExecutionRequest.metadata``: the define()
        options shown by describe, and the names of the handlers (history refuses an unknown
        query or update name with them, even with no worker up). A workflow without any
        handler sends none (its worker refuses every name)."""
        metadata = common_pb2.WorkflowMetadata(display_name=self.display_name or "", description=self.description or "", is_technical=self.is_technical)
        if self.signals or self.queries or self.updates:
            metadata.signal_names.extend(sorted(self.signals))
            metadata.query_names.extend(sorted(self.queries))
            metadata.update_names.extend(sorted(self.updates))
            metadata.handler_names_declared = True
        return metadata


_REGISTRY: dict[str, WorkflowDefinition] = {}
_BY_ENTRYPOINT: dict[Callable[..., Any], dict[type, WorkflowDefinition]] = {}  # run_fn -> the classes using it


def entrypoint(fn: Any = None) -> Any:
    """Mark the workflow's ``async def run(self, ...)`` method (``@workflow.entrypoint`` or
    ``@workflow.entrypoint()``)."""
    if fn is None:
        return entrypoint
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"@workflow.entrypoint must decorate an `async def` method, not {fn!r}")
    fn.__fanflow_entrypoint__ = True
    return fn


# ------------------------------------------------------------ define


_DEFINE_OPTIONS = (
    "name",
    "workflow_description",
    "schedules",
    "workflow_display_name",
    "is_technical",
    "enforce_determinism",
    "execution_timeout",
    "on_behalf_of",
    "search_keys",
)


def _check_bool(value: Any, option: str, *, optional: bool = False) -> None:
    if not isinstance(value, bool) and not (optional and value is None):
        allowed = "True, False or None" if optional else "True or False"
        raise TypeError(f"workflow.define({option}=...) must be {allowed}, got {value!r}")


def _check_text(value: Any, option: str) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"workflow.define({option}=...) must be a string, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        raise ValueError(f"workflow.define({option}=...) must not be empty (leave it out instead)")


def _check_schedules(schedules: Any) -> tuple["ScheduleDefinition", ...]:
    from pydantic import ValidationError

    from .schedules import ScheduleDefinition

    if schedules is None:
        return ()
    if isinstance(schedules, (str, bytes, dict)) or not isinstance(schedules, (list, tuple)):
        raise TypeError(f"workflow.define(schedules=...) must be a list of workflows.Schedule, got {type(schedules).__name__}")
    out = []
    for i, item in enumerate(schedules):
        try:
            # an instance is checked again: its fields may have been set after it was built
            out.append(ScheduleDefinition.model_validate(item.model_dump() if isinstance(item, ScheduleDefinition) else item))
        except ValidationError as exc:
            problems = converter.describe_validation_error(exc)
            raise ValueError(f"workflow.define(schedules=...): schedules[{i}] is not a valid schedule: {problems}") from None
    return tuple(out)


def define(
    name: Any = None,
    workflow_description: str | None = None,
    schedules: list["ScheduleDefinition"] | None = None,
    workflow_display_name: str | None = None,
    is_technical: bool = False,
    enforce_determinism: bool | None = None,
    execution_timeout: datetime.timedelta | float | None = DEFAULT_EXECUTION_TIMEOUT,
    on_behalf_of: bool = False,
    search_keys: list[str] | None = None,
    **unknown: Any,
) -> Any:
    """Class decorator registering a workflow: ``@workflow.define(name=...)``,
    ``@workflow.define("name")`` or bare ``@workflow.define`` (the name is then the class
    name). The class needs exactly one ``@workflow.entrypoint`` method and a constructor
    without required arguments. Options (the seed's, with its defaults), checked here — a bad
    one raises ``TypeError`` / ``ValueError`` naming it:

    * ``name``: letters, digits, ``_`` and ``-``, at most 128 characters.
    * ``workflow_description``, ``workflow_display_name``, ``is_technical``: sent with every
      start as the run's ``WorkflowMetadata`` (history records it).
    * ``execution_timeout`` (default 1 hour; a ``timedelta`` or seconds; ``None`` = no limit):
      the default ``workflow_execution_timeout`` of every start of this workflow (across
      continue-as-new); ``execute_workflow(..., execution_timeout=...)`` overrides it.
    * ``schedules`` (``workflows.Schedule`` list): validated here; a worker that serves the
      workflow registers them with the cluster when it starts (id: the schedule's
      ``schedule_id``, else ``<name>-schedule-<index>``), which starts the runs at their times.
    * ``search_keys`` (dot paths into the input, at most 20): validated as the seed does; the
      values at those paths are extracted when a run starts and stored as its search keys
      (``worker_sdk/search_keys.py``), which list and count filter on.
    * ``on_behalf_of``: stored; fanflow has no user identities to run workflows as. It cannot
      be combined with ``schedules`` (a scheduled run has no user).
    * ``enforce_determinism`` (default ``True``): stored. fanflow has no import sandbox;
      determinism is always checked by replay (changed code fails the workflow task with a
      non-determinism error), whatever this flag says.
    """
    if isinstance(name, type) and not unknown:
        return define()(name)  # bare @workflow.define
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, _DEFINE_OPTIONS, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise TypeError(f"workflow.define() got unknown option(s) {', '.join(hints)}; the options are: {', '.join(_DEFINE_OPTIONS)}")
    if name is not None:
        if not isinstance(name, str):
            raise TypeError(f"workflow.define(name=...) must be a string, got {type(name).__name__}")
        _check_name(name)
    _check_text(workflow_description, "workflow_description")
    _check_text(workflow_display_name, "workflow_display_name")
    _check_bool(is_technical, "is_technical")
    _check_bool(on_behalf_of, "on_behalf_of")
    _check_bool(enforce_determinism, "enforce_determinism", optional=True)
    timeout = timeout_seconds(execution_timeout, "workflow.define(execution_timeout=...)")
    checked_schedules = _check_schedules(schedules)
    if on_behalf_of and checked_schedules:
        raise ValueError("workflow.define(on_behalf_of=True) cannot be combined with schedules: a scheduled run has no user to act for")
    if search_keys is not None and (isinstance(search_keys, (str, bytes)) or not isinstance(search_keys, (list, tuple))):
        raise TypeError(f"workflow.define(search_keys=...) must be a list of dot paths, got {type(search_keys).__name__}")
    if search_keys:
        from ._search_keys import MAX_SEARCH_KEYS

        if len(search_keys) > MAX_SEARCH_KEYS:
            raise ValueError(f"workflow.define(search_keys=...): at most {MAX_SEARCH_KEYS} search keys, got {len(search_keys)}")

    def decorate(cls: C) -> C:
        if not isinstance(cls, type):
            raise TypeError("@workflow.define decorates a class")
        workflow_name = name or cls.__name__
        _check_name(workflow_name)
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
        handlers = _collect_handlers(cls)
        defn = WorkflowDefinition(
            name=workflow_name,
            cls=cls,
            run_fn=run_fn,
            run_name=run_name,
            signature=converter.signature_of(run_fn),
            type_hints=converter.type_hints_of(run_fn),
            signals=handlers["signal"],
            queries=handlers["query"],
            updates=handlers["update"],
            description=workflow_description,
            display_name=workflow_display_name,
            is_technical=is_technical,
            enforce_determinism=True if enforce_determinism is None else enforce_determinism,
            execution_timeout=None if timeout is None else datetime.timedelta(seconds=timeout),
            on_behalf_of=on_behalf_of,
            schedules=checked_schedules,
        )
        if search_keys:
            from ._search_keys import validate_search_keys

            try:
                input_model = defn.input_model
            except TypeError as exc:
                raise ValueError(f"workflow.define(search_keys=...): {exc}") from None
            keys = validate_search_keys(input_model, search_keys, workflow_name)
            defn = dataclasses.replace(defn, search_keys=keys)
        for i, schedule in enumerate(checked_schedules):
            try:
                converter.validate_bound(defn.type_hints, defn.bind_params(schedule.input))
            except TypeError as exc:
                raise ValueError(f"workflow.define(schedules=...): schedules[{i}].input does not fit the entrypoint: {exc}") from None
        cls.__fanflow_workflow__ = defn  # type: ignore[attr-defined]
        _REGISTRY[defn.name] = defn
        _BY_ENTRYPOINT.setdefault(run_fn, {})[cls] = defn
        return cls

    return decorate


def _check_name(name: str) -> None:
    if not name or len(name) > _MAX_NAME_LENGTH or not _NAME_PATTERN.match(name):
        raise ValueError(
            f"workflow.define(name=...): {name!r} is not a valid workflow name: use letters, digits, '_' and '-', "
            f"at most {_MAX_NAME_LENGTH} characters"
        )


def get_workflow(name: str) -> WorkflowDefinition:
    """The workflow registered under ``name``; raises ``UnknownWorkflowTypeError``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownWorkflowTypeError(f"no workflow named {name!r} is registered (known: {known})") from None


def get_definition(workflow: Any) -> WorkflowDefinition:
    """The definition of a ``@workflow.define`` class, of its entrypoint method (Temporal's
    ``MyWorkflow.run`` style), a definition, or a registered name."""
    if isinstance(workflow, WorkflowDefinition):
        return workflow
    if isinstance(workflow, str):
        return get_workflow(workflow)
    if isinstance(workflow, type):
        defn = vars(workflow).get("__fanflow_workflow__")
    else:
        defn = _definition_of_entrypoint(workflow)
    if defn is None:
        raise ValueError(f"{workflow!r} is not a workflow: decorate the class with @workflows.workflow.define()")
    return defn


def _definition_of_entrypoint(fn: Any) -> WorkflowDefinition | None:
    fn = getattr(fn, "__func__", fn)  # a bound method
    try:
        users = _BY_ENTRYPOINT.get(fn)
    except TypeError:  # unhashable
        return None
    if not users:
        return None
    if len(users) == 1:
        return next(iter(users.values()))
    # Inherited by several workflow classes: `Base.run` means the class whose body defines it.
    for cls, defn in users.items():
        if f"{cls.__qualname__}.{fn.__name__}" == fn.__qualname__:
            return defn
    names = sorted(d.name for d in users.values())
    raise ValueError(f"{fn.__qualname__} is the entrypoint of several workflows ({', '.join(names)}): pass the workflow class instead")


def all_workflows() -> dict[str, WorkflowDefinition]:
    return dict(_REGISTRY)
