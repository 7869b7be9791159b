"""The workflow-task half of a ``Worker``: polls workflow tasks and runs them.

A cached ``WorkflowInstance`` per run (the sticky cache, at most ``max_cached_workflows``,
least recently used evicted first) is fed only the new events: the worker polls its own
sticky queue, where history sends that run's next task. A task for a run that is not cached
(or whose cached instance missed a task) replays the full history into a new instance. With
``max_cached_workflows=0`` every task replays from event 1.

Completing a task, the worker asks history to start eagerly, for itself, the activities it
can run right away (``_reserve_eager_activities``: its own queue, registered here, a free
slot of the activity half); history returns them in its reply, and the run's next workflow
task too when events arrived meanwhile.
"""
from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

import grpc
import structlog

from fanflow.channels import MAX_MESSAGE_BYTES
from fanflow.protocol import CLOSING_COMMANDS, MAX_PAYLOAD_BYTES
from fanflow.timeutil import duration
from protos import common_pb2, workflow_service_pb2 as ws

from . import converter, offload, queries
from ._instance import WorkflowInstance
from .completion_sender import WorkflowTaskCompletionSender
from .converter import PayloadTooLargeError
from .exceptions import NonDeterminismError, StaleWorkflowInstanceError
from .executors.lazy_results import ResultReader, ResultsUnavailableError
from .task_heartbeat import heartbeating, task_timeout

if TYPE_CHECKING:  # pragma: no cover
    from .worker import Worker

log = structlog.get_logger("fanflow.sdk.worker")

__all__ = ["WorkflowWorker"]


class WorkflowWorker:
    """Polls and runs the workflow tasks of one ``Worker`` (see the module docstring).
    ``completed`` counts the workflow tasks history accepted."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.cache: OrderedDict[str, WorkflowInstance] = OrderedDict()  # by run id, least recently used first
        #: Workflow tasks in hand at once (polled and being processed): a poller that got one
        #: polls again at once while a slot is free, so one task's round trips to the cluster
        #: never hold back the next run's task.
        self.task_slots = asyncio.Semaphore(worker.max_concurrent_workflow_tasks)
        self.tasks_in_hand = 0
        self.peak_tasks_in_hand = 0  # observability (and tests)
        self._run_locks: dict[str, asyncio.Lock] = {}
        self.completed = 0
        self.completions = WorkflowTaskCompletionSender(worker.client)  # alone when quiet, batched when busy
        #: Query tasks answered (queries and update checks), and how many needed a replay
        #: because the run was not cached here (queries.py).
        self.queries_answered = 0
        self.query_replays = 0
        #: Workflow code that may read executor results (``executors.lazy_results``) runs on
        #: this one thread: a read blocks it while the event loop serves the read.
        self._code_thread: ThreadPoolExecutor | None = None
        self.results_reader: ResultReader | None = None
        #: Activations run on the workflow-code thread (tests look at it).
        self.threaded_activations = 0

    async def run_code(self, instance: WorkflowInstance, fn: Callable[..., Any], *args: Any, task: ws.PollWorkflowTaskQueueResponse | None = None) -> Any:
        """``fn(*args)``, which runs ``instance``'s workflow code: on the workflow-code thread
        when that code may read executor results (a new instance, which replays, or one whose
        code called an executor), else inline on the event loop (no thread hop). On the thread,
        for a workflow ``task``, the worker heartbeats the task meanwhile (task_heartbeat.py)."""
        if instance.last_event_id and not instance.executors.used:
            return fn(*args)
        if self._code_thread is None:
            self._code_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fanflow-workflow-code")
        self.threaded_activations += 1
        running = asyncio.get_running_loop().run_in_executor(self._code_thread, functools.partial(fn, *args))
        if task is None:
            return await running
        worker = self.worker
        async with heartbeating(worker.client, worker.identity, task.task_token, task_timeout(task.history.events)):
            return await running

    def close(self) -> None:
        self.evict_all()
        if self._code_thread is not None:
            self._code_thread.shutdown(wait=False)
            self._code_thread = None

    def is_cached(self, run_id: str) -> bool:
        return run_id in self.cache

    def evict_all(self) -> None:
        for instance in self.cache.values():
            instance.close()
        self.cache.clear()

    async def poll(self, queue: common_pb2.TaskQueue) -> None:
        """One poller of ``queue`` (the normal or the sticky one), until stopped."""
        worker = self.worker
        request = ws.PollWorkflowTaskQueueRequest(namespace=worker.client.namespace, task_queue=queue, identity=worker.identity)
        while not worker.stopping:
            await self.task_slots.acquire()
            try:
                task = await worker.poll("PollWorkflowTaskQueue", request)
            except BaseException:
                self.task_slots.release()
                raise
            if task is None:
                self.task_slots.release()
                continue
            worker.spawn(self._handle_in_slot(task))

    async def _handle_in_slot(self, task: ws.PollWorkflowTaskQueueResponse) -> None:
        self.tasks_in_hand += 1
        self.peak_tasks_in_hand = max(self.peak_tasks_in_hand, self.tasks_in_hand)
        try:
            await self.handle(task)
        finally:
            self.tasks_in_hand -= 1
            self.task_slots.release()

    async def handle(self, task: ws.PollWorkflowTaskQueueResponse) -> None:
        """Run ``task`` (one at a time per run), and the run's next tasks history hands back;
        a query task is answered from the run's state (``queries.answer``), changing nothing."""
        run_id = task.workflow_execution.run_id
        lock = self._run_locks.setdefault(run_id, asyncio.Lock())
        async with lock:
            try:
                if task.HasField("query"):
                    await queries.answer(self, task)
                    return
                next_task: ws.PollWorkflowTaskQueueResponse | None = task
                while next_task is not None:  # history may hand back this run's next task at once
                    next_task = await self._process(next_task)
            finally:
                if not lock._waiters:  # type: ignore[attr-defined]
                    self._run_locks.pop(run_id, None)

    def _new_instance(self, definition, task: ws.PollWorkflowTaskQueueResponse) -> WorkflowInstance:
        worker = self.worker
        instance = WorkflowInstance(
            definition, workflow_id=task.workflow_execution.workflow_id, run_id=task.workflow_execution.run_id,
            task_queue=worker.task_queue, namespace=worker.client.namespace,
        )
        instance.registered_workflow_types = frozenset(worker.workflows)  # child workflows of a type nobody here runs are refused
        if self.results_reader is None:
            self.results_reader = ResultReader(worker.client, asyncio.get_running_loop())
        instance.executors.results_reader = self.results_reader
        return instance

    async def _process(self, task: ws.PollWorkflowTaskQueueResponse) -> ws.PollWorkflowTaskQueueResponse | None:
        """Run one workflow task; returns the run's next task when history started it for us."""
        worker = self.worker
        run_id = task.workflow_execution.run_id
        definition = worker.workflows.get(task.workflow_type.name)
        if definition is None:
            await self._fail_task(
                task,
                common_pb2.WORKFLOW_TASK_FAILED_CAUSE_UNKNOWN_WORKFLOW_TYPE,
                f"workflow type {task.workflow_type.name!r} is not registered on worker {worker.identity} (known: {sorted(worker.workflows)})",
            )
            return None
        instance = self.cache.pop(run_id, None)
        try:
            await offload.resolve_payloads(worker.client, task)  # large payloads stored beside history
            events = list(task.history.events)
            if instance is not None and (task.previous_started_event_id == 0 or instance.last_event_id != task.previous_started_event_id):
                instance.close()  # history sent a full history, or we missed a task
                instance = None
            if instance is None:
                if task.previous_started_event_id:
                    events = await self._full_history(task)
                instance = self._new_instance(definition, task)
            try:
                commands = await self.run_code(instance, instance.activate, events, task=task)
            except StaleWorkflowInstanceError:
                instance.close()
                instance = self._new_instance(definition, task)
                commands = await self.run_code(instance, instance.activate, await self._full_history(task), task=task)
        except PayloadTooLargeError as exc:
            instance and instance.close()
            await self._fail_task(task, common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE, str(exc))
            return None
        except ResultsUnavailableError as exc:
            instance and instance.close()
            await self._fail_task(task, common_pb2.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, f"ResultsUnavailableError: {exc}")
            return None
        except NonDeterminismError as exc:
            instance and instance.close()
            await self._fail_task(task, common_pb2.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR, str(exc), exc)
            return None
        except Exception as exc:
            instance and instance.close()
            await self._fail_task(task, common_pb2.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, f"{type(exc).__name__}: {exc}", exc)
            return None
        closing = any(c.command_type in CLOSING_COMMANDS for c in commands)
        sticky = worker.max_cached_workflows > 0 and not closing
        reserved = await self._reserve_eager_activities(commands, instance.local_activity_ids)
        request = ws.RespondWorkflowTaskCompletedRequest(
            namespace=worker.client.namespace, task_token=task.task_token, commands=commands, identity=worker.identity,
            return_new_workflow_task=sticky and not worker.stopping,
        )
        if sticky:
            request.sticky_attributes.CopyFrom(ws.StickyExecutionAttributes(worker_task_queue=worker.sticky_queue, schedule_to_start_timeout=duration(worker.sticky_timeout)))
        activities = worker.activity_worker
        await offload.offload_request(worker.client, "RespondWorkflowTaskCompleted", request)  # large payloads by reference
        size = request.ByteSize()
        if size > MAX_MESSAGE_BYTES:
            # Too big to send at all: say so (history terminates the run, naming the sizes)
            # rather than fail the send and leave the task to time out again and again.
            activities.release_slots(reserved)
            instance.close()
            await self._fail_task(
                task, common_pb2.WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE,
                f"the workflow task's answer is {size:,} bytes, over the {MAX_MESSAGE_BYTES:,}-byte message limit; a single payload "
                f"may be at most {MAX_PAYLOAD_BYTES:,} bytes (2 MiB). Pass large data by reference (e.g. a blob-store key) instead",
            )
            return None
        try:
            response = await self.completions.complete(request)
            self.completed += 1
        except grpc.aio.AioRpcError as exc:
            log.warning("workflow task completion rejected", workflow_id=task.workflow_execution.workflow_id, code=str(exc.code()), error=exc.details())
            activities.release_slots(reserved)
            instance.close()
            return None
        for activity_task in response.activity_tasks[:reserved]:
            activities.start(activity_task)
        activities.release_slots(reserved - min(reserved, len(response.activity_tasks)))
        if sticky:
            self.cache[run_id] = instance
            while len(self.cache) > worker.max_cached_workflows:
                _, evicted = self.cache.popitem(last=False)
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
        worker = self.worker
        reserved = 0
        if worker.stopping or not (worker.eager_activities or local_ids):
            return 0
        schedules = [c.schedule_activity_task for c in commands if c.command_type == common_pb2.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]
        local = [a for a in schedules if a.activity_id in local_ids]
        others = [a for a in schedules if a.activity_id not in local_ids] if worker.eager_activities else []
        for attrs in local + others:
            if attrs.task_queue.name not in ("", worker.task_queue) or attrs.activity_type.name not in worker.activities:
                continue
            if not await worker.activity_worker.reserve_slot():
                break
            attrs.request_eager_execution = True
            reserved += 1
        return reserved

    async def _full_history(self, task: ws.PollWorkflowTaskQueueResponse) -> list[common_pb2.HistoryEvent]:
        handle = self.worker.client.get_workflow_handle(task.workflow_execution.workflow_id, task.workflow_execution.run_id)
        events = await handle.history(resolve=True)
        return [e for e in events if e.event_id <= task.started_event_id]

    async def _fail_task(self, task, cause: int, message: str, exc: BaseException | None = None) -> None:
        worker = self.worker
        log.error("workflow task failed", workflow_id=task.workflow_execution.workflow_id, cause=common_pb2.WorkflowTaskFailedCause.Name(cause), error=message)
        failure = converter.failure_from_exception(exc, source="workflow") if exc is not None else common_pb2.Failure(message=message, source="workflow")
        failure.message = message
        try:
            await worker.client.call(
                "RespondWorkflowTaskFailed",
                ws.RespondWorkflowTaskFailedRequest(namespace=worker.client.namespace, task_token=task.task_token, cause=cause, failure=failure, identity=worker.identity),
            )
        except grpc.aio.AioRpcError as err:
            log.warning("could not report workflow task failure", error=err.details())
