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
"""
from __future__ import annotations

from typing import NamedTuple, Protocol

from matching.keys import PartitionKey
from protos import internal_pb2


class StoredTask(NamedTuple):
    id: int
    task: internal_pb2.TaskInfo | None  # None: the stored bytes do not decode (the row should go)


class Backlog(Protocol):
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
