"""Activity options: ``RetryPolicy``, ``ActivityOptions`` (timeouts, retry policy, task
queue, the seed's ``sticky_to_worker`` / ``rate_limit``) and their defaults, and
``build_options``, which checks options as ``@activity(...)`` / ``with_options(...)`` get
them (a bad one raises ``TypeError`` / ``ValueError`` naming it) and builds them.

Durations are seconds or ``timedelta``; on the wire they are protobuf Durations
(``fanflow.timeutil``).
"""
from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from fanflow import timeutil
from protos import common_pb2

from .rate_limit import RateLimit

__all__ = [
    "Seconds",
    "RetryPolicy",
    "ActivityOptions",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_START_TO_CLOSE_TIMEOUT",
    "build_options",
]

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
            initial_interval=timeutil.duration_from_timedelta(self.initial_interval),
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=timeutil.duration_from_timedelta(self.effective_maximum_interval),
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


# ---------------------------------------------------------------- options


@dataclasses.dataclass(frozen=True)
class ActivityOptions:
    start_to_close_timeout: datetime.timedelta | None = None
    schedule_to_close_timeout: datetime.timedelta | None = None
    schedule_to_start_timeout: datetime.timedelta | None = None
    heartbeat_timeout: datetime.timedelta | None = None
    retry_policy: RetryPolicy | None = None
    task_queue: str | None = None
    #: The seed's ``sticky_to_worker``: runs on the worker of the current sticky worker session
    #: (``worker_sdk.sticky_sessions``).
    sticky_to_worker: bool = False
    #: The seed's ``rate_limit``: at most so many starts per window across the cluster, metered
    #: by matching (``worker_sdk.rate_limits``).
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
            attrs.start_to_close_timeout.CopyFrom(timeutil.duration_from_timedelta(self.start_to_close_timeout))
        if self.schedule_to_close_timeout is not None:
            attrs.schedule_to_close_timeout.CopyFrom(timeutil.duration_from_timedelta(self.schedule_to_close_timeout))
        if self.schedule_to_start_timeout is not None:
            attrs.schedule_to_start_timeout.CopyFrom(timeutil.duration_from_timedelta(self.schedule_to_start_timeout))
        if self.heartbeat_timeout is not None:
            attrs.heartbeat_timeout.CopyFrom(timeutil.duration_from_timedelta(self.heartbeat_timeout))
        attrs.retry_policy.CopyFrom(self.effective_retry_policy.to_proto())
        if self.task_queue:
            attrs.task_queue.name = self.task_queue


# ------------------------------------------------------- checking options


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


def build_options(base: ActivityOptions | None = None, **given: Any) -> ActivityOptions:
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
