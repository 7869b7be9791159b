"""Activities: the ``@workflows.activity()`` decorator, options, retry policy, registry,
the in-activity hooks ``info()`` / ``heartbeat()`` (and the seed's ``activity_heartbeat(*details)``),
and ``run_activities_locally()``.

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
import contextvars
import dataclasses
import datetime
import functools
import inspect
import sys
import types
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar, overload

from fanflow import timeutil
from protos import common_pb2

from . import converter
from ._loop import current_instance
from .dependencies import DependencyScope, injected_parameters, provide
from .exceptions import UnknownActivityTypeError
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
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_START_TO_CLOSE_TIMEOUT",
]

F = TypeVar("F", bound=Callable[..., Any])

Seconds = float | int | datetime.timedelta


def _td(value: Seconds | None, what: str) -> datetime.timedelta | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        td = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        td = datetime.timedelta(seconds=value)
    else:
        raise TypeError(f"{what} must be a number of seconds or a timedelta, not {type(value).__name__}")
    if td.total_seconds() < 0:
        raise ValueError(f"{what} must not be negative")
    return td


def _seconds(value: Any, what: str) -> datetime.timedelta | None:
    """``_td`` that also refuses NaN / infinite numbers with a message naming the option."""
    if isinstance(value, float) and value != value:
        raise ValueError(f"{what} must be a number of seconds, not NaN")
    try:
        return _td(value, what)
    except OverflowError:
        raise ValueError(f"{what} is too large: {value!r}") from None


def _duration(td: datetime.timedelta):
    return timeutil.duration(td.total_seconds())


# ------------------------------------------------------------ retry policy


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Temporal's retry policy. Intervals accept seconds or ``timedelta``.

    ``maximum_interval`` defaults to 100 x ``initial_interval``; ``maximum_attempts=0``
    means unlimited; ``non_retryable_error_types`` are matched against the failure type
    (the exception class name or ``ApplicationError.type``).
    """

    initial_interval: datetime.timedelta = datetime.timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: datetime.timedelta | None = None
    maximum_attempts: int = 0
    non_retryable_error_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        initial = _td(self.initial_interval, "initial_interval")
        if initial is None or initial.total_seconds() <= 0:
            raise ValueError("initial_interval must be positive")
        object.__setattr__(self, "initial_interval", initial)
        maximum = _td(self.maximum_interval, "maximum_interval")
        if maximum is not None and maximum < initial:
            raise ValueError("maximum_interval must be >= initial_interval")
        object.__setattr__(self, "maximum_interval", maximum)
        if self.backoff_coefficient < 1.0:
            raise ValueError("backoff_coefficient must be >= 1.0")
        if self.maximum_attempts < 0:
            raise ValueError("maximum_attempts must be >= 0 (0 = unlimited)")
        object.__setattr__(self, "non_retryable_error_types", tuple(self.non_retryable_error_types))

    @property
    def effective_maximum_interval(self) -> datetime.timedelta:
        return self.maximum_interval if self.maximum_interval is not None else self.initial_interval * 100

    def to_proto(self) -> common_pb2.RetryPolicy:
        return common_pb2.RetryPolicy(
            initial_interval=_duration(self.initial_interval),
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=_duration(self.effective_maximum_interval),
            maximum_attempts=self.maximum_attempts,
            non_retryable_error_types=list(self.non_retryable_error_types),
        )

    @classmethod
    def from_proto(cls, proto: common_pb2.RetryPolicy) -> "RetryPolicy":
        """Zero fields take the defaults, as the proto documents."""
        initial = timeutil.seconds(proto.initial_interval) or 1.0
        maximum = timeutil.seconds(proto.maximum_interval) or None
        return cls(
            initial_interval=datetime.timedelta(seconds=initial),
            backoff_coefficient=proto.backoff_coefficient or 2.0,
            maximum_interval=datetime.timedelta(seconds=maximum) if maximum else None,
            maximum_attempts=proto.maximum_attempts,
            non_retryable_error_types=tuple(proto.non_retryable_error_types),
        )


#: The seed's default activity retry policy (its ``retry_policy_max_attempts`` /
#: ``retry_policy_backoff_coefficient`` defaults, Temporal's for the rest): what an activity gets
#: when it sets neither ``retry_policy`` nor ``retry_policy_max_attempts`` /
#: ``..._backoff_coefficient``. ``RetryPolicy()`` itself stays Temporal's (unlimited attempts):
#: pass ``retry_policy=RetryPolicy(maximum_attempts=0)`` for an activity that must never give up.
DEFAULT_RETRY_POLICY = RetryPolicy(maximum_attempts=3, backoff_coefficient=2.0)
#: The seed's default start-to-close timeout. fanflow leaves an unset timeout unset on the
#: wire and history applies the cluster's ``default_activity_start_to_close_timeout`` (300 s).
DEFAULT_START_TO_CLOSE_TIMEOUT = datetime.timedelta(minutes=5)


# ------------------------------------------------------------- definitions


@dataclasses.dataclass(frozen=True)
class ActivityOptions:
    start_to_close_timeout: datetime.timedelta | None = None
    schedule_to_close_timeout: datetime.timedelta | None = None
    schedule_to_start_timeout: datetime.timedelta | None = None
    heartbeat_timeout: datetime.timedelta | None = None
    retry_policy: RetryPolicy | None = None
    task_queue: str | None = None
    #: The seed's ``sticky_to_worker``: stored; not acted on yet (a later change pins such
    #: activities to one worker inside a sticky worker session).
    sticky_to_worker: bool = False
    #: The seed's ``rate_limit``: stored; not enforced yet (see ``worker_sdk.rate_limit``).
    rate_limit: RateLimit | None = None

    @property
    def effective_retry_policy(self) -> RetryPolicy:
        return self.retry_policy if self.retry_policy is not None else DEFAULT_RETRY_POLICY

    def apply_to(self, attrs: common_pb2.ScheduleActivityTaskCommandAttributes) -> None:
        """Fill the timeouts, retry policy and task queue of a ScheduleActivityTask command.

        Unset timeouts stay unset: history applies its defaults (a start-to-close timeout
        of ``schedule_to_close`` or the cluster's default activity timeout, 300 s like the
        seed's). An unset retry policy is sent as the seed's default policy
        (``DEFAULT_RETRY_POLICY``: 3 attempts), explicitly."""
        if self.start_to_close_timeout is not None:
            attrs.start_to_close_timeout.CopyFrom(_duration(self.start_to_close_timeout))
        if self.schedule_to_close_timeout is not None:
            attrs.schedule_to_close_timeout.CopyFrom(_duration(self.schedule_to_close_timeout))
        if self.schedule_to_start_timeout is not None:
            attrs.schedule_to_start_timeout.CopyFrom(_duration(self.schedule_to_start_timeout))
        if self.heartbeat_timeout is not None:
            attrs.heartbeat_timeout.CopyFrom(_duration(self.heartbeat_timeout))
        attrs.retry_policy.CopyFrom(self.effective_retry_policy.to_proto())
        if self.task_queue:
            attrs.task_queue.name = self.task_queue


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


def _check_max_attempts(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"retry_policy_max_attempts must be an int (0 = unlimited), not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"retry_policy_max_attempts must be >= 0 (0 = unlimited), got {value}")
    return value


def _check_backoff(value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"retry_policy_backoff_coefficient must be a number, not {type(value).__name__}")
    if not value >= 1.0:  # also refuses NaN
        raise ValueError(f"retry_policy_backoff_coefficient must be >= 1.0, got {value}")
    return float(value)


def _retry_policy(
    retry_policy: Any, max_attempts: Any, backoff: Any, base: RetryPolicy | None = None
) -> RetryPolicy | None:
    """The policy from fanflow's ``retry_policy=`` or the seed's two numbers (over ``base``,
    default the seed's default policy); ``None`` when none of them is given."""
    max_attempts, backoff = _check_max_attempts(max_attempts), _check_backoff(backoff)
    if retry_policy is not None:
        if not isinstance(retry_policy, RetryPolicy):
            raise TypeError(f"retry_policy must be a worker_sdk.RetryPolicy, not {type(retry_policy).__name__}")
        given = [n for n, v in (("retry_policy_max_attempts", max_attempts), ("retry_policy_backoff_coefficient", backoff)) if v is not None]
        if given:
            raise TypeError(f"give either retry_policy or {' / '.join(given)}, not both: retry_policy already sets them")
        return retry_policy
    if max_attempts is None and backoff is None:
        return None
    base = base or DEFAULT_RETRY_POLICY
    return dataclasses.replace(
        base,
        maximum_attempts=base.maximum_attempts if max_attempts is None else max_attempts,
        backoff_coefficient=base.backoff_coefficient if backoff is None else backoff,
    )


def _options(base: ActivityOptions | None = None, **given: Any) -> ActivityOptions:
    """Check the ``given`` options (naming the bad one) and build the options: over ``base``
    (``with_options``: only the given ones change), else over the defaults."""
    task_queue = given.get("task_queue")
    if task_queue is not None and (not isinstance(task_queue, str) or not task_queue.strip()):
        raise TypeError(f"task_queue must be a non-empty string, not {task_queue!r}")
    if "sticky_to_worker" in given and not isinstance(given["sticky_to_worker"], bool):
        raise TypeError(f"sticky_to_worker must be True or False, not {given['sticky_to_worker']!r}")
    rate_limit = given.get("rate_limit")
    if rate_limit is not None and not isinstance(rate_limit, RateLimit):
        raise TypeError(
            "rate_limit must be a workflows.RateLimit(time_window_in_sec=..., max_execution=...), "
            f"not {type(rate_limit).__name__}"
        )
    fields: dict[str, Any] = {}
    for key in ("start_to_close_timeout", "schedule_to_close_timeout", "schedule_to_start_timeout", "heartbeat_timeout"):
        if key in given:
            fields[key] = _seconds(given[key], key)
    for key in ("task_queue", "sticky_to_worker", "rate_limit"):
        if key in given:
            fields[key] = given[key]
    retry_keys = ("retry_policy", "retry_policy_max_attempts", "retry_policy_backoff_coefficient")
    if any(given.get(k) is not None for k in retry_keys):
        fields["retry_policy"] = _retry_policy(
            given.get("retry_policy"),
            given.get("retry_policy_max_attempts"),
            given.get("retry_policy_backoff_coefficient"),
            None if "retry_policy" in given or base is None else base.retry_policy,
        )
    if base is None:
        return ActivityOptions(**fields)
    return dataclasses.replace(base, **fields)


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
    * ``sticky_to_worker`` and ``rate_limit=RateLimit(time_window_in_sec=..., max_execution=...,
      key=None)``: checked and stored on the definition (``options.sticky_to_worker`` /
      ``options.rate_limit``); not acted on yet (a later change makes them real).
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
    options = _options(
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
            call_defn = dataclasses.replace(defn, options=_options(base=defn.options, **overrides))

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


# ----------------------------------------------------- in-activity context


@dataclasses.dataclass(frozen=True)
class ActivityInfo:
    """What a running activity knows about itself (``activity.info()``)."""

    activity_id: str = ""
    activity_type: str = ""
    attempt: int = 1
    workflow_id: str = ""
    workflow_run_id: str = ""
    workflow_type: str = ""
    task_queue: str = ""
    namespace: str = ""
    #: Details recorded by ``heartbeat()`` in an earlier attempt (decoded JSON), else ``None``.
    heartbeat_details: Any = None
    scheduled_time: datetime.datetime | None = None
    started_time: datetime.datetime | None = None
    start_to_close_timeout: datetime.timedelta | None = None
    heartbeat_timeout: datetime.timedelta | None = None
    schedule_to_close_timeout: datetime.timedelta | None = None
    task_token: bytes = b""

    @classmethod
    def from_poll_response(cls, resp: Any, *, namespace: str = "") -> "ActivityInfo":
        """Build from a ``workflow_service_pb2.PollActivityTaskQueueResponse``."""

        def ts(field: str) -> datetime.datetime | None:
            if not resp.HasField(field):
                return None
            return datetime.datetime.fromtimestamp(timeutil.ts_to_seconds(getattr(resp, field)), datetime.timezone.utc)

        def dur(field: str) -> datetime.timedelta | None:
            if not resp.HasField(field):
                return None
            return datetime.timedelta(seconds=timeutil.seconds(getattr(resp, field)))

        details = None
        if resp.HasField("heartbeat_details") and resp.heartbeat_details.data:
            details = converter.from_payload(resp.heartbeat_details)
        return cls(
            activity_id=resp.activity_id,
            activity_type=resp.activity_type.name,
            attempt=resp.attempt or 1,
            workflow_id=resp.workflow_execution.workflow_id,
            workflow_run_id=resp.workflow_execution.run_id,
            workflow_type=resp.workflow_type.name,
            task_queue=resp.task_queue.name,
            namespace=namespace,
            heartbeat_details=details,
            scheduled_time=ts("scheduled_time"),
            started_time=ts("started_time"),
            start_to_close_timeout=dur("start_to_close_timeout"),
            heartbeat_timeout=dur("heartbeat_timeout"),
            schedule_to_close_timeout=dur("schedule_to_close_timeout"),
            task_token=resp.task_token,
        )


@dataclasses.dataclass
class ActivityContext:
    """Set by the worker while it runs one activity attempt.

    ``heartbeat`` is called (synchronously, from the activity's thread / task) with the
    details passed to ``activity.heartbeat(...)``; the worker encodes them
    (``converter.to_payload``) and sends RecordActivityTaskHeartbeat (throttled, async).
    ``cancel_requested`` may be set by the worker when a heartbeat response says so.

        ctx = ActivityContext(info=ActivityInfo.from_poll_response(resp), heartbeat=cb)
        with ctx.activate():
            result = await defn.fn(*args, **kwargs)
    """

    info: ActivityInfo
    heartbeat: Callable[[Any], None] | None = None
    cancel_requested: bool = False
    #: The worker's ``Client`` (set by the worker; the executors' internal activities use it
    #: to store and read item results beside history). ``None`` outside a worker.
    client: Any = None
    #: The worker's ``Depends`` values (entered once per worker). ``None`` outside a worker.
    dependencies: DependencyScope | None = None

    @contextlib.contextmanager
    def activate(self) -> Iterator["ActivityContext"]:
        token = _CONTEXT.set(self)
        try:
            yield self
        finally:
            _CONTEXT.reset(token)

    @staticmethod
    def current() -> "ActivityContext | None":
        return _CONTEXT.get()


_CONTEXT: contextvars.ContextVar[ActivityContext | None] = contextvars.ContextVar("fanflow_activity_context", default=None)
_NO_INFO = ActivityInfo()


def in_activity() -> bool:
    return _CONTEXT.get() is not None


def info() -> ActivityInfo:
    """The running activity's info; a blank ``ActivityInfo`` (attempt 1) outside a worker."""
    ctx = _CONTEXT.get()
    return ctx.info if ctx is not None else _NO_INFO


def heartbeat(details: Any = None) -> None:
    """Record progress; ``details`` (JSON-able) is given back to the next attempt as
    ``info().heartbeat_details``. A no-op outside a worker-run activity. The reply also
    tells the worker when the workflow asked to cancel this activity: an ``async``
    activity is then cancelled (``asyncio.CancelledError`` at its current ``await``), a
    sync one sees ``is_cancel_requested()`` become true."""
    ctx = _CONTEXT.get()
    if ctx is not None and ctx.heartbeat is not None:
        ctx.heartbeat(details)


def activity_heartbeat(*details: Any) -> None:
    """The seed's heartbeat: ``workflows.activity_heartbeat(done, total)``. Same as
    ``heartbeat(...)`` with the details as one value: a single detail as itself, several as a
    list, none as ``None`` (what the next attempt sees in ``info().heartbeat_details``)."""
    heartbeat(details[0] if len(details) == 1 else list(details) if details else None)


def is_cancel_requested() -> bool:
    """True once a heartbeat's reply said the workflow asked to cancel this activity."""
    ctx = _CONTEXT.get()
    return bool(ctx is not None and ctx.cancel_requested)


# ---------------------------------------------------------- local activities

_RUN_LOCALLY: contextvars.ContextVar[bool] = contextvars.ContextVar("fanflow_run_activities_locally", default=False)


@contextlib.contextmanager
def run_activities_locally() -> Iterator[None]:
    """In workflow code: activities scheduled inside this block run on the workflow's own
    worker when it can take them (the seed's local activities).

        with workflows.run_activities_locally():
            ok = await validate_email(email)

    What it does in fanflow: each such activity is scheduled (an ActivityTaskScheduled event, as
    any activity) on the workflow's task queue, whatever ``task_queue`` option it has, and the
    worker completing the workflow task asks history to start it *eagerly* for itself (even if
    the worker was built with ``disable_eager_activity_execution=True``), ahead of the task's
    other activities: history records it started by that worker in the same transaction and
    hands it back in the reply, so it never goes through matching. That needs the activity to
    be registered on that worker, a free activity slot there, and the worker's
    ``max_activities_per_second`` to allow it; otherwise the activity goes through matching on
    the workflow's task queue to any worker polling it. Retries after a failed or timed-out
    attempt also go through matching (history schedules them). Unlike the seed's (Temporal's)
    local activities, they keep the durability of normal activities (events in history,
    heartbeats and ``heartbeat_timeout`` work, ``rate_limit`` would apply) and a slow one does
    not block workflow tasks (it runs in the worker's activity slots).

    Outside workflow code it changes nothing (activities called there run in place anyway)."""
    token = _RUN_LOCALLY.set(True)
    try:
        yield
    finally:
        try:
            _RUN_LOCALLY.reset(token)
        except ValueError:
            pass  # closed from another context: an evicted run's coroutine being dropped


def runs_locally() -> bool:
    """True inside ``run_activities_locally()`` (read by the workflow runtime when it
    schedules an activity)."""
    return _RUN_LOCALLY.get()


# Make the module callable: ``worker_sdk.activity(...)`` is the decorator, while
# ``worker_sdk.activity.heartbeat`` & co. stay reachable, and ``import worker_sdk.activity``
# keeps giving this module.
class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return activity(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
