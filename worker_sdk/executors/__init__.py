"""Concurrency patterns: ``execute_activities_in_parallel`` (the seed's "Concurrency
patterns" page) and ``GetItemFromIndexParams``.

    results = await workflows.execute_activities_in_parallel(
        activity=process_item, items=[{"item_id": 1, "value": "a"}, ...], max_concurrent_scheduled_tasks=100
    )

Three patterns, exactly one per call: **List** (``items``, ``list_executor``), **Chain**
(``get_item_from_prev_item_activity``, ``chain_executor``) and **Offset**
(``get_item_from_index_activity`` + ``n_items``, ``offset_executor``). How an item maps
onto the activity's parameters is ``shape``'s job. Called outside a workflow (plain
``asyncio``), the same code runs the functions directly, which is handy in unit tests.

Inside a workflow (DESIGN.md, "Parallel executors at scale") any item count works:
results are stored beside history and the call returns them as a lazy list paging from the
store, never recorded in history (``lazy_results``; ``results`` stores them), and the run
continues as new with a checkpoint whenever history grows large (``checkpoint``). The
executors reach the run only through its ``ExecutorHost`` (``worker_sdk._executor_host``).
Call executors from the workflow's main flow (directly or through ``asyncio.gather``), not
from a detached task: they end the run by raising ``ExecutorContinueAsNew``.

Modules: ``entry`` (the public call), ``shape``, ``window`` (the sliding window),
``list_executor``, ``chain_executor``, ``offset_executor`` (with its group activity),
``checkpoint``, ``results``, ``lazy_results``.
"""
from .checkpoint import BYTES_BUDGET, EVENT_BUDGET, EXECUTOR_MARKER, ExecutorContinueAsNew
from .lazy_results import ExecutorResults, ResultsUnavailableError
from .entry import (
    DEFAULT_MAX_CONCURRENT_EXECUTIONS_PER_WORKER,
    DEFAULT_MAX_CONCURRENT_SCHEDULED_TASKS,
    execute_activities_in_parallel,
)
from .offset_executor import OFFSET_GROUP_ACTIVITY, ExtraItemParams, GetItemFromIndexParams, bind_offset_group, offset_group
from .results import PAGE_BYTES, READ_RESULTS_ACTIVITY, read_results
from .window import ExecutorState

__all__ = [
    "execute_activities_in_parallel",
    "ExtraItemParams",
    "GetItemFromIndexParams",
    "ExecutorState",
    "ExecutorResults",
    "ResultsUnavailableError",
    "DEFAULT_MAX_CONCURRENT_SCHEDULED_TASKS",
    "DEFAULT_MAX_CONCURRENT_EXECUTIONS_PER_WORKER",
    "OFFSET_GROUP_ACTIVITY",
    "READ_RESULTS_ACTIVITY",
    "ExecutorContinueAsNew",
    "EXECUTOR_MARKER",
    "EVENT_BUDGET",
    "BYTES_BUDGET",
    "PAGE_BYTES",
    "bind_offset_group",
    "offset_group",
    "read_results",
]
