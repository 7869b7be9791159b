"""Matching proper: hand tasks to long polls, durably park the rest.

AddTask: a waiting poll gets the task directly (sync match) and AddTask waits
for that poll's RecordTaskStarted: started -> ack as sync matched, stale ->
ack and drop, anything else (poll gone, history down) -> persist, then ack.

Poll: scan the polled partition's backlog, then the queue's other partitions
held here, then wait for a sync match or a "backlog grew" wake-up, until the
poll timeout. A backlog task is deleted only once history started it or called
it stale; on any other failure it goes back to memory (with backoff) and stays
in the DB, so no path loses a task.

A rate-limited activity (TaskInfo.rate_limit) is never sync matched: it is
stored, and a poll dispatches it only when its queue's window has a free slot
(`matching.rate_limiter.StartMeter`), else waits until one frees.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter

import grpc
import structlog

from fanflow import metrics
from fanflow.clients import HistoryClient
from fanflow.errors import Unavailable
from matching.persistence.store import Backlog
from matching.keys import PartitionKey, QueueKey
from matching.rate_limiter import Reservation, StartMeter
from matching.queries import QueryDispatcher, QueryOffer
from matching.partition import (
    CLOSE,
    FAILED,
    RECHECK,
    STALE,
    STARTED,
    BacklogTask,
    Offer,
    TaskQueue,
    backoff,
    expired,
    expiry_on_our_clock,
)
from protos import common_pb2, history_service_pb2, internal_pb2

log = structlog.get_logger("fanflow.matching")

_TASK_TYPE_LABEL = {common_pb2.TASK_TYPE_WORKFLOW: "workflow", common_pb2.TASK_TYPE_ACTIVITY: "activity"}

# Upper bound for one RecordTaskStarted call; a poll's client normally gives up
# sooner, which cancels the call.
HISTORY_CALL_TIMEOUT = 10.0

# History answers these for a task that is no longer pending: drop it.
_STALE_CODES = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION)


class _NotStarted(Exception):
    """History did not start the task; `code` is its gRPC status, if it answered."""

    def __init__(self, code: grpc.StatusCode | None, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason

    @property
    def stale(self) -> bool:
        return self.code in _STALE_CODES


class Matcher:
    def __init__(self, backlog: Backlog, history: HistoryClient, poll_timeout: float, batch_size: int):
        self._backlog = backlog
        self._history = history
        self._poll_timeout = poll_timeout
        self._batch_size = batch_size
        self._queues: dict[QueueKey, TaskQueue] = {}
        self._closing = False
        #: Query tasks (matching/queries.py): handed to workflow-task polls, never stored.
        self.queries = QueryDispatcher(self._queue_for_query)
        #: The windows of rate-limited queues (restored from the backlog file at start).
        self.meter = StartMeter(backlog)

    def _queue_for_query(self, key: QueueKey, create: bool) -> TaskQueue | None:
        return self.queue(key) if create else self._queues.get(key)

    def queue(self, key: QueueKey) -> TaskQueue:
        q = self._queues.get(key)
        if q is None:
            q = self._queues[key] = TaskQueue(key, self._backlog, self._batch_size)
        return q

    def existing_queue(self, key: QueueKey) -> TaskQueue | None:
        return self._queues.get(key)

    def queues(self) -> list[tuple[QueueKey, TaskQueue]]:
        return list(self._queues.items())

    def on_committed(self, gained: Counter[PartitionKey]) -> None:
        """Backlog callback after a commit: wake polls to read the new rows."""
        per_queue: Counter[QueueKey] = Counter()
        for key, count in gained.items():
            self.queue(key.queue).partition(key.partition).note_committed()
            per_queue[key.queue] += count
        for queue_key, count in per_queue.items():
            self._queues[queue_key].wake(count)

    def evict_idle(self, idle_for: float) -> int:
        """Forget queues nobody used for `idle_for` seconds (e.g. sticky queues of
        workers that are gone). Their counters restart at zero if they come back."""
        cutoff = time.monotonic() - idle_for
        idle = [key for key, q in self._queues.items() if q.idle_since(cutoff)]
        for key in idle:
            del self._queues[key]
        if idle:
            log.debug("evicted idle task queues", count=len(idle))
        self.meter.evict_idle()
        return len(idle)

    def close(self) -> None:
        self._closing = True
        self.queries.close()
        for q in self._queues.values():
            q.close()

    # -- AddTask -------------------------------------------------------------

    async def add_task(self, info: internal_pb2.TaskInfo, partition: int) -> bool:
        """Returns True if a poll started the task, False once it is stored (or stale)."""
        if self._closing:
            raise Unavailable("matching is stopping; retry the AddTask")
        key = QueueKey(info.namespace, info.task_queue.name, info.task_type)
        q = self.queue(key)
        q.enter()
        try:
            return await self._add_task(q, info, partition)
        finally:
            q.leave()

    async def _add_task(self, q: TaskQueue, info: internal_pb2.TaskInfo, partition: int) -> bool:
        key = q.key
        part = q.partition(partition)
        expiry_on_our_clock(info)
        if expired(info):  # e.g. an outbox delivery delayed past its schedule-to-start
            log.debug("expired task dropped on add", queue=key.describe(), workflow_id=info.workflow_id, scheduled_event_id=info.scheduled_event_id)
            metrics.MATCHING_TASKS_EXPIRED.inc()
            return False
        part.tasks_added += 1
        if info.HasField("rate_limit"):  # metered: stored, and dispatched by polls as the window allows
            await self._backlog.insert(part.key, info)
            return False
        waiter = q.pop_waiter()
        if waiter is not None:
            offer = Offer(info, partition, asyncio.get_running_loop().create_future())
            waiter.future.set_result(offer)
            outcome = await offer.outcome
            if outcome == STARTED:
                return True
            if outcome == STALE:
                log.debug("stale task dropped on sync match", queue=key.describe(), workflow_id=info.workflow_id, scheduled_event_id=info.scheduled_event_id)
                return False
            # FAILED: the poll went away or history did not answer; keep the task.
        await self._backlog.insert(part.key, info)
        return False

    # -- polls ---------------------------------------------------------------

    async def poll(self, task_type: int, partition: int, request, timeout: float | None = None):
        """The response history gave for the task this poll got, or None once
        `timeout` (default: the poll timeout) passed with no task."""
        q = self.queue(QueueKey(request.namespace, request.task_queue.name, task_type))
        q.enter()
        try:
            return await self._poll(q, task_type, partition, request, self._poll_timeout if timeout is None else timeout)
        finally:
            q.leave()

    async def _poll(self, q: TaskQueue, task_type: int, partition: int, request, timeout: float):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        q.partition(partition)
        q.note_poller(request.identity)
        first = True  # even a zero timeout scans the backlog once
        while not self._closing and (first or loop.time() < deadline):
            first = False
            version = q.version
            if task_type == common_pb2.TASK_TYPE_WORKFLOW and (query := self.queries.take(q.key, request.identity)) is not None:
                return query  # a query task waiting for a poller (nothing to start in history)
            task = await self._take_backlog(q, partition)
            slot_free_at = None  # a rate-limited queue's window is full until then (loop time)
            if task is not None:
                reservation = await self._reserve_start(q, task) if task.info.HasField("rate_limit") else None
                if isinstance(reservation, float):
                    slot_free_at = loop.time() + reservation
                else:
                    response = await self._dispatch_backlog(q, task, task_type, request, reservation)
                    if response is not None:
                        return response
                    continue
            if q.version != version:
                continue  # something landed while we were reading: look again
            if self._closing:
                break  # close() woke the waiters while we were reading
            now = loop.time()
            wake_at = deadline
            next_ready = q.next_ready()
            if next_ready is not None:
                wake_at = min(wake_at, next_ready)
            if slot_free_at is not None:
                wake_at = min(wake_at, slot_free_at)
            signal = await self._wait(q, partition, request.identity, max(wake_at - now, 0.0))
            if signal is None or signal is RECHECK:
                continue
            if signal is CLOSE:
                break
            if isinstance(signal, QueryOffer):
                query = self.queries.accept_offer(signal, request.identity)
                if query is not None:
                    return query
                continue
            response = await self._dispatch_offer(q, signal, task_type, request)
            if response is not None:
                return response
        return None

    async def _take_backlog(self, q: TaskQueue, partition: int) -> BacklogTask | None:
        loop = asyncio.get_running_loop()
        for part in q.scan_order(partition):
            try:
                await part.fill(loop.time())
            except Unavailable:
                if self._closing:
                    return None
                raise
            task = part.take(loop.time())
            if task is not None:
                return task
        return None

    async def _wait(self, q: TaskQueue, partition: int, identity: str, timeout: float):
        waiter = q.add_waiter(partition, identity)
        try:
            await asyncio.wait([waiter.future], timeout=timeout)
        except asyncio.CancelledError:
            q.remove_waiter(waiter)
            if waiter.future.done():
                signal = waiter.future.result()
                if isinstance(signal, Offer):
                    signal.settle(FAILED)  # AddTask will persist it
                elif isinstance(signal, QueryOffer):
                    self.queries.put_back(signal, q)  # another poll takes the query
                elif signal is RECHECK:
                    q.wake()  # pass the wake-up on to a poll that is still there
            else:
                waiter.future.cancel()
            raise
        q.remove_waiter(waiter)
        if not waiter.future.done():
            waiter.future.cancel()
            return None
        return waiter.future.result()

    async def _dispatch_offer(self, q: TaskQueue, offer: Offer, task_type: int, request):
        try:
            response = await self._record_started(task_type, offer.info, offer.partition, request)
        except asyncio.CancelledError:
            offer.settle(FAILED)
            raise
        except _NotStarted as exc:
            # Only NOT_FOUND drops a sync-matched task; anything else is stored and
            # retried from the backlog (where FAILED_PRECONDITION does drop it).
            stale = exc.code == grpc.StatusCode.NOT_FOUND
            offer.settle(STALE if stale else FAILED)
            if not stale:
                log.warning("sync match failed, task goes to the backlog", queue=q.key.describe(), reason=exc.reason)
            return None
        offer.settle(STARTED)
        part = q.partition(offer.partition)
        part.sync_matched += 1
        part.tasks_dispatched += 1
        metrics.MATCHING_TASKS_STARTED.labels(_TASK_TYPE_LABEL.get(task_type, str(task_type)), "sync").inc()
        return response

    async def _reserve_start(self, q: TaskQueue, task: BacklogTask) -> Reservation | float:
        """A slot in the window of the task's rate-limited queue; when it is full, the task goes
        back and this returns the seconds until a slot frees."""
        part = q.partition(task.partition)
        try:
            reservation = await self.meter.reserve(q.key, task.info.rate_limit)
        except BaseException:
            part.put_back(task)
            q.wake()
            raise
        if isinstance(reservation, float):
            part.put_back(task)
        return reservation

    async def _dispatch_backlog(self, q: TaskQueue, task: BacklogTask, task_type: int, request, reservation: Reservation | None = None):
        part = q.partition(task.partition)
        if expired(task.info):  # expired while it waited in memory: history has taken it over
            self._backlog.delete_later(task.id)
            metrics.MATCHING_TASKS_EXPIRED.inc()
            if reservation is not None:
                self.meter.not_started(reservation)
            return None
        try:
            response = await self._record_started(task_type, task.info, task.partition, request)
        except asyncio.CancelledError:
            # The poll is gone; the task was never handed out (history may have started it:
            # a rate-limited slot stays held).
            if reservation is not None:
                self.meter.started(reservation)
            part.put_back(task)
            q.wake()
            raise
        except _NotStarted as exc:
            if reservation is not None:  # refused as stale: no start; anything else may have been one
                (self.meter.not_started if exc.stale else self.meter.started)(reservation)
            if exc.stale:
                log.debug("stale backlog task dropped", queue=q.key.describe(), task_id=task.id, reason=exc.reason)
                self._backlog.delete_later(task.id)
            else:
                task.failures += 1
                delay = backoff(task.failures)
                task.not_before = asyncio.get_running_loop().time() + delay
                log.warning("history did not start backlog task, will retry", queue=q.key.describe(), task_id=task.id,
                            failures=task.failures, retry_in=delay, reason=exc.reason)
                part.put_back(task)
                q.wake()
            return None
        if reservation is not None:
            self.meter.started(reservation)
        self._backlog.delete_later(task.id)
        part.tasks_dispatched += 1
        metrics.MATCHING_TASKS_STARTED.labels(_TASK_TYPE_LABEL.get(task_type, str(task_type)), "backlog").inc()
        return response

    async def _record_started(self, task_type: int, info: internal_pb2.TaskInfo, partition: int, request):
        req = history_service_pb2.RecordTaskStartedRequest(
            task=info, identity=request.identity, partition=partition, polled_task_queue=request.task_queue
        )
        try:
            stub = self._history.stub(info.shard_id)
            if task_type == common_pb2.TASK_TYPE_WORKFLOW:
                response = await stub.RecordWorkflowTaskStarted(req, timeout=HISTORY_CALL_TIMEOUT)
            else:
                response = await stub.RecordActivityTaskStarted(req, timeout=HISTORY_CALL_TIMEOUT)
        except grpc.aio.AioRpcError as exc:
            raise _NotStarted(exc.code(), f"{exc.code().name}: {exc.details()}") from exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # e.g. no history host for the shard in the config
            raise _NotStarted(None, f"{type(exc).__name__}: {exc}") from exc
        if not response.task_token:
            # An empty token would read as "poll timed out" to the worker and lose the task.
            raise _NotStarted(None, "history returned a response without a task token")
        response.partition = partition
        return response
