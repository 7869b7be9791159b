"""QueryWorkflow: ask a worker about a run, writing nothing.

As in Temporal, a query is not part of history. History finds the run and the state the
answer must reflect (the run's last completed workflow task; a workflow task that is
running or waiting is given time to finish first, so a query right after a signal or a start
sees it), refuses a query name the workflow did not declare, then asks matching to hand a
query task to a workflow-task poller: the run's sticky worker when it is polling (it answers
from its cached instance), else any worker of the run's task queue (it replays the run's
history up to that workflow task; closed runs too). Matching holds the call until the worker
answers or the wait ends.

`ask_worker` is shared with updates, whose name, input and validator a worker checks the
same way before history accepts them.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc

from fanflow.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, Unavailable
from fanflow.timeutil import duration
from history.handler_names import check_handler_name
from history.shard import Shard
from protos import common_pb2, matching_service_pb2, persistence_pb2, workflow_service_pb2

RUNNING = common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING
DEFAULT_WAIT = 20.0  # seconds, when the request names none (the frontend normally does)
STICKY_TAKE_WAIT = 2.0  # the sticky worker gets this long to take a query before any worker may
MATCHING_CALL_MARGIN = 2.0  # matching answers by the wait it was given; our deadline adds this
# Failure types a worker reports for a bad request (the caller's to fix): INVALID_ARGUMENT.
CALLER_FAULTS = frozenset({"UnknownQuery", "UnknownUpdate", "InvalidInput", "InvalidArgument"})


@dataclass(frozen=True)
class QueryTarget:
    """The run a query (or an update's validation) is about, as history had it."""

    state: persistence_pb2.ExecutionState

    @property
    def running(self) -> bool:
        return self.state.status == RUNNING

    @property
    def execution(self) -> common_pb2.WorkflowExecution:
        return common_pb2.WorkflowExecution(workflow_id=self.state.workflow_id, run_id=self.state.run_id)

    def describe_queue(self) -> str:
        return f"task queue {self.state.task_queue.name!r} (workflow type {self.state.workflow_type})"


async def query_workflow(shard: Shard, request: workflow_service_pb2.QueryWorkflowRequest) -> workflow_service_pb2.QueryWorkflowResponse:
    loop = asyncio.get_running_loop()
    wait = request.timeout.ToNanoseconds() / 1e9 or DEFAULT_WAIT
    deadline = loop.time() + wait
    name = request.query.query_type
    target = await settled_run(shard, request.namespace, request.execution, deadline, check=lambda s: check_handler_name(s, "query", name))
    require_state(target, "query")
    query = common_pb2.WorkflowQuery(query_type=name, query_args=request.query.query_args if request.query.HasField("query_args") else None, kind=common_pb2.QUERY_KIND_QUERY)
    answer, identity = await ask_worker(shard, request.namespace, target, query, deadline)
    if answer.completed_type != workflow_service_pb2.QUERY_RESULT_TYPE_ANSWERED:
        raise refusal(answer.failure, f"query {name!r}")
    return workflow_service_pb2.QueryWorkflowResponse(query_result=answer.query_result, execution=target.execution, answered_by=identity)


async def settled_run(shard: Shard, namespace: str, execution: common_pb2.WorkflowExecution, deadline: float, check=None) -> QueryTarget:
    """The run `execution` names, once no workflow task of it is pending (or until about
    half the time to `deadline` passed: a worker must still get the rest to answer; a run
    whose first workflow task has not completed has no state to answer from, so it gets
    nearly all of it). check(state) runs first, under the workflow's lock: it refuses an
    unknown name before any wait."""
    loop = asyncio.get_running_loop()
    budget = max(0.0, deadline - loop.time())
    settle_by = deadline - budget / 2
    first_task_by = deadline - min(1.0, budget / 4)
    while True:
        async with shard.locks.hold((namespace, execution.workflow_id)):
            key = await shard.resolve(namespace, execution)
            run = await shard.require(key)
            state = run.state
            if check is not None:
                check(state)
                check = None
            wft = state.workflow_task
            # A workflow task that keeps failing will not settle soon: answer from the last good one.
            settled = state.status != RUNNING or not wft.scheduled_event_id or state.failed_wft_attempts > 0
            remaining = (settle_by if state.last_completed_wft_started_event_id else first_task_by) - loop.time()
            if settled or remaining <= 0:
                snapshot = persistence_pb2.ExecutionState()
                snapshot.CopyFrom(state)
                return QueryTarget(snapshot)
            fut = shard.next_commit(key)  # registered under the lock: no commit is missed
        try:
            await asyncio.wait_for(fut, remaining)
        except asyncio.TimeoutError:
            pass
        finally:
            shard.stop_waiting_commit(key, fut)


def require_state(target: QueryTarget, what: str) -> None:
    """A worker can only answer from a run whose code ran at least once."""
    s = target.state
    if s.last_completed_wft_started_event_id:
        return
    if target.running:
        raise FailedPrecondition(
            f"workflow {s.workflow_id!r} has not completed its first workflow task yet, so there is no state to {what}: "
            f"no worker has run it (is a worker polling {target.describe_queue()}?)"
        )
    status = common_pb2.WorkflowExecutionStatus.Name(s.status).removeprefix("WORKFLOW_EXECUTION_STATUS_")
    raise FailedPrecondition(f"workflow {s.workflow_id!r} run {s.run_id} closed ({status}) before any workflow task completed: there is no state to {what}")


async def ask_worker(
    shard: Shard, namespace: str, target: QueryTarget, query: common_pb2.WorkflowQuery, deadline: float
) -> tuple[workflow_service_pb2.RespondQueryTaskCompletedRequest, str]:
    """Hand `query` to a worker of the run (its sticky worker first) and wait for the answer
    until `deadline`: (the worker's answer, its identity). No worker took it or answered in
    time: UNAVAILABLE / DEADLINE_EXCEEDED saying so."""
    s = target.state
    task = workflow_service_pb2.PollWorkflowTaskQueueResponse(
        workflow_execution=target.execution,
        workflow_type=common_pb2.WorkflowType(name=s.workflow_type),
        query=query,
        query_state_event_id=s.last_completed_wft_started_event_id,
    )
    if target.running and s.sticky_task_queue.name:
        sticky = await _dispatch(shard, namespace, s.sticky_task_queue, 0, task, deadline, take_wait=STICKY_TAKE_WAIT, only_if_polled=True)
        if sticky.outcome != matching_service_pb2.QUERY_DISPATCH_OUTCOME_NOT_TAKEN:
            return _answered(sticky, target)
    queue = common_pb2.TaskQueue(name=s.task_queue.name, kind=common_pb2.TASK_QUEUE_KIND_NORMAL)
    partition = shard.matching.pick_add_partition(queue)
    return _answered(await _dispatch(shard, namespace, queue, partition, task, deadline), target)


async def _dispatch(
    shard: Shard, namespace: str, queue: common_pb2.TaskQueue, partition: int, task, deadline: float, *, take_wait: float = 0.0, only_if_polled: bool = False
) -> matching_service_pb2.QueryWorkflowTaskResponse:
    wait = max(0.0, deadline - asyncio.get_running_loop().time())
    request = matching_service_pb2.QueryWorkflowTaskRequest(
        partition=partition, namespace=namespace, task_queue=queue, task=task,
        wait=duration(wait), take_wait=duration(min(take_wait, wait)) if take_wait else None, only_if_polled=only_if_polled,
    )
    try:
        owner = shard.matching.owner(namespace, queue, common_pb2.TASK_TYPE_WORKFLOW, partition)
        stub = shard.matching.stub(namespace, queue, common_pb2.TASK_TYPE_WORKFLOW, partition)
    except (KeyError, IndexError, ZeroDivisionError):
        raise Unavailable("the cluster config lists no matching hosts: nobody can hand the query to a worker") from None
    try:
        return await stub.QueryWorkflow(request, timeout=wait + MATCHING_CALL_MARGIN)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise Unavailable(f"matching ({owner.name} at {owner.address}) could not hand the query to a worker: {exc.details()}") from None
        raise


def _answered(response: matching_service_pb2.QueryWorkflowTaskResponse, target: QueryTarget):
    if response.outcome == matching_service_pb2.QUERY_DISPATCH_OUTCOME_ANSWERED:
        return response.answer, response.worker_identity
    if response.outcome == matching_service_pb2.QUERY_DISPATCH_OUTCOME_NO_ANSWER:
        raise DeadlineExceeded(
            f"worker {response.worker_identity!r} took the query for workflow {target.state.workflow_id!r} but did not answer in time "
            "(it may be busy, or replaying a long history); nothing was recorded"
        )
    # Any poll of the queue while the query waited would have taken it: nobody polled.
    earlier = f" (seen polling it earlier, now busy or gone: {', '.join(response.recent_pollers[:5])})" if response.recent_pollers else ""
    raise Unavailable(
        f"no worker is polling {target.describe_queue()}{earlier}, so nobody answered for workflow {target.state.workflow_id!r}: "
        "start a worker for it (`fanflow worker MODULE --task-queue ...`); nothing was recorded"
    )


def refusal(failure: common_pb2.Failure, what: str) -> Exception:
    """The error for a worker's FAILED answer: the caller's fault (bad name or input) is
    INVALID_ARGUMENT, anything else (the handler raised, the workflow cannot be rebuilt) is
    FAILED_PRECONDITION."""
    message = failure.message or "the worker gave no reason"
    if failure.type in CALLER_FAULTS:
        return InvalidArgument(f"{what}: {message}")
    return FailedPrecondition(f"{what} failed in the workflow: {message}")
