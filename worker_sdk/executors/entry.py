"""``execute_activities_in_parallel``: checks the call, picks the pattern (List, Chain or
Offset) and, inside a workflow, ends the call's bookkeeping in the run however it ends."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Awaitable, Callable, Dict, List, TypeVar

from .. import activity as activity_module
from .._executor_host import current_host
from ..activity import ActivityDefinition
from .chain_executor import run_chain
from .list_executor import run_list
from .offset_executor import GetItemFromIndexParams, run_offset

__all__ = [
    "execute_activities_in_parallel",
    "DEFAULT_MAX_CONCURRENT_SCHEDULED_TASKS",
    "DEFAULT_MAX_CONCURRENT_EXECUTIONS_PER_WORKER",
]

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_MAX_CONCURRENT_SCHEDULED_TASKS = 100
DEFAULT_MAX_CONCURRENT_EXECUTIONS_PER_WORKER = 100

_PATTERN_ERROR = "Must specify one execution pattern: items, get_item_from_prev_item_activity, or get_item_from_index_activity"


async def execute_activities_in_parallel(
    activity: Callable[[T], Awaitable[U]],
    *,
    # List Executor
    items: List[T] | None = None,
    max_concurrent_scheduled_tasks: int = DEFAULT_MAX_CONCURRENT_SCHEDULED_TASKS,
    # Chain Executor
    get_item_from_prev_item_activity: Callable[[T | None], Awaitable[T | None]] | None = None,
    # Offset Pagination Executor
    get_item_from_index_activity: Callable[[GetItemFromIndexParams], Awaitable[T]] | None = None,
    n_items: int | None = None,
    max_concurrent_executions_per_worker: int = DEFAULT_MAX_CONCURRENT_EXECUTIONS_PER_WORKER,
    # Common
    extra_params: Dict[str, Any] | None = None,
) -> None | List[U]:
    """Run ``activity`` over many items (see ``worker_sdk.executors``); results in item order,
    ``None`` when the activity returns ``None``. Raises ``ValueError`` for an undecorated
    activity, not exactly one pattern, bad numbers, or an item that does not fit the
    activity's parameters (naming the item's index and the expected type)."""
    defn = _activity_param(activity, "activity")
    patterns = [p for p in (items, get_item_from_prev_item_activity, get_item_from_index_activity) if p is not None]
    if len(patterns) != 1:
        raise ValueError(_PATTERN_ERROR)
    host = current_host()
    if host is None:
        return await _dispatch(defn, items, get_item_from_prev_item_activity, get_item_from_index_activity, n_items,
                               max_concurrent_scheduled_tasks, max_concurrent_executions_per_worker, extra_params)
    number = host.next_number
    try:
        return await _dispatch(defn, items, get_item_from_prev_item_activity, get_item_from_index_activity, n_items,
                               max_concurrent_scheduled_tasks, max_concurrent_executions_per_worker, extra_params)
    finally:
        # a call that failed (or was dropped) no longer counts as draining-to-be-awaited
        host.end(number)


async def _dispatch(
    defn: ActivityDefinition,
    items: Any,
    get_item_from_prev_item_activity: Any,
    get_item_from_index_activity: Any,
    n_items: Any,
    max_concurrent_scheduled_tasks: Any,
    max_concurrent_executions_per_worker: Any,
    extra_params: Any,
) -> None | list:
    cap = _positive_int(max_concurrent_scheduled_tasks, "max_concurrent_scheduled_tasks", 1)
    group_size = _positive_int(max_concurrent_executions_per_worker, "max_concurrent_executions_per_worker", 1)
    if extra_params is not None and not isinstance(extra_params, Mapping):
        raise ValueError(f"'extra_params' must be a dict, got {type(extra_params).__name__}")
    extra = dict(extra_params) if extra_params is not None else None

    if items is not None:
        if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
            raise ValueError(f"'items' must be a list, got {type(items).__name__}")
        return await run_list(defn, list(items), cap, extra)
    if get_item_from_prev_item_activity is not None:
        fetch = _activity_param(get_item_from_prev_item_activity, "get_item_from_prev_item_activity")
        return await run_chain(defn, fetch, extra)
    fetch = _activity_param(get_item_from_index_activity, "get_item_from_index_activity")
    if n_items is None:
        raise ValueError("'n_items' is required with get_item_from_index_activity (the total number of items)")
    n = _positive_int(n_items, "n_items", 0)
    return await run_offset(defn, fetch, n, group_size, cap, extra)


def _activity_param(value: Any, name: str) -> ActivityDefinition:
    message = f"'{name}' must be an activity, please decorate it with @workflows.activity"
    if isinstance(value, ActivityDefinition):
        return value
    if value is None or isinstance(value, str) or not callable(value):
        raise ValueError(message)
    try:
        return activity_module.get_definition(value)
    except ValueError:
        raise ValueError(message) from None


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{name}' must be an integer, got {value!r}")
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise ValueError(f"'{name}' must be {kind}, got {value}")
    return value
