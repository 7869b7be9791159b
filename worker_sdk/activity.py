"""Activities: the ``@workflows.activity()`` decorator, ``ActivityDefinition`` and the
registry. The namespace ``workflows.activity`` also holds the options (``RetryPolicy``,
``ActivityOptions``, defaults: ``activity_options``) and the in-activity hooks (``info()``,
``heartbeat()``, the seed's ``activity_heartbeat(*details)``, ``run_activities_locally()``:
``activity_context``), re-exported here.

This module is itself callable: ``worker_sdk.activity(...)`` is the decorator (so
``import worker_sdk as workflows; @workflows.activity()`` works) and
``workflows.activity.heartbeat(...)`` / ``workflows.activity.info()`` are the hooks.

Calling a decorated activity

* inside a workflow (the running loop is a workflow loop) schedules it: a
  ScheduleActivityTask command is produced and the call awaits the result, decoded with the
  function's return type hint (or raises ``ActivityError``);
* anywhere else simply runs the function (awaited if it is a coroutine function).

The worker runs the real function: ``get_activity(name).fn`` with the decoded input
(``defn.decode_input(payload)``) plus the injected ``Depends`` parameters
(``async with defn.injected(args, kwargs) as extra``), inside ``ActivityContext(...).activate()``.

Options (the seed's, with its defaults, beside fanflow's Temporal-style ones)::

    @workflows.activity(
        start_to_close_timeout=timedelta(minutes=5),  # default: history's, 300 s like the seed
        retry_policy_max_attempts=None,               # default policy: 3 attempts ...
        retry_policy_backoff_coefficient=None,        # ... backoff 2.0 (the seed's)
        name=None, sticky_to_worker=False, rate_limit=None, heartbeat_timeout=None,
        # fanflow / Temporal: schedule_to_close_timeout=, schedule_to_start_timeout=,
        # retry_policy=RetryPolicy(...), task_queue=
    )

``@workflows.activity``, ``@workflows.activity()``, ``@workflows.activity("name")`` and
``@workflows.activity(timedelta(...), 5)`` (the seed's positional order) all work. Bad options
raise ``TypeError`` / ``ValueError`` naming the option when the function is decorated.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import inspect
import sys
import types
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar, overload

import structlog

from protos import common_pb2

from . import converter
from ._loop import current_instance
from .activity_context import (
    ActivityContext,
    ActivityInfo,
    activity_heartbeat,
    heartbeat,
    in_activity,
    info,
    is_cancel_requested,
    run_activities_locally,
    runs_locally,
)
from .activity_options import (
    DEFAULT_RETRY_POLICY,
    DEFAULT_START_TO_CLOSE_TIMEOUT,
    ActivityOptions,
    RetryPolicy,
    Seconds,
    build_options,
)
from .dependencies import DependencyScope, injected_parameters, provide
from .exceptions import UnknownActivityTypeError
from . import rate_limits
from .rate_limit import RateLimit

__all__ = [
    "activity",
    "RetryPolicy",
    "ActivityOptions",
    "ActivityDefinition",
    "ActivityInfo",
    "ActivityContext",
    "get_activity",
    "get_definition",
    "all_activities",
    "info",
    "heartbeat",
    "activity_heartbeat",
    "in_activity",
    "is_cancel_requested",
    "run_activities_locally",
    "runs_locally",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_START_TO_CLOSE_TIMEOUT",
]

F = TypeVar("F", bound=Callable[..., Any])
_log = structlog.get_logger("fanflow.sdk.activity")


# ------------------------------------------------------------- definitions


@dataclasses.dataclass(frozen=True)
class ActivityDefinition:
    """What ``@activity()`` registers. ``fn`` is the user's function; ``signature`` and
    ``type_hints`` describe its *input* (without the injected ``Depends`` parameters, which
    ``dependencies`` maps to their providers); ``return_type`` decodes results.

    The worker runs it with ``args, kwargs = defn.decode_input(payload)`` and
    ``async with defn.injected(args, kwargs) as extra: fn(*args, **kwargs, **extra)``."""

    name: str
    fn: Callable[..., Any]
    signature: inspect.Signature
    type_hints: dict[str, Any]
    options: ActivityOptions
    is_async: bool
    #: ``{parameter: provider}`` of the parameters declared ``= Depends(provider)``.
    dependencies: dict[str, Callable[[], Any]] = dataclasses.field(default_factory=dict)

    @property
    def return_type(self) -> Any:
        return self.type_hints.get("return", Any)

    def encode_input(self, *args: Any, **kwargs: Any) -> common_pb2.Payload:
        return converter.encode_args(self.signature, args, kwargs)

    def decode_input(self, payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
        if not self.dependencies:
            return converter.decode_args(self.fn, payload)
        return converter.decode_with_signature(self.signature, self.type_hints, payload, what=self.fn.__qualname__)

    def decode_result(self, payload: common_pb2.Payload | None) -> Any:
        return converter.from_payload(payload, self.return_type)

    def injected(
        self, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None, scope: DependencyScope | None = None
    ) -> contextlib.AbstractAsyncContextManager[dict[str, Any]]:
        """The values of the injected parameters for a call with ``args`` / ``kwargs`` (those
        the caller passed itself are left alone), from ``scope`` (a worker's; default: the
        running activity's worker, else entered for this call only)."""
        if not self.dependencies:
            return _NOTHING_INJECTED  # the common case: no per-call work
        given: Iterable[str] = ()
        if args or kwargs:
            given = inspect.signature(self.fn).bind_partial(*args, **(kwargs or {})).arguments
        return provide(self.name, self.dependencies, given, scope)

    async def call(self, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None) -> Any:
        """Run the function here, with its dependencies (awaited if it is a coroutine)."""
        kwargs = dict(kwargs or {})
        async with self.injected(args, kwargs) as extra:
            result = self.fn(*args, **kwargs, **extra)
            if inspect.isawaitable(result):
                result = await result
            return result


_NOTHING_INJECTED: contextlib.AbstractAsyncContextManager[dict[str, Any]] = contextlib.nullcontext({})
_REGISTRY: dict[str, ActivityDefinition] = {}


def get_activity(name: str) -> ActivityDefinition:
    """The activity registered under ``name``; raises ``UnknownActivityTypeError``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownActivityTypeError(f"no activity named {name!r} is registered (known: {known})") from None


def get_definition(fn: Any) -> ActivityDefinition:
    """The ``ActivityDefinition`` of a decorated activity (or of a name)."""
    if isinstance(fn, ActivityDefinition):
        return fn
    if isinstance(fn, str):
        return get_activity(fn)
    defn = getattr(fn, "__fanflow_activity__", None)
    if defn is None:
        raise ValueError(
            f"{getattr(fn, '__qualname__', fn)!r} must be an activity, please decorate it with @workflows.activity()"
        )
    return defn


def all_activities() -> dict[str, ActivityDefinition]:
    return dict(_REGISTRY)


# -------------------------------------------------------------- decorator

#: The seed's positional order of ``activity(...)``'s options.
_SEED_POSITIONAL = (
    "start_to_close_timeout",
    "retry_policy_max_attempts",
    "retry_policy_backoff_coefficient",
    "name",
    "sticky_to_worker",
    "rate_limit",
    "heartbeat_timeout",
)
#: Options ``with_options(...)`` may change at one call site.
_CALL_SITE_OPTIONS = frozenset(set(_SEED_POSITIONAL) - {"name"} | {"schedule_to_close_timeout", "schedule_to_start_timeout", "retry_policy", "task_queue"})



@overload
def activity(fn: F, /) -> F: ...
@overload
def activity(
    start_to_close_timeout: Seconds | str | None = None,  # a str: the name (@activity("name"))
    retry_policy_max_attempts: int | None = None,
    retry_policy_backoff_coefficient: float | None = None,
    name: str | None = None,
    sticky_to_worker: bool = False,
    rate_limit: RateLimit | None = None,
    heartbeat_timeout: Seconds | None = None,
    *,
    schedule_to_close_timeout: Seconds | None = None,
    schedule_to_start_timeout: Seconds | None = None,
    retry_policy: RetryPolicy | None = None,
    task_queue: str | None = None,
) -> Callable[[F], F]: ...


def activity(
    *args: Any,
    start_to_close_timeout: Seconds | None = None,
    retry_policy_max_attempts: int | None = None,
    retry_policy_backoff_coefficient: float | None = None,
    name: str | None = None,
    sticky_to_worker: bool = False,
    rate_limit: RateLimit | None = None,
    heartbeat_timeout: Seconds | None = None,
    schedule_to_close_timeout: Seconds | None = None,
    schedule_to_start_timeout: Seconds | None = None,
    retry_policy: RetryPolicy | None = None,
    task_queue: str | None = None,
) -> Any:
    """Declare an activity (the seed's options first, in its order; then fanflow's).

    * ``start_to_close_timeout``: seconds or ``timedelta``; unset = history's default, 300 s
      (the seed's). Positional options follow the seed's order (``_SEED_POSITIONAL``), except
      that a single positional ``str`` is the name (``@activity("name")``) and a function is
      the bare decorator (``@activity``).
    * ``retry_policy_max_attempts`` (0 = unlimited) / ``retry_policy_backoff_coefficient``
      (>= 1.0), or fanflow's ``retry_policy=RetryPolicy(...)`` (not both). With none of them,
      ``DEFAULT_RETRY_POLICY``: 3 attempts, backoff 2.0, first retry after 1 s, at most 100 s
      apart (the seed's default; Temporal's own default would retry forever).
    * ``name``: the activity type (default: the function's name).
    * ``sticky_to_worker=True``: called in a workflow, the activity runs on the worker of the
      current sticky worker session (``run_sticky_worker_session``; ``worker_sdk.sticky_sessions``).
    * ``rate_limit=RateLimit(time_window_in_sec=..., max_execution=..., key=None)``: at most that
      many starts per window across the cluster, shared by the activities with the same key
      (default: the activity's name); matching meters it (``worker_sdk.rate_limits``). Both set:
      the activity runs in sessions, where the limit does not apply (as in the seed).
    * ``heartbeat_timeout``: the attempt fails when no ``heartbeat()`` came for that long.
    * fanflow's ``schedule_to_close_timeout``, ``schedule_to_start_timeout``, ``task_queue``.

    Parameters declared ``= Depends(provider)`` are injected, not part of the input
    (``worker_sdk.dependencies``)."""
    if len(args) == 1 and callable(args[0]) and not isinstance(args[0], datetime.timedelta):
        return activity()(args[0])  # bare @activity
    if len(args) == 1 and isinstance(args[0], str):  # @activity("name")
        if name is not None:
            raise TypeError(f"activity name given twice: {args[0]!r} and name={name!r}")
        name = args[0]
    elif args:  # the seed's positional order
        if len(args) > len(_SEED_POSITIONAL):
            raise TypeError(f"activity() takes at most {len(_SEED_POSITIONAL)} positional options ({', '.join(_SEED_POSITIONAL)}), got {len(args)}")
        keywords = dict(
            start_to_close_timeout=start_to_close_timeout, retry_policy_max_attempts=retry_policy_max_attempts,
            retry_policy_backoff_coefficient=retry_policy_backoff_coefficient, name=name, sticky_to_worker=sticky_to_worker,
            rate_limit=rate_limit, heartbeat_timeout=heartbeat_timeout,
        )
        for option, value in zip(_SEED_POSITIONAL, args):
            if keywords[option] not in (None, False):
                raise TypeError(f"activity() got multiple values for option {option!r}")
            keywords[option] = value
        (start_to_close_timeout, retry_policy_max_attempts, retry_policy_backoff_coefficient, name,
         sticky_to_worker, rate_limit, heartbeat_timeout) = (keywords[o] for o in _SEED_POSITIONAL)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise TypeError(f"activity name must be a non-empty string, not {name!r}")
    options = build_options(
        start_to_close_timeout=start_to_close_timeout,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        retry_policy_max_attempts=retry_policy_max_attempts,
        retry_policy_backoff_coefficient=retry_policy_backoff_coefficient,
        task_queue=task_queue,
        sticky_to_worker=sticky_to_worker,
        rate_limit=rate_limit,
    )
    if options.retry_policy is None:  # neither form given: the seed's default
        options = dataclasses.replace(options, retry_policy=DEFAULT_RETRY_POLICY)

    def decorate(fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"@activity() decorates a function, not {fn!r}")
        if hasattr(fn, "__fanflow_activity__"):
            fn = fn.__fanflow_activity__.fn  # re-decorating: wrap the original
        dependencies = injected_parameters(fn)
        signature = converter.signature_of(fn)
        type_hints = converter.type_hints_of(fn)
        if dependencies:  # the input is the rest
            signature = signature.replace(parameters=[p for n, p in signature.parameters.items() if n not in dependencies])
            type_hints = {k: v for k, v in type_hints.items() if k not in dependencies}
            from .dependencies import DependencyInjector

            for provider in dependencies.values():
                DependencyInjector.get_singleton_instance().register(provider)
        # sticky sessions and rate limits: a key that can name a queue; say which one wins
        rate_limits.check_activity(name or fn.__name__, options.rate_limit)
        if options.sticky_to_worker and options.rate_limit is not None:
            _log.warning("activity is sticky_to_worker and rate-limited: in a session it runs on the session's worker, without the rate limit",
                         activity=name or fn.__name__)
        defn = ActivityDefinition(
            name=name or fn.__name__,
            fn=fn,
            signature=signature,
            type_hints=type_hints,
            options=options,
            is_async=inspect.iscoroutinefunction(fn),
            dependencies=dependencies,
        )

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            instance = current_instance()
            if instance is not None:
                return await instance.execute_activity(defn, args, kwargs)
            return await defn.call(args, kwargs)

        def with_options(**overrides: Any) -> Callable[..., Any]:
            """This activity with options changed at one call site:
            ``await process_item.with_options(start_to_close_timeout=5)(item)``."""
            unknown = sorted(set(overrides) - _CALL_SITE_OPTIONS)
            if unknown:
                raise TypeError(f"unknown activity option(s) {unknown}; known: {sorted(_CALL_SITE_OPTIONS)}")
            call_defn = dataclasses.replace(defn, options=build_options(base=defn.options, **overrides))

            async def call(*args: Any, **kwargs: Any) -> Any:
                instance = current_instance()
                if instance is not None:
                    return await instance.execute_activity(call_defn, args, kwargs)
                return await wrapper(*args, **kwargs)

            return call

        wrapper.__fanflow_activity__ = defn  # type: ignore[attr-defined]
        wrapper.with_options = with_options  # type: ignore[attr-defined]
        if dependencies:  # what callers (and IDEs) see: the input only
            wrapper.__signature__ = signature  # type: ignore[attr-defined]
        _REGISTRY[defn.name] = defn
        return wrapper  # type: ignore[return-value]

    return decorate


# Make the module callable: ``worker_sdk.activity(...)`` is the decorator, while
# ``worker_sdk.activity.heartbeat`` & co. stay reachable, and ``import worker_sdk.activity``
# keeps giving this module.
class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return activity(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
