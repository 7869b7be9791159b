"""What running workflow code calls: ``info``, ``now``, ``time``, ``sleep``,
``wait_condition``, ``uuid4``, ``random``, ``continue_as_new``, ``should_continue_as_new``,
``record_marker`` / ``record_event``, ``patched`` / ``deprecate_patch``, ``in_workflow``,
``is_replaying``, ``unsafe``, ``get_execution_id``, and the seed's ``execute_workflow`` (a
child workflow when called from workflow code: ``worker_sdk/child_workflows.py``).

These are reached as ``workflows.workflow.now()`` & co. (``worker_sdk.workflow`` re-exports
them). They raise ``NotInTemporalContextError`` (a ``RuntimeError``) when called outside
workflow code (``in_workflow()``, ``should_continue_as_new()``, ``get_execution_id()`` and
``execute_workflow`` excepted).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import enum
import random as _random_module
import uuid as _uuid_module
from typing import TYPE_CHECKING, Any, Callable, Iterator, NoReturn

from fanflow import timeutil

from . import converter
from ._loop import current_instance
from .exceptions import ContinueAsNewError, NotInTemporalContextError

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance

__all__ = [
    "WorkflowInfo",
    "ParentClosePolicy",
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
]


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
        raise NotInTemporalContextError(f"workflow.{what} can only be called from workflow code (inside a running workflow)")
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
    return timeutil.utc_datetime(_instance("now()").now_seconds)


def time() -> float:
    """``now()`` as POSIX seconds."""
    return _instance("time()").now_seconds


def _check_summary(summary: Any, option: str) -> None:
    if summary is not None and not isinstance(summary, str):
        raise TypeError(f"{option} must be a string, got {type(summary).__name__}")


async def sleep(duration: float | datetime.timedelta, *, summary: str | None = None) -> None:
    """A durable timer (StartTimer command, resolved by TimerFired). ``<= 0`` just yields.

    ``summary`` (the seed's timer label for UIs) is accepted; fanflow's history does not
    record timer summaries yet."""
    inst = _instance("sleep()")
    _check_summary(summary, "workflow.sleep(summary=...)")
    if isinstance(duration, datetime.timedelta):
        duration = duration.total_seconds()
    await inst.sleep(float(duration))


async def wait_condition(
    predicate: Callable[[], bool], timeout: float | datetime.timedelta | None = None, timeout_summary: str | None = None
) -> None:
    """Wait until ``predicate()`` is true (checked whenever the workflow is idle within a
    workflow task, e.g. after a signal handler ran). With ``timeout`` (seconds or a
    ``timedelta``), a durable timer bounds the wait and ``asyncio.TimeoutError`` is raised
    when it fires first. ``timeout_summary`` (the timer's label) is accepted, not recorded."""
    inst = _instance("wait_condition()")
    if not callable(predicate):
        raise TypeError(f"workflow.wait_condition needs a callable predicate, got {predicate!r}")
    _check_summary(timeout_summary, "workflow.wait_condition(timeout_summary=...)")
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    await inst.wait_condition(predicate, timeout)


def uuid4() -> _uuid_module.UUID:
    """A deterministic random UUID (same on every replay)."""
    return _instance("uuid4()").uuid4()


def random() -> _random_module.Random:
    """The workflow's deterministic ``random.Random`` (seeded from the run id), as in
    Temporal: ``workflow.random().randint(1, 6)``."""
    return _instance("random()").random


def continue_as_new(*args: Any, **kwargs: Any) -> NoReturn:
    """End this run and start a new one of the same workflow.

    The seed's form ``continue_as_new(params)`` (one pydantic model or dict) follows the same
    rule as ``execute_workflow(params=...)``: a single-model entrypoint gets it whole, other
    entrypoints get its fields by parameter name. fanflow's form ``continue_as_new(*args,
    **kwargs)`` calls ``run(*args, **kwargs)`` (a single positional value that fits the first
    parameter is that parameter, as before).

    Raises an internal ``ContinueAsNewError`` (a ``BaseException``): call it from the
    entrypoint's flow (not from a detached task) and do not swallow it."""
    inst = _instance("continue_as_new()")
    defn = inst.definition
    if len(args) == 1 and not kwargs:
        payload = defn.encode_params(args[0])
    else:
        payload = converter.encode_args(defn.signature, args, kwargs)
    raise ContinueAsNewError(payload, workflow_type=defn.name, task_queue=inst.task_queue)


def should_continue_as_new() -> bool:
    """True when history suggests continuing as new (the run's history grew large: 4,096
    events or 4 MiB by default). ``False`` outside workflow code."""
    inst = current_instance()
    return bool(inst is not None and inst.info().is_continue_as_new_suggested())


class ParentClosePolicy(enum.IntEnum):
    """What happens to a child workflow still open when its parent run closes (Temporal's
    values, ``common.ParentClosePolicy`` on the wire): TERMINATE it, ABANDON it (it runs on),
    or REQUEST_CANCEL (its code sees ``asyncio.CancelledError``). ``execute_workflow`` in
    workflow code defaults to TERMINATE with ``wait=True`` and ABANDON with ``wait=False``."""

    UNSPECIFIED = 0
    TERMINATE = 1
    ABANDON = 2
    REQUEST_CANCEL = 3


async def execute_workflow(
    workflow: Any,
    params: Any = None,
    execution_timeout: datetime.timedelta | float | None = None,
    execution_id: str | None = None,
    wait: bool = True,
    parent_close_policy: Any = None,
    **options: Any,
) -> Any:
    """The seed's ``workflow.execute_workflow``: the same call as ``workflows.execute_workflow``
    (see there). Called from workflow code it starts a child workflow
    (``worker_sdk/child_workflows.py``): its result with ``wait=True``, a
    ``ChildWorkflowHandle`` once it started with ``wait=False``."""
    from .embedded import execute_workflow as run

    return await run(workflow, params, execution_timeout, execution_id, wait, parent_close_policy, **options)


def record_marker(name: str, details: Any = None) -> None:
    """Record a marker event (RecordMarker command) with JSON-able ``details``."""
    _instance("record_marker()").record_marker(name, details)


def record_event(name: str, details: Any = None) -> None:
    """Record a custom event, durable with the workflow's history and readable
    with the progress API (`Client.progress`, `fanflow workflow progress ID`)."""
    if not isinstance(name, str) or not name:
        raise ValueError("record_event needs a non-empty name")
    _instance("record_event()").record_marker("fanflow.event", {"name": name, "details": details})


def patched(patch_id: str) -> bool:
    """Temporal's ``workflow.patched``: True where this run takes the code added under
    ``patch_id``, False where it was recorded before the change. A new run records a marker
    and gets True; a replay gets True if history has that marker there, else False (and
    keeps that answer for the rest of the run). Put the new code under the ``if``, the old
    one under ``else`` (details: ``worker_sdk.patching``)."""
    from .patching import check_patch_id

    check_patch_id(patch_id, "patched")
    return _instance("patched()").patch(patch_id, deprecated=False)


def deprecate_patch(patch_id: str) -> None:
    """Temporal's ``workflow.deprecate_patch``: the step after ``patched(patch_id)`` once no
    run can still need the old branch. Records the same marker (marked deprecated) in new
    runs, never branches; runs recorded with ``patched(patch_id)`` replay against it, and once
    the runs recorded before that are gone too the call itself can be removed (markers it
    recorded are then skipped on replay)."""
    from .patching import check_patch_id

    check_patch_id(patch_id, "deprecate_patch")
    _instance("deprecate_patch()").patch(patch_id, deprecated=True)


class unsafe:
    """The seed's escape hatches around its import sandbox. fanflow runs workflow code
    without an import sandbox (its determinism comes from the private event loop and replay
    checks), so both are plain context managers that change nothing."""

    @staticmethod
    @contextlib.contextmanager
    def imports_passed_through() -> Iterator[None]:
        """In the seed: import modules inside it from outside the sandbox. In fanflow every
        import is already the normal one: this does nothing."""
        yield None

    @staticmethod
    @contextlib.contextmanager
    def skip_determinism_enforcement() -> Iterator[None]:
        """In the seed: lift the sandbox's restrictions inside it. fanflow has no sandbox to
        lift: this does nothing. Code inside still runs on the workflow's event loop (no
        ``asyncio.sleep``/I/O on it) and must still replay the same commands."""
        yield None


def get_execution_id() -> str | None:
    """The workflow id of the running workflow (the seed's execution id); ``None`` outside
    workflow code."""
    inst = current_instance()
    return None if inst is None else inst.workflow_id
