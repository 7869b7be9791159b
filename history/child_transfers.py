"""Child workflows across shards: the outbox's tasks for other history shards.

A parent and its child live on the shards their workflow ids hash to, in general two
different shards, maybe on two processes. Every step from one to the other is an outbox
row written in the commit that needs it (history/child_workflows.py) and carried out here
by the shard that wrote it, retried until the other side answered; the row is deleted only
then (history/outbox_queue.py). The receiving side (history/api/child_workflows.py) is
idempotent, so a row delivered again after a crash changes nothing twice:

- START_CHILD (parent's shard): start the child with a request id fixed by the initiated
  event, so a re-sent start finds the same child; record ChildWorkflowExecutionStarted, or
  StartChildWorkflowExecutionFailed when the id is running or the start is invalid.
- CHILD_CLOSED (child's shard): hand the child's close event to the parent, which records
  it once per initiated event.
- PARENT_CLOSE_POLICY (parent's shard): terminate or ask to cancel a child that is still
  this parent's child.
- CANCEL_CHILD (parent's shard): ask the child to cancel, then record
  ExternalWorkflowExecutionCancelRequested.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import grpc
import structlog

from protos import common_pb2, history_service_pb2, internal_pb2, persistence_pb2, workflow_service_pb2

if TYPE_CHECKING:
    from history.shard import Shard

log = structlog.get_logger("fanflow.history.children")

T = internal_pb2  # transfer kinds live here
RPC_TIMEOUT = 30.0
MAX_BACKOFF = 5.0
# Answers that will not change however often the call is repeated: give up on the task.
_FINAL = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNIMPLEMENTED}


class ChildTransfers:
    """Carries out one shard's outbox tasks for other history shards."""

    def __init__(self, shard: "Shard") -> None:
        self._shard = shard
        self._handlers = {
            T.TRANSFER_KIND_START_CHILD: self._start_child,
            T.TRANSFER_KIND_CHILD_CLOSED: self._child_closed,
            T.TRANSFER_KIND_PARENT_CLOSE_POLICY: self._parent_close_policy,
            T.TRANSFER_KIND_CANCEL_CHILD: self._cancel_child,
        }
        self.delivered = 0  # observability

    async def deliver(self, task: internal_pb2.TaskInfo) -> bool:
        """Carry out `task`, retrying what fails in passing. True: done (delete the row);
        False: this shard was lost, the next owner delivers it."""
        handler = self._handlers.get(task.transfer_kind)
        if handler is None:
            log.error("unknown transfer task kind, dropping it", kind=task.transfer_kind, workflow_id=task.workflow_id)
            return True
        delay = 0.05
        while not self._shard.lost:
            try:
                await handler(task)
                self.delivered += 1
                return True
            except asyncio.CancelledError:
                raise
            except grpc.aio.AioRpcError as exc:
                if exc.code() in _FINAL:
                    log.error("child workflow transfer refused for good, dropping it", kind=T.TransferKind.Name(task.transfer_kind),
                              workflow_id=task.workflow_id, target=task.target.workflow_id, code=exc.code().name, error=exc.details())
                    return True
                log.info("child workflow transfer failed, will retry", kind=T.TransferKind.Name(task.transfer_kind),
                         workflow_id=task.workflow_id, target=task.target.workflow_id, code=exc.code().name, error=exc.details())
            except Exception as exc:  # e.g. our own commit failed in passing, or no host owns the shard
                log.warning("child workflow transfer failed, will retry", kind=T.TransferKind.Name(task.transfer_kind),
                            workflow_id=task.workflow_id, target=task.target.workflow_id, error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)
        return False

    # ------------------------------------------------------------ helpers
    def _stub(self, namespace: str, workflow_id: str):
        client = self._shard.history
        if client is None:
            raise RuntimeError("this shard has no history client: child workflows cannot reach other shards")
        shard_id = client.shard_for(namespace, workflow_id)
        return client.stub(shard_id), shard_id

    @staticmethod
    def _source(task: internal_pb2.TaskInfo) -> common_pb2.WorkflowExecution:
        return common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id)

    async def _event(self, task: internal_pb2.TaskInfo) -> common_pb2.HistoryEvent | None:
        events = await self._shard.store.read_events((task.namespace, task.workflow_id, task.run_id), task.scheduled_event_id, task.scheduled_event_id)
        return events[0] if events else None

    # ------------------------------------------------------------ parent's shard: start the child
    async def _start_child(self, task: internal_pb2.TaskInfo) -> None:
        shard = self._shard
        key = (task.namespace, task.workflow_id, task.run_id)
        async with shard.locks.hold(key[:2]):  # committed state only
            parent = await shard.load(key)
            info = parent.children.get(task.scheduled_event_id) if parent is not None and parent.running else None
            if info is None or info.started_event_id:
                return  # started already, or the parent closed before its child started: it never starts
            copy = persistence_pb2.ChildExecutionInfo()
            copy.CopyFrom(info)  # the run's own may change once the lock is released
            info = copy
        initiated = await self._event(task)
        if initiated is None:
            return
        a = initiated.start_child_workflow_execution_initiated
        request = workflow_service_pb2.StartWorkflowExecutionRequest(
            namespace=a.namespace,
            workflow_id=a.workflow_id,
            workflow_type=a.workflow_type,
            task_queue=a.task_queue,
            input=a.input,
            workflow_execution_timeout=a.workflow_execution_timeout,
            workflow_run_timeout=a.workflow_run_timeout,
            workflow_task_timeout=a.workflow_task_timeout,
            identity=f"parent workflow {task.workflow_id}",
            request_id=info.create_request_id,
            metadata=a.metadata,
            parent=common_pb2.ParentExecutionInfo(namespace=task.namespace, execution=self._source(task), initiated_event_id=task.scheduled_event_id),
        )
        stub, child_shard = self._stub(a.namespace, a.workflow_id)
        try:
            response = await stub.StartChildWorkflowExecution(
                history_service_pb2.StartChildWorkflowExecutionRequest(shard_id=child_shard, request=request), timeout=RPC_TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            causes = {
                grpc.StatusCode.ALREADY_EXISTS: common_pb2.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
                grpc.StatusCode.INVALID_ARGUMENT: common_pb2.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_REQUEST,
            }
            cause = causes.get(exc.code())
            if cause is None:
                raise
            message = exc.details() or exc.code().name
        else:
            message = ""
        if message:
            await shard.update(
                task.namespace, self._source(task),
                lambda run, now: run.child_start_failed(task.scheduled_event_id, cause, message, now),
                missing_ok=True,
            )
            return
        still_running = await shard.update(
            task.namespace, self._source(task),
            lambda run, now: run.child_started(task.scheduled_event_id, response.run_id, now) or run.running,
            missing_ok=True,
        )
        if not still_running and info.parent_close_policy != common_pb2.PARENT_CLOSE_POLICY_ABANDON:
            # The parent closed while the child was being started: its close may have applied the
            # policy before the child existed, so apply it now (twice is harmless).
            await self._apply_policy(task.namespace, info.workflow_id, task, info.initiated_event_id, info.parent_close_policy,
                                     f"parent workflow {task.workflow_id} closed while this child was starting")

    # ------------------------------------------------------------ child's shard: report the close
    async def _child_closed(self, task: internal_pb2.TaskInfo) -> None:
        close_event = await self._event(task)
        child = await self._shard.load((task.namespace, task.workflow_id, task.run_id))
        if close_event is None or child is None:
            return  # the child's history is gone (retention)
        stub, parent_shard = self._stub(task.namespace, task.target.workflow_id)
        try:
            await stub.RecordChildExecutionCompleted(
                history_service_pb2.RecordChildExecutionCompletedRequest(
                    shard_id=parent_shard,
                    namespace=task.namespace,
                    parent_execution=task.target,
                    parent_initiated_event_id=task.target_event_id,
                    child_execution=common_pb2.WorkflowExecution(workflow_id=task.workflow_id, run_id=child.state.first_run_id),
                    child_workflow_type=common_pb2.WorkflowType(name=child.state.workflow_type),
                    close_event=close_event,
                ),
                timeout=RPC_TIMEOUT,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise  # NOT_FOUND: the parent run is gone; nobody is left to tell

    # ------------------------------------------------------------ parent's shard: act on a child
    async def _parent_close_policy(self, task: internal_pb2.TaskInfo) -> None:
        name = common_pb2.ParentClosePolicy.Name(task.parent_close_policy).removeprefix("PARENT_CLOSE_POLICY_")
        await self._apply_policy(task.namespace, task.target.workflow_id, task, task.target_event_id, task.parent_close_policy,
                                 f"parent workflow {task.workflow_id} closed (parent close policy {name})")

    async def _cancel_child(self, task: internal_pb2.TaskInfo) -> None:
        await self._apply_policy(task.namespace, task.target.workflow_id, task, task.target_event_id,
                                 common_pb2.PARENT_CLOSE_POLICY_REQUEST_CANCEL, f"the parent workflow {task.workflow_id} asked")
        await self._shard.update(
            task.namespace, self._source(task),
            lambda run, now: run.external_cancel_requested(task.scheduled_event_id, task.target, now),
            missing_ok=True,
        )

    async def _apply_policy(self, namespace: str, child_workflow_id: str, task: internal_pb2.TaskInfo, initiated_event_id: int, policy: int, reason: str) -> None:
        stub, child_shard = self._stub(namespace, child_workflow_id)
        try:
            await stub.ApplyParentClosePolicy(
                history_service_pb2.ApplyParentClosePolicyRequest(
                    shard_id=child_shard,
                    namespace=namespace,
                    child_workflow_id=child_workflow_id,
                    parent=common_pb2.ParentExecutionInfo(namespace=namespace, execution=self._source(task), initiated_event_id=initiated_event_id),
                    policy=policy,
                    reason=reason,
                ),
                timeout=RPC_TIMEOUT,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise  # NOT_FOUND: no such workflow (any more): nothing to act on

