"""``HistorySize`` and ``ExecutorHost``: what a workflow run tells and offers its parallel
executors (``worker_sdk/executors/``).

Each ``WorkflowInstance`` declares one ``ExecutorHost`` (``instance.executors``); the
executors reach the run through it and nothing else:

* what the run is: ``first_run_id`` (executor ids are ``<first run id>/<n>``),
  ``workflow_type``, ``task_queue``, ``input_payload`` (what a continue-as-new carries
  again), ``previous_checkpoints`` (the previous run's ``sdk_state``) and ``history``
  (its size at the current workflow task, and history's continue-as-new suggestion);
* the bookkeeping of the run's executor calls: ``begin()`` / ``end(n)`` count the calls
  still working, ``wait_drained()`` waits until none is, ``track(n, count)`` /
  ``in_flight_units()`` count their units in flight; ``checkpoints`` (the next run's
  ``sdk_state``), ``continue_as_new_requested`` and ``work_base``;
* what they do in the run: ``execute_activity`` and ``record_marker``;
* how a finished executor's results reach the code: ``results_in_store()`` (the run takes
  the lazy path, recorded as a patch marker; runs recorded before it read results back with
  activities) and ``results_reader`` (reads outside history, set by the worker).
"""
from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from protos import common_pb2

from . import converter
from ._loop import current_instance

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance
    from .activity import ActivityDefinition

__all__ = ["HistorySize", "ExecutorHost", "current_host", "LAZY_RESULTS_PATCH"]

#: The patch id under which runs take finished executors' results from the store without
#: recording them (``fanflow.patch`` marker); runs recorded without it read them back with
#: ``fanflow.read_results`` activities, and replay that way.
LAZY_RESULTS_PATCH = "fanflow.executor-results-in-store"


@dataclasses.dataclass(slots=True)
class HistorySize:
    """The run's history when the current workflow task started (its WorkflowTaskStarted):
    what ``workflow.info()`` reports and what the executors budget on."""

    #: Event id of the WorkflowTaskStarted (Temporal's "current history length").
    events: int = 0
    bytes: int = 0
    #: History suggests continuing as new (the history grew large).
    suggest_continue_as_new: bool = False
    #: History's thresholds for that suggestion (events, bytes), as the WorkflowTaskStarted
    #: recorded them; 0 in histories recorded before (the executors then wait for the
    #: suggestion itself).
    suggest_events: int = 0
    suggest_bytes: int = 0


class ExecutorHost:
    """The executors' interface to one workflow run (see the module docstring)."""

    def __init__(self, instance: "WorkflowInstance") -> None:
        self._instance = instance
        #: The run's ``HistorySize`` (the instance updates this object at each activation).
        self.history: HistorySize = instance.history
        #: The run's input payload (set when WorkflowExecutionStarted is applied).
        self.input_payload = common_pb2.Payload()
        #: ``{executor id: checkpoint}`` carried over from the previous run (its ``sdk_state``).
        self.previous_checkpoints: dict[str, Any] = {}
        #: ``{executor id: checkpoint}`` for the next run, filled as executor calls finish or stop.
        self.checkpoints: dict[str, Any] = {}
        #: An executor decided this run ends in a continue-as-new: every executor stops scheduling.
        self.continue_as_new_requested = False
        #: ``(events, bytes)`` of history when the run's first executor with work left began.
        self.work_base: tuple[int, int] | None = None
        #: An executor call began in this run's code (the worker then runs its workflow code
        #: on the workflow-code thread, where reading stored results may block).
        self.used = False
        #: Reads stored results for this run's code (``executors.lazy_results.ResultReader``);
        #: None where nothing can read them (the replayer without a client).
        self.results_reader: Any = None
        self._next_number = 0
        self._working: set[int] = set()
        self._in_flight: dict[int, Callable[[], int]] = {}  # by call number: its units in flight
        self._drained: asyncio.Event | None = None  # created by the first wait_drained() that waits

    # ------------------------------------------------------------ the run

    def start_run(self, input_payload: common_pb2.Payload, sdk_state: common_pb2.Payload | None) -> None:
        """Called by the instance when WorkflowExecutionStarted is applied."""
        self.input_payload = input_payload
        if sdk_state is not None and sdk_state.data:
            state = converter.from_payload(sdk_state)
            self.previous_checkpoints = state if isinstance(state, dict) else {}

    @property
    def first_run_id(self) -> str:
        return self._instance.first_execution_run_id or self._instance.run_id

    @property
    def workflow_id(self) -> str:
        return self._instance.workflow_id

    @property
    def workflow_type(self) -> str:
        return self._instance.definition.name

    @property
    def task_queue(self) -> str:
        return self._instance.task_queue

    def execute_activity(
        self,
        defn: "ActivityDefinition",
        kwargs: dict[str, Any],
        *,
        result_sink: tuple[str, int] | None = None,
        task_queue: str | None = None,
    ) -> Awaitable[Any]:
        """Schedule ``defn(**kwargs)`` in the run; await the result it returns (``None``
        with a ``result_sink``: history stores the result beside history)."""
        return self._instance.execute_activity(defn, (), kwargs, result_sink=result_sink, task_queue=task_queue)

    def record_marker(self, name: str, details: Any) -> None:
        self._instance.record_marker(name, details)

    def results_in_store(self) -> bool:
        """Whether finished executors hand their results over lazily from the store (True in
        every run recorded since; the answer is kept for the run, as ``workflow.patched``'s)."""
        return self._instance.patch(LAZY_RESULTS_PATCH, deprecated=False)

    def patched(self, patch_id: str) -> bool:
        """``workflow.patched(patch_id)`` for the executors' own changes of what they schedule
        (e.g. List items in groups): True in runs recorded since, False in replays of runs
        recorded before."""
        return self._instance.patch(patch_id, deprecated=False)

    # ------------------------------------------------------ executor calls

    @property
    def next_number(self) -> int:
        """The number ``begin()`` gives next (executor calls are numbered in code order)."""
        return self._next_number

    def begin(self) -> int:
        """A new executor call: its number ``n``; it counts as working until ``end(n)``."""
        n = self._next_number
        self._next_number += 1
        self.used = True
        self._working.add(n)
        return n

    def end(self, n: int) -> None:
        """Call ``n`` no longer works in this run (finished, failed or stopped); no-op when
        it already ended or never began."""
        if n not in self._working:
            return
        self._working.discard(n)
        self._in_flight.pop(n, None)
        if not self._working and self._drained is not None:
            self._drained.set()

    def track(self, n: int, in_flight: Callable[[], int]) -> None:
        """Call ``n`` counts its units in flight with ``in_flight()`` (until ``end(n)``)."""
        if n in self._working:
            self._in_flight[n] = in_flight

    def in_flight_units(self) -> int:
        """Units in flight across the run's working executor calls (several may run at
        once: the history they may still write before the run can continue as new)."""
        return sum(count() for count in self._in_flight.values())

    async def wait_drained(self) -> None:
        """Wait until no executor call of the run is working."""
        if not self._working:
            return
        if self._drained is None:
            self._drained = asyncio.Event()
        await self._drained.wait()


def current_host() -> ExecutorHost | None:
    """The ``ExecutorHost`` of the workflow run whose code is running, else ``None``."""
    instance = current_instance()
    return instance.executors if instance is not None else None
