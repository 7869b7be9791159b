"""The worker: polls workflow and activity task queues and runs what it gets.

Workflow tasks: a cached `WorkflowInstance` per run is fed only the new events
(the worker polls its own sticky queue, where history sends that run's next
task); a task for a run that is not cached replays the full history. With
`max_cached_workflows=0` every task replays from event 1.

Activities: run concurrently up to `max_concurrent_activities`; the worker
polls only when it has a free slot, so it never takes a task it cannot start.
Their `Depends(provider)` values are entered once per worker (on first use) and
exited when it shuts down (`worker_sdk.dependencies`).
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import grpc
import structlog

from fanflow.timeutil import duration
from fanflow.tokenbucket import TokenBucket
from protos import common_pb2, workflow_service_pb2 as ws
from worker_sdk import activity as activity_module
from worker_sdk import converter
from worker_sdk import workflow as workflow_module
from worker_sdk._instance import WorkflowInstance
from worker_sdk.dependencies import DependencyScope
from worker_sdk.executors import bind_offset_group
from worker_sdk.client import DEFAULT_TASK_QUEUE, Client
from worker_sdk.exceptions import (
    ApplicationError,
    NonDeterminismError,
    StaleWorkflowInstanceError,
)

log = structlog.get_logger("fanflow.sdk.worker")

MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
CLOSING_COMMANDS = {
    common_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    common_pb2.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    common_pb2.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    common_pb2.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
}


class Worker:
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
    ):
        """workflows / activities: what this worker runs; None = everything registered
        with @workflow.define / @activity in this process.

        Eager activities: when this worker completes a workflow task that schedules
        activities it can run (same task queue, registered here) and it has free slots,
        history starts them for it and returns them in its reply, skipping matching.
        Activities beyond the free slots go through matching to any worker.
        disable_eager_activity_execution=True sends every activity through matching.

        max_activities_per_second: this worker starts at most that many activity executions
        per second (evenly spaced; an Offset executor's group counts as one), e.g. to stay
        under a downstream API's rate limit. A poller takes its turn before it polls, so
        tasks it cannot start yet stay in matching for other workers; after an idle spell
        up to `activity_pollers` turns may be in hand at once (a burst of that many)."""
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
        self.max_concurrent_activities = max_concurrent_activities
        self.max_cached_workflows = max_cached_workflows
        self.workflow_pollers = workflow_pollers
        self.activity_pollers = activity_pollers
        self.sticky_timeout = sticky_schedule_to_start_timeout
        self.eager_activities = not disable_eager_activity_execution
        self.sticky_queue = common_pb2.TaskQueue(name=f"{task_queue}/sticky/{self.identity}", kind=common_pb2.TASK_QUEUE_KIND_STICKY)
        self._cache: OrderedDict[str, WorkflowInstance] = OrderedDict()
        self._run_locks: dict[str, asyncio.Lock] = {}
        self._activity_slots = asyncio.Semaphore(max_concurrent_activities)
        self.dependencies = DependencyScope()  # Depends values: one per provider, for the worker's lifetime
        # One token at most: starts evenly spaced, no burst beyond the pollers' turns in hand.
        self._activity_rate = TokenBucket(max_activities_per_second, burst=1) if max_activities_per_second else None
        self._tasks: set[asyncio.Task] = set()
        self._pollers: list[asyncio.Task] = []
        self._stopping = False
        # observability (tests and benchmarks read these)
        self.activities_completed = 0
        self.activities_failed = 0
        self.workflow_tasks_completed = 0
        self.running_activities = 0
        self.peak_running_activities = 0

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> "Worker":
        if self.workflows:
            queues = [common_pb2.TaskQueue(name=self.task_queue, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)]
            if self.max_cached_workflows > 0:
                queues.append(self.sticky_queue)
            for queue in queues:
                for _ in range(self.workflow_pollers):
                    self._pollers.append(asyncio.create_task(self._poll_workflow_tasks(queue)))
        if self.activities:
            for _ in range(self.activity_pollers):
                self._pollers.append(asyncio.create_task(self._poll_activity_tasks()))
        log.info("worker started", task_queue=self.task_queue, workflows=sorted(self.workflows), activities=len(self.activities), identity=self.identity)
        return self

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop polling, let running tasks finish for up to `grace` seconds."""
        self._stopping = True
        for task in self._pollers:
            task.cancel()
        await asyncio.gather(*self._pollers, return_exceptions=True)
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for instance in self._cache.values():
            instance.close()
        self._cache.clear()
        try:
            await self.dependencies.aclose()  # the activities are done with them
        except Exception as exc:  # noqa: BLE001 - a provider's cleanup failing must not stop the shutdown
            log.warning("a dependency's cleanup failed", error=f"{type(exc).__name__}: {exc}")

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

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _poll(self, method: str, request):
        """One long poll; None when it came back empty or the cluster is away."""
        try:
            response = await self.client.call(method, request, timeout=None, retry=True)
        except grpc.aio.AioRpcError as exc:
            if self._stopping:
                return None
            log.warning("poll failed, retrying", method=method, code=str(exc.code()), error=exc.details())
            await asyncio.sleep(1.0)
            return None
        return response if response.task_token else None

    # -------------------------------------------------------- workflow tasks
    async def _poll_workflow_tasks(self, queue: common_pb2.TaskQueue) -> None:
        request = ws.PollWorkflowTaskQueueRequest(namespace=self.client.namespace, task_queue=queue, identity=self.identity)
        while not self._stopping:
            task = await self._poll("PollWorkflowTaskQueue", request)
            if task is not None:
                # Workflow tasks are CPU-bound and short: run inline, one per poller.
                await self._handle_workflow_task(task)

    async def _handle_workflow_task(self, task: ws.PollWorkflowTaskQueueResponse) -> None:
        run_id = task.workflow_execution.run_id
        lock = self._run_locks.setdefault(run_id, asyncio.Lock())
        async with lock:
            try:
                next_task: ws.PollWorkflowTaskQueueResponse | None = task
                while next_task is not None:  # history may hand back this run's next task at once
                    next_task = await self._process_workflow_task(next_task)
            finally:
                if not lock._waiters:  # type: ignore[attr-defined]
                    self._run_locks.pop(run_id, None)

    async def _process_workflow_task(self, task: ws.PollWorkflowTaskQueueResponse) -> ws.PollWorkflowTaskQueueResponse | None:
        """Run one workflow task; returns the run's next task when history started it for us."""
        run_id = task.workflow_execution.run_id
        definition = self.workflows.get(task.workflow_type.name)
        if definition is None:
            await self._fail_workflow_task(
                task,
                common_pb2.WORKFLOW_TASK_FAILED_CAUSE_UNKNOWN_WORKFLOW_TYPE,
                f"workflow type {task.workflow_type.name!r} is not registered on worker {self.identity} (known: {sorted(self.workflows)})",
            )
            return None
        instance = self._cache.pop(run_id, None)
        events = list(task.history.events)
        try:
            if instance is not None and (task.previous_started_event_id == 0 or instance.last_event_id != task.previous_started_event_id):
                instance.close()  # history sent a full history, or we missed a task
                instance = None
            if instance is None:
                if task.previous_started_event_id:
                    events = await self._full_history(task)
                instance = WorkflowInstance(definition, workflow_id=task.workflow_execution.workflow_id, run_id=run_id, task_queue=self.task_queue, namespace=self.client.namespace)
            try:
                commands = instance.activate(events)
            except StaleWorkflowInstanceError:
                instance.close()
                instance = WorkflowInstance(definition, workflow_id=task.workflow_execution.workflow_id, run_id=run_id, task_queue=self.task_queue, namespace=self.client.namespace)
                commands = instance.activate(await self._full_history(task))
        except NonDeterminismError as exc:
            instance and instance.close()
            await self._fail_workflow_task(task, common_pb2.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR, str(exc), exc)
            return None
        except Exception as exc:
            instance and instance.close()
            await self._fail_workflow_task(task, common_pb2.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, f"{type(exc).__name__}: {exc}", exc)
            return None
        closing = any(c.command_type in CLOSING_COMMANDS for c in commands)
        sticky = self.max_cached_workflows > 0 and not closing
        reserved = await self._reserve_eager_activities(commands, instance.local_activity_ids)
        request = ws.RespondWorkflowTaskCompletedRequest(
            namespace=self.client.namespace, task_token=task.task_token, commands=commands, identity=self.identity,
            return_new_workflow_task=sticky and not self._stopping,
        )
        if sticky:
            request.sticky_attributes.CopyFrom(ws.StickyExecutionAttributes(worker_task_queue=self.sticky_queue, schedule_to_start_timeout=duration(self.sticky_timeout)))
        try:
            response = await self.client.call("RespondWorkflowTaskCompleted", request)
            self.workflow_tasks_completed += 1
        except grpc.aio.AioRpcError as exc:
            log.warning("workflow task completion rejected", workflow_id=task.workflow_execution.workflow_id, code=str(exc.code()), error=exc.details())
            self._release_activity_slots(reserved)
            instance.close()
            return None
        for activity_task in response.activity_tasks[:reserved]:
            self._spawn(self._run_activity(activity_task))
        self._release_activity_slots(reserved - min(reserved, len(response.activity_tasks)))
        if sticky:
            self._cache[run_id] = instance
            while len(self._cache) > self.max_cached_workflows:
                _, evicted = self._cache.popitem(last=False)
                evicted.close()
        else:
            instance.close()
        return response.workflow_task if response.HasField("workflow_task") else None

    async def _reserve_eager_activities(self, commands: list[common_pb2.Command], local_ids: frozenset[str] | set[str] = frozenset()) -> int:
        """Ask history to hand us, in its reply, the activities we can start right away:
        ours to run (same task queue, registered here) and within our free slots. Each one
        holds a slot from now on; the caller releases the ones history did not grant.

        Activities the workflow scheduled inside ``run_activities_locally()`` (``local_ids``)
        are asked for first, and even when this worker's eager execution is disabled."""
        reserved = 0
        if self._stopping or not (self.eager_activities or local_ids):
            return 0
        schedules = [c.schedule_activity_task for c in commands if c.command_type == common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]
        local = [a for a in schedules if a.activity_id in local_ids]
        others = [a for a in schedules if a.activity_id not in local_ids] if self.eager_activities else []
        for attrs in local + others:
            if attrs.task_queue.name not in ("", self.task_queue) or attrs.activity_type.name not in self.activities:
                continue
            if self._activity_slots.locked():
                break
            if self._activity_rate is not None and self._activity_rate.take():
                break  # over this worker's rate: the rest go through matching
            await self._activity_slots.acquire()  # free: returns at once
            attrs.request_eager_execution = True
            reserved += 1
        return reserved

    def _release_activity_slots(self, count: int) -> None:
        for _ in range(count):
            self._activity_slots.release()
            if self._activity_rate is not None:
                self._activity_rate.give_back()

    async def _full_history(self, task: ws.PollWorkflowTaskQueueResponse) -> list[common_pb2.HistoryEvent]:
        handle = self.client.get_workflow_handle(task.workflow_execution.workflow_id, task.workflow_execution.run_id)
        events = await handle.history()
        return [e for e in events if e.event_id <= task.started_event_id]

    async def _fail_workflow_task(self, task, cause: int, message: str, exc: BaseException | None = None) -> None:
        log.error("workflow task failed", workflow_id=task.workflow_execution.workflow_id, cause=common_pb2.WorkflowTaskFailedCause.Name(cause), error=message)
        failure = converter.failure_from_exception(exc, source="workflow") if exc is not None else common_pb2.Failure(message=message, source="workflow")
        failure.message = message
        try:
            await self.client.call(
                "RespondWorkflowTaskFailed",
                ws.RespondWorkflowTaskFailedRequest(namespace=self.client.namespace, task_token=task.task_token, cause=cause, failure=failure, identity=self.identity),
            )
        except grpc.aio.AioRpcError as err:
            log.warning("could not report workflow task failure", error=err.details())

    # ------------------------------------------------------------ activities
    async def _poll_activity_tasks(self) -> None:
        request = ws.PollActivityTaskQueueRequest(
            namespace=self.client.namespace, task_queue=common_pb2.TaskQueue(name=self.task_queue, kind=common_pb2.TASK_QUEUE_KIND_NORMAL), identity=self.identity
        )
        while not self._stopping:
            await self._activity_slots.acquire()
            try:
                if self._activity_rate is not None:
                    await self._activity_rate.acquire()
                task = await self._poll("PollActivityTaskQueue", request)
            except BaseException:
                self._activity_slots.release()
                raise
            if task is None:
                self._activity_slots.release()
                if self._activity_rate is not None:
                    self._activity_rate.give_back()  # nothing started: the turn is not used up
                continue
            self._spawn(self._run_activity(task))

    async def _run_activity(self, task: ws.PollActivityTaskQueueResponse) -> None:
        self.running_activities += 1
        self.peak_running_activities = max(self.peak_running_activities, self.running_activities)
        try:
            await self._execute_activity(task)
        finally:
            self.running_activities -= 1
            self._activity_slots.release()

    async def _execute_activity(self, task: ws.PollActivityTaskQueueResponse) -> None:
        namespace = self.client.namespace
        definition = self.activities.get(task.activity_type.name)
        heartbeats = _Heartbeater(self.client, task.task_token, self.identity)
        try:
            if definition is None:
                raise ApplicationError(f"activity type {task.activity_type.name!r} is not registered on worker {self.identity} (known: {sorted(self.activities)})", type="ActivityNotRegistered")
            args, kwargs = definition.decode_input(task.input)
            context = activity_module.ActivityContext(
                info=activity_module.ActivityInfo.from_poll_response(task, namespace=namespace), heartbeat=heartbeats.record,
                client=self.client, dependencies=self.dependencies,
            )
            heartbeats.context = context
            with context.activate():
                async with definition.injected(args, kwargs, self.dependencies) as injected:
                    if definition.is_async:
                        # its own task, so a cancel request cancels the activity, not this wrapper
                        running = asyncio.ensure_future(definition.fn(*args, **kwargs, **injected))
                        heartbeats.running = running
                        result = await running
                    else:
                        ctx = contextvars.copy_context()
                        call = functools.partial(ctx.run, definition.fn, *args, **kwargs, **injected)
                        result = await asyncio.get_running_loop().run_in_executor(None, call)
            payload = converter.to_payload(result)
            if payload.ByteSize() > MAX_PAYLOAD_BYTES:
                raise ApplicationError(
                    f"activity {task.activity_type.name} returned {payload.ByteSize()} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes per payload. "
                    "Return a reference (a key in your storage) instead of the data",
                    type="PayloadTooLarge",
                    non_retryable=True,
                )
        except asyncio.CancelledError:
            if not heartbeats.cancel_requested or self._stopping:
                raise  # the worker is stopping
            heartbeats.stop()
            if heartbeats.gone:
                log.info("activity stopped: history no longer runs this attempt", activity_type=task.activity_type.name, workflow_id=task.workflow_execution.workflow_id)
                return
            # The workflow asked for it: report the activity cancelled.
            request = ws.RespondActivityTaskCanceledRequest(namespace=namespace, task_token=task.task_token, identity=self.identity)
            if heartbeats.last_details is not None:
                request.details.CopyFrom(heartbeats.last_details)
            await self._respond("RespondActivityTaskCanceled", request)
            return
        except BaseException as exc:
            heartbeats.stop()
            self.activities_failed += 1
            failure = converter.failure_from_exception(exc, source="activity")
            request = ws.RespondActivityTaskFailedRequest(namespace=namespace, task_token=task.task_token, failure=failure, identity=self.identity)
            if heartbeats.last_details is not None:
                request.last_heartbeat_details.CopyFrom(heartbeats.last_details)
            # an executor item's failed attempt is counted (progress) by history, with the failure
            await self._respond("RespondActivityTaskFailed", request)
            return
        heartbeats.stop()
        self.activities_completed += 1
        # An executor item's result (result_sink) is stored beside history by history itself,
        # in the transaction that records the completion.
        request = ws.RespondActivityTaskCompletedRequest(namespace=namespace, task_token=task.task_token, result=payload, identity=self.identity)
        if task.workflow_execution.run_id in self._cache and not self._stopping:
            request.sticky_task_queue = self.sticky_queue.name  # the run's next task can come straight back
        response = await self._respond("RespondActivityTaskCompleted", request)
        if response is not None and response.HasField("workflow_task"):
            self._spawn(self._handle_workflow_task(response.workflow_task))

    async def _respond(self, method: str, request):
        try:
            return await self.client.call(method, request)
        except grpc.aio.AioRpcError as exc:
            # NOT_FOUND: the attempt timed out or was already answered; history has moved on.
            log.warning("activity response rejected", method=method, code=str(exc.code()), error=exc.details())
            return None


class _Heartbeater:
    """Sends activity heartbeats in the background, at most one call in flight
    and no more often than every `interval` seconds; keeps the last details."""

    def __init__(self, client: Client, token: bytes, identity: str, interval: float = 1.0):
        self.client, self.token, self.identity, self.interval = client, token, identity, interval
        self.last_details: common_pb2.Payload | None = None
        self.cancel_requested = False  # a heartbeat's reply said the workflow asked to cancel
        self.gone = False  # a heartbeat found the attempt no longer running in history
        self.context: Any = None  # the activity's ActivityContext (its cancel_requested flag)
        self.running: asyncio.Future | None = None  # an async activity's own task
        self._pending = False
        self._task: asyncio.Task | None = None
        self._stopped = False

    def record(self, details: Any) -> None:
        self.last_details = converter.to_payload(details)
        self._pending = True
        if self._task is None or self._task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called from a sync activity's thread
                return
            self._task = loop.create_task(self._send_loop())

    async def _send_loop(self) -> None:
        while self._pending and not self._stopped:
            self._pending = False
            try:
                reply = await self.client.call(
                    "RecordActivityTaskHeartbeat",
                    ws.RecordActivityTaskHeartbeatRequest(namespace=self.client.namespace, task_token=self.token, details=self.last_details, identity=self.identity),
                    retry=False,
                )
                if reply.cancel_requested and not self.cancel_requested:
                    self._cancel()
            except grpc.aio.AioRpcError as exc:
                log.debug("heartbeat failed", error=exc.details())
                if exc.code() == grpc.StatusCode.NOT_FOUND and not self.cancel_requested:
                    # History no longer runs this attempt (the workflow closed, or the attempt
                    # timed out and was retried): stop the work, nobody will take its result.
                    self.gone = True
                    self._cancel()
            await asyncio.sleep(self.interval)

    def _cancel(self) -> None:
        self.cancel_requested = True
        if self.context is not None:
            self.context.cancel_requested = True
        if self.running is not None and not self.running.done():
            self.running.cancel()

    def stop(self) -> None:
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
