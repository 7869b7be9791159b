"""What a running activity sees: ``ActivityInfo`` and ``ActivityContext`` (set by the worker
for each attempt), the in-activity hooks ``info()``, ``heartbeat()`` (and the seed's
``activity_heartbeat(*details)``), ``is_cancel_requested()``, ``in_activity()``, and
``run_activities_locally()`` for workflow code.

These are reached as ``workflows.activity.info()`` & co. (``worker_sdk.activity`` re-exports
them).
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
from typing import Any, Callable, Iterator

from fanflow import timeutil

from . import converter
from .dependencies import DependencyScope

__all__ = [
    "ActivityInfo",
    "ActivityContext",
    "in_activity",
    "info",
    "heartbeat",
    "activity_heartbeat",
    "is_cancel_requested",
    "run_activities_locally",
    "runs_locally",
]


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
            return timeutil.ts_to_datetime(getattr(resp, field))

        def dur(field: str) -> datetime.timedelta | None:
            if not resp.HasField(field):
                return None
            return timeutil.duration_to_timedelta(getattr(resp, field))

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
