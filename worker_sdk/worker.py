"""``Worker``: serves one task queue with workflows and activities.

    async with Worker(client, task_queue="orders", workflows=[OrderWorkflow], activities=[charge]):
        ...

This module holds the options, the lifecycle (start the pollers, stop them, let running work
finish) and what the two halves share: the client, the identity, the long poll and the
background tasks. Workflow tasks are the job of ``workflow_worker.WorkflowWorker`` (replay,
sticky cache, eager activities), activities that of ``activity_worker.ActivityWorker``
(slots, start rate, heartbeats, ``Depends`` values).
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

import grpc
import structlog

from protos import common_pb2

from . import activity as activity_module
from . import rate_limits, sticky_sessions
from . import workflow as workflow_module
from .activity_worker import ActivityWorker
from .child_workflows import SIGNAL_WORKFLOW_ACTIVITY, SIGNAL_WORKFLOW_DEFN
from .client import DEFAULT_TASK_QUEUE, Client
from .dependencies import DependencyScope
from .executors import bind_offset_group
from .schedules_client import register_worker
from .workflow_worker import WorkflowWorker

log = structlog.get_logger("fanflow.sdk.worker")

__all__ = ["Worker"]

#: Pollers of each sticky session queue and rate-limited queue a worker polls besides its task queue.
EXTRA_QUEUE_POLLERS = 2
REGISTRATION_WAIT = 10.0  # seconds start() waits for the cluster to take the worker's registration


class Worker:
    """Polls ``task_queue`` for workflow tasks and activities and runs them.

    The two halves (``workflow_worker`` and ``activity_worker``) use the worker's ``client``,
    ``identity``, options, ``poll()``, ``spawn()`` and ``stopping``. Counters for tests and
    benchmarks: ``workflow_tasks_completed``, ``activities_completed``, ``activities_failed``,
    ``running_activities``, ``peak_running_activities``."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str = DEFAULT_TASK_QUEUE,
        workflows: Iterable[Any] | None = None,
        activities: Iterable[Any] | None = None,
        max_concurrent_activities: int = 100,
        max_cached_workflows: int = 1000,
        workflow_pollers: int = 2,
        activity_pollers: int = 4,
        sticky_schedule_to_start_timeout: float = 5.0,
        identity: str | None = None,
        disable_eager_activity_execution: bool = False,
        max_activities_per_second: float | None = None,
        max_concurrent_workflow_tasks: int = 100,
    ):
        """workflows / activities: what this worker runs; None = everything registered
        with @workflow.define / @activity in this process.

        Eager activities: when this worker completes a workflow task that schedules
        activities it can run (same task queue, registered here) and it has free slots,
        history starts them for it and returns them in its reply, skipping matching.
        Activities beyond the free slots go through matching to any worker.
        disable_eager_activity_execution=True sends every activity through matching.

        Sticky worker sessions and rate limits: a worker with sticky activities also polls the
        queue where sessions are handed out and its own session queue; one with rate-limited
        activities polls each of their limits' queues (``sticky_sessions``, ``rate_limits``).
        Those pollers hold an activity slot while they wait, as the task queue's do: keep
        max_concurrent_activities above the number of pollers (a warning says when it is not).

        max_activities_per_second: this worker starts at most that many activity executions
        per second (evenly spaced; an Offset executor's group counts as one), e.g. to stay
        under a downstream API's rate limit. A poller takes its turn before it polls, so
        tasks it cannot start yet stay in matching for other workers; after an idle spell
        up to `activity_pollers` turns may be in hand at once (a burst of that many).

        max_concurrent_workflow_tasks: workflow tasks in hand at once (a poller polls again as
        soon as it handed its task on, while fewer than this many are being processed)."""
        if not isinstance(max_concurrent_workflow_tasks, int) or max_concurrent_workflow_tasks < 1:
            raise ValueError(f"max_concurrent_workflow_tasks must be an int >= 1, got {max_concurrent_workflow_tasks!r}")
        if max_activities_per_second is not None and not max_activities_per_second > 0:
            raise ValueError(f"max_activities_per_second must be > 0, got {max_activities_per_second}")
        self.client = client
        self.task_queue = task_queue
        self.identity = identity or f"{client.identity}:{uuid.uuid4().hex[:8]}"
        defs = workflow_module.all_workflows().values() if workflows is None else [workflow_module.get_definition(w) for w in workflows]
        self.workflows = {d.name: d for d in defs}
        acts = activity_module.all_activities().values() if activities is None else [activity_module.get_definition(a) for a in activities]
        self.activities = {d.name: d for d in acts}
        bind_offset_group(self.activities)  # the Offset executor's group activity runs wherever user activities run
        if self.activities:  # a parent signals its child workflows through this internal activity (run where activities run)
            self.activities.setdefault(SIGNAL_WORKFLOW_ACTIVITY, SIGNAL_WORKFLOW_DEFN)
        # Sticky worker sessions and rate limits: the activity queues polled besides task_queue.
        self.sessions = sticky_sessions.WorkerSessions.for_worker(self)
        if self.sessions is not None:
            self.activities[self.sessions.activity.name] = self.sessions.activity
        self.rate_limited_queues = rate_limits.queues_for(task_queue, self.activities.values())
        self.max_concurrent_activities = max_concurrent_activities
        self.max_cached_workflows = max_cached_workflows
        self.workflow_pollers = workflow_pollers
        self.max_concurrent_workflow_tasks = max_concurrent_workflow_tasks
        self.activity_pollers = activity_pollers
        self.sticky_timeout = sticky_schedule_to_start_timeout
        self.eager_activities = not disable_eager_activity_execution
        self.sticky_queue = common_pb2.TaskQueue(name=f"{task_queue}/sticky/{self.identity}", kind=common_pb2.TASK_QUEUE_KIND_STICKY)
        #: Set by ``shutdown``: pollers stop, no new work is asked for.
        self.stopping = False
        self._tasks: set[asyncio.Task] = set()
        self._pollers: list[asyncio.Task] = []
        self._registration: asyncio.Task | None = None
        self.activity_worker = ActivityWorker(self, max_concurrent=max_concurrent_activities, max_per_second=max_activities_per_second)
        self.workflow_worker = WorkflowWorker(self)

    # ------------------------------------------------------------ counters

    @property
    def workflow_tasks_completed(self) -> int:
        return self.workflow_worker.completed

    @property
    def activities_completed(self) -> int:
        return self.activity_worker.completed

    @property
    def activities_failed(self) -> int:
        return self.activity_worker.failed

    @property
    def running_activities(self) -> int:
        return self.activity_worker.running

    @property
    def peak_running_activities(self) -> int:
        return self.activity_worker.peak_running

    @property
    def dependencies(self) -> DependencyScope:
        """The ``Depends`` values of this worker's activities (one per provider)."""
        return self.activity_worker.dependencies

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> "Worker":
        if self.workflows:
            # The cluster learns which workflow types we serve (schedules may start only those)
            # and gets the schedules they declare (define(schedules=[...])), idempotently. A
            # cluster that is not up yet gets them once it is (retried in the background).
            self._registration = asyncio.create_task(register_worker(self.client, self.task_queue, list(self.workflows.values())))
            done, _ = await asyncio.wait({self._registration}, timeout=REGISTRATION_WAIT)
            if done:
                self._registration.result()  # a declared schedule the cluster refused: raise it here
        if self.workflows:
            queues = [common_pb2.TaskQueue(name=self.task_queue, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)]
            if self.max_cached_workflows > 0:
                queues.append(self.sticky_queue)
            for queue in queues:
                for _ in range(self.workflow_pollers):
                    self._pollers.append(asyncio.create_task(self.workflow_worker.poll(queue)))
        if self.activities:
            for _ in range(self.activity_pollers):
                self._pollers.append(asyncio.create_task(self.activity_worker.poll()))
            self._poll_session_and_limited_queues()
        log.info("worker started", task_queue=self.task_queue, workflows=sorted(self.workflows), activities=len(self.activities), identity=self.identity)
        return self

    def _poll_session_and_limited_queues(self) -> None:
        """Pollers for the sticky session queues (the shared one that hands out sessions, this
        worker's own) and the rate-limited queues of its activities. Each poller holds an
        activity slot while it waits, as the others do."""
        extra: list[tuple[common_pb2.TaskQueue, bool, int]] = []
        if self.sessions is not None:
            extra += [(self.sessions.offer_queue, False, 1), (self.sessions.own_queue, False, EXTRA_QUEUE_POLLERS)]
        extra += [(queue, True, EXTRA_QUEUE_POLLERS) for queue in self.rate_limited_queues]
        for queue, rate_limited, pollers in extra:
            for _ in range(pollers):
                self._pollers.append(asyncio.create_task(self.activity_worker.poll(queue, rate_limited=rate_limited)))
        total = self.activity_pollers + sum(p for _, _, p in extra)
        if extra and total > self.max_concurrent_activities:
            log.warning("fewer activity slots than activity pollers: some queues wait for a slot before they are polled",
                        max_concurrent_activities=self.max_concurrent_activities, pollers=total)

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop polling, let running tasks finish for up to `grace` seconds."""
        self.stopping = True
        if self._registration is not None and not self._registration.done():
            self._registration.cancel()
        for task in self._pollers:
            task.cancel()
        await asyncio.gather(*self._pollers, return_exceptions=True)
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self.workflow_worker.close()
        await self.activity_worker.close()

    async def run(self) -> None:
        """Run until cancelled."""
        await self.start()
        try:
            await asyncio.Future()
        finally:
            await self.shutdown()

    async def __aenter__(self) -> "Worker":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.shutdown()

    # ------------------------------------------------- shared by the halves

    def spawn(self, coro) -> asyncio.Task:
        """Run ``coro`` in the background; ``shutdown`` waits for it (up to its grace)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def poll(self, method: str, request):
        """One long poll; None when it came back empty or the cluster is away."""
        try:
            response = await self.client.call(method, request, timeout=None, retry=True)
        except grpc.aio.AioRpcError as exc:
            if self.stopping:
                return None
            log.warning("poll failed, retrying", method=method, code=str(exc.code()), error=exc.details())
            await asyncio.sleep(1.0)
            return None
        return response if response.task_token else None
