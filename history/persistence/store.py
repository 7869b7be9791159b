"""What history stores, as an interface: `HistoryStore`, one per shard.

Every read and write of a shard's data goes through these methods, which speak
in domain terms (ExecutionState, HistoryEvent, TimerTask, TaskInfo, one
`ExecutionCommit` per state change) and never in SQL. `history.persistence.sqlite`
implements it on a SQLite file; another database can implement it without
touching the services, as long as it keeps these promises:

- **Ownership (fencing).** `open()` takes the shard: it raises the shard's range
  id by one and remembers it. Every write checks, atomically with the write, that
  the stored range id is still the one taken; if another owner raised it since,
  the write fails with `fanflow.errors.ShardOwnershipLost`, writes nothing, and
  `lost` turns True for good.
- **Durability.** A write method returns only once its data is committed.
- **Atomicity.** Everything one `commit()` carries (several runs after a
  continue-as-new, the current-run pointer, the timer that fired) is committed
  together or not at all. Concurrent writes may share a transaction (group
  commit) but one failing write never sinks another.
- **Outbox ids.** `commit()` gives every outbox task an id that grows with each
  commit; `outbox_from_previous_owners` lists those written before `open()`.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from protos import (
    common_pb2,
    internal_pb2,
    persistence_pb2,
    schedule_state_pb2,
    workflow_service_pb2,
)

RunKey = tuple[str, str, str]  # namespace, workflow id, run id


class CurrentRun(NamedTuple):
    """The workflow id's current (latest) run."""

    run_id: str
    status: int  # common_pb2.WorkflowExecutionStatus
    request_id: str


@dataclass(slots=True)
class LoadedRun:
    """A run as stored: its mutable state, and for a running run its pending activities
    with the attributes of the event that scheduled each (its input among them)."""

    state: persistence_pb2.ExecutionState
    activities: dict[int, persistence_pb2.ActivityInfo] = field(default_factory=dict)
    scheduled: dict[int, common_pb2.ActivityTaskScheduledEventAttributes] = field(default_factory=dict)
    children: dict[int, persistence_pb2.ChildExecutionInfo] = field(default_factory=dict)  # open child workflows, by initiated event id


@dataclass(frozen=True, slots=True)
class ExecutorStarted:
    """An executor announced itself (its `fanflow.executor` marker): progress starts here."""

    executor_id: str
    pattern: str
    total: int


@dataclass(frozen=True, slots=True)
class ExecutorItemFailed:
    """Executor item failures: an item's attempt failed (kept per item, the latest one wins)."""

    executor_id: str
    index: int
    attempt: int
    final: bool  # no retry follows
    activity_type: str
    failure: common_pb2.Failure


@dataclass(slots=True)
class RunWrite:
    """What one commit writes for one run: its new state and what came with it."""

    state: persistence_pb2.ExecutionState
    events: Sequence[common_pb2.HistoryEvent] = ()
    activities_upserted: Mapping[int, persistence_pb2.ActivityInfo] = field(default_factory=dict)
    activities_deleted: Collection[int] = ()
    timers: Sequence[tuple[int, persistence_pb2.TimerTask]] = ()  # (fire at, unix ns; task)
    outbox: Sequence[internal_pb2.TaskInfo] = ()  # tasks for matching, or for other shards (child workflows)
    executor_results: Sequence[tuple[str, int, common_pb2.Payload]] = ()  # (executor id, item index, result)
    executor_failed_attempts: Sequence[str] = ()  # executor id, once per failed item attempt
    executors_started: Sequence[ExecutorStarted] = ()
    recorded_events: Sequence[workflow_service_pb2.RecordedEvent] = ()  # `fanflow.event` markers, time set
    executor_item_failures: Sequence["ExecutorItemFailed"] = ()  # executor item failures: latest failure per item
    search_keys: Sequence[common_pb2.SearchKey] | None = None  # search keys: the run's whole set when it changed (None: unchanged)
    children_upserted: Mapping[int, persistence_pb2.ChildExecutionInfo] = field(default_factory=dict)  # by initiated event id
    children_deleted: Collection[int] = ()
    # streaming state (history/stream.py): tasks' latest states and the workflow's stream entries
    task_states: Sequence[workflow_service_pb2.TaskState] = ()
    watch_entries: Sequence[workflow_service_pb2.WatchWorkflowResponse] = ()


@dataclass(slots=True)
class ExecutionCommit:
    """One state change of a workflow, committed atomically."""

    runs: Sequence[RunWrite]
    current_changed: bool = False  # the last run becomes (or stays) the workflow's current run, with its status
    fired_timer: int | None = None  # id of the timer whose firing this is (deleted with it)
    # Filled in by commit(): the outbox tasks with the ids they were given. If commit() raises,
    # the transaction may still have landed (a connection lost after COMMIT was sent): the
    # shard looks these ids up once the store answers again (OutboxQueue.in_doubt).
    outbox_assigned: list["OutboxTask"] = field(default_factory=list)


class OutboxTask(NamedTuple):
    id: int
    task: internal_pb2.TaskInfo


class DueTimer(NamedTuple):
    id: int
    task: persistence_pb2.TimerTask


class ListCursor(NamedTuple):
    """Where a page of ListWorkflowExecutions ended: runs started before this come next."""

    start_time_ns: int
    workflow_id: str
    run_id: str


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Which runs a list or a count wants (search keys); every field given must hold, an empty
    one matches any run."""

    status: int = 0  # common_pb2.WorkflowExecutionStatus
    workflow_type: str = ""
    started_from_ns: int | None = None  # started at or after
    started_before_ns: int | None = None  # started before
    workflow_id_prefix: str = ""
    display_name: str = ""  # WorkflowMetadata.display_name, exactly
    search_keys: tuple[tuple[str, str | None], ...] = ()  # (key, value) pairs, all held; None: present without a value


@dataclass(frozen=True, slots=True)
class ExecutorProgressRecord:
    executor_id: str
    pattern: str
    total: int
    failed: int  # failed item attempts
    started_ns: int
    updated_ns: int


@dataclass(frozen=True, slots=True)
class ShardStats:
    running: int
    closed: int
    events: int
    outbox: int
    timers: int


@dataclass(slots=True)
class ScheduleWrite:
    """One change of a schedule, committed atomically: its record (None: the schedule is
    deleted), the timer rows it adds, and the timer row whose firing this is (deleted with it)."""

    namespace: str
    schedule_id: str
    record: schedule_state_pb2.ScheduleRecord | None
    timers: Sequence[tuple[int, persistence_pb2.TimerTask]] = ()  # (fire at, unix ns; task)
    fired_timer: int | None = None


class HistoryStore(Protocol):
    shard_id: int
    owner: str
    range_id: int  # taken by open()
    token_key: bytes  # signs task tokens; lives with the shard, so it survives restarts and moves
    lost: bool  # another owner took the shard: every write now fails

    @property
    def location(self) -> str:
        """Where the data lives, for operators (a file path, a database URL without secrets)."""
        ...

    # ------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        """Take the shard (fencing: range id + 1) and get ready to serve."""

    async def close(self) -> None:
        """Stop; writes still queued fail with ShardOwnershipLost."""

    # ------------------------------------------------------------ executions and events
    async def load_run(self, key: RunKey) -> LoadedRun | None: ...

    async def current_run(self, namespace: str, workflow_id: str) -> CurrentRun | None: ...

    async def commit(self, commit: ExecutionCommit) -> list[OutboxTask]:
        """Write it all atomically; returns the outbox tasks with the ids they got."""

    async def read_events(self, key: RunKey, first: int, last: int | None = None, limit: int | None = None) -> list[common_pb2.HistoryEvent]:
        """Events first..last (inclusive; no last: to the end) in order, at most limit."""

    async def list_executions(
        self, namespace: str, *, before: ListCursor | None, limit: int, where: RunFilter = RunFilter()
    ) -> list[persistence_pb2.ExecutionState]:
        """Runs of a namespace that match `where`, newest start first (then workflow id, run id
        descending), from an index (search keys: fast with many runs)."""

    async def count_executions(self, namespace: str, where: RunFilter, group_by: str = "") -> list[tuple[str | int, int]]:
        """How many runs of a namespace match `where`, counted in the index without loading them:
        [("", n)], or per status (group_by "status": [(status, n)...]) or per workflow type
        ("workflow_type")."""

    async def runs_of_workflow(self, namespace: str, workflow_id: str) -> list[persistence_pb2.ExecutionState]: ...

    async def running_runs(self) -> list[RunKey]: ...

    # ------------------------------------------------------------ outbox (tasks for matching)
    async def outbox_from_previous_owners(self, after_id: int, limit: int) -> list[OutboxTask]:
        """Outbox tasks written before open() (by an earlier owner), ids above after_id, in order."""

    async def outbox_rows(self, ids: Sequence[int]) -> list[OutboxTask]:
        """Those of these outbox rows that exist, in id order (a failed commit's tasks: did it land?)."""

    async def delete_outbox(self, ids: Sequence[int]) -> None: ...

    # ------------------------------------------------------------ timers
    async def due_timers(self, now_ns: int, limit: int) -> list[DueTimer]:
        """Timers due at now_ns, earliest first."""

    async def next_timer_time(self) -> int | None:
        """When the earliest timer fires (unix ns), None without timers."""

    async def delete_timers(self, ids: Sequence[int]) -> None: ...

    # ------------------------------------------------------------ executor results and progress
    async def put_executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, results: Sequence[tuple[int, common_pb2.Payload]], failed_attempts: int
    ) -> None:
        """Store item results (idempotent per index) and count failed item attempts."""

    async def executor_results(
        self, namespace: str, workflow_id: str, executor_id: str, start_index: int, limit: int
    ) -> list[tuple[int, common_pb2.Payload]]:
        """Stored results from start_index on, by index."""

    async def executor_result_bytes(
        self, namespace: str, workflow_id: str, executor_id: str, start_index: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """``executor_results`` with each result as its serialized ``Payload`` (a read of many
        results need not parse and serialize each one again)."""

    async def executor_result_count(self, namespace: str, workflow_id: str, executor_id: str) -> int: ...

    async def executor_progress(self, namespace: str, workflow_id: str, first_run_id: str) -> list[ExecutorProgressRecord]:
        """Executors of a continue-as-new chain (ids `<first run id>/<n>`), oldest first."""

    async def recorded_events(self, namespace: str, workflow_id: str, limit: int) -> list[workflow_service_pb2.RecordedEvent]:
        """The workflow's recorded events (`fanflow.event` markers), newest first."""

    # ------------------------------------------------------------ executor item failures
    async def put_executor_item_failures(self, namespace: str, workflow_id: str, failures: Sequence[ExecutorItemFailed]) -> None:
        """Store item failures outside a run's commit (an Offset group's items)."""

    async def executor_item_failures(
        self, namespace: str, workflow_id: str, executor_id: str, after: tuple[str, int] | None, limit: int
    ) -> list[workflow_service_pb2.ExecutorItemFailure]:
        """Stored item failures by (executor id, index), after the given pair; executor_id "" = all;
        `recovered` set where the item's result is stored."""

    async def executor_item_failure_count(self, namespace: str, workflow_id: str, executor_id: str) -> int: ...

    # ------------------------------------------------------------ retention
    async def closed_runs(self, closed_before_ns: int, limit: int) -> list[RunKey]: ...

    async def delete_run(self, key: RunKey) -> None:
        """Delete a closed run (events, state, activities, open children, recorded events, its
        stream entries); with the workflow's last run, its executor results and progress, its
        tasks' states and its payload blobs too."""

    # ------------------------------------------------------------ shard settings and stats
    async def setting(self, name: str) -> str | None: ...

    async def put_setting(self, name: str, value: str) -> None: ...

    async def stats(self) -> ShardStats: ...

    # ------------------------------------------------------------ schedules
    async def load_schedule(self, namespace: str, schedule_id: str) -> schedule_state_pb2.ScheduleRecord | None: ...

    async def list_schedules(self, namespace: str, after_schedule_id: str, limit: int) -> list[schedule_state_pb2.ScheduleRecord]:
        """A namespace's schedules with ids after after_schedule_id, by id."""

    async def all_schedules(self) -> list[schedule_state_pb2.ScheduleRecord]:
        """Every schedule of the shard (read when the shard starts)."""

    async def commit_schedule(self, write: ScheduleWrite) -> None:
        """Write (or delete) the record, add its timers and delete the fired one, atomically."""

    # ------------------------------------------------------------ streaming state and large data
    async def record_task_state(
        self, namespace: str, workflow_id: str, task: workflow_service_pb2.TaskState, entry: workflow_service_pb2.WatchWorkflowResponse
    ) -> None:
        """An activity's task changed: its latest state and the stream entry, atomically."""

    async def watch_entries(
        self, namespace: str, workflow_id: str, after_cursor: int, limit: int
    ) -> list[workflow_service_pb2.WatchWorkflowResponse]:
        """The workflow's stream entries after the cursor, in order, each with its cursor set."""

    async def task_states(self, namespace: str, workflow_id: str, limit: int) -> list[workflow_service_pb2.TaskState]:
        """The workflow's tasks at their latest state (started time and change count set), oldest first."""

    async def put_blob(self, namespace: str, workflow_id: str, blob_id: str, data: bytes) -> None:
        """Store a payload blob (idempotent: the id is the content's hash)."""

    async def get_blob(self, namespace: str, workflow_id: str, blob_id: str) -> bytes | None: ...
