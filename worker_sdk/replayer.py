"""Replaying recorded histories against the current code (Temporal's ``Replayer``), to know
before a deploy whether the runs in flight can go on with the new code.

    replayer = workflows.Replayer(workflows=[OrderWorkflow])
    await replayer.replay_workflow(await handle.fetch_history())   # raises NonDeterminismError
    result = workflows.replay(Path("h.json").read_text(), OrderWorkflow, raise_on_replay_failure=False)

A history is replayed into a fresh ``WorkflowInstance`` (``replay_history``): every workflow
task history completed runs again and must produce the commands history recorded; a task
still in flight runs as a worker would run it next. Nothing is sent anywhere: activities and
timers are not run, their recorded outcomes are applied.

Histories come from a cluster (``WorkflowHandle.fetch_history()``, ``fanflow workflow replay``)
or from JSON (``WorkflowHistory.from_json``): the lines ``fanflow workflow history ID`` prints,
a JSON list of events, or ``{"workflow_id": ..., "run_id": ..., "events": [...]}``.

The run id seeds ``workflow.random()`` / ``uuid4()``. A first run's history names it; a run
that continued another one does not: give ``run_id`` for those, else code that branches on
random values may replay differently than it ran.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any, Sequence

from google.protobuf import json_format

from protos import common_pb2

from ._instance import WorkflowInstance, event_type_name
from .exceptions import NonDeterminismError, UnknownWorkflowTypeError
from .executors.lazy_results import ResultsUnavailableError

E = common_pb2.EventType

__all__ = ["Replayer", "WorkflowHistory", "WorkflowReplayResult", "WorkflowReplayResults", "replay", "describe_replay_failure"]


class WorkflowHistory:
    """The events of one run, from event 1 (WorkflowExecutionStarted), with its ids."""

    def __init__(self, workflow_id: str, events: Iterable[common_pb2.HistoryEvent], run_id: str = "") -> None:
        if not isinstance(workflow_id, str):
            raise TypeError(f"WorkflowHistory(workflow_id) must be a string, got {type(workflow_id).__name__}")
        if not isinstance(run_id, str):
            raise TypeError(f"WorkflowHistory(run_id=) must be a string, got {type(run_id).__name__}")
        self.events: list[common_pb2.HistoryEvent] = list(events)
        _check_events(self.events)
        started = self.events[0].workflow_execution_started
        self.workflow_id = workflow_id
        #: True when the run id was given or the history names it (a first run's does).
        self.run_id_known = bool(run_id) or not started.continued_execution_run_id
        self.run_id = run_id or (started.first_execution_run_id if self.run_id_known else "")

    @property
    def workflow_type(self) -> str:
        return self.events[0].workflow_execution_started.workflow_type.name

    @property
    def continued_from(self) -> str:
        """The run this one continued as new from ("" for a first run)."""
        return self.events[0].workflow_execution_started.continued_execution_run_id

    def __repr__(self) -> str:
        return f"WorkflowHistory({self.workflow_id!r}, run_id={self.run_id!r}, type={self.workflow_type!r}, {len(self.events)} events)"

    @classmethod
    def from_json(cls, workflow_id: str | None, history: str | bytes | Mapping[str, Any] | Sequence[Any], *, run_id: str = "") -> "WorkflowHistory":
        """A history from JSON: the lines ``fanflow workflow history ID`` prints (one event
        each), a JSON list of events, or an object with ``events`` (and, optionally,
        ``workflow_id`` / ``run_id``, used when not given here). Text or already parsed."""
        events_json, meta = _parse(history)
        events = []
        for i, item in enumerate(events_json):
            if not isinstance(item, Mapping):
                raise ValueError(f"history JSON: event {i + 1} is {type(item).__name__}, not an object")
            try:
                events.append(json_format.ParseDict(item, common_pb2.HistoryEvent()))
            except json_format.ParseError as exc:
                raise ValueError(f"history JSON: event {i + 1} is not a fanflow history event: {exc}") from None
        wid = workflow_id or str(meta.get("workflow_id") or "") or "replayed-workflow"
        return cls(wid, events, run_id or str(meta.get("run_id") or ""))


def _parse(history: Any) -> tuple[list[Any], Mapping[str, Any]]:
    if isinstance(history, (bytes, bytearray)):
        history = history.decode()
    if isinstance(history, str):
        text = history.strip()
        if not text:
            raise ValueError("history JSON is empty (expected the lines `fanflow workflow history ID` prints)")
        try:
            history = json.loads(text)
        except json.JSONDecodeError:
            lines = [line for line in text.splitlines() if line.strip()]
            try:
                history = [json.loads(line) for line in lines]
            except json.JSONDecodeError as exc:
                raise ValueError(f"history JSON: line {exc.doc!r:.60} is not JSON: {exc.msg}") from None
    if isinstance(history, Mapping):
        if "events" in history:
            return list(history["events"]), history
        if "event_id" in history or "eventId" in history or "eventType" in history:
            return [history], {}  # a history of one event (one JSON line)
        raise ValueError(f"history JSON: an object needs an 'events' list, got keys {sorted(history)[:8]}")
    if isinstance(history, Sequence):
        return list(history), {}
    raise TypeError(f"a history in JSON is text, bytes, a list of events or an object with 'events'; got {type(history).__name__}")


def _check_events(events: list[common_pb2.HistoryEvent]) -> None:
    if not events:
        raise ValueError("a history needs its events from event 1 (WorkflowExecutionStarted); got none")
    for i, ev in enumerate(events):
        if not isinstance(ev, common_pb2.HistoryEvent):
            raise TypeError(f"history events must be HistoryEvent messages, got {type(ev).__name__} at position {i}")
        if ev.event_id != i + 1:
            raise ValueError(f"history events must be numbered from 1 without gaps: position {i + 1} holds event {ev.event_id}")
    if events[0].event_type != E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise ValueError(f"event 1 of a history must be WorkflowExecutionStarted, got {event_type_name(events[0].event_type)}")


def as_history(history: Any, *, workflow_id: str | None = None, run_id: str = "") -> WorkflowHistory:
    """``history`` as a ``WorkflowHistory``: one already, events, a ``History`` message, or JSON."""
    if isinstance(history, WorkflowHistory):
        return history
    if isinstance(history, common_pb2.History):
        history = list(history.events)
    if isinstance(history, (list, tuple)) and history and all(isinstance(e, common_pb2.HistoryEvent) for e in history):
        return WorkflowHistory(workflow_id or "replayed-workflow", history, run_id)
    return WorkflowHistory.from_json(workflow_id, history, run_id=run_id)


@dataclasses.dataclass(frozen=True)
class WorkflowReplayResult:
    """One history replayed: ``replay_failure`` is ``None`` when the code matched it, else
    the error (a ``NonDeterminismError``, or what the workflow code raised as a bug)."""

    history: WorkflowHistory
    replay_failure: Exception | None

    @property
    def ok(self) -> bool:
        return self.replay_failure is None


@dataclasses.dataclass(frozen=True)
class WorkflowReplayResults:
    """Many histories replayed: the failures by run id (the workflow id when unknown)."""

    replay_failures: Mapping[str, Exception]


class Replayer:
    """Replays histories against workflow classes (picked by each history's workflow type)."""

    def __init__(self, *, workflows: Sequence[Any], namespace: str = "default", client: Any = None) -> None:
        """``client``: a ``Client`` of the cluster the histories come from, for workflows
        whose code reads finished executors' results (they are read from its result store,
        never recorded in history); without one such a read fails the replay, saying so."""
        from .workflow import get_definition

        if isinstance(workflows, (str, bytes)) or not isinstance(workflows, Iterable):
            raise TypeError("Replayer(workflows=[...]) takes a list of @workflow.define classes")
        definitions = [get_definition(w) for w in workflows]
        if not definitions:
            raise ValueError("Replayer(workflows=[...]) needs at least one @workflow.define class")
        self.workflows = {d.name: d for d in definitions}
        self.namespace = client.namespace if client is not None and namespace == "default" else namespace
        self.client = client

    async def replay_workflow(self, history: Any, *, raise_on_replay_failure: bool = True) -> WorkflowReplayResult:
        """Replay one history (a ``WorkflowHistory``, events, or JSON); by default a failure
        is raised, else returned in the result. With a client, the replay runs on a thread of
        its own, reading executor results through the client on this event loop."""
        if self.client is None:
            return self.replay_workflow_now(history, raise_on_replay_failure=raise_on_replay_failure)
        from .executors.lazy_results import ResultReader

        loop = asyncio.get_running_loop()
        reader = ResultReader(self.client, loop)
        history = as_history(history)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="fanflow-replay") as thread:
            failure = await loop.run_in_executor(thread, self._replay, history, reader)
        result = WorkflowReplayResult(history, failure)
        if raise_on_replay_failure and failure is not None:
            raise failure
        return result

    async def replay_workflows(self, histories: Iterable[Any] | AsyncIterable[Any], *, raise_on_replay_failure: bool = True) -> WorkflowReplayResults:
        """Replay many histories; by default the first failure is raised."""
        failures: dict[str, Exception] = {}

        def take(result: WorkflowReplayResult) -> None:
            if result.replay_failure is not None:
                failures[result.history.run_id or result.history.workflow_id] = result.replay_failure

        if isinstance(histories, AsyncIterable):
            async for history in histories:
                take(await self.replay_workflow(history, raise_on_replay_failure=raise_on_replay_failure))
        else:
            for history in histories:
                take(await self.replay_workflow(history, raise_on_replay_failure=raise_on_replay_failure))
        return WorkflowReplayResults(replay_failures=failures)

    def replay_workflow_now(self, history: Any, *, raise_on_replay_failure: bool = True) -> WorkflowReplayResult:
        """``replay_workflow`` without ``await`` (replaying is pure computation)."""
        history = as_history(history)
        result = WorkflowReplayResult(history, self._replay(history))
        if raise_on_replay_failure and result.replay_failure is not None:
            raise result.replay_failure
        return result

    def _replay(self, history: WorkflowHistory, reader: Any = None) -> Exception | None:
        definition = self.workflows.get(history.workflow_type)
        if definition is None:
            return UnknownWorkflowTypeError(
                f"the history of {history.workflow_id} is of workflow type {history.workflow_type!r}, which the replayed "
                f"code does not define (it defines: {', '.join(sorted(self.workflows))})"
            )
        started = history.events[0].workflow_execution_started
        instance = WorkflowInstance(
            definition, workflow_id=history.workflow_id, run_id=history.run_id,
            task_queue=started.task_queue.name, namespace=self.namespace,
        )
        instance.executors.results_reader = reader
        try:
            instance.replay_history(history.events)
        except Exception as exc:  # noqa: BLE001 - the replay's outcome
            return exc
        except ResultsUnavailableError as exc:  # a BaseException in workflow code: the replay's outcome here
            return RuntimeError(f"ResultsUnavailableError: {exc}")
        finally:
            instance.close()
        return None


def replay(history: Any, workflows: Any, *, workflow_id: str | None = None, run_id: str = "", raise_on_replay_failure: bool = True) -> WorkflowReplayResult:
    """Replay ``history`` (a ``WorkflowHistory``, events, or JSON such as ``fanflow workflow
    history ID`` prints) against ``workflows`` (a ``@workflow.define`` class or a list of
    them). Raises the failure (``NonDeterminismError``...) unless ``raise_on_replay_failure``
    is False; returns a ``WorkflowReplayResult``."""
    classes = list(workflows) if isinstance(workflows, (list, tuple, set, frozenset)) else [workflows]
    return Replayer(workflows=classes).replay_workflow_now(
        as_history(history, workflow_id=workflow_id, run_id=run_id), raise_on_replay_failure=raise_on_replay_failure
    )


def describe_replay_failure(exc: BaseException) -> str:
    """One line: where code and history part ways and what each has there."""
    if isinstance(exc, NonDeterminismError) and exc.event_id is not None:
        line = (f"non-determinism at event {exc.event_id}: history has {exc.recorded or 'no matching event'}, "
                f"the code produced {exc.produced or 'no command'}")
        return line + (f" (patch {exc.patch_id!r})" if exc.patch_id else "")
    return f"{type(exc).__name__}: {exc}"
