"""In-memory state of task queues: per-partition backlog buffers and waiting polls.

A `Partition` holds a bounded window of its backlog rows (read from the store by
id, in batches, as the window drains) and its counters. A `TaskQueue` groups the
partitions of one (namespace, name, task type) held by this process with the
polls waiting on it: a poll of any partition may be served by any of them.

Nothing here awaits except `Partition.fill`, so every check-then-act below is
atomic on the event loop.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

import structlog

from fanflow import clock, metrics
from matching.persistence.store import Backlog
from matching.keys import PartitionKey, QueueKey
from protos import internal_pb2

log = structlog.get_logger("fanflow.matching")

# A backlog task history could not start (UNAVAILABLE etc.) waits this long
# before it is offered again, doubling per failure up to the maximum.
RETRY_BACKOFF_INITIAL = 0.2
RETRY_BACKOFF_MAX = 5.0

RECENT_POLLER_WINDOW = 300.0  # seconds an identity stays in DescribeTaskQueue
RECENT_POLLER_MAX = 64


@dataclass(eq=False, slots=True)
class BacklogTask:
    id: int
    info: internal_pb2.TaskInfo
    partition: int
    failures: int = 0
    not_before: float = 0.0  # loop time


class Signal:
    """What a waiting poll is woken with, besides an Offer."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


RECHECK = Signal("recheck")  # the backlog gained tasks: scan it again
CLOSE = Signal("close")  # the process is stopping: return empty


STARTED, STALE, FAILED = "started", "stale", "failed"


@dataclass(eq=False, slots=True)
class Offer:
    """A task handed from AddTask straight to a waiting poll (sync match).

    The poll settles `outcome` after calling history; AddTask waits for it to
    decide between acking, dropping and persisting.
    """

    info: internal_pb2.TaskInfo
    partition: int
    outcome: asyncio.Future

    def settle(self, outcome: str) -> None:
        if not self.outcome.done():
            self.outcome.set_result(outcome)


@dataclass(eq=False, slots=True)
class Waiter:
    id: int
    partition: int
    identity: str
    future: asyncio.Future  # -> Offer | Signal


class Partition:
    def __init__(self, key: PartitionKey, backlog: Backlog, batch_size: int):
        self.key = key
        self._backlog = backlog
        self._batch_size = batch_size
        # Read another batch only while the window is below this, so memory
        # stays bounded even when many tasks sit backed off in the window.
        self._window_cap = 2 * batch_size
        self.buffer: deque[BacklogTask] = deque()
        self.read_level = 0  # highest row id read into memory
        self.maybe_more = True  # the DB may hold rows above read_level
        self._commit_gen = 0
        self._fill_lock = asyncio.Lock()
        self._skip_ids: set[int] = set()  # rows in memory already when the partition was read again from the start
        self.tasks_added = 0
        self.tasks_dispatched = 0
        self.sync_matched = 0

    def note_committed(self) -> None:
        self.maybe_more = True
        self._commit_gen += 1

    def rescan(self) -> None:
        """Read the stored rows again from the start (live membership: rows a former owner
        stored while the processes' views of who owns this partition differed can sit below
        read_level). Rows already in memory are not taken twice."""
        self._skip_ids = {task.task_id for task in self.buffer}
        self.read_level = 0
        self.note_committed()

    def _has_ready(self, now: float) -> bool:
        return any(task.not_before <= now for task in self.buffer)

    async def fill(self, now: float) -> None:
        """Read the next batch of rows if nothing in memory is ready to go."""
        if not self.maybe_more or len(self.buffer) >= self._window_cap or self._has_ready(now):
            return
        async with self._fill_lock:  # two polls must never read the same rows
            if not self.maybe_more or len(self.buffer) >= self._window_cap or self._has_ready(now):
                return
            # Read on while whole batches are dropped (expired or unreadable), so live rows
            # behind them are found by this poll rather than the next.
            while True:
                gen = self._commit_gen
                rows = await self._backlog.read(self.key, self.read_level, self._batch_size)
                kept = 0
                for task_id, info in rows:
                    self.read_level = max(self.read_level, task_id)
                    if self._skip_ids and task_id in self._skip_ids:
                        self._skip_ids.discard(task_id)
                        continue
                    if info is None:
                        log.error("dropping unreadable backlog row", task_id=task_id, queue=self.key.queue.describe(), partition=self.key.partition)
                        self._backlog.delete_later(task_id)
                        continue
                    if expired(info):
                        self._backlog.delete_later(task_id)
                        metrics.MATCHING_TASKS_EXPIRED.inc()
                        continue
                    self.buffer.append(BacklogTask(task_id, info, self.key.partition))
                    kept += 1
                # A commit during the read may have landed above what we saw.
                if len(rows) < self._batch_size and gen == self._commit_gen:
                    self.maybe_more = False
                if kept or len(rows) < self._batch_size:
                    return

    def take(self, now: float) -> BacklogTask | None:
        """Remove and return the oldest task that is not backing off."""
        for index, task in enumerate(self.buffer):
            if task.not_before <= now:
                del self.buffer[index]
                return task
        return None

    def put_back(self, task: BacklogTask) -> None:
        self.buffer.appendleft(task)

    def next_ready(self) -> float | None:
        return min((task.not_before for task in self.buffer), default=None)


class TaskQueue:
    def __init__(self, key: QueueKey, backlog: Backlog, batch_size: int):
        self.key = key
        self._backlog = backlog
        self._batch_size = batch_size
        self.partitions: dict[int, Partition] = {}
        self._waiters: dict[int, Waiter] = {}  # insertion order = FIFO
        self._waiter_ids = itertools.count()
        # Bumped whenever the backlog may have gained a ready task; a poll that
        # saw it change during its scan scans again instead of sleeping.
        self.version = 0
        self._identities: OrderedDict[str, float] = OrderedDict()
        # Polls/adds running on this queue right now; a queue is only evicted at 0,
        # so a task a poll holds can never be put back into an orphaned partition.
        self.active = 0
        self.last_used = time.monotonic()

    def enter(self) -> None:
        self.active += 1
        self.last_used = time.monotonic()

    def leave(self) -> None:
        self.active -= 1
        self.last_used = time.monotonic()

    def idle_since(self, cutoff: float) -> bool:
        """Nothing running, waiting or buffered, and the DB is known to hold nothing unread."""
        return (
            self.active == 0
            and not self._waiters
            and self.last_used < cutoff
            and all(not part.buffer and not part.maybe_more for part in self.partitions.values())
        )

    def partition(self, index: int) -> Partition:
        part = self.partitions.get(index)
        if part is None:
            part = self.partitions[index] = Partition(PartitionKey(self.key, index), self._backlog, self._batch_size)
        return part

    def drop_partition(self, index: int) -> None:
        """This process no longer serves the partition (live membership moved it): forget what
        is in memory; its stored rows stay for the new owner."""
        self.partitions.pop(index, None)

    def scan_order(self, preferred: int) -> list[Partition]:
        """The polled partition first, then the others this process holds."""
        first = [self.partitions[preferred]] if preferred in self.partitions else []
        return first + [self.partitions[p] for p in sorted(self.partitions) if p != preferred]

    def next_ready(self) -> float | None:
        times = [t for t in (part.next_ready() for part in self.partitions.values()) if t is not None]
        return min(times, default=None)

    # -- waiting polls -----------------------------------------------------

    def add_waiter(self, partition: int, identity: str) -> Waiter:
        waiter = Waiter(next(self._waiter_ids), partition, identity, asyncio.get_running_loop().create_future())
        self._waiters[waiter.id] = waiter
        return waiter

    def remove_waiter(self, waiter: Waiter) -> None:
        self._waiters.pop(waiter.id, None)

    def pop_waiter(self) -> Waiter | None:
        while self._waiters:
            waiter = self._waiters.pop(next(iter(self._waiters)))
            if not waiter.future.done():
                return waiter
        return None

    def wake(self, count: int = 1) -> None:
        """Tell up to `count` waiting polls to scan the backlog again."""
        self.version += 1
        for _ in range(count):
            waiter = self.pop_waiter()
            if waiter is None:
                return
            waiter.future.set_result(RECHECK)

    def close(self) -> None:
        while (waiter := self.pop_waiter()) is not None:
            waiter.future.set_result(CLOSE)

    def has_waiters(self) -> bool:
        """A poll is waiting on this queue right now (on any partition held here)."""
        return any(not w.future.done() for w in self._waiters.values())

    def waiting(self, partition: int) -> int:
        return sum(1 for w in self._waiters.values() if w.partition == partition and not w.future.done())

    # -- poller identities -------------------------------------------------

    def note_poller(self, identity: str) -> None:
        if not identity:
            return
        self._identities.pop(identity, None)
        self._identities[identity] = time.monotonic()
        while len(self._identities) > RECENT_POLLER_MAX:
            self._identities.popitem(last=False)

    def recent_pollers(self) -> list[str]:
        cutoff = time.monotonic() - RECENT_POLLER_WINDOW
        return [identity for identity, seen in reversed(self._identities.items()) if seen >= cutoff]


def expiry_on_our_clock(info: internal_pb2.TaskInfo) -> None:
    """History stamps a task's expire_time and created_time by its own clock, which may be
    minutes off ours: keep the lifetime between the two and count it from now, on our clock,
    so a skew cannot drop a task before history's schedule-to-start timer takes it over (a
    task kept a little longer is harmless: history refuses it as stale). A task without a
    created_time keeps its expire_time as it is."""
    if info.HasField("expire_time") and info.HasField("created_time"):
        lifetime = info.expire_time.ToNanoseconds() - info.created_time.ToNanoseconds()
        info.expire_time.FromNanoseconds(clock.now_ns() + max(0, lifetime))


def expired(info: internal_pb2.TaskInfo) -> bool:
    """Past its expire_time: history's schedule-to-start timer has taken it over."""
    return info.HasField("expire_time") and info.expire_time.ToNanoseconds() < clock.now_ns()


def backoff(failures: int) -> float:
    return min(RETRY_BACKOFF_INITIAL * (2 ** max(failures - 1, 0)), RETRY_BACKOFF_MAX)
