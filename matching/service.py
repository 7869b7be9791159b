"""gRPC MatchingService: validates requests and hands them to the Matcher.

The process serves whatever partition it is asked for (callers route by
`routing.matching_owner_index`); only DescribeTaskQueue filters by ownership,
so that the frontend can merge the answers of all matching processes.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import structlog

from fanflow import clock, metrics, routing
from fanflow.clients import POLL_WAIT_METADATA, HistoryClient, MatchingClient
from fanflow.config import ClusterConfig
from fanflow.errors import InvalidArgument, Unavailable
from fanflow.grpcutil import rpc_method
from fanflow.sqlite_health import BadStorage, DiskFull
from fanflow.membership import Membership
from matching.keys import PartitionKey, QueueKey
from matching.matcher import Matcher
from matching.persistence import backlog_store
from protos import (
    admin_service_pb2,
    common_pb2,
    matching_service_pb2,
    matching_service_pb2_grpc,
    workflow_service_pb2,
)

log = structlog.get_logger("fanflow.matching")

DEFAULT_READ_BATCH = 1000
EVICT_IDLE_FOR = 600.0
SWEEP_BATCH = 5_000  # expired rows deleted per transaction
MAX_NAME_LENGTH = 1000
# A poll stops waiting this long before its caller's deadline, leaving time to
# hand out a task it found at the last moment (RecordTaskStarted).
POLL_DEADLINE_RESERVE = 1.0
_TASK_TYPES = (common_pb2.TASK_TYPE_WORKFLOW, common_pb2.TASK_TYPE_ACTIVITY)


class MatchingServicer(matching_service_pb2_grpc.MatchingServiceServicer):
    METRICS_SERVICE = "matching"

    def __init__(
        self,
        config: ClusterConfig,
        host_name: str,
        history: HistoryClient,
        *,
        read_batch_size: int = DEFAULT_READ_BATCH,
        matching: MatchingClient | None = None,
        housekeeping_every: float | None = None,
        membership: Membership | None = None,
    ):
        """matching: how to reach the other matching processes, for handing over the backlog of
        partitions this process no longer owns (after the cluster's matching hosts changed).
        housekeeping_every: seconds between sweeps for idle queues and expired stored tasks
        (default: the config's matching_housekeeping_interval). membership: live membership
        (PostgreSQL, no hosts in the config): this process serves the partitions the view gives
        it, refuses the others (UNAVAILABLE, the caller follows), and reads the stored tasks of
        partitions it gains from the shared backlog."""
        if read_batch_size < 1:
            raise ValueError("read_batch_size must be at least 1")
        self.config = config
        self.host_name = host_name
        self.history = history
        self.matching = matching
        self.housekeeping_every = config.matching_housekeeping_interval if housekeeping_every is None else housekeeping_every
        self._handovers: list[asyncio.Task] = []
        self.handed_over = 0  # tasks moved to their partition's new owner (observability)
        self._backlog = backlog_store(config, host_name, on_committed=self._on_committed)
        self._matcher = Matcher(self._backlog, history, config.poll_timeout, read_batch_size)
        self._started = False
        self._stopped = False
        self._evictor: asyncio.Task | None = None
        self.refusal: str | None = None  # the backlog's file cannot be used: why, and what to do (rpc_method answers it)
        self._reopen: asyncio.Task | None = None  # opening again once a full disk has space
        self.membership = membership
        self._members_seen: tuple | None = None  # the matching members of the last view acted on
        self._rescans: set[asyncio.Task] = set()

    @property
    def db_path(self) -> Path:
        """The backlog's file (SQLite)."""
        return Path(self._backlog.location)

    def _on_committed(self, gained) -> None:
        self._matcher.on_committed(gained)

    async def start(self) -> None:
        if self.config.matching_hosts and self.host_name not in {h.name for h in self.config.matching_hosts}:
            log.warning("host name not in cluster config; DescribeTaskQueue will report nothing as owned", host=self.host_name)
        try:
            await self._backlog.open()
        except (BadStorage, DiskFull) as exc:  # every call answers UNAVAILABLE with this; nothing is served from memory
            self.refusal = exc.message
            log.error(f"matching {self.host_name} not served{' yet' if isinstance(exc, DiskFull) else ''}: {exc.message}")
            if isinstance(exc, DiskFull):  # tried again until there is space
                self._reopen = asyncio.create_task(self._start_when_space(), name=f"matching-reopen:{self.host_name}")
            return
        self.refusal = None
        held = await self._matcher.meter.restore()  # rate limits: the starts still in their window
        # Partitions with stored tasks are known from the start, so polls of a
        # sibling partition can find them before anyone polls their own partition.
        keys = await self._backlog.partitions()
        # A shared backlog (PostgreSQL) holds every process's partitions: their owners read them.
        foreign = [] if getattr(self._backlog, "shared", False) else [key for key in keys if not self._owns(key.queue, key.partition)]
        for key in keys:
            if key not in foreign and self._owns(key.queue, key.partition):
                self._matcher.queue(key.queue).partition(key.partition)
        if foreign:
            if self.matching is None:
                log.warning("backlog of partitions owned elsewhere stays here (no matching client to hand it over)", partitions=len(foreign))
            else:
                self._handovers = [asyncio.create_task(self._hand_over(key), name=f"matching-handover:{key.queue.describe()}/{key.partition}") for key in foreign]
        self._evictor = asyncio.create_task(self._evict_loop(), name=f"matching-evictor:{self.host_name}")
        if self.membership is not None:
            self._members_seen = self.membership.view.candidates_signature()[1]
            self.membership.add_listener(self._on_view)
        self._started = True
        log.info("matching started", host=self.host_name, db=self._backlog.location, partitions_with_backlog=len(keys), rate_limited_starts_held=held)

    async def _start_when_space(self, every: float = 2.0) -> None:
        while self.refusal is not None and not self._stopped:
            await asyncio.sleep(every)
            try:
                await self._backlog.open()
            except DiskFull:
                continue
            except BadStorage as exc:
                self.refusal = exc.message
                log.error(f"matching {self.host_name} not served: {exc.message}")
                return
            await self._backlog.close()  # start() opens it again, and sets up the rest
            await self.start()
            if self.refusal is None:
                log.warning(f"matching {self.host_name} served: its disk has space again")

    async def stop(self) -> None:
        if self._reopen is not None:
            self._reopen.cancel()
        if not self._started or self._stopped:
            return
        self._stopped = True
        if self._evictor is not None:
            self._evictor.cancel()
        for task in self._handovers:
            task.cancel()
        await asyncio.gather(*self._handovers, return_exceptions=True)
        for task in self._rescans:
            task.cancel()
        self._matcher.close()  # waiting polls return empty now
        await self._backlog.close()
        log.info("matching stopped", host=self.host_name)

    async def _on_view(self, view) -> None:
        """Live membership: when the matching members changed, forget the partitions that went
        to others and load the stored tasks of those that came here."""
        members = view.candidates_signature()[1]
        if members == self._members_seen or not self._started or self._stopped:
            return
        self._members_seen = members
        dropped = 0
        for queue_key, q in self._matcher.queues():
            for p in list(q.partitions):
                if not self._owns(queue_key, p):
                    q.drop_partition(p)
                    dropped += 1
        gained = []
        for key in await self._backlog.partitions():
            if self._owns(key.queue, key.partition):
                q = self._matcher.queue(key.queue)
                if key.partition not in q.partitions:
                    q.partition(key.partition)
                    gained.append(key)
                    q.wake(len(q.partitions))
        log.info("matching members changed", members=list(members), partitions_dropped=dropped, partitions_gained=len(gained))
        if gained:
            task = asyncio.get_running_loop().create_task(self._rescan_later(gained), name=f"matching-rescan:{self.host_name}")
            self._rescans.add(task)
            task.add_done_callback(self._rescans.discard)

    async def _rescan_later(self, keys) -> None:
        """Once every process has surely seen the new view (two heartbeats), read the gained
        partitions again from the start: a former owner may have stored a task in between."""
        await asyncio.sleep(2.5 * self.config.membership_heartbeat_interval)
        for key in keys:
            q = self._matcher.existing_queue(key.queue)
            part = q.partitions.get(key.partition) if q is not None else None
            if part is not None and self._owns(key.queue, key.partition):
                part.rescan()
                q.wake(len(q.partitions))

    def _check_owner(self, method: str, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int) -> None:
        """Live membership: only the partition's owner in this process's view serves it."""
        if self.membership is None:
            return
        count = routing.partition_count_for(task_queue, self.config.task_queue_partitions)
        owner = self.membership.view.partition_owner(namespace, task_queue.name, task_type, partition, count)
        if owner is None or owner.name != self.host_name:
            self.membership.refresh_soon()
            raise Unavailable(f"{method}: partition {partition} of task queue {task_queue.name!r} is not owned by matching host "
                              f"{self.host_name!r} (owner: {owner.name if owner else 'none live'}); ask again")

    async def _evict_loop(self) -> None:
        while True:
            await asyncio.sleep(self.housekeeping_every)
            try:
                self._matcher.evict_idle(EVICT_IDLE_FOR)
                await self._sweep_expired()
            except Unavailable as exc:
                log.warning("matching housekeeping skipped", error=str(exc))
            except Exception:  # never let housekeeping take the service down
                log.exception("matching housekeeping failed")

    async def _sweep_expired(self) -> None:
        """Delete stored tasks past their expire_time, in bounded batches so polls and
        inserts get the database in between."""
        total = 0
        while True:
            deleted = await self._backlog.delete_expired(clock.now_ns(), limit=SWEEP_BATCH)
            total += deleted
            if deleted < SWEEP_BATCH:
                break
            await asyncio.sleep(0)
        if total:
            metrics.MATCHING_TASKS_EXPIRED.inc(total)
            log.info("expired stored tasks deleted", count=total)
        while await self._backlog.delete_past_starts(time.time_ns(), limit=SWEEP_BATCH) == SWEEP_BATCH:
            await asyncio.sleep(0)  # rate limits: starts whose window passed

    async def _hand_over(self, key) -> None:
        """Move a partition's stored tasks to the process that owns it now (the cluster's
        matching hosts changed): AddTask there, delete here once it acked. A crash in between
        re-sends on the next start; history drops a task that is no longer pending."""
        assert self.matching is not None
        after, moved = 0, 0
        while True:
            rows = await self._backlog.read(key, after, 256)
            if not rows:
                break
            for task_id, task in rows:
                # acked by the new owner, or rejected for good (or unreadable): either way it leaves here
                if task is not None:
                    await self.matching.add_task_until_acked(task, key.partition)
                self._backlog.delete_later(task_id)
                after = task_id
                moved += 1
                self.handed_over += 1
        await self._backlog.flush()
        owner = self.matching.owner(key.queue.namespace, common_pb2.TaskQueue(name=key.queue.name), key.queue.task_type, key.partition)
        log.info("handed over backlog of a partition this process no longer owns", queue=key.queue.name, partition=key.partition, tasks=moved, to=owner.name)

    # -- RPCs ----------------------------------------------------------------

    @rpc_method
    async def AddTask(self, request: matching_service_pb2.AddTaskRequest, context) -> matching_service_pb2.AddTaskResponse:
        self._check_running()
        task = request.task
        if not request.HasField("task"):
            raise InvalidArgument("AddTask: task is required")
        self._check_queue("AddTask", task.namespace, task.task_queue)
        if task.task_type not in _TASK_TYPES:
            raise InvalidArgument(f"AddTask: task.task_type must be TASK_TYPE_WORKFLOW or TASK_TYPE_ACTIVITY, got {task.task_type}")
        if not task.workflow_id or not task.run_id:
            raise InvalidArgument("AddTask: task.workflow_id and task.run_id are required")
        if not 0 <= task.shard_id < self.config.history_shard_count:
            raise InvalidArgument(
                f"AddTask: task.shard_id {task.shard_id} is outside 0..{self.config.history_shard_count - 1} (history_shard_count)"
            )
        self._check_partition("AddTask", request.partition, task.task_queue)
        self._check_owner("AddTask", task.namespace, task.task_queue, task.task_type, request.partition)
        if task.HasField("rate_limit"):
            self._check_rate_limit(task, request.partition)
        sync_matched = await self._matcher.add_task(task, request.partition)
        return matching_service_pb2.AddTaskResponse(sync_matched=sync_matched)

    @rpc_method
    async def PollWorkflowTaskQueue(self, request: matching_service_pb2.PollWorkflowTaskQueueRequest, context):
        return await self._poll("PollWorkflowTaskQueue", common_pb2.TASK_TYPE_WORKFLOW, request,
                                workflow_service_pb2.PollWorkflowTaskQueueResponse, context)

    @rpc_method
    async def PollActivityTaskQueue(self, request: matching_service_pb2.PollActivityTaskQueueRequest, context):
        return await self._poll("PollActivityTaskQueue", common_pb2.TASK_TYPE_ACTIVITY, request,
                                workflow_service_pb2.PollActivityTaskQueueResponse, context)

    async def _poll(self, method: str, task_type: int, request, empty_response, context=None):
        self._check_running()
        poll = request.request
        self._check_queue(method, poll.namespace, poll.task_queue)
        self._check_partition(method, request.partition, poll.task_queue)
        self._check_owner(method, poll.namespace, poll.task_queue, task_type, request.partition)
        response = await self._matcher.poll(task_type, request.partition, poll, timeout=self._poll_wait(method, context))
        return response if response is not None else empty_response()

    def _poll_wait(self, method: str, context) -> float:
        """How long a poll may wait for a task: poll_timeout, or less if the caller
        asks (POLL_WAIT_METADATA) or its deadline is near, so that we answer empty
        in time instead of being cancelled while handing out a task."""
        wait = self.config.poll_timeout
        if context is None:
            return wait
        for key, value in context.invocation_metadata() or ():
            if key == POLL_WAIT_METADATA:
                try:
                    wait = min(wait, max(0.0, float(value)))
                except ValueError:
                    raise InvalidArgument(f"{method}: metadata {POLL_WAIT_METADATA}={value!r} is not a number of seconds") from None
        remaining = context.time_remaining()
        if remaining is not None:
            wait = min(wait, max(0.0, remaining - POLL_DEADLINE_RESERVE))
        return wait

    @rpc_method
    async def DescribeTaskQueue(self, request: matching_service_pb2.DescribeTaskQueueRequest, context):
        self._check_running()
        inner = request.request
        self._check_queue("DescribeTaskQueue", inner.namespace, inner.task_queue)
        if inner.task_type not in _TASK_TYPES:
            raise InvalidArgument("DescribeTaskQueue: task_type must be TASK_TYPE_WORKFLOW or TASK_TYPE_ACTIVITY")
        count = routing.partition_count_for(inner.task_queue, self.config.task_queue_partitions)
        partitions = list(request.partitions) or list(range(count))
        for p in partitions:
            self._check_partition("DescribeTaskQueue", p, inner.task_queue)
        key = QueueKey(inner.namespace, inner.task_queue.name, inner.task_type)
        q = self._matcher.existing_queue(key)
        await self._backlog.flush()  # so lazily deleted tasks do not count
        response = admin_service_pb2.DescribeTaskQueueResponse()
        for p in sorted(set(partitions)):
            if not self._owns(key, p):
                continue
            part = q.partitions.get(p) if q is not None else None
            response.partitions.append(
                admin_service_pb2.TaskQueuePartitionInfo(
                    partition=p,
                    owner=self.host_name,
                    backlog=await self._backlog.count(PartitionKey(key, p)),
                    pollers=q.waiting(p) if q is not None else 0,
                    tasks_added=part.tasks_added if part else 0,
                    tasks_dispatched=part.tasks_dispatched if part else 0,
                    sync_matched=part.sync_matched if part else 0,
                )
            )
        if q is not None:
            response.recent_poller_identities.extend(q.recent_pollers())
        return response

    # -- queries, updates and human input (matching/queries.py) ----------------

    @rpc_method
    async def QueryWorkflow(self, request: matching_service_pb2.QueryWorkflowTaskRequest, context):
        self._check_running()
        self._check_queue("QueryWorkflow", request.namespace, request.task_queue)
        self._check_partition("QueryWorkflow", request.partition, request.task_queue)
        if not request.task.HasField("query") or not request.task.query.query_type:
            raise InvalidArgument("QueryWorkflow: task.query.query_type is required")
        wait = request.wait.ToNanoseconds() / 1e9 or self.config.poll_timeout
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:  # answer (NOT_TAKEN / NO_ANSWER) before our caller gives up
            wait = min(wait, max(0.0, remaining - POLL_DEADLINE_RESERVE))
        return await self._matcher.queries.dispatch(request, wait)

    @rpc_method
    async def RespondQueryTaskCompleted(self, request: matching_service_pb2.RespondQueryTaskCompletedRequest, context):
        self._check_running()
        if not request.query_id:
            raise InvalidArgument("RespondQueryTaskCompleted: query_id is required")
        self._matcher.queries.answer(request.query_id, request.request)
        return workflow_service_pb2.RespondQueryTaskCompletedResponse()

    # -- helpers -------------------------------------------------------------

    def _check_running(self) -> None:
        if not self._started:
            raise Unavailable(f"matching {self.host_name!r} is not started yet")
        if self._stopped:
            raise Unavailable(f"matching {self.host_name!r} is stopping")

    @staticmethod
    def _check_queue(method: str, namespace: str, task_queue: common_pb2.TaskQueue) -> None:
        if not namespace:
            raise InvalidArgument(f"{method}: namespace is required")
        if not task_queue.name:
            raise InvalidArgument(f"{method}: task_queue.name is required (name the task queue)")
        if len(task_queue.name) > MAX_NAME_LENGTH:
            raise InvalidArgument(f"{method}: task_queue.name is longer than {MAX_NAME_LENGTH} characters")

    def _check_partition(self, method: str, partition: int, task_queue: common_pb2.TaskQueue) -> None:
        count = routing.partition_count_for(task_queue, self.config.task_queue_partitions)
        if not 0 <= partition < count:
            kind = "sticky" if task_queue.kind == common_pb2.TASK_QUEUE_KIND_STICKY else "normal"
            raise InvalidArgument(
                f"{method}: partition {partition} is out of range for {kind} task queue {task_queue.name!r}: use 0..{count - 1}"
            )

    @staticmethod
    def _check_rate_limit(task, partition: int) -> None:
        """A rate-limited activity: metered at partition 0 of a normal queue, with a usable limit."""
        limit = task.rate_limit
        if task.task_type != common_pb2.TASK_TYPE_ACTIVITY:
            raise InvalidArgument("AddTask: task.rate_limit is for activity tasks only")
        if partition != 0:
            raise InvalidArgument(f"AddTask: a rate-limited task goes to partition 0 (where its queue is metered), not {partition}")
        if task.task_queue.kind == common_pb2.TASK_QUEUE_KIND_STICKY:
            raise InvalidArgument("AddTask: task.rate_limit on a sticky task queue; rate-limited activities have a normal queue of their own")
        if limit.max_execution < 1 or limit.time_window.ToNanoseconds() <= 0:
            raise InvalidArgument(
                f"AddTask: task.rate_limit needs max_execution >= 1 and a positive time_window (got {limit.max_execution}, {limit.time_window.ToNanoseconds()} ns)"
            )

    def _owns(self, key: QueueKey, partition: int) -> bool:
        if self.membership is not None:  # partition 0's owner is the same whatever the count (sticky queues have one)
            owner = self.membership.view.partition_owner(key.namespace, key.name, key.task_type, partition, self.config.task_queue_partitions)
            return owner is not None and owner.name == self.host_name
        hosts = self.config.matching_hosts
        if not hosts:
            return True
        index = routing.matching_owner_index(key.namespace, key.name, key.task_type, partition, len(hosts))
        return hosts[index].name == self.host_name
