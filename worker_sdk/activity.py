"""Activities: the ``@workflows.activity()`` decorator, options, retry policy, registry,
and the in-activity hooks ``info()`` / ``heartbeat()``.

This module is itself callable: ``worker_sdk.activity(...)`` is the decorator (so
``import worker_sdk as workflows; @workflows.activity()`` works) and
``workflows.activity.heartbeat(...)`` / ``workflows.activity.info()`` are the hooks.

Calling a decorated activity

* inside a workflow (the running loop is a workflow loop) schedules it: a
  ScheduleActivityTask command is produced and the call awaits the result, decoded with the
  function's return type hint (or raises ``ActivityError``);
* anywhere else simply runs the function (awaited if it is a coroutine function).

The worker runs the real function: ``get_activity(name).fn`` with
``converter.decode_args(defn.fn, input)``, inside ``ActivityContext(...).activate()``.
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
from typing import Any, Callable, Iterator, TypeVar, overload

from fanflow import timeutil
from protos import common_pb2

from . import converter
from ._loop import current_instance
from .exceptions import UnknownActivityTypeError

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
    "in_activity",
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


# ------------------------------------------------------------- definitions


@dataclasses.dataclass(frozen=True)
class ActivityOptions:
    start_to_close_timeout: datetime.timedelta | None = None
    schedule_to_close_timeout: datetime.timedelta | None = None
    schedule_to_start_timeout: datetime.timedelta | None = None
    heartbeat_timeout: datetime.timedelta | None = None
    retry_policy: RetryPolicy | None = None
    task_queue: str | None = None

    def apply_to(self, attrs: common_pb2.ScheduleActivityTaskCommandAttributes) -> None:
        """Fill the timeouts, retry policy and task queue of a ScheduleActivityTask command.

        Unset timeouts stay unset: history applies its defaults (a start-to-close timeout
        of ``schedule_to_close`` or the cluster's default activity timeout). An unset retry
        policy is sent as Temporal's default policy, explicitly."""
        if self.start_to_close_timeout is not None:
            attrs.start_to_close_timeout.CopyFrom(_duration(self.start_to_close_timeout))
        if self.schedule_to_close_timeout is not None:
            attrs.schedule_to_close_timeout.CopyFrom(_duration(self.schedule_to_close_timeout))
        if self.schedule_to_start_timeout is not None:
            attrs.schedule_to_start_timeout.CopyFrom(_duration(self.schedule_to_start_timeout))
        if self.heartbeat_timeout is not None:
            attrs.heartbeat_timeout.CopyFrom(_duration(self.heartbeat_timeout))
        attrs.retry_policy.CopyFrom((self.retry_policy or RetryPolicy()).to_proto())
        if self.task_queue:
            attrs.task_queue.name = self.task_queue


@dataclasses.dataclass(frozen=True)
class ActivityDefinition:
    """What ``@activity()`` registers. ``fn`` is the user's function (run it in the worker
    with ``converter.decode_args(defn.fn, payload)``); ``return_type`` decodes results."""

    name: str
    fn: Callable[..., Any]
    signature: inspect.Signature
    type_hints: dict[str, Any]
    options: ActivityOptions
    is_async: bool

    @property
    def return_type(self) -> Any:
        return self.type_hints.get("return", Any)

    def encode_input(self, *args: Any, **kwargs: Any) -> common_pb2.Payload:
        return converter.encode_args(self.signature, args, kwargs)

    def decode_input(self, payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
        return converter.decode_args(self.fn, payload)

    def decode_result(self, payload: common_pb2.Payload | None) -> Any:
        return converter.from_payload(payload, self.return_type)


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


@overload
def activity(fn: F, /) -> F: ...
@overload
def activity(
    name: str | None = None,
    *,
    start_to_close_timeout: Seconds | None = None,
    schedule_to_close_timeout: Seconds | None = None,
    schedule_to_start_timeout: Seconds | None = None,
    heartbeat_timeout: Seconds | None = None,
    retry_policy: RetryPolicy | None = None,
    task_queue: str | None = None,
) -> Callable[[F], F]: ...


def activity(
    name: Any = None,
    *,
    start_to_close_timeout: Seconds | None = None,
    schedule_to_close_timeout: Seconds | None = None,
    schedule_to_start_timeout: Seconds | None = None,
    heartbeat_timeout: Seconds | None = None,
    retry_policy: RetryPolicy | None = None,
    task_queue: str | None = None,
) -> Any:
    """Declare an activity: ``@workflows.activity()`` or ``@workflows.activity(name=..., ...)``
    (bare ``@workflows.activity`` works too). Timeouts are seconds or ``timedelta``."""
    if callable(name):  # bare @activity
        return activity()(name)
    if name is not None and not isinstance(name, str):
        raise TypeError("activity(name=...) must be a string")
    if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
        raise TypeError("retry_policy must be a worker_sdk.RetryPolicy")
    options = ActivityOptions(
        start_to_close_timeout=_td(start_to_close_timeout, "start_to_close_timeout"),
        schedule_to_close_timeout=_td(schedule_to_close_timeout, "schedule_to_close_timeout"),
        schedule_to_start_timeout=_td(schedule_to_start_timeout, "schedule_to_start_timeout"),
        heartbeat_timeout=_td(heartbeat_timeout, "heartbeat_timeout"),
        retry_policy=retry_policy,
        task_queue=task_queue,
    )

    def decorate(fn: F) -> F:
        if not callable(fn):
            raise TypeError("@activity() decorates a function")
        if hasattr(fn, "__fanflow_activity__"):
            fn = fn.__fanflow_activity__.fn  # re-decorating: wrap the original
        defn = ActivityDefinition(
            name=name or fn.__name__,
            fn=fn,
            signature=converter.signature_of(fn),
            type_hints=converter.type_hints_of(fn),
            options=options,
            is_async=inspect.iscoroutinefunction(fn),
        )

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            instance = current_instance()
            if instance is not None:
                return await instance.execute_activity(defn, args, kwargs)
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        def with_options(**overrides: Any) -> Callable[..., Any]:
            """This activity with options changed at one call site:
            ``await process_item.with_options(start_to_close_timeout=5)(item)``."""
            allowed = {f.name for f in dataclasses.fields(ActivityOptions)}
            unknown = sorted(set(overrides) - allowed)
            if unknown:
                raise TypeError(f"unknown activity option(s) {unknown}; known: {sorted(allowed)}")
            changed = {k: (_td(v, k) if k.endswith("_timeout") else v) for k, v in overrides.items()}
            if changed.get("retry_policy") is not None and not isinstance(changed["retry_policy"], RetryPolicy):
                raise TypeError("retry_policy must be a worker_sdk.RetryPolicy")
            call_defn = dataclasses.replace(defn, options=dataclasses.replace(defn.options, **changed))

            async def call(*args: Any, **kwargs: Any) -> Any:
                instance = current_instance()
                if instance is not None:
                    return await instance.execute_activity(call_defn, args, kwargs)
                return await wrapper(*args, **kwargs)

            return call

        wrapper.__fanflow_activity__ = defn  # type: ignore[attr-defined]
        wrapper.with_options = with_options  # type: ignore[attr-defined]
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


def is_cancel_requested() -> bool:
    """True once a heartbeat's reply said the workflow asked to cancel this activity."""
    ctx = _CONTEXT.get()
    return bool(ctx is not None and ctx.cancel_requested)


# Make the module callable: ``worker_sdk.activity(...)`` is the decorator, while
# ``worker_sdk.activity.heartbeat`` & co. stay reachable, and ``import worker_sdk.activity``
# keeps giving this module.
class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return activity(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
