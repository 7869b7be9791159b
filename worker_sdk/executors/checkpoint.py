"""One executor call inside a workflow run (``ExecutorRun``): its id, its checkpoint from
the previous run, when to stop this run, and its two ways out: continue as new with a
checkpoint, or finish and hand over the results (a lazy list paging from the store).

* **Executor id** ``<first run id>/<n>`` (``n`` counts executor calls in the run's code path,
  the same in every run of a continue-as-new chain); each run records a ``fanflow.executor``
  marker ``{"executor_id", "total", "pattern"}`` (progress API).
* **Automatic continue-as-new**: when history is about to suggest it, early enough that
  what is in flight and the continue-as-new itself still fit under its thresholds (which each
  WorkflowTaskStarted records; ``should_stop``), or the executors' own budget
  (``EVENT_BUDGET`` events / ``BYTES_BUDGET`` bytes) is spent, the executor stops scheduling,
  drains what is in flight (so ``max_concurrent_scheduled_tasks`` holds across runs) and
  continues as new with the run's *original* input plus ``sdk_state``
  ``{executor id: {"cursor": k, "done": bool, ...}}``. The next run re-runs the workflow code:
  a finished executor returns its results from the store (``ExecutorResults``, nothing of
  them in history), the interrupted one resumes at its cursor. The signal is ``ExecutorContinueAsNew`` (a ``BaseException``).

The run is reached through its ``ExecutorHost`` (``worker_sdk._executor_host``) only.
"""
from __future__ import annotations

from typing import Any, Callable, NoReturn

from protos import common_pb2

from .. import converter
from .._executor_host import ExecutorHost, current_host
from ..activity import ActivityDefinition
from ..exceptions import ApplicationError, ContinueAsNewError
from .lazy_results import ExecutorResults, admits_none
from .results import read_back, result_list

__all__ = ["EXECUTOR_MARKER", "EVENT_BUDGET", "BYTES_BUDGET", "ExecutorContinueAsNew", "ExecutorRun", "new_run"]

EXECUTOR_MARKER = "fanflow.executor"
#: The executors' own history budget per run (history's suggestion comes first at its
#: defaults; this protects the 51,200-event / 50 MiB limits when the suggestion is raised).
EVENT_BUDGET = 20_000
BYTES_BUDGET = 20 * 1024 * 1024
#: History a unit in flight may still write before the run can continue as new: its
#: activity's scheduled, started and completed events, and at worst one workflow task of
#: its own (scheduled, started, completed) when its completion arrives alone.
RESERVE_EVENTS_PER_UNIT = 6
#: And the run's last events: the current workflow task's completion, the continue-as-new,
#: and a margin (a marker, a workflow task that failed once).
RESERVE_EVENTS_FIXED = 6
#: The least bytes per reserved event (workflow-task events are about this size).
RESERVE_MIN_EVENT_BYTES = 128
#: The workflow-task timeout of the runs an executor continues into (seconds): the run that
#: finishes a large executor may go through its results in one workflow task (reading a
#: million results from the store takes seconds), more than the default 10 s allows.
CONTINUED_TASK_TIMEOUT = 60.0


class ExecutorContinueAsNew(ContinueAsNewError):
    """Raised by an executor to continue the workflow as new with its checkpoints
    (``sdk_state``). A ``BaseException``: user code's ``except Exception`` does not swallow it."""

    def __init__(self, input: common_pb2.Payload, *, workflow_type: str, task_queue: str, sdk_state: common_pb2.Payload):
        super().__init__(input, workflow_type=workflow_type, task_queue=task_queue)
        self.sdk_state = sdk_state
        self.workflow_task_timeout = CONTINUED_TASK_TIMEOUT


class ExecutorRun:
    """One executor call inside a workflow run (see the module docstring)."""

    def __init__(self, host: ExecutorHost, pattern: str, defn: ActivityDefinition) -> None:
        self.host = host
        self.number = host.begin()
        self.executor_id = f"{host.first_run_id}/{self.number}"
        checkpoint = host.previous_checkpoints.get(self.executor_id)
        self.checkpoint: dict[str, Any] = checkpoint if isinstance(checkpoint, dict) else {}
        self.pattern = pattern
        self.defn = defn
        self.task_queue = defn.options.task_queue
        self.finished_in_run = 0
        # History when the run's first executor with work left began (what precedes it —
        # user code, finished executors' results read back — is redone by every run).
        if host.work_base is None and not self.checkpoint.get("done"):
            host.work_base = (host.history.events, host.history.bytes)

    def marker(self, total: int) -> None:
        self.host.record_marker(EXECUTOR_MARKER, {"executor_id": self.executor_id, "total": total, "pattern": self.pattern})

    def check_total(self, total: int) -> None:
        known = self.checkpoint.get("total")
        if known is not None and known != total:
            raise ApplicationError(
                f"executor {self.executor_id} ({self.pattern}) had {known} items in the previous run and now has {total}: "
                "the items must be the same in every run of a continue-as-new chain (compute them from the workflow input)",
                type="ExecutorItemsChanged",
                non_retryable=True,
            )

    def track(self, in_flight: Callable[[], int]) -> None:
        """``in_flight()`` counts this call's units in flight (scheduled, not finished), plus
        any it is bound to schedule before it can stop (``should_stop`` reserves history for them)."""
        self.host.track(self.number, in_flight)

    def should_stop(self) -> bool:
        """Stop scheduling in this run (before scheduling one more unit)? When the executors'
        own budget is spent, or history is about to suggest continue-as-new and the executors
        wrote at least as much history in this run as there was before them (a run whose
        suggestion comes from what every run redoes — e.g. results of finished executors read
        back — still makes real progress). At least one unit must have finished in this run.

        "About to": where the WorkflowTaskStarted recorded history's thresholds, the run stops
        while what it would still write fits under them — the unit it would schedule now and
        every unit in flight in the run's executors (``RESERVE_EVENTS_PER_UNIT`` events each,
        bytes at the run's executor-written average), plus the continue-as-new itself
        (``RESERVE_EVENTS_FIXED``); in histories recorded before, once history suggests it."""
        host = self.host
        if host.continue_as_new_requested:
            return True
        if self.finished_in_run < 1:
            return False
        history = host.history
        events, size = history.events, history.bytes
        over_budget = events >= EVENT_BUDGET or size >= BYTES_BUDGET
        base_events, base_bytes = host.work_base or (0, 0)
        near = history.suggest_continue_as_new
        if history.suggest_events:
            units = host.in_flight_units() + 1
            reserve_events = RESERVE_EVENTS_PER_UNIT * units + RESERVE_EVENTS_FIXED
            written_events, written_bytes = events - base_events, size - base_bytes
            per_event = written_bytes / written_events if written_events > 0 else 0
            reserve_bytes = int(max(per_event, RESERVE_MIN_EVENT_BYTES) * reserve_events)
            near = near or events + reserve_events >= history.suggest_events or size + reserve_bytes >= history.suggest_bytes
        suggested = near and events - base_events >= base_events and size - base_bytes >= base_bytes
        if over_budget or suggested:
            host.continue_as_new_requested = True
            return True
        return False

    def leave(self) -> None:
        """This call no longer works in the run (idempotent)."""
        self.host.end(self.number)

    async def continue_as_new(self, checkpoint: dict[str, Any]) -> NoReturn:
        """Checkpoint, wait until every executor of the run drained, continue as new."""
        host = self.host
        host.continue_as_new_requested = True
        host.checkpoints[self.executor_id] = {**checkpoint, "pattern": self.pattern, "done": False}
        self.leave()
        await host.wait_drained()
        raise ExecutorContinueAsNew(
            host.input_payload,
            workflow_type=host.workflow_type,
            task_queue=host.task_queue,
            sdk_state=converter.to_payload(host.checkpoints),
        )

    async def finish(self, total: int) -> None | list:
        """All ``total`` items are done: remember it for later runs; the results, as a lazy
        list paging from the store (``ExecutorResults``: nothing recorded in history), or, in
        a run recorded before that, read back with ``fanflow.read_results`` activities."""
        host = self.host
        host.checkpoints[self.executor_id] = {"cursor": total, "total": total, "done": True, "pattern": self.pattern}
        self.leave()
        rtype = self.defn.return_type
        if rtype is None or rtype is type(None):
            return None
        if not host.results_in_store():
            values = await read_back(host, self.executor_id, total, rtype, self.task_queue)
            return result_list(values, rtype)
        results = ExecutorResults(host.results_reader, host.workflow_id, self.executor_id, total, rtype)
        if total and admits_none(rtype) and results.all_none():
            return None  # as result_list: an activity that returned None for every item
        return results


def new_run(pattern: str, defn: ActivityDefinition) -> ExecutorRun | None:
    """The ``ExecutorRun`` of a new executor call in workflow code; ``None`` outside a workflow."""
    host = current_host()
    return ExecutorRun(host, pattern, defn) if host is not None else None
