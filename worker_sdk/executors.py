"""Concurrency patterns: ``execute_activities_in_parallel`` (the seed's "Concurrency
patterns" page) and ``GetItemFromIndexParams``.

    results = await workflows.execute_activities_in_parallel(
        activity=process_item, items=[{"item_id": 1, "value": "a"}, ...], max_concurrent_scheduled_tasks=100
    )

Three patterns, exactly one per call:

* **List** (``items``): a sliding window over the items; at most
  ``max_concurrent_scheduled_tasks`` activity executions are pending at any moment (the next
  one is scheduled only when one finishes).
* **Chain** (``get_item_from_prev_item_activity``): the fetch activity runs sequentially
  (``None`` first, then each result, until it returns ``None``); each fetched item is
  dispatched for processing at once while fetching continues.
* **Offset** (``get_item_from_index_activity`` + ``n_items``): indices are cut into groups
  of ``max_concurrent_executions_per_worker``; each group is ONE execution of the internal
  activity ``fanflow.offset_group`` which, on the worker, calls the user's fetch and
  processing functions directly for each index of its range (concurrently) and heartbeats
  the finished indices with their results, so a retried group only runs the items not done
  yet. At most ``max_concurrent_scheduled_tasks`` groups are pending at once.

Items: for an activity with one parameter the item *is* that parameter's value; otherwise an
item is a mapping keyed by parameter name (keys the activity does not accept are ignored,
unless it takes ``**kwargs``). ``extra_params`` entries are added to an item's arguments
when the activity accepts those names (an item's own keys win). Every List item is checked
against the activity's type hints before anything is scheduled.

Called outside a workflow (plain ``asyncio``), the same code runs the functions directly,
which is handy in unit tests.

Inside a workflow (DESIGN.md, "Parallel executors at scale"):

* **Executor id** ``<first run id>/<n>`` (``n`` counts executor calls in the run's code path,
  the same in every run of a continue-as-new chain); each run records a ``fanflow.executor``
  marker ``{"executor_id", "total", "pattern"}`` (progress API).
* **Results by reference**: List / Chain items are scheduled with a ``result_sink``
  ``(executor id, item index)``: the worker sends the result in its completion and history
  stores it beside history in the same transaction (the event keeps an empty result). Offset
  groups store their items' results themselves (``PutParallelResults``) and a retried group
  skips the indexes already stored. When every item is done the executor reads the results
  back in pages (≤ 500 KB each) with the internal activity
  ``fanflow.read_results``, decoding them with the activity's return type.
* **Automatic continue-as-new**: when history suggests it (or the executors' own budget,
  ``EVENT_BUDGET`` events / ``BYTES_BUDGET`` bytes, is spent) the executor stops scheduling,
  drains what is in flight (so ``max_concurrent_scheduled_tasks`` holds across runs) and
  continues as new with the run's *original* input plus ``sdk_state``
  ``{executor id: {"cursor": k, "done": bool, ...}}``. The next run re-runs the workflow code:
  a finished executor returns its results from the store, the interrupted one resumes at its
  cursor. The signal is ``ExecutorContinueAsNew`` (a ``BaseException``). Call executors from
  the workflow's main flow (directly or through ``asyncio.gather``), not from a detached task.

All progress of one call lives in one ``ExecutorState`` (cursor, in-flight units, results).
"""
from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import datetime
import functools
import inspect
import json
from collections.abc import Mapping
from typing import Any, Awaitable, Callable, Dict, List, NoReturn, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import activity as activity_module
from . import converter
from ._loop import current_instance
from .activity import ActivityContext, ActivityDefinition, ActivityOptions
from .exceptions import ApplicationError, ContinueAsNewError
from protos import common_pb2
from protos import workflow_service_pb2 as ws

__all__ = [
    "execute_activities_in_parallel",
    "GetItemFromIndexParams",
    "ExecutorState",
    "DEFAULT_MAX_CONCURRENT_SCHEDULED_TASKS",
    "DEFAULT_MAX_CONCURRENT_EXECUTIONS_PER_WORKER",
    "OFFSET_GROUP_ACTIVITY",
    "READ_RESULTS_ACTIVITY",
    "ExecutorContinueAsNew",
]

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_MAX_CONCURRENT_SCHEDULED_TASKS = 100
DEFAULT_MAX_CONCURRENT_EXECUTIONS_PER_WORKER = 100
#: Registered name of the internal activity that runs one Offset group.
OFFSET_GROUP_ACTIVITY = "fanflow.offset_group"
#: Registered name of the internal activity that reads one page of stored results.
READ_RESULTS_ACTIVITY = "fanflow.read_results"
EXECUTOR_MARKER = "fanflow.executor"
#: The executors' own history budget per run (history's suggestion comes first at its
#: defaults; this protects the 51,200-event / 50 MiB limits when the suggestion is raised).
EVENT_BUDGET = 20_000
BYTES_BUDGET = 20 * 1024 * 1024
#: Maximum bytes of results in one page returned by ``fanflow.read_results``.
PAGE_BYTES = 500_000  # below the frontend's 512 KiB warning: our own read-back is not a "large payload"

_PATTERN_ERROR = "Must specify one execution pattern: items, get_item_from_prev_item_activity, or get_item_from_index_activity"


class GetItemFromIndexParams(BaseModel):
    """What the Offset pattern's fetch activity receives for each index."""

    idx: int
    extra_params: dict[str, Any] | None = None


# ------------------------------------------------------------------ state


@dataclasses.dataclass
class ExecutorState:
    """Everything one ``execute_activities_in_parallel`` call knows about its progress.

    ``cursor`` is the next unit to start (an item for List / Chain, a group for Offset);
    ``in_flight`` the units started and not finished; ``results`` the finished units' results
    by unit index. ``total`` is ``None`` for Chain until the fetch activity returned ``None``.
    """

    pattern: str
    total: int | None
    cursor: int = 0
    in_flight: set[int] = dataclasses.field(default_factory=set)
    results: dict[int, Any] = dataclasses.field(default_factory=dict)
    peak_in_flight: int = 0
    failed: bool = False

    def start(self) -> int:
        unit = self.cursor
        self.cursor += 1
        self.in_flight.add(unit)
        self.peak_in_flight = max(self.peak_in_flight, len(self.in_flight))
        return unit

    def finish(self, unit: int, result: Any) -> None:
        self.in_flight.discard(unit)
        self.results[unit] = result


# ------------------------------------------------- continue-as-new / run


class ExecutorContinueAsNew(ContinueAsNewError):
    """Raised by an executor to continue the workflow as new with its checkpoints
    (``sdk_state``). A ``BaseException``: user code's ``except Exception`` does not swallow it."""

    def __init__(self, input: common_pb2.Payload, *, workflow_type: str, task_queue: str, sdk_state: common_pb2.Payload):
        super().__init__(input, workflow_type=workflow_type, task_queue=task_queue)
        self.sdk_state = sdk_state


class _Run:
    """One executor call inside a workflow run: its id, its checkpoint from the previous run,
    when to stop this run, and the way out (continue as new) or the end (read results)."""

    def __init__(self, instance: Any, pattern: str, defn: ActivityDefinition) -> None:
        self.instance = instance
        n = instance.executor_seq
        instance.executor_seq += 1
        self.executor_id = f"{instance.first_execution_run_id or instance.run_id}/{n}"
        checkpoint = instance.sdk_state.get(self.executor_id)
        self.checkpoint: dict[str, Any] = checkpoint if isinstance(checkpoint, dict) else {}
        self.pattern = pattern
        self.defn = defn
        self.task_queue = defn.options.task_queue
        self.finished_in_run = 0
        # History when the run's first executor with work left began (what precedes it —
        # user code, finished executors' results read back — is redone by every run).
        if instance.executor_work_base is None and not self.checkpoint.get("done"):
            instance.executor_work_base = (instance._history_length, instance._history_size_bytes)
        self._active = True
        instance.active_executors += 1
        instance.executor_runs[n] = self

    def marker(self, total: int) -> None:
        self.instance.record_marker(EXECUTOR_MARKER, {"executor_id": self.executor_id, "total": total, "pattern": self.pattern})

    def check_total(self, total: int) -> None:
        known = self.checkpoint.get("total")
        if known is not None and known != total:
            raise ApplicationError(
                f"executor {self.executor_id} ({self.pattern}) had {known} items in the previous run and now has {total}: "
                "the items must be the same in every run of a continue-as-new chain (compute them from the workflow input)",
                type="ExecutorItemsChanged",
                non_retryable=True,
            )

    def should_stop(self) -> bool:
        """Stop scheduling in this run? When the executors' own budget is spent, or history
        suggests continue-as-new and the executors wrote at least as much history in this run
        as there was before them (a run whose suggestion comes from what every run redoes —
        e.g. results of finished executors read back — still makes real progress). At least
        one unit must have finished in this run."""
        inst = self.instance
        if inst.continue_as_new_requested:
            return True
        if self.finished_in_run < 1:
            return False
        events, size = inst._history_length, inst._history_size_bytes
        over_budget = events >= EVENT_BUDGET or size >= BYTES_BUDGET
        base_events, base_bytes = inst.executor_work_base or (0, 0)
        suggested = inst._suggest_continue_as_new and events - base_events >= base_events and size - base_bytes >= base_bytes
        if over_budget or suggested:
            inst.continue_as_new_requested = True
            return True
        return False

    def leave(self) -> None:
        if self._active:
            self._active = False
            inst = self.instance
            inst.active_executors -= 1
            idle = getattr(inst, "_executors_idle", None)
            if inst.active_executors == 0 and idle is not None:
                idle.set()

    async def continue_as_new(self, checkpoint: dict[str, Any]) -> NoReturn:
        """Checkpoint, wait until every executor of the run drained, continue as new."""
        inst = self.instance
        inst.continue_as_new_requested = True
        inst.executor_checkpoints[self.executor_id] = {**checkpoint, "pattern": self.pattern, "done": False}
        self.leave()
        if inst.active_executors > 0:
            idle = getattr(inst, "_executors_idle", None)
            if idle is None:
                idle = inst._executors_idle = asyncio.Event()
            await idle.wait()
        raise ExecutorContinueAsNew(
            inst.input_payload,
            workflow_type=inst.definition.name,
            task_queue=inst.task_queue,
            sdk_state=converter.to_payload(inst.executor_checkpoints),
        )

    async def finish(self, total: int) -> None | list:
        """All ``total`` items are done: remember it for later runs, read the results back."""
        self.instance.executor_checkpoints[self.executor_id] = {"cursor": total, "total": total, "done": True, "pattern": self.pattern}
        self.leave()
        rtype = self.defn.return_type
        if rtype is None or rtype is type(None):
            return None
        adapter = _adapter(rtype)
        values: list[Any] = []
        start = 0
        while start < total:
            page = await self.instance.execute_activity(
                _READ_RESULTS_DEFN, (), {"spec": _ReadSpec(executor_id=self.executor_id, start=start, end=total)}, task_queue=self.task_queue
            )
            got = page.get("values") or []
            values.extend(adapter.validate_python(v) for v in got)
            start = max(int(page.get("next", start)), start + len(got))
            if not got:
                raise ApplicationError(f"executor {self.executor_id}: no stored result for item {start}", type="MissingResult", non_retryable=True)
        if values and all(v is None for v in values):
            return None
        return values


def _new_run(pattern: str, defn: ActivityDefinition) -> _Run | None:
    instance = current_instance()
    return _Run(instance, pattern, defn) if instance is not None else None


class _ReadSpec(BaseModel):
    executor_id: str
    start: int
    end: int


# Unlimited attempts: reading stored results must not give up on a passing fault (the
# seed-default 3 attempts would fail a finished executor's workflow).
@activity_module.activity(name=READ_RESULTS_ACTIVITY, retry_policy=activity_module.RetryPolicy(maximum_attempts=0))
async def read_results(spec: _ReadSpec) -> dict:
    """One page of stored results ``{"next": index after the page, "values": [JSON, ...]}``,
    at most ``PAGE_BYTES`` of results (at least one)."""
    ctx = ActivityContext.current()
    client = ctx.client if ctx is not None else None
    if client is None:
        raise ApplicationError(f"{READ_RESULTS_ACTIVITY} runs on a worker (it needs the worker's client)", non_retryable=True)
    values: list[Any] = []
    size = 0
    nxt = spec.start
    while nxt < spec.end:
        resp = await client.call(
            "GetParallelResults",
            ws.GetParallelResultsRequest(
                namespace=client.namespace, workflow_id=ctx.info.workflow_id, executor_id=spec.executor_id,
                start_index=nxt, limit=min(1000, spec.end - nxt),
            ),
        )
        if not resp.results or resp.results[0].index != nxt:
            raise ApplicationError(f"executor {spec.executor_id}: no stored result for item {nxt}", type="MissingResult", non_retryable=True)
        for r in resp.results:
            if r.index != nxt or nxt >= spec.end:
                break
            data = r.payload.data or b"null"
            if values and size + len(data) > PAGE_BYTES:
                return {"next": nxt, "values": values}
            values.append(json.loads(data))
            size += len(data) + 1
            nxt += 1
    return {"next": nxt, "values": values}


_READ_RESULTS_DEFN: ActivityDefinition = read_results.__fanflow_activity__  # type: ignore[attr-defined]


class _ResultWriter:
    """Stores an Offset group's item results beside history in batches (one call in flight)."""

    def __init__(self, client: Any, workflow_id: str, executor_id: str) -> None:
        self.client, self.workflow_id, self.executor_id = client, workflow_id, executor_id
        self.pending: list[ws.IndexedPayload] = []
        self.failed = 0
        self._task: asyncio.Task | None = None

    def add(self, index: int, value: Any) -> None:
        self.pending.append(ws.IndexedPayload(index=index, payload=converter.to_payload(value)))
        self._kick()

    def add_failed(self, n: int) -> None:
        self.failed += n

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while self.pending or self.failed:
            batch, self.pending = self.pending, []
            failed, self.failed = self.failed, 0
            await self.client.call(
                "PutParallelResults",
                ws.PutParallelResultsRequest(
                    namespace=self.client.namespace, workflow_id=self.workflow_id, executor_id=self.executor_id,
                    results=batch, failed_attempts=failed,
                ),
            )

    async def close(self) -> None:
        if self._task is not None:
            await self._task
        await self._drain()


async def _stored_indexes(client: Any, workflow_id: str, executor_id: str, start: int, end: int) -> set[int]:
    resp = await client.call(
        "GetParallelResults",
        ws.GetParallelResultsRequest(namespace=client.namespace, workflow_id=workflow_id, executor_id=executor_id, start_index=start, limit=end - start),
    )
    return {r.index for r in resp.results if start <= r.index < end}


# ------------------------------------------------------------ validation


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


def _type_name(hint: Any) -> str:
    if hint is Any or hint is inspect.Parameter.empty:
        return "Any"
    if isinstance(hint, type) and not getattr(hint, "__args__", None):
        return hint.__name__
    return str(hint).replace("typing.", "")


@functools.lru_cache(maxsize=512)
def _adapter_cached(hint: Any) -> TypeAdapter:
    return TypeAdapter(hint)


def _adapter(hint: Any) -> TypeAdapter:
    if hint is inspect.Parameter.empty:
        hint = Any
    try:
        return _adapter_cached(hint)
    except TypeError:  # unhashable hint
        return TypeAdapter(hint)


@dataclasses.dataclass(frozen=True)
class _CallShape:
    """How items map onto one activity's parameters."""

    defn: ActivityDefinition
    params: tuple[inspect.Parameter, ...]  # plain (not * / **) parameters
    var_keyword: inspect.Parameter | None

    @classmethod
    def of(cls, defn: ActivityDefinition) -> "_CallShape":
        params = tuple(
            p for p in defn.signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )
        var_kw = next((p for p in defn.signature.parameters.values() if p.kind is p.VAR_KEYWORD), None)
        return cls(defn, params, var_kw)

    @property
    def single(self) -> bool:
        return len(self.params) == 1

    def hint(self, name: str) -> Any:
        return self.defn.type_hints.get(name, Any)

    def raw_kwargs(self, item: Any, extra_params: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
        """The activity's keyword arguments for ``item`` (not validated yet)."""
        names = {p.name for p in self.params}
        accepts = (lambda k: True) if self.var_keyword is not None else (lambda k: k in names)
        if self.single:
            kwargs = {self.params[0].name: item}
        elif not self.params and self.var_keyword is None:
            raise ValueError(f"{where}: activity {self.defn.name!r} takes no parameters, so it cannot process items")
        else:
            if isinstance(item, BaseModel):
                item = item.model_dump()
            if not isinstance(item, Mapping):
                expected = ", ".join(f"{p.name}: {_type_name(self.hint(p.name))}" for p in self.params)
                raise ValueError(
                    f"{where} must be a dict keyed by the parameters of activity {self.defn.name!r} "
                    f"({expected}), got {type(item).__name__}: {item!r}"
                )
            kwargs = {k: v for k, v in item.items() if isinstance(k, str) and accepts(k)}
        for key, value in (extra_params or {}).items():
            if accepts(key) and key not in kwargs:
                kwargs[key] = value
        return kwargs

    def validate(self, kwargs: dict[str, Any], where: str) -> dict[str, Any]:
        """Check ``kwargs`` against the type hints; returns the validated (converted) values."""
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name not in kwargs:
                if p.default is p.empty:
                    raise ValueError(
                        f"{where} has no value for parameter {p.name!r} of activity {self.defn.name!r} "
                        f"(expected type {_type_name(self.hint(p.name))})"
                    )
                continue
            out[p.name] = self._check(p.name, self.hint(p.name), kwargs[p.name], where)
        if self.var_keyword is not None:
            hint = self.hint(self.var_keyword.name)
            for k, v in kwargs.items():
                if k not in out and all(k != p.name for p in self.params):
                    out[k] = self._check(k, hint, v, where)
        return out

    def _check(self, name: str, hint: Any, value: Any, where: str) -> Any:
        try:
            return _adapter(hint).validate_python(value)
        except ValidationError as exc:
            first = exc.errors()[0]["msg"] if exc.errors() else str(exc)
            raise ValueError(
                f"{where} is invalid for activity {self.defn.name!r}: parameter {name!r} expects type "
                f"{_type_name(hint)}, got {value!r} ({first})"
            ) from None


# ------------------------------------------------------------ running


async def _call_directly(defn: ActivityDefinition, kwargs: dict[str, Any]) -> Any:
    """Run the activity's function here (worker side, or outside a workflow), with its
    ``Depends`` values (the worker's, or entered for this call)."""
    async with defn.injected((), kwargs) as injected:
        if defn.is_async:
            return await defn.fn(**kwargs, **injected)
        ctx = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(ctx.run, defn.fn, **kwargs, **injected))


async def _run_activity(defn: ActivityDefinition, kwargs: dict[str, Any], sink: tuple[str, int] | None = None) -> Any:
    """Inside a workflow: schedule it and await its decoded result (``None`` with a result
    sink: the result is stored beside history). Elsewhere: call it."""
    instance = current_instance()
    if instance is not None:
        return await instance.execute_activity(defn, (), kwargs, result_sink=sink)
    return await _call_directly(defn, kwargs)


def _as_result(results: dict[int, Any], n: int, defn: ActivityDefinition) -> None | list:
    ordered = [results[i] for i in range(n)]
    if defn.return_type is None or defn.return_type is type(None):
        return None
    if ordered and all(r is None for r in ordered):
        return None
    return ordered


async def _sliding_window(state: ExecutorState, cap: int, run_unit: Callable[[int], Awaitable[Any]], run: _Run | None = None) -> None:
    """Run units ``state.cursor .. state.total-1`` with at most ``cap`` in flight (lanes pull
    the next unit when theirs finishes; deterministic: lanes run in FIFO order on the
    workflow loop). With ``run``, lanes stop taking units when the run should continue as
    new; the call returns once the units in flight finished (``state.cursor < total``)."""
    assert state.total is not None

    async def lane() -> None:
        while not state.failed and state.cursor < state.total and not (run is not None and run.should_stop()):  # type: ignore[operator]
            unit = state.start()
            try:
                result = await run_unit(unit)
            except BaseException:
                state.failed = True
                raise
            state.finish(unit, result)
            if run is not None:
                run.finished_in_run += 1
            # Let every result of this workflow task land before taking the next unit: a
            # failure that history recorded after other completions still stops us first.
            await asyncio.sleep(0)

    lanes = [asyncio.ensure_future(lane()) for _ in range(min(cap, state.total - state.cursor))]
    await _gather_or_cancel(lanes)


async def _gather_or_cancel(tasks: list[asyncio.Future]) -> list[Any]:
    """``gather``, but the first failure cancels the others (no further work is started)."""
    try:
        return await asyncio.gather(*tasks)
    except (Exception, asyncio.CancelledError):  # not GeneratorExit: an evicted instance is being dropped
        for t in tasks:
            if not t.done():
                t.cancel()
        raise


# --------------------------------------------------------------- List


async def _run_list(defn: ActivityDefinition, items: list[Any], cap: int, extra_params: dict[str, Any] | None) -> None | list:
    shape = _CallShape.of(defn)
    run = _new_run("list", defn)
    total = len(items)
    if run is not None:
        run.check_total(total)
        run.marker(total)
        if run.checkpoint.get("done"):
            return await run.finish(total)
    calls: list[dict[str, Any]] = []
    if run is None or not run.checkpoint:
        for i, item in enumerate(items):  # all checked before anything runs (first run)
            where = f"item at index {i}"
            raw = shape.raw_kwargs(item, extra_params, where)
            shape.validate(raw, where)
            try:
                converter.to_json_bytes(raw)
            except TypeError as exc:
                raise ValueError(f"{where} cannot be sent to activity {defn.name!r}: {exc}") from None
            calls.append(raw)
    state = ExecutorState("list", total=total, cursor=int(run.checkpoint.get("cursor", 0)) if run is not None else 0)

    async def unit(i: int) -> Any:
        raw = calls[i] if calls else shape.raw_kwargs(items[i], extra_params, f"item at index {i}")
        if run is None:
            return await _run_activity(defn, raw)
        return await _run_activity(defn, raw, sink=(run.executor_id, i))

    await _sliding_window(state, cap, unit, run)
    if run is None:
        return _as_result(state.results, total, defn)
    if state.cursor < total:
        await run.continue_as_new({"cursor": state.cursor, "total": total})
    return await run.finish(total)


# -------------------------------------------------------------- Chain


async def _run_chain(defn: ActivityDefinition, fetch: ActivityDefinition, extra_params: dict[str, Any] | None) -> None | list:
    shape = _CallShape.of(defn)
    fetch_shape = _CallShape.of(fetch)
    if not fetch_shape.params:
        raise ValueError(f"'get_item_from_prev_item_activity' ({fetch.name!r}) must take the previous item as its parameter")
    prev_name = fetch_shape.params[0].name
    run = _new_run("chain", defn)
    prev: Any = None
    state = ExecutorState("chain", total=None)
    if run is not None:
        if run.checkpoint.get("done"):
            run.marker(int(run.checkpoint["total"]))
            return await run.finish(int(run.checkpoint["total"]))
        run.marker(0)
        state.cursor = int(run.checkpoint.get("cursor", 0))
        prev = run.checkpoint.get("prev")
    tasks: list[asyncio.Future] = []
    stopped = False

    async def process(i: int, kwargs: dict[str, Any]) -> None:
        try:
            result = await _run_activity(defn, kwargs, sink=(run.executor_id, i) if run is not None else None)
        except BaseException:
            state.failed = True
            raise
        state.finish(i, result)
        if run is not None:
            run.finished_in_run += 1

    try:
        while not state.failed:
            if run is not None and run.should_stop():
                stopped = True
                break
            fetch_kwargs = {prev_name: prev}
            if extra_params is not None and any(p.name == "extra_params" for p in fetch_shape.params[1:]):
                fetch_kwargs["extra_params"] = extra_params
            item = await _run_activity(fetch, fetch_kwargs)
            if item is None:
                break
            i = state.start()
            where = f"item at index {i} (from {fetch.name!r})"
            raw = shape.raw_kwargs(item, extra_params, where)
            shape.validate(raw, where)
            tasks.append(asyncio.ensure_future(process(i, raw)))
            prev = item
        if not stopped:
            state.total = state.cursor
        await _gather_or_cancel(tasks)
    except (Exception, asyncio.CancelledError):  # not GeneratorExit (see _gather_or_cancel)
        for t in tasks:
            if not t.done():
                t.cancel()
        raise
    if run is None:
        return _as_result(state.results, state.total, defn)
    if stopped:
        await run.continue_as_new({"cursor": state.cursor, "prev": converter.to_jsonable(prev)})
    run.marker(state.cursor)
    return await run.finish(state.cursor)


# ------------------------------------------------------------- Offset


class _OffsetGroupSpec(BaseModel):
    fetch: str
    process: str
    start: int
    end: int
    extra_params: dict[str, Any] | None = None
    #: Inside a workflow: results go beside history under this executor id (not in the
    #: group's result, not in heartbeats).
    executor_id: str | None = None


@activity_module.activity(name=OFFSET_GROUP_ACTIVITY)
async def offset_group(spec: _OffsetGroupSpec) -> list[Any]:
    """One Offset group: fetch + process each index of ``[start, end)`` concurrently.

    With ``spec.executor_id`` (inside a workflow) each item's result is stored beside history
    (``PutParallelResults``, batched) as soon as it is done, a retried attempt skips the indexes
    already stored, heartbeats only say how many are done (liveness) and the group returns
    ``[]``. Without (outside a workflow): finished indices and their (JSON) results are heartbeated as
    ``{"start": s, "end": e, "done": {"<idx>": result}}``; a retried attempt skips them. When
    items fail, the others' results are kept (heartbeat) and the attempt fails with the first
    failure. This registered version finds the user's activities in the global registry; a
    ``Worker`` runs a copy bound to its own activities first (``bind_offset_group``)."""
    return await _offset_group(spec, activity_module.get_activity)


def bind_offset_group(activities: dict[str, ActivityDefinition]) -> None:
    """Put a group activity that resolves names in ``activities`` first (then the global
    registry) into ``activities`` (a worker's name -> definition map); no-op when empty."""
    if not activities:
        return

    def lookup(name: str) -> ActivityDefinition:
        defn = activities.get(name)
        return defn if defn is not None else activity_module.get_activity(name)

    activities.setdefault(READ_RESULTS_ACTIVITY, _READ_RESULTS_DEFN)

    async def offset_group(spec: _OffsetGroupSpec) -> list[Any]:
        return await _offset_group(spec, lookup)

    activities[OFFSET_GROUP_ACTIVITY] = dataclasses.replace(_OFFSET_GROUP_DEFN, fn=offset_group)


async def _offset_group(spec: _OffsetGroupSpec, lookup: Callable[[str], ActivityDefinition]) -> list[Any]:
    fetch = lookup(spec.fetch)
    process = lookup(spec.process)
    fetch_shape, shape = _CallShape.of(fetch), _CallShape.of(process)
    parent = ActivityContext.current()
    info = activity_module.info()

    done: dict[int, Any] = {}
    client = parent.client if parent is not None else None
    writer: _ResultWriter | None = None
    if spec.executor_id and client is not None:
        writer = _ResultWriter(client, info.workflow_id, spec.executor_id)
        if info.attempt > 1:  # a retry: skip the items an earlier attempt stored
            for idx in await _stored_indexes(client, info.workflow_id, spec.executor_id, spec.start, spec.end):
                done[idx] = None
    details = info.heartbeat_details
    if writer is None and info.attempt > 1 and isinstance(details, dict) and isinstance(details.get("done"), dict):
        for key, value in details["done"].items():
            try:
                idx = int(key)
            except ValueError:
                continue
            if spec.start <= idx < spec.end:
                done[idx] = value

    def record() -> None:
        if writer is not None:
            activity_module.heartbeat({"start": spec.start, "end": spec.end, "done": len(done)})
            return
        activity_module.heartbeat({"start": spec.start, "end": spec.end, "done": {str(k): v for k, v in sorted(done.items())}})

    async def one(idx: int) -> None:
        # The user's functions run with their own context: their heartbeats must not
        # overwrite the group's progress record.
        child_info = dataclasses.replace(info, heartbeat_details=None)
        deps = parent.dependencies if parent is not None else None  # the worker's Depends values
        ctx = ActivityContext(info=dataclasses.replace(child_info, activity_type=fetch.name), heartbeat=None, dependencies=deps)
        if parent is not None:
            ctx.cancel_requested = parent.cancel_requested
        where = f"item at index {idx} (from {fetch.name!r})"
        with ctx.activate():
            fetch_raw = fetch_shape.raw_kwargs({"idx": idx, "extra_params": spec.extra_params}, None, f"index {idx}")
            if fetch_shape.single:
                fetch_raw = {fetch_shape.params[0].name: GetItemFromIndexParams(idx=idx, extra_params=spec.extra_params)}
            item = await _call_directly(fetch, fetch_shape.validate(fetch_raw, f"index {idx}"))
        try:
            kwargs = shape.validate(shape.raw_kwargs(converter.to_jsonable(item), spec.extra_params, where), where)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidItem", non_retryable=True) from None
        with ActivityContext(info=dataclasses.replace(child_info, activity_type=process.name), heartbeat=None, dependencies=deps).activate():
            result = await _call_directly(process, kwargs)
        if writer is not None:
            writer.add(idx, result)
            done[idx] = None
        else:
            done[idx] = converter.to_jsonable(result)
        record()

    todo = [i for i in range(spec.start, spec.end) if i not in done]
    outcomes = await asyncio.gather(*(one(i) for i in todo), return_exceptions=True)
    failures = [(i, exc) for i, exc in zip(todo, outcomes) if isinstance(exc, BaseException)]
    if writer is not None:
        writer.add_failed(len(failures))
        await writer.close()  # what finished is stored even when others failed
    if failures:
        record()
        idx, exc = failures[0]
        if isinstance(exc, asyncio.CancelledError):
            raise exc
        kind = exc.type if isinstance(exc, ApplicationError) and exc.type else type(exc).__name__
        raise ApplicationError(
            f"{len(failures)} of {spec.end - spec.start} items of offset group [{spec.start}, {spec.end}) failed; "
            f"first: item at index {idx}: {kind}: {exc}",
            type=kind,
            non_retryable=bool(getattr(exc, "non_retryable", False)),
        ) from exc
    if writer is not None:
        return []
    return [done[i] for i in range(spec.start, spec.end)]


_OFFSET_GROUP_DEFN: ActivityDefinition = offset_group.__fanflow_activity__  # type: ignore[attr-defined]


def _group_definition(fetch: ActivityDefinition, process: ActivityDefinition) -> ActivityDefinition:
    """The group activity with options derived from the user's two activities: the
    processing activity's retry policy and task queue; a start-to-close timeout long enough
    for one fetch then one process (items of a group run concurrently) when both set one."""
    def budget(o: ActivityOptions) -> datetime.timedelta | None:
        return o.start_to_close_timeout or o.schedule_to_close_timeout

    fetch_budget, process_budget = budget(fetch.options), budget(process.options)
    options = ActivityOptions(
        # Unset (history's default) unless both activities say how long they may take.
        start_to_close_timeout=fetch_budget + process_budget if fetch_budget and process_budget else None,
        retry_policy=process.options.retry_policy or fetch.options.retry_policy,
        task_queue=process.options.task_queue or fetch.options.task_queue,
    )
    return dataclasses.replace(_OFFSET_GROUP_DEFN, options=options)


async def _run_offset(
    defn: ActivityDefinition,
    fetch: ActivityDefinition,
    n_items: int,
    group_size: int,
    cap: int,
    extra_params: dict[str, Any] | None,
) -> None | list:
    group_defn = _group_definition(fetch, defn)
    result_adapter = _adapter(defn.return_type)
    n_groups = -(-n_items // group_size)
    run = _new_run("offset", defn)
    state = ExecutorState("offset", total=n_groups)
    if run is not None:
        run.check_total(n_items)
        run.marker(n_items)
        if run.checkpoint.get("done"):
            return await run.finish(n_items)
        if run.checkpoint and run.checkpoint.get("group_size") != group_size:
            raise ApplicationError(f"executor {run.executor_id}: the group size changed between runs", type="ExecutorItemsChanged", non_retryable=True)
        state.cursor = int(run.checkpoint.get("cursor", 0))

    async def unit(g: int) -> list[Any]:
        start, end = g * group_size, min(n_items, (g + 1) * group_size)
        spec = _OffsetGroupSpec(
            fetch=fetch.name, process=defn.name, start=start, end=end, extra_params=extra_params,
            executor_id=run.executor_id if run is not None else None,
        )
        values = await _run_activity(group_defn, {"spec": spec})
        return [result_adapter.validate_python(v) for v in values]

    await _sliding_window(state, cap, unit, run)
    if run is None:
        results = {g * group_size + k: v for g, values in state.results.items() for k, v in enumerate(values)}
        return _as_result(results, n_items, defn)
    if state.cursor < n_groups:
        await run.continue_as_new({"cursor": state.cursor, "total": n_items, "group_size": group_size})
    return await run.finish(n_items)


# ------------------------------------------------------------- entry


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
    """Run ``activity`` over many items (see the module docstring); results in item order,
    ``None`` when the activity returns ``None``. Raises ``ValueError`` for an undecorated
    activity, not exactly one pattern, bad numbers, or an item that does not fit the
    activity's parameters (naming the item's index and the expected type)."""
    defn = _activity_param(activity, "activity")
    patterns = [p for p in (items, get_item_from_prev_item_activity, get_item_from_index_activity) if p is not None]
    if len(patterns) != 1:
        raise ValueError(_PATTERN_ERROR)
    instance = current_instance()
    if instance is None:
        return await _dispatch(defn, items, get_item_from_prev_item_activity, get_item_from_index_activity, n_items,
                               max_concurrent_scheduled_tasks, max_concurrent_executions_per_worker, extra_params)
    seq = instance.executor_seq
    try:
        return await _dispatch(defn, items, get_item_from_prev_item_activity, get_item_from_index_activity, n_items,
                               max_concurrent_scheduled_tasks, max_concurrent_executions_per_worker, extra_params)
    finally:
        # a call that failed (or was dropped) no longer counts as draining-to-be-awaited
        run = instance.executor_runs.pop(seq, None)
        if run is not None:
            run.leave()


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
        return await _run_list(defn, list(items), cap, extra)
    if get_item_from_prev_item_activity is not None:
        fetch = _activity_param(get_item_from_prev_item_activity, "get_item_from_prev_item_activity")
        return await _run_chain(defn, fetch, extra)
    fetch = _activity_param(get_item_from_index_activity, "get_item_from_index_activity")
    if n_items is None:
        raise ValueError("'n_items' is required with get_item_from_index_activity (the total number of items)")
    n = _positive_int(n_items, "n_items", 0)
    return await _run_offset(defn, fetch, n, group_size, cap, extra)
