"""What matching stores, as an interface: `Backlog`, the tasks no poller took, one
per matching process. `matching.persistence.sqlite` implements it on a SQLite file;
another database can implement it without touching the service, keeping these
promises:

- **Durability.** `insert` returns only once the task is committed, so AddTask can
  ack it and history can drop its outbox row.
- **Read forward by id.** Ids grow in insertion order, and a reader that has seen
  id N has seen every committed id below N of its partition: partitions read on
  from the highest id they have seen.
- **Lazy deletes.** `delete_later` is not waited for and may be lost in a crash
  (the task is then offered again and history refuses it as stale).
- **Commit callback.** After each commit that stored tasks, `on_committed` (given
  at construction) is called with how many tasks each partition gained.
- **Metered starts** (rate limits, `matching/rate_limiter.py`): `record_start` returns
  only once the start is committed; `update_start_later` / `delete_start_later` are lazy
  like `delete_later` (a lost one leaves the slot held longer, never shorter).
"""
from __future__ import annotations

from typing import NamedTuple, Protocol

from matching.keys import PartitionKey, QueueKey
from protos import internal_pb2


class StoredTask(NamedTuple):
    id: int
    task: internal_pb2.TaskInfo | None  # None: the stored bytes do not decode (the row should go)


class StoredStart(NamedTuple):
    """A metered start of a rate-limited queue: its slot is held until until_ns."""

    id: int
    key: QueueKey
    until_ns: int


class Backlog(Protocol):
    shared: bool  # True: one store for every matching process (PostgreSQL); partitions owned elsewhere are not ours to hand over

    @property
    def location(self) -> str:
        """Where the tasks live, for operators."""
        ...

    async def open(self) -> None: ...

    async def close(self) -> None:
        """Commit what is queued, then close. Later calls fail with Unavailable."""

    async def insert(self, key: PartitionKey, task: internal_pb2.TaskInfo) -> int:
        """Store a task; returns its id once committed. Unavailable if that failed."""

    def delete_later(self, task_id: int) -> None:
        """Forget a dispatched or stale task, with a later commit."""

    async def flush(self) -> None:
        """Wait until everything queued so far (lazy deletes too) is committed."""

    async def delete_expired(self, now_ns: int, limit: int = 10_000) -> int:
        """Delete up to `limit` tasks whose expire_time passed before now_ns; how many went."""

    async def read(self, key: PartitionKey, after_id: int, limit: int) -> list[StoredTask]:
        """Up to `limit` tasks of a partition with id > after_id, oldest first."""

    async def count(self, key: PartitionKey) -> int: ...

    async def partitions(self) -> list[PartitionKey]:
        """Every partition that has at least one stored task."""

    # -- rate limits: the starts each rate-limited queue's window holds (matching/rate_limiter.py)

    async def record_start(self, key: QueueKey, until_ns: int) -> int:
        """Store a start of `key`'s queue holding its slot until `until_ns`; returns its id
        once committed. Unavailable if that failed."""

    def update_start_later(self, start_id: int, until_ns: int) -> None:
        """Move a start's end (history answered), with a later commit."""

    def delete_start_later(self, start_id: int) -> None:
        """Forget a start that did not happen (history refused the task), with a later commit."""

    async def starts(self, now_ns: int) -> list[StoredStart]:
        """Every stored start still holding its slot at `now_ns`."""

    async def delete_past_starts(self, now_ns: int, limit: int = 10_000) -> int:
        """Delete up to `limit` starts whose slot was free before now_ns; how many went."""
