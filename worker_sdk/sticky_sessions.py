"""Sticky worker sessions: the seed's ``StickyWorkerSession``, ``get_sticky_worker_session()`` and
``run_sticky_worker_session()``. Activities declared ``@workflows.activity(sticky_to_worker=True)``
that a workflow calls inside one session all run on the same worker (a model loaded once, a
warm cache, files on its disk)::

    async with workflows.run_sticky_worker_session():   # opens a session on some worker
        await load_model()
        results = [await predict(item) for item in batch]

How it works

* A worker that has sticky activities polls two more activity queues: the shared
  ``<task queue>/sticky-sessions``, where sessions are handed out, and its own
  ``<task queue>/sticky-session/<worker identity>`` (kind STICKY, one partition, polled by this
  worker alone, like its sticky workflow queue).
* ``await get_sticky_worker_session()`` in a workflow runs the internal activity
  ``get_sticky_worker_session`` on the shared queue; the worker that takes it answers with its
  own queue, ``StickyWorkerSession(task_queue=...)``. It is an ordinary activity in history, so a
  replay gets the same session; with no worker with sticky activities running it waits for one,
  as any activity waits for a worker. Outside a workflow it returns ``task_queue="local"`` (the
  seed's).
* Inside ``async with run_sticky_worker_session(session):`` (no session given: one is opened
  with ``get_sticky_worker_session()``) a sticky activity is scheduled on the session's queue.
  Sessions nest (the inner one wins) and can be reused: keep the ``StickyWorkerSession``.
  Outside a session, calling a sticky activity in a workflow raises the seed's
  ``WorkflowsException`` (code ``STICKY_WORKER_SESSION_MISSING``) naming the activity.
* **When the session's worker is gone** the workflow gets ``StickyWorkerSessionLostError`` (an
  ``ActivityError``) where it awaits the session's next activity, at most
  ``schedule_to_start_timeout`` after that activity was scheduled: 30 s
  (``SESSION_SCHEDULE_TO_START_TIMEOUT``) unless the activity sets its own
  (``@activity(sticky_to_worker=True, schedule_to_start_timeout=...)`` or ``with_options``).
  An activity that was *running* when the worker died first times out as any other
  (start-to-close or heartbeat timeout), then its retry waits on the session queue and ends the
  same way. Catch it and open a new session: it is bound to a live worker. Matching drops the
  dead worker's queued tasks once they expire (they carry that deadline), so its session queue
  keeps no rows.
* A worker still alive but with every activity slot busy for that long gets the same error: set a
  longer ``schedule_to_start_timeout`` for sessions that queue up long work on one worker.
* An activity both ``sticky_to_worker`` and ``rate_limit``-ed runs in its session on the
  session's worker; the rate limit does not apply there (as in the seed).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime
from typing import TYPE_CHECKING, Any, AsyncIterator

import structlog
from pydantic import BaseModel

from fanflow import timeutil
from protos import common_pb2

from . import converter
from ._loop import current_instance
from .exceptions import ErrorCode, StickyWorkerSessionLostError, WorkflowsException

if TYPE_CHECKING:  # pragma: no cover
    from .activity import ActivityDefinition
    from .worker import Worker

log = structlog.get_logger("fanflow.sdk.sticky_sessions")

__all__ = [
    "StickyWorkerSession",
    "get_sticky_worker_session",
    "run_sticky_worker_session",
    "SESSION_SCHEDULE_TO_START_TIMEOUT",
    "GET_STICKY_WORKER_SESSION_ACTIVITY",
]

#: The internal activity that hands out sessions (the seed's name).
GET_STICKY_WORKER_SESSION_ACTIVITY = "get_sticky_worker_session"
#: How long a session's activity waits for the session's worker to take it, unless the activity
#: sets ``schedule_to_start_timeout``: past it the workflow gets ``StickyWorkerSessionLostError``.
SESSION_SCHEDULE_TO_START_TIMEOUT = datetime.timedelta(seconds=30)
#: What ``get_sticky_worker_session()`` returns outside a workflow (the seed's).
LOCAL_SESSION_QUEUE = "local"
STICKY = common_pb2.TASK_QUEUE_KIND_STICKY


class StickyWorkerSession(BaseModel):
    """A session bound to one worker: ``task_queue`` is a queue only that worker polls."""

    task_queue: str


_current_session: contextvars.ContextVar[StickyWorkerSession | None] = contextvars.ContextVar("fanflow_sticky_worker_session", default=None)


# ------------------------------------------------------------------ queue names


def offer_queue(task_queue: str) -> str:
    """The shared queue where the workers of ``task_queue`` with sticky activities hand out sessions."""
    return f"{task_queue}/sticky-sessions"


def session_queue(task_queue: str, identity: str) -> str:
    """A worker's own session queue."""
    return f"{task_queue}/sticky-session/{identity}"


# ------------------------------------------------------------- in workflow code


async def _session_template() -> StickyWorkerSession:  # pragma: no cover - never run: workers bind their own
    raise RuntimeError("the worker runs its own get_sticky_worker_session")


def _definition(fn: Any) -> "ActivityDefinition":
    """The internal activity's definition, outside the registry (a worker adds its own)."""
    from .activity import ActivityDefinition
    from .activity_options import build_options

    return ActivityDefinition(
        name=GET_STICKY_WORKER_SESSION_ACTIVITY,
        fn=fn,
        signature=converter.signature_of(_session_template),
        type_hints=converter.type_hints_of(_session_template),
        options=build_options(start_to_close_timeout=10),
        is_async=True,
    )


async def get_sticky_worker_session() -> StickyWorkerSession:
    """A session bound to whichever worker (with sticky activities) takes the internal activity
    ``get_sticky_worker_session``; outside a workflow, ``StickyWorkerSession(task_queue="local")``."""
    instance = current_instance()
    if instance is None:
        return StickyWorkerSession(task_queue=LOCAL_SESSION_QUEUE)
    return await instance.execute_activity(_definition(_session_template), (), {}, task_queue=offer_queue(instance.task_queue))


@contextlib.asynccontextmanager
async def run_sticky_worker_session(sticky_worker_session: StickyWorkerSession | None = None) -> AsyncIterator[None]:
    """Run the sticky activities called inside on ``sticky_worker_session``'s worker (none given:
    a new session from ``get_sticky_worker_session()``). Nested sessions: the inner one wins."""
    if sticky_worker_session is None:
        sticky_worker_session = await get_sticky_worker_session()
    elif not isinstance(sticky_worker_session, StickyWorkerSession):
        raise TypeError(
            f"run_sticky_worker_session() takes a StickyWorkerSession (from get_sticky_worker_session()) or nothing, "
            f"not {type(sticky_worker_session).__name__}"
        )
    previous = _current_session.get()
    token = _current_session.set(sticky_worker_session)
    try:
        yield
    finally:
        try:
            _current_session.reset(token)
        except ValueError:  # left in another context than it was entered in
            _current_session.set(previous)


def current_session() -> StickyWorkerSession | None:
    return _current_session.get()


def route_activity(defn: "ActivityDefinition", attrs: common_pb2.ScheduleActivityTaskCommandAttributes) -> None:
    """Schedule a sticky activity on the current session's queue (kind STICKY), with the session's
    schedule-to-start timeout unless the activity sets one."""
    session = _current_session.get()
    if session is None:
        raise WorkflowsException(
            f"Activity {defn.name!r} is sticky to a worker (sticky_to_worker=True) but no sticky worker session is open: "
            "call it inside `async with workflows.run_sticky_worker_session(...)`",
            code=ErrorCode.STICKY_WORKER_SESSION_MISSING,
        )
    if session.task_queue == LOCAL_SESSION_QUEUE:
        raise WorkflowsException(
            f"Activity {defn.name!r}: the session {session.task_queue!r} was made outside a workflow and names no worker; "
            "get one with `await workflows.get_sticky_worker_session()` inside the workflow",
            code=ErrorCode.STICKY_WORKER_SESSION_MISSING,
        )
    attrs.task_queue.CopyFrom(common_pb2.TaskQueue(name=session.task_queue, kind=STICKY))
    if not attrs.HasField("schedule_to_start_timeout"):
        attrs.schedule_to_start_timeout.CopyFrom(timeutil.duration_from_timedelta(SESSION_SCHEDULE_TO_START_TIMEOUT))


def session_lost(error: Exception, attrs: common_pb2.ScheduleActivityTaskCommandAttributes, failure: common_pb2.Failure, timeout_type: int) -> Exception:
    """A session activity's schedule-to-start time-out as ``StickyWorkerSessionLostError``; any
    other error as it is."""
    if attrs.task_queue.kind != STICKY or timeout_type != common_pb2.TIMEOUT_TYPE_SCHEDULE_TO_START:
        return error
    waited = timeutil.seconds(attrs.schedule_to_start_timeout)
    return StickyWorkerSessionLostError(
        f"Activity {attrs.activity_type.name!r} (activity_id={attrs.activity_id}) was not started within {waited:g} s by the worker of "
        f"its sticky worker session ({attrs.task_queue.name!r}): that worker is gone (stopped or crashed) or kept all its "
        "activity slots busy that long. Open a new session (get_sticky_worker_session / run_sticky_worker_session) to go on",
        task_queue=attrs.task_queue.name,
        failure=failure,
        activity_type=getattr(error, "activity_type", attrs.activity_type.name),
        activity_id=attrs.activity_id,
        scheduled_event_id=getattr(error, "scheduled_event_id", 0),
        retry_state=getattr(error, "retry_state", 0),
        timeout_type=timeout_type,
        cause=getattr(error, "cause", None),
    )


# ---------------------------------------------------------------------- workers


class WorkerSessions:
    """A worker's side: the queues it polls for sessions and the internal activity that binds a
    session to it. Only for workers with at least one sticky activity (``for_worker``)."""

    def __init__(self, task_queue: str, identity: str) -> None:
        self.offer_queue = common_pb2.TaskQueue(name=offer_queue(task_queue), kind=common_pb2.TASK_QUEUE_KIND_NORMAL)
        self.own_queue = common_pb2.TaskQueue(name=session_queue(task_queue, identity), kind=STICKY)
        own = self.own_queue.name

        async def get_sticky_worker_session() -> StickyWorkerSession:
            return StickyWorkerSession(task_queue=own)

        self.activity = _definition(get_sticky_worker_session)

    @classmethod
    def for_worker(cls, worker: "Worker") -> "WorkerSessions | None":
        if not any(d.options.sticky_to_worker for d in worker.activities.values()):
            return None
        return cls(worker.task_queue, worker.identity)

    def queues(self) -> list[common_pb2.TaskQueue]:
        return [self.offer_queue, self.own_queue]
