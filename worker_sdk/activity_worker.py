"""The activity half of a ``Worker``: polls the task queue for activities and runs them.

Activities run concurrently up to ``max_concurrent_activities``: a poller polls only when it
holds a free slot, so the worker never takes a task it cannot start. With
``max_activities_per_second`` a poller also takes its turn from a token bucket before it
polls (starts evenly spaced). Each attempt runs inside an ``ActivityContext`` with its
heartbeats sent in the background (``Heartbeater``), which also learns when the workflow
asked to cancel it. ``Depends(provider)`` values are entered once per worker (on first use)
and exited when it shuts down (``worker_sdk.dependencies``).

The workflow half asks for slots here (``reserve_slot``) when it requests eager activities,
and hands the granted ones to ``start``.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
from typing import TYPE_CHECKING, Any

import grpc
import structlog

from fanflow.protocol import MAX_BLOB_BYTES, MAX_PAYLOAD_BYTES
from fanflow.tokenbucket import TokenBucket
from protos import common_pb2, workflow_service_pb2 as ws

from . import activity as activity_module
from . import converter, offload
from .dependencies import DependencyScope
from .completion_sender import CompletionSender
from .exceptions import ApplicationError

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client
    from .worker import Worker

log = structlog.get_logger("fanflow.sdk.worker")

__all__ = ["ActivityWorker", "Heartbeater"]


class ActivityWorker:
    """Polls and runs the activities of one ``Worker`` (see the module docstring).

    ``completed`` / ``failed`` count finished attempts; ``running`` / ``peak_running`` the
    attempts running now and at most (the ``Worker`` shows them to tests and benchmarks)."""

    def __init__(self, worker: "Worker", *, max_concurrent: int, max_per_second: float | None) -> None:
        self.worker = worker
        self.slots = asyncio.Semaphore(max_concurrent)
        # One token at most: starts evenly spaced, no burst beyond the pollers' turns in hand.
        self.rate = TokenBucket(max_per_second, burst=1) if max_per_second else None
        self.dependencies = DependencyScope()  # Depends values: one per provider, for the worker's lifetime
        self.completed = 0
        self.failed = 0
        self.running = 0
        self.peak_running = 0
        self.completions = CompletionSender(worker.client)

    # ------------------------------------------------------------ slots

    async def reserve_slot(self) -> bool:
        """Take a slot (and a turn of the start rate) for an activity history will hand us
        eagerly; ``False`` when none is free now. Release unused ones with ``release_slots``."""
        if self.slots.locked():
            return False
        if self.rate is not None and self.rate.take():
            return False  # over this worker's rate: the rest go through matching
        await self.slots.acquire()  # free: returns at once
        return True

    def release_slots(self, count: int) -> None:
        for _ in range(count):
            self.slots.release()
            if self.rate is not None:
                self.rate.give_back()

    # ---------------------------------------------------------- polling

    async def poll(self, queue: common_pb2.TaskQueue | None = None, *, rate_limited: bool = False) -> None:
        """One poller: take a slot (and a turn), long-poll, start what came; until stopped.
        ``queue``: the worker's task queue unless given (a sticky session's or a rate-limited
        queue; ``rate_limited`` polls the latter at the partition matching meters it at)."""
        worker = self.worker
        if queue is None:
            queue = common_pb2.TaskQueue(name=worker.task_queue, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)
        request = ws.PollActivityTaskQueueRequest(namespace=worker.client.namespace, task_queue=queue, identity=worker.identity, rate_limited=rate_limited)
        while not worker.stopping:
            await self.slots.acquire()
            try:
                if self.rate is not None:
                    await self.rate.acquire()
                task = await worker.poll("PollActivityTaskQueue", request)
            except BaseException:
                self.slots.release()
                raise
            if task is None:
                self.slots.release()
                if self.rate is not None:
                    self.rate.give_back()  # nothing started: the turn is not used up
                continue
            self.start(task)

    def start(self, task: ws.PollActivityTaskQueueResponse) -> None:
        """Run ``task`` in the background; it holds a slot already (released when it ends)."""
        self.worker.spawn(self._run(task))

    # ---------------------------------------------------------- running

    async def _run(self, task: ws.PollActivityTaskQueueResponse) -> None:
        self.running += 1
        self.peak_running = max(self.peak_running, self.running)
        try:
            await self._execute(task)
        finally:
            self.running -= 1
            self.slots.release()

    async def _execute(self, task: ws.PollActivityTaskQueueResponse) -> None:
        worker = self.worker
        namespace = worker.client.namespace
        definition = worker.activities.get(task.activity_type.name)
        heartbeats = Heartbeater(worker.client, task.task_token, worker.identity)
        try:
            try:
                await offload.resolve_payloads(worker.client, task)  # large input stored beside history
            except offload.PayloadBlobNotFoundError as exc:
                raise ApplicationError(str(exc), type="PayloadBlobNotFound", non_retryable=True) from None
            if definition is None:
                raise ApplicationError(f"activity type {task.activity_type.name!r} is not registered on worker {worker.identity} (known: {sorted(worker.activities)})", type="ActivityNotRegistered")
            args, kwargs = definition.decode_input(task.input)
            args, kwargs = await _restore_offloaded_fields(worker.client, args, kwargs)
            context = activity_module.ActivityContext(
                info=activity_module.ActivityInfo.from_poll_response(task, namespace=namespace), heartbeat=heartbeats.record,
                client=worker.client, dependencies=self.dependencies,
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
            result = await offload.offload_fields(worker.client, task.workflow_execution.workflow_id, result)  # OffloadableModel
            payload = converter.to_payload(result)
            # Offloaded payloads (worker_sdk.offload) are bounded by the blob limit, others by the payload limit.
            limit = MAX_BLOB_BYTES if worker.client.payload_offload_bytes else MAX_PAYLOAD_BYTES
            if payload.ByteSize() > limit:
                raise ApplicationError(
                    f"activity {task.activity_type.name} returned {payload.ByteSize()} bytes; the limit is {limit} bytes per payload. "
                    "Return a reference (a key in your storage) instead of the data",
                    type="PayloadTooLarge",
                    non_retryable=True,
                )
        except asyncio.CancelledError:
            if not heartbeats.cancel_requested or worker.stopping:
                raise  # the worker is stopping
            heartbeats.stop()
            if heartbeats.gone:
                log.info("activity stopped: history no longer runs this attempt", activity_type=task.activity_type.name, workflow_id=task.workflow_execution.workflow_id)
                return
            # The workflow asked for it: report the activity cancelled.
            request = ws.RespondActivityTaskCanceledRequest(namespace=namespace, task_token=task.task_token, identity=worker.identity)
            if heartbeats.last_details is not None:
                request.details.CopyFrom(heartbeats.last_details)
            await self._respond("RespondActivityTaskCanceled", request)
            return
        except BaseException as exc:
            heartbeats.stop()
            self.failed += 1
            failure = converter.failure_from_exception(exc, source="activity")
            request = ws.RespondActivityTaskFailedRequest(namespace=namespace, task_token=task.task_token, failure=failure, identity=worker.identity)
            if heartbeats.last_details is not None:
                request.last_heartbeat_details.CopyFrom(heartbeats.last_details)
            # an executor item's failed attempt is counted (progress) by history, with the failure
            await self._respond("RespondActivityTaskFailed", request)
            return
        heartbeats.stop()
        self.completed += 1
        # An executor item's result (result_sink) is stored beside history by history itself,
        # in the transaction that records the completion.
        request = ws.RespondActivityTaskCompletedRequest(namespace=namespace, task_token=task.task_token, result=payload, identity=worker.identity)
        workflows = worker.workflow_worker
        if workflows.is_cached(task.workflow_execution.run_id) and not worker.stopping:
            request.sticky_task_queue = worker.sticky_queue.name  # the run's next task can come straight back
        try:
            response = await self.completions.complete(request)
        except grpc.aio.AioRpcError as exc:
            # NOT_FOUND: the attempt timed out or was already answered; history has moved on.
            log.warning("activity response rejected", method="RespondActivityTaskCompleted", code=str(exc.code()), error=exc.details())
            return
        if response.HasField("workflow_task"):
            worker.spawn(workflows.handle(response.workflow_task))

    async def _respond(self, method: str, request):
        try:
            return await self.worker.client.call(method, request)
        except grpc.aio.AioRpcError as exc:
            # NOT_FOUND: the attempt timed out or was already answered; history has moved on.
            log.warning("activity response rejected", method=method, code=str(exc.code()), error=exc.details())
            return None

    async def close(self) -> None:
        """Exit the worker's ``Depends`` values (the activities are done with them)."""
        try:
            await self.dependencies.aclose()
        except Exception as exc:  # noqa: BLE001 - a provider's cleanup failing must not stop the shutdown
            log.warning("a dependency's cleanup failed", error=f"{type(exc).__name__}: {exc}")


class Heartbeater:
    """Sends activity heartbeats in the background, at most one call in flight
    and no more often than every `interval` seconds; keeps the last details."""

    def __init__(self, client: "Client", token: bytes, identity: str, interval: float = 1.0):
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


async def _restore_offloaded_fields(client, args: list, kwargs: dict) -> tuple[list, dict]:
    """The seed's activity field offloading: OffloadableModel arguments get their offloaded
    fields back before the activity runs."""
    args = [await offload.restore_fields(client, a) for a in args]
    kwargs = {k: await offload.restore_fields(client, v) for k, v in kwargs.items()}
    return args, kwargs
