"""The outbox (transfer) queue: hands the tasks history committed to matching, and to
other history shards.

A commit that creates tasks for matching writes them as outbox rows in the same
transaction; once committed they reach this queue in memory. The pump sends each
to matching (`AddTask`, retried until acked) and deletes the row only after
matching acked it (or refused it for good), in batches. A crash in between means
the task is sent again by the next owner, which reads the rows left behind once
at start; matching's RecordTaskStarted refuses the copy as stale.

Child workflows add tasks for history shards (`TaskInfo.transfer_kind` set): start a
child, report a child's close to its parent, apply a parent close policy, ask a child
to cancel. `history/child_transfers.py` carries each out, retried until the other shard
answered; the receiving side is idempotent, so a re-delivered row changes nothing twice.
They have a queue and slots of their own, so a history host that is down does not hold
up matching.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from fanflow import metrics
from history.child_transfers import ChildTransfers
from history.persistence.store import OutboxTask
from protos import internal_pb2

if TYPE_CHECKING:
    from history.shard import Shard

log = structlog.get_logger("fanflow.history.shard")

CONCURRENCY = 64  # deliveries in flight per shard
TRANSFER_CONCURRENCY = 64  # deliveries to other history shards (child workflows) in flight per shard
RECOVERY_PAGE = 512
DELETE_EVERY = 0.05  # seconds between batched deletes of acked rows
IN_DOUBT_DELAY = 0.5  # seconds before the outbox rows of failed commits are looked up
IN_DOUBT_RETRY = 1.0  # seconds between lookups while the store does not answer


class OutboxQueue:
    def __init__(self, shard: "Shard"):
        self._shard = shard
        self._ready: list[OutboxTask] = []
        self._wakeup = asyncio.Event()
        self._acked: list[int] = []
        self.sent = 0  # tasks matching acked (observability)
        self._dispatched_metric = metrics.TASKS_DISPATCHED.labels(str(shard.shard_id))
        self.transfers = ChildTransfers(shard)
        self._transfers_ready: asyncio.Queue[OutboxTask] = asyncio.Queue()
        self._in_doubt: list[int] = []
        self._in_doubt_added = asyncio.Event()
        self.found_in_doubt = 0  # tasks of failed commits found committed after all (observability)

    def start(self) -> list[asyncio.Task]:
        name = f"shard-{self._shard.shard_id}"
        return [
            asyncio.create_task(self._pump(), name=f"{name}-outbox"),
            asyncio.create_task(self._delete_loop(), name=f"{name}-outbox-delete"),
            asyncio.create_task(self._transfer_pump(), name=f"{name}-outbox-transfers"),
            asyncio.create_task(self._look_up_in_doubt(), name=f"{name}-outbox-in-doubt"),
        ]

    def committed(self, tasks: list[OutboxTask]) -> None:
        """Outbox rows just committed by this shard: deliver them (no re-read)."""
        self._ready.extend(tasks)
        self._wakeup.set()

    def in_doubt(self, tasks: list[OutboxTask]) -> None:
        """Outbox rows of a commit that failed as far as this process knows: it may have landed
        all the same (the connection was lost after COMMIT was sent). Those found in the store
        once it answers again are delivered; without this they would wait for the next owner."""
        self._in_doubt.extend(row_id for row_id, _ in tasks)
        self._in_doubt_added.set()

    async def _look_up_in_doubt(self) -> None:
        while True:
            await self._in_doubt_added.wait()
            self._in_doubt_added.clear()
            await asyncio.sleep(IN_DOUBT_DELAY)  # let the failed commits of one outage gather
            ids, self._in_doubt = self._in_doubt, []
            if not ids:  # taken by the previous round already
                continue
            found = await self._outbox_rows_when_answered(ids)
            if found:
                log.warning("commits reported as failed had landed: delivering their tasks",
                            shard=self._shard.shard_id, tasks=len(found))
                self.found_in_doubt += len(found)
                self.committed(found)

    async def _outbox_rows_when_answered(self, ids: list[int]) -> list[OutboxTask]:
        """store.outbox_rows(ids), asked again until the store answers."""
        while True:
            try:
                return await self._shard.store.outbox_rows(ids)
            except Exception as exc:  # the store is still unavailable: ask again
                log.warning("could not look up the outbox rows of failed commits, will retry",
                            shard=self._shard.shard_id, rows=len(ids), error=str(exc)[:300])
                await asyncio.sleep(IN_DOUBT_RETRY)

    async def _pump(self) -> None:
        """Hand every outbox row to matching; a row stays until matching acked it. Rows
        left by an earlier owner are read back once; ours arrive in memory after commit."""
        slots = asyncio.Semaphore(CONCURRENCY)

        async def dispatch(row_id: int, task: internal_pb2.TaskInfo) -> None:
            if task.transfer_kind:  # for another history shard: its own queue
                self._transfers_ready.put_nowait(OutboxTask(row_id, task))
                return
            await slots.acquire()
            delivery = asyncio.create_task(self._deliver(row_id, task))
            delivery.add_done_callback(lambda _t: slots.release())

        cursor = 0
        while True:
            rows = await self._shard.store.outbox_from_previous_owners(cursor, RECOVERY_PAGE)
            if not rows:
                break
            cursor = rows[-1].id
            for row_id, task in rows:
                await dispatch(row_id, task)
        while True:
            self._wakeup.clear()
            if not self._ready:
                await self._wakeup.wait()
                continue
            ready, self._ready = self._ready, []
            for row_id, task in ready:
                await dispatch(row_id, task)

    async def _transfer_pump(self) -> None:
        """Carry out the tasks for other history shards, TRANSFER_CONCURRENCY at a time."""
        slots = asyncio.Semaphore(TRANSFER_CONCURRENCY)

        async def deliver(row_id: int, task: internal_pb2.TaskInfo) -> None:
            try:
                if await self.transfers.deliver(task):
                    self._acked.append(row_id)
            finally:
                slots.release()

        in_flight: set[asyncio.Task] = set()
        try:
            while True:
                row_id, task = await self._transfers_ready.get()
                await slots.acquire()
                delivery = asyncio.create_task(deliver(row_id, task))
                in_flight.add(delivery)
                delivery.add_done_callback(in_flight.discard)
        finally:  # the shard stops: deliveries retrying against a host that is down stop too (the rows stay)
            for delivery in in_flight:
                delivery.cancel()

    async def _deliver(self, row_id: int, task: internal_pb2.TaskInfo) -> None:
        acked = await self._shard.matching.add_task_until_acked(task)
        self._acked.append(row_id)  # acked, or rejected for good: the row is done either way
        if acked:
            self.sent += 1
            self._dispatched_metric.inc()

    async def _delete_loop(self) -> None:
        while True:
            await asyncio.sleep(DELETE_EVERY)
            await self.flush_deletes()

    async def flush_deletes(self) -> None:
        if not self._acked or self._shard.store.lost:
            return
        ids, self._acked = self._acked, []
        try:
            await self._shard.store.delete_outbox(ids)
        except Exception as exc:
            # Harmless: a re-sent task is rejected by RecordTaskStarted as stale.
            log.warning("outbox delete failed", error=str(exc))
