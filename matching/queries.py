"""Query tasks: handed to a workflow-task poller, never stored.

History asks (QueryWorkflow) with the poll response the worker should get (execution, type,
the query, the event its answer must reflect). The dispatcher gives it a query task token
(query id, namespace, queue, partition: the frontend routes the worker's answer back here by
it), hands it to a poll waiting on the queue or keeps it in memory for the next poll, and
holds the caller until the worker's RespondQueryTaskCompleted arrives or the wait ends.

Nothing is written: a query is not part of the run's history, and a matching process that
stops fails the queries it holds (their callers get UNAVAILABLE and may ask again). A
pending query is taken by one poll only; a poll cancelled while holding it hands it on.
"""
from __future__ import annotations

import asyncio
import collections
import uuid
from dataclasses import dataclass, field

from fanflow.errors import NotFound, Unavailable
from matching.keys import QueueKey
from matching.partition import TaskQueue
from protos import common_pb2, internal_pb2, matching_service_pb2, workflow_service_pb2

OUTCOME = matching_service_pb2


@dataclass(eq=False)
class PendingQuery:
    id: str
    queue: QueueKey
    response: workflow_service_pb2.PollWorkflowTaskQueueResponse  # what the poller gets (token set)
    taken: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())  # -> poller identity
    answer: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())  # -> RespondQueryTaskCompletedRequest

    @property
    def open(self) -> bool:
        return not self.taken.done()


@dataclass(eq=False, slots=True)
class QueryOffer:
    """What a waiting poll is woken with when a query arrives for its queue."""

    query: PendingQuery


class QueryDispatcher:
    """The queries one matching process holds (see the module docstring)."""

    def __init__(self, queue_of) -> None:
        """queue_of(key, create): the matcher's TaskQueue for a key (None when create is
        False and nobody used the queue lately)."""
        self._queue_of = queue_of
        self._waiting: dict[QueueKey, collections.deque[PendingQuery]] = {}
        self._by_id: dict[str, PendingQuery] = {}
        self._closed = False

    # -- history's side --------------------------------------------------------

    async def dispatch(self, request: matching_service_pb2.QueryWorkflowTaskRequest, wait: float) -> matching_service_pb2.QueryWorkflowTaskResponse:
        """Hand the query to a poller and wait for its worker's answer, at most `wait` seconds."""
        if self._closed:
            raise Unavailable("matching is stopping; ask again")
        key = QueueKey(request.namespace, request.task_queue.name, common_pb2.TASK_TYPE_WORKFLOW)
        queue = self._queue_of(key, create=not request.only_if_polled)
        if request.only_if_polled and (queue is None or not (queue.has_waiters() or queue.active)):
            return matching_service_pb2.QueryWorkflowTaskResponse(outcome=OUTCOME.QUERY_DISPATCH_OUTCOME_NOT_TAKEN)
        query_id = str(uuid.uuid4())
        response = workflow_service_pb2.PollWorkflowTaskQueueResponse()
        response.CopyFrom(request.task)
        response.partition = request.partition
        response.task_queue.CopyFrom(request.task_queue)
        response.task_token = internal_pb2.QueryTaskToken(
            query_id=query_id, namespace=request.namespace, task_queue=request.task_queue, partition=request.partition
        ).SerializeToString()
        pending = PendingQuery(query_id, key, response)
        self._by_id[query_id] = pending
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        take_wait = request.take_wait.ToNanoseconds() / 1e9
        take_deadline = min(deadline, loop.time() + take_wait) if take_wait > 0 else deadline
        try:
            self._offer(pending, queue if queue is not None else self._queue_of(key, create=True))
            try:
                identity = await asyncio.wait_for(asyncio.shield(pending.taken), max(0.0, take_deadline - loop.time()))
            except asyncio.TimeoutError:
                if not pending.taken.done():
                    pending.taken.cancel()  # no poll may take it from now on
                    existing = self._queue_of(key, create=False)
                    return matching_service_pb2.QueryWorkflowTaskResponse(
                        outcome=OUTCOME.QUERY_DISPATCH_OUTCOME_NOT_TAKEN,
                        recent_pollers=existing.recent_pollers() if existing is not None else [],
                    )
                identity = pending.taken.result()
            try:
                answer = await asyncio.wait_for(asyncio.shield(pending.answer), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                return matching_service_pb2.QueryWorkflowTaskResponse(outcome=OUTCOME.QUERY_DISPATCH_OUTCOME_NO_ANSWER, worker_identity=identity)
            return matching_service_pb2.QueryWorkflowTaskResponse(outcome=OUTCOME.QUERY_DISPATCH_OUTCOME_ANSWERED, answer=answer, worker_identity=identity)
        finally:
            self._forget(pending)

    def answer(self, query_id: str, request: workflow_service_pb2.RespondQueryTaskCompletedRequest) -> None:
        """A worker's answer (RespondQueryTaskCompleted)."""
        pending = self._by_id.get(query_id)
        if pending is None or pending.answer.done():
            raise NotFound(f"query {query_id} is no longer waiting for an answer (its caller gave up, or it was answered)")
        pending.answer.set_result(request)

    # -- the polls' side -------------------------------------------------------

    def take(self, key: QueueKey, identity: str) -> workflow_service_pb2.PollWorkflowTaskQueueResponse | None:
        """A poll of `key` looking for work: the oldest query waiting for a poller, if any."""
        waiting = self._waiting.get(key)
        while waiting:
            pending = waiting.popleft()
            if pending.open:
                if not waiting:
                    del self._waiting[key]
                pending.taken.set_result(identity)
                return pending.response
        self._waiting.pop(key, None)
        return None

    def accept_offer(self, offer: QueryOffer, identity: str) -> workflow_service_pb2.PollWorkflowTaskQueueResponse | None:
        """A waiting poll was woken with `offer`: the query, unless its caller gave up meanwhile."""
        if not offer.query.open:
            return None
        offer.query.taken.set_result(identity)
        return offer.query.response

    def put_back(self, offer: QueryOffer, queue: TaskQueue) -> None:
        """A poll was cancelled while holding `offer`: hand the query to another poll."""
        if offer.query.open:
            self._offer(offer.query, queue, first=True)

    def close(self) -> None:
        """The process is stopping: every caller still waiting gets UNAVAILABLE."""
        self._closed = True
        for pending in list(self._by_id.values()):
            for fut in (pending.taken, pending.answer):
                if not fut.done():
                    fut.set_exception(Unavailable("matching stopped while the query was waiting; ask again"))

    # -- helpers ---------------------------------------------------------------

    def _offer(self, pending: PendingQuery, queue: TaskQueue, first: bool = False) -> None:
        waiter = queue.pop_waiter()
        if waiter is not None:
            waiter.future.set_result(QueryOffer(pending))
            return
        waiting = self._waiting.setdefault(pending.queue, collections.deque())
        if first:
            waiting.appendleft(pending)
        else:
            waiting.append(pending)
        queue.version += 1  # a poll between its scan and its wait looks again

    def _forget(self, pending: PendingQuery) -> None:
        self._by_id.pop(pending.id, None)
        waiting = self._waiting.get(pending.queue)
        if waiting and pending in waiting:
            waiting.remove(pending)
            if not waiting:
                del self._waiting[pending.queue]
        for fut in (pending.taken, pending.answer):
            if not fut.done():
                fut.cancel()
            elif not fut.cancelled():
                fut.exception()  # retrieved: no "exception was never retrieved" warnings
