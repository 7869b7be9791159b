"""Completions on their way to the cluster, batched while the cluster is busy: activity
completions (``CompletionSender``) and workflow-task completions (``WorkflowTaskCompletionSender``).

A completion that finds no call in flight goes out at once, alone (RespondActivityTaskCompleted,
RespondWorkflowTaskCompleted: no added latency when the worker is quiet). Completions that become
ready while calls are in flight wait and leave together in the next RespondActivityTasksCompleted
(RespondWorkflowTasksCompleted) call (up to ``MAX_BATCH`` of them, ``MAX_BATCH_BYTES`` in all): a
worker finishing hundreds of activities or workflow tasks a second pays one RPC per batch, and
history records each batch's completions of one run in one commit. Each completion still gets its
own answer (the reply has one outcome per completion).

Completions with a large result (over ``MAX_ITEM_BYTES``, or over the client's payload-offload
threshold: those travel as blob references, which only the single call handles) go alone. A
completion whose shard could not be reached in the batch is sent again alone, with the single
call's retries. Against a cluster without the batch call (UNIMPLEMENTED) the sender falls back to
one call per completion for good.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import grpc

from protos import workflow_service_pb2 as ws

if TYPE_CHECKING:
    from .client import Client

__all__ = ["CompletionSender", "WorkflowTaskCompletionSender", "MAX_BATCH", "MAX_BATCH_BYTES", "MAX_ITEM_BYTES", "MAX_IN_FLIGHT"]

MAX_BATCH = 200
MAX_BATCH_BYTES = 1 << 20
MAX_ITEM_BYTES = 64 * 1024
#: Calls in flight at once; completions that arrive meanwhile wait for one to return.
MAX_IN_FLIGHT = 2
#: Outcome codes worth one more try alone (the shard was moving, or its host unreachable).
_RESEND = {grpc.StatusCode.UNAVAILABLE.value[0], grpc.StatusCode.DEADLINE_EXCEEDED.value[0], grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]}
_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _error(code: int, message: str) -> grpc.aio.AioRpcError:
    status = _CODES.get(code, grpc.StatusCode.UNKNOWN)
    return grpc.aio.AioRpcError(status, grpc.aio.Metadata(), grpc.aio.Metadata(), details=message)


class CompletionSender:
    """``await sender.complete(request)``: the RespondActivityTaskCompletedResponse, or the
    call's ``grpc.aio.AioRpcError`` (NOT_FOUND: history no longer runs that attempt)."""

    SINGLE = "RespondActivityTaskCompleted"
    BATCH = "RespondActivityTasksCompleted"
    batch_request = ws.RespondActivityTasksCompletedRequest

    @staticmethod
    def response(outcome):
        """The single call's response for a batch outcome that is OK."""
        response = ws.RespondActivityTaskCompletedResponse()
        if outcome.HasField("workflow_task"):
            response.workflow_task.CopyFrom(outcome.workflow_task)
        return response

    def __init__(self, client: "Client") -> None:
        self.client = client
        self.batch_supported = True
        self.batches_sent = 0  # observability (and tests): calls that carried more than one
        self._waiting: list[tuple[ws.RespondActivityTaskCompletedRequest, asyncio.Future]] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task] = set()  # batch calls running (referenced until done)

    async def complete(self, request: ws.RespondActivityTaskCompletedRequest) -> ws.RespondActivityTaskCompletedResponse:
        offload = self.client.payload_offload_bytes
        size = request.ByteSize()
        if not self.batch_supported or size > MAX_ITEM_BYTES or (offload and size > offload):
            return await self._alone(request)
        if self._in_flight < MAX_IN_FLIGHT and not self._waiting:
            return await self._tracked(self._alone(request))
        fut = asyncio.get_running_loop().create_future()
        self._waiting.append((request, fut))
        return await fut

    async def _alone(self, request: ws.RespondActivityTaskCompletedRequest) -> ws.RespondActivityTaskCompletedResponse:
        return await self.client.call(self.SINGLE, request)

    async def _tracked(self, call):
        """Run a call counted as in flight; when it returns, send what waited meanwhile."""
        self._in_flight += 1
        try:
            return await call
        finally:
            self._in_flight -= 1
            self._send_waiting()

    def _send_waiting(self) -> None:
        while self._waiting and self._in_flight < MAX_IN_FLIGHT:
            batch, size = [], 0
            while self._waiting and len(batch) < MAX_BATCH:
                item_size = self._waiting[0][0].ByteSize()
                if batch and size + item_size > MAX_BATCH_BYTES:
                    break
                batch.append(self._waiting.pop(0))
                size += item_size
            batch = [(request, fut) for request, fut in batch if not fut.done()]  # callers cancelled meanwhile
            if batch:
                task = asyncio.get_running_loop().create_task(self._tracked(self._send_batch(batch)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _send_batch(self, batch: list[tuple[ws.RespondActivityTaskCompletedRequest, asyncio.Future]]) -> None:
        if len(batch) == 1 or not self.batch_supported:
            await asyncio.gather(*(self._settle_alone(request, fut) for request, fut in batch))
            return
        request = self.batch_request(namespace=self.client.namespace, completions=[r for r, _ in batch])
        try:
            reply = await self.client.call(self.BATCH, request)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                self.batch_supported = False  # an older cluster: one call each from now on
                await asyncio.gather(*(self._settle_alone(r, fut) for r, fut in batch))
                return
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        except BaseException as exc:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            raise
        self.batches_sent += 1
        resend = []
        for (item, fut), outcome in zip(batch, reply.outcomes):
            if fut.done():
                continue
            if outcome.code == 0:
                fut.set_result(self.response(outcome))
            elif outcome.code in _RESEND:
                resend.append(self._settle_alone(item, fut))
            else:
                fut.set_exception(_error(outcome.code, outcome.message))
        if resend:
            await asyncio.gather(*resend)

    async def _settle_alone(self, request: ws.RespondActivityTaskCompletedRequest, fut: asyncio.Future) -> None:
        try:
            response = await self._alone(request)
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
            if not isinstance(exc, Exception):
                raise
            return
        if not fut.done():
            fut.set_result(response)


class WorkflowTaskCompletionSender(CompletionSender):
    """``await sender.complete(request)``: the RespondWorkflowTaskCompletedResponse (its eager
    activities and next workflow task), or the call's ``grpc.aio.AioRpcError``."""

    SINGLE = "RespondWorkflowTaskCompleted"
    BATCH = "RespondWorkflowTasksCompleted"
    batch_request = ws.RespondWorkflowTasksCompletedRequest

    @staticmethod
    def response(outcome):
        return outcome.response
