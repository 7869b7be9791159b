"""Observable tasks with streaming state: the seed's ``workflows.task`` / ``workflows.task_from``.

    async with workflows.task("export", state={"progress": 0}) as t:
        await t.update_state({"progress": 50})   # merged into a dict or a pydantic model
        await t.set_state({"progress": 100})     # replaced

A task is started when the block is entered, in progress at each state change, completed when
the block ends, failed when it raises (the exception goes on). Each change is durable before the
call returns to the code that made it, and readers see it in ``handle.progress().tasks`` (each
task at its latest state) and in ``handle.watch()`` / ``fanflow workflow watch ID`` (every change
as it happens):

- in **workflow code** a change is a ``fanflow.task`` marker (a RecordMarker command), recorded
  with the run's history when the workflow task completes, and matched like any command on
  replay (the task id comes from ``workflow.uuid4()``, the same on every replay);
- in an **activity** it is a RecordTaskState call, tied to the running attempt by its task
  token; it fails once the attempt is over;
- elsewhere (a plain call, a test) the task keeps its state locally and reports nothing.
"""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Generic, Protocol, Self, TypeVar, cast, overload

from pydantic import BaseModel, TypeAdapter

from protos import common_pb2, workflow_service_pb2 as ws

from . import activity_context
from ._runtime import current_instance

__all__ = ["StatefulTaskProtocol", "StatelessTaskProtocol", "Task", "task", "task_from"]

T = TypeVar("T")
TASK_MARKER = "fanflow.task"
_ANY: TypeAdapter[Any] = TypeAdapter(Any)
_STATUSES = {
    "started": ws.TASK_STATUS_STARTED,
    "in_progress": ws.TASK_STATUS_IN_PROGRESS,
    "completed": ws.TASK_STATUS_COMPLETED,
    "failed": ws.TASK_STATUS_FAILED,
}
_MAX_ERROR = 1024


class StatelessTaskProtocol(Protocol):
    """A task without state: lifecycle only."""

    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None: ...


class StatefulTaskProtocol(Protocol[T]):
    """A task with state: ``set_state`` and ``update_state`` report each change."""

    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def state(self) -> T: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None: ...

    async def set_state(self, state: T) -> None: ...

    async def update_state(self, updates: dict[str, Any]) -> None: ...


def _to_json(value: Any) -> Any:
    try:
        return _ANY.dump_python(value, mode="json")
    except Exception as exc:  # pydantic's serialization errors name the type
        raise TypeError(f"task state must be JSON-serializable (a dict, a pydantic model, a dataclass...): {exc}") from exc


class Task(Generic[T]):
    """The seed's ``Task``: an async context manager reporting its lifecycle and state changes."""

    def __init__(self, type: str, state: T | None = None, id: str | None = None) -> None:
        if not isinstance(type, str) or not type:
            raise ValueError(f"task type must be a non-empty string, got {type!r}")
        if id is not None and (not isinstance(id, str) or not id):
            raise ValueError(f"task id must be a non-empty string when given, got {id!r}")
        inst = current_instance()
        self._id = id if id is not None else str(inst.uuid4() if inst is not None else uuid.uuid4())
        self._type = type
        self._state = state
        self._has_state = state is not None
        self._entered = False

    @property
    def id(self) -> str:
        return self._id

    @property
    def type(self) -> str:
        return self._type

    @property
    def state(self) -> T | None:
        return self._state

    async def __aenter__(self) -> "Task[T]":
        if self._entered:
            raise RuntimeError(f"task {self._type!r} ({self._id}) was already entered; create a new task for each block")
        self._entered = True
        await self._report("started")
        return self

    async def __aexit__(self, exc_type: Any, exc_val: BaseException | None, exc_tb: Any) -> None:
        if exc_type is None:
            await self._report("completed")
        else:
            message = str(exc_val) if exc_val is not None and str(exc_val) else (exc_type.__name__ if exc_type else "error")
            await self._report("failed", error=message[:_MAX_ERROR])

    async def set_state(self, state: T) -> None:
        """Replace the state and report it (in progress)."""
        if not self._has_state:
            raise RuntimeError(f"set_state() on task {self._type!r}, which was created without state; pass state= to task()")
        _to_json(state)  # refuse an unserializable state before keeping it
        self._state = state
        await self._report("in_progress")

    async def update_state(self, updates: dict[str, Any]) -> None:
        """Merge ``updates`` into the state (a pydantic model's ``model_copy(update=...)`` or a
        dict's ``update``) and report it."""
        if not self._has_state:
            raise RuntimeError(f"update_state() on task {self._type!r}, which was created without state; pass state= to task()")
        if not isinstance(updates, dict):
            raise TypeError(f"update_state() takes a dict of the fields to change, got {type(updates).__name__}")
        current = self._state
        if isinstance(current, BaseModel):
            await self.set_state(cast(T, current.model_copy(update=updates)))
        elif isinstance(current, dict):
            merged = dict(current)
            merged.update(updates)
            await self.set_state(cast(T, merged))
        else:
            raise TypeError(f"update_state() needs a pydantic model or dict state, got {type(current).__name__}; use set_state()")

    # ---------------------------------------------------------------- reporting
    async def _report(self, status: str, error: str = "") -> None:
        state = _to_json(self._state) if self._has_state else None
        inst = current_instance()
        if inst is not None:
            inst.record_marker(TASK_MARKER, {
                "id": self._id, "type": self._type, "status": status, "has_state": self._has_state, "state": state, "error": error,
            })
            return
        ctx = activity_context.ActivityContext.current()
        if ctx is None or ctx.client is None or not ctx.info.task_token:
            return  # neither workflow code nor a worker's activity: nothing to report to
        task = ws.TaskState(id=self._id, type=self._type, status=_STATUSES[status], error=error)
        if self._has_state:
            import json

            task.state.CopyFrom(common_pb2.Payload(data=json.dumps(state).encode(), encoding="json/plain"))
        client = ctx.client
        await client.call(
            "RecordTaskState",
            ws.RecordTaskStateRequest(namespace=ctx.info.namespace or client.namespace, task_token=ctx.info.task_token, task=task),
        )


@overload
def task(type: str, *, id: str | None = None) -> StatelessTaskProtocol: ...


@overload
def task(type: str, state: T, *, id: str | None = None) -> StatefulTaskProtocol[T]: ...


def task(type: str, state: Any = None, *, id: str | None = None) -> Any:
    """A task of ``type``; with ``state``, ``set_state`` / ``update_state`` report its changes.
    ``id``: your own (default: a uuid, from ``workflow.uuid4()`` in workflow code)."""
    return Task(type=type, state=state, id=id)


def _infer_type(state: Any) -> str | None:
    """The seed's inference: a pydantic model's title or class name, a dataclass's or other
    object's class name; None for dicts and plain values."""
    if isinstance(state, BaseModel):
        return state.model_config.get("title") or type(state).__name__
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        return type(state).__name__
    if isinstance(state, (dict, str, int, float, bool, list, tuple, set, bytes)) or state is None:
        return None
    return type(state).__name__


def task_from(state: T, type: str | None = None, *, id: str | None = None) -> StatefulTaskProtocol[T]:
    """A stateful task whose type is inferred from the state (a pydantic model's title or class
    name, a dataclass's class name) unless ``type`` is given; a dict or plain value needs ``type``."""
    if type is None:
        type = _infer_type(state)
        if not type:
            raise ValueError(
                f"cannot infer the task type from a {builtins_type_name(state)} state; pass type=, e.g. task_from(state, type=\"export\")"
            )
    return cast(StatefulTaskProtocol[T], Task(type=type, state=state, id=id))


def builtins_type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__
