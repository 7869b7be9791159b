"""The public WorkflowService: validate every request, then route it.

Workflow-scoped calls go to the history shard that owns the workflow
(`shard_for(namespace, workflow_id)`); completions and heartbeats to the shard
named in their task token; polls to a matching partition (balanced over the
matching processes that hold the queue's partitions, see `_poll`);
ListWorkflowExecutions and CountWorkflowExecutions to every shard, merged here.
"""
from __future__ import annotations

import asyncio
import json
import uuid

import grpc
import structlog

from fanflow import aio, timeutil
from fanflow.clients import POLL_WAIT_METADATA, HistoryClient, MatchingClient
from fanflow.config import ClusterConfig
from fanflow.errors import FailedPrecondition, FanflowError, InvalidArgument, Unavailable
from fanflow.grpcutil import rpc_method, rpc_stream_method
from frontend import listing, validation
from frontend.namespaces import NamespaceCache
from frontend.ratelimit import NamespaceRateLimiter
from frontend.settings import FrontendSettings
from frontend.upstream import UpstreamError, deadline, gather_all, upstream, upstream_answer
from protos import (
    common_pb2,
    history_service_pb2,
    matching_service_pb2,
    schedule_pb2,
    workflow_service_pb2,
    workflow_service_pb2_grpc,
)

log = structlog.get_logger("fanflow.frontend")

# How much of our caller's remaining deadline GetWorkflowResult leaves for the
# answer to travel back, so a wait that times out answers RUNNING in time.
_RESULT_REPLY_MARGIN = 0.5
# How long one ReadWorkflowStream long poll of WatchWorkflow waits on history for something new.
_WATCH_POLL_SECONDS = 20.0
# At most this often a progress snapshot (a task streaming its state wakes a watch often).
_WATCH_PROGRESS_EVERY = 1.0


class Router:
    """Finds the stub (and a human-readable name for errors) for a shard or partition."""

    def __init__(self, config: ClusterConfig, history: HistoryClient, matching: MatchingClient):
        self.config = config
        self.history = history
        self.matching = matching

    def history_stub(self, shard: int):
        try:
            name, address = self.history.shard_host(shard)
        except KeyError:
            raise Unavailable(f"no history host owns shard {shard}; check history_hosts in the cluster config") from None
        return self.history.stub(shard), f"history shard {shard} ({name} at {address})"

    def metadata_stub(self):
        """The history host serving namespaces and API keys (config.metadata_owner(); under live
        membership any history host: shard 0's)."""
        if self.history.membership is not None:
            name, address = self.history.shard_host(0)
            return self.history.metadata_stub(), f"cluster metadata ({name} at {address})"
        try:
            host = self.config.metadata_owner()
        except KeyError:
            raise Unavailable("no history host owns shard 0, which serves cluster metadata; check history_hosts in the cluster config") from None
        return self.history.metadata_stub(), f"cluster metadata ({host.name} at {host.address})"

    def matching_stub(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int):
        if not self.matching.has_hosts():
            raise Unavailable("no matching hosts: the cluster config lists none (or, under live membership, none is live)")
        host = self.matching.owner(namespace, task_queue, task_type, partition)
        target = f"matching partition {partition} of task queue {task_queue.name!r} ({host.name} at {host.address})"
        return self.matching.stub(namespace, task_queue, task_type, partition), target


def log_large_payloads(method: str, namespace: str, large: validation.LargePayloads, settings: FrontendSettings) -> None:
    for field, size in large:
        log.warning(
            "large payload",
            method=method,
            namespace=namespace,
            field=field,
            size=size,
            warn_above=settings.warn_payload_bytes,
            limit=settings.max_payload_bytes,
        )


class WorkflowServiceHandler(workflow_service_pb2_grpc.WorkflowServiceServicer):
    METRICS_SERVICE = "frontend"

    def __init__(
        self,
        config: ClusterConfig,
        history: HistoryClient,
        matching: MatchingClient,
        namespaces: NamespaceCache,
        settings: FrontendSettings | None = None,
    ):
        self.config = config
        self.history = history
        self.matching = matching
        self.namespaces = namespaces
        self.settings = settings or FrontendSettings()
        self.router = Router(config, history, matching)
        self.rate_limiter = NamespaceRateLimiter(self.settings.namespace_rps, self.settings.namespace_burst)

    # ------------------------------------------------------------ helpers

    async def _admit(self, namespace: str) -> None:
        """The namespace exists, and this request is within this frontend's rate for it."""
        await self.namespaces.require(namespace)
        self.rate_limiter.admit(namespace)

    async def _to_shard(self, method: str, wrapper, shard: int, request, context, timeout: float | None = None):
        stub, target = self.router.history_stub(shard)
        log.debug("route", method=method, shard=shard)
        with upstream(target):
            return await getattr(stub, method)(
                wrapper(shard_id=shard, request=request),
                timeout=deadline(context, self.settings.rpc_timeout if timeout is None else timeout),
            )

    async def _to_workflow_shard(self, method: str, wrapper, request, context, timeout: float | None = None):
        shard = self.history.shard_for(request.namespace, request.execution.workflow_id)
        return await self._to_shard(method, wrapper, shard, request, context, timeout)

    # ------------------------------------------------------------ workflow lifecycle

    @rpc_method
    async def StartWorkflowExecution(self, request, context):
        large = validation.validate_start_workflow(request, self.settings)
        await self._admit(request.namespace)
        log_large_payloads("StartWorkflowExecution", request.namespace, large, self.settings)
        shard = self.history.shard_for(request.namespace, request.workflow_id)
        response = await self._to_shard(
            "StartWorkflowExecution", history_service_pb2.StartWorkflowExecutionRequest, shard, request, context
        )
        response.shard_id = shard
        return response

    @rpc_method
    async def GetWorkflowResult(self, request, context):
        wait = validation.validate_get_workflow_result(request, self.settings)
        await self._admit(request.namespace)
        wait = min(wait, self.settings.max_result_wait)
        remaining = context.time_remaining()
        if remaining is not None:
            # Let history give up (and answer RUNNING) before our caller does.
            wait = max(0.0, min(wait, remaining - _RESULT_REPLY_MARGIN))
        request.wait_timeout.CopyFrom(timeutil.duration(wait))
        return await self._to_workflow_shard(
            "GetWorkflowResult",
            history_service_pb2.GetWorkflowResultRequest,
            request,
            context,
            timeout=wait + self.settings.result_deadline_margin,
        )

    @rpc_method
    async def DescribeWorkflowExecution(self, request, context):
        validation.validate_describe_workflow(request, self.settings)
        await self._admit(request.namespace)
        return await self._to_workflow_shard(
            "DescribeWorkflowExecution", history_service_pb2.DescribeWorkflowExecutionRequest, request, context
        )

    @rpc_method
    async def GetWorkflowExecutionHistory(self, request, context):
        validation.validate_get_history(request, self.settings)
        await self._admit(request.namespace)
        return await self._to_workflow_shard(
            "GetWorkflowExecutionHistory", history_service_pb2.GetWorkflowExecutionHistoryRequest, request, context
        )

    @rpc_method
    async def ListWorkflowExecutions(self, request, context):
        page_size = validation.validate_list_workflows(request, self.settings)
        listing.decode_page_token(request)  # reject a bad token before any I/O
        await self._admit(request.namespace)

        async def fetch(shard_request: history_service_pb2.ListWorkflowExecutionsRequest):
            stub, target = self.router.history_stub(shard_request.shard_id)
            with upstream(target):
                return await stub.ListWorkflowExecutions(
                    shard_request, timeout=deadline(context, self.settings.rpc_timeout)
                )

        return await listing.list_across_shards(fetch, self.config.history_shard_count, request, page_size)

    @rpc_method
    async def TerminateWorkflowExecution(self, request, context):
        validation.validate_terminate_workflow(request, self.settings)
        await self._admit(request.namespace)
        return await self._to_workflow_shard(
            "TerminateWorkflowExecution", history_service_pb2.TerminateWorkflowExecutionRequest, request, context
        )

    @rpc_method
    async def RequestCancelWorkflowExecution(self, request, context):
        validation.validate_terminate_workflow(request, self.settings)  # same fields: namespace, execution, reason, identity
        await self._admit(request.namespace)
        return await self._to_workflow_shard(
            "RequestCancelWorkflowExecution", history_service_pb2.RequestCancelWorkflowExecutionRequest, request, context
        )

    @rpc_method
    async def SignalWorkflowExecution(self, request, context):
        large = validation.validate_signal_workflow(request, self.settings)
        await self._admit(request.namespace)
        log_large_payloads("SignalWorkflowExecution", request.namespace, large, self.settings)
        return await self._to_workflow_shard(
            "SignalWorkflowExecution", history_service_pb2.SignalWorkflowExecutionRequest, request, context
        )

    # ------------------------------------------------------------ workers: polls

    async def _poll(self, method: str, wrapper, empty_response, task_type: int, request, context):
        """Forward a long poll to matching.

        A matching process serves only the partitions it holds, so when the
        queue's partitions are spread over several processes the poll waits on
        one of them for at most `poll_slice` seconds and then moves on to the
        process with the fewest waiting polls, until `poll_timeout`: a task on a
        process that had no poller waiting is picked up within about a slice.
        A process that cannot be reached gets no polls for a few seconds while
        another one holding partitions of the queue can take them.
        The queue of rate-limited activities (``rate_limited``) is polled at its
        partition 0 only: the one matching process metering its starts.
        Matching is told how long to wait (POLL_WAIT_METADATA) and answers empty
        by then; our call deadline adds `poll_deadline_margin` so that a task it
        found at the last moment still reaches the worker.
        """
        validation.validate_poll(request, self.settings)
        await self._admit(request.namespace)
        if not self.matching.has_hosts():
            raise Unavailable("no matching hosts: the cluster config lists none (or, under live membership, none is live)")
        loop = asyncio.get_running_loop()
        budget = self.config.poll_timeout
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:
            budget = min(budget, max(0.0, remaining - self.settings.poll_deadline_margin))
        end = loop.time() + budget
        queue, namespace = request.task_queue, request.namespace
        rate_limited = getattr(request, "rate_limited", False)  # sticky+rate limits: partition 0 only
        spread = not rate_limited and len(self.matching.partitions_by_host(namespace, queue, task_type)) > 1
        while True:
            partition = 0 if rate_limited else self.matching.choose_poll_partition(namespace, queue, task_type)
            stub, target = self.router.matching_stub(namespace, queue, task_type, partition)
            wait = max(0.0, end - loop.time())
            if spread:
                wait = min(wait, self.settings.poll_slice)
            began = loop.time()
            try:
                with self.matching.polling(namespace, queue, task_type, partition):
                    response = await getattr(stub, method)(
                        wrapper(partition=partition, request=request),
                        timeout=deadline(context, wait + self.settings.poll_deadline_margin),
                        metadata=((POLL_WAIT_METADATA, f"{wait:.3f}"),),
                    )
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    # Matching should have answered empty by then; treat it as "no task".
                    log.info("poll deadline passed; answering empty", method=method, target=target)
                    await asyncio.sleep(self.settings.poll_error_backoff)
                    return empty_response()
                if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                    log.warning("matching unreachable", method=method, target=target, error=exc.details())
                    others_live = self.matching.poll_failed(namespace, queue, task_type, partition)
                    if spread and others_live and loop.time() < end:
                        continue  # poll another matching process holding partitions of this queue
                    await asyncio.sleep(self.settings.poll_error_backoff)  # keep retrying workers from spinning
                    raise UpstreamError(grpc.StatusCode.UNAVAILABLE, f"{target}: {exc.details() or code.name}") from exc
                raise
            if response.task_token or not spread or loop.time() >= end:
                return response
            if loop.time() - began < wait / 2:
                return response  # answered empty early (matching stopping?): let the worker poll again

    @rpc_method
    async def PollWorkflowTaskQueue(self, request, context):
        return await self._poll(
            "PollWorkflowTaskQueue",
            matching_service_pb2.PollWorkflowTaskQueueRequest,
            workflow_service_pb2.PollWorkflowTaskQueueResponse,
            common_pb2.TASK_TYPE_WORKFLOW,
            request,
            context,
        )

    @rpc_method
    async def PollActivityTaskQueue(self, request, context):
        return await self._poll(
            "PollActivityTaskQueue",
            matching_service_pb2.PollActivityTaskQueueRequest,
            workflow_service_pb2.PollActivityTaskQueueResponse,
            common_pb2.TASK_TYPE_ACTIVITY,
            request,
            context,
        )

    # ------------------------------------------------------------ workers: completions

    async def _respond(self, method: str, wrapper, task_type: int, request, context):
        token, large = validation.validate_respond(
            request, task_type, self.config.history_shard_count, self.settings
        )
        await self._admit(request.namespace)
        log_large_payloads(method, request.namespace, large, self.settings)
        return await self._to_shard(method, wrapper, token.shard_id, request, context)

    @rpc_method
    async def RespondWorkflowTaskCompleted(self, request, context):
        return await self._respond(
            "RespondWorkflowTaskCompleted",
            history_service_pb2.RespondWorkflowTaskCompletedRequest,
            common_pb2.TASK_TYPE_WORKFLOW,
            request,
            context,
        )

    @rpc_method
    async def RespondWorkflowTaskFailed(self, request, context):
        return await self._respond(
            "RespondWorkflowTaskFailed",
            history_service_pb2.RespondWorkflowTaskFailedRequest,
            common_pb2.TASK_TYPE_WORKFLOW,
            request,
            context,
        )

    @rpc_method
    async def RecordWorkflowTaskHeartbeat(self, request, context):
        return await self._respond(
            "RecordWorkflowTaskHeartbeat",
            history_service_pb2.RecordWorkflowTaskHeartbeatRequest,
            common_pb2.TASK_TYPE_WORKFLOW,
            request,
            context,
        )

    @rpc_method
    async def RespondActivityTaskCompleted(self, request, context):
        return await self._respond(
            "RespondActivityTaskCompleted",
            history_service_pb2.RespondActivityTaskCompletedRequest,
            common_pb2.TASK_TYPE_ACTIVITY,
            request,
            context,
        )

    @rpc_method
    async def RespondActivityTasksCompleted(self, request, context):
        checked = validation.validate_respond_activities_completed(request, self.config.history_shard_count, self.settings)
        return await self._completions_by_shard(
            "RespondActivityTasksCompleted", request, checked, context, history_service_pb2.RespondActivityTasksCompletedRequest,
            workflow_service_pb2.RespondActivityTasksCompletedResponse, workflow_service_pb2.ActivityCompletionOutcome)

    @rpc_method
    async def RespondWorkflowTasksCompleted(self, request, context):
        checked = validation.validate_respond_workflow_tasks_completed(request, self.config.history_shard_count, self.settings)
        return await self._completions_by_shard(
            "RespondWorkflowTasksCompleted", request, checked, context, history_service_pb2.RespondWorkflowTasksCompletedRequest,
            workflow_service_pb2.RespondWorkflowTasksCompletedResponse, workflow_service_pb2.WorkflowTaskCompletionOutcome)

    async def _completions_by_shard(self, method: str, request, checked, context, wrapper, response_type, outcome_type):
        """A worker's completions at once: split by shard, each shard's share in one call
        (sent concurrently); a shard that cannot be reached fails only its own completions."""
        await self._admit(request.namespace)
        by_shard: dict[int, list[int]] = {}
        for i, (token, large) in enumerate(checked):
            if large:
                log_large_payloads(method, request.namespace, large, self.settings)
            by_shard.setdefault(token.shard_id, []).append(i)
        outcomes: list = [None] * len(checked)

        async def to_shard(shard: int, indexes: list[int]) -> None:
            share = type(request)(namespace=request.namespace, completions=[request.completions[i] for i in indexes])
            try:
                reply = await self._to_shard(method, wrapper, shard, share, context)
            except (FanflowError, grpc.aio.AioRpcError) as exc:
                code, message = (exc.code, exc.message) if isinstance(exc, FanflowError) else (exc.code(), exc.details() or "")
                if code == grpc.StatusCode.CANCELLED:
                    code = grpc.StatusCode.UNAVAILABLE
                for i in indexes:
                    outcomes[i] = outcome_type(code=code.value[0], message=message)
                return
            for i, outcome in zip(indexes, reply.outcomes):
                outcomes[i] = outcome

        await aio.gather(*(to_shard(shard, indexes) for shard, indexes in by_shard.items()))
        return response_type(outcomes=outcomes)

    @rpc_method
    async def RespondActivityTaskFailed(self, request, context):
        return await self._respond(
            "RespondActivityTaskFailed",
            history_service_pb2.RespondActivityTaskFailedRequest,
            common_pb2.TASK_TYPE_ACTIVITY,
            request,
            context,
        )

    @rpc_method
    async def RecordActivityTaskHeartbeat(self, request, context):
        return await self._respond(
            "RecordActivityTaskHeartbeat",
            history_service_pb2.RecordActivityTaskHeartbeatRequest,
            common_pb2.TASK_TYPE_ACTIVITY,
            request,
            context,
        )

    @rpc_method
    async def RespondActivityTaskCanceled(self, request, context):
        return await self._respond(
            "RespondActivityTaskCanceled",
            history_service_pb2.RespondActivityTaskCanceledRequest,
            common_pb2.TASK_TYPE_ACTIVITY,
            request,
            context,
        )

    # ------------------------------------------------------------ parallel executors

    async def _to_id_shard(self, method: str, wrapper, request, context):
        await self._admit(request.namespace)
        shard = self.history.shard_for(request.namespace, request.workflow_id)
        return await self._to_shard(method, wrapper, shard, request, context)

    @rpc_method
    async def PutParallelResults(self, request, context):
        large = validation.validate_put_parallel_results(request, self.settings)
        log_large_payloads("PutParallelResults", request.namespace, large, self.settings)
        return await self._to_id_shard("PutParallelResults", history_service_pb2.PutParallelResultsRequest, request, context)

    @rpc_method
    async def GetParallelResults(self, request, context):
        validation.validate_get_parallel_results(request, self.settings)
        return await self._to_id_shard("GetParallelResults", history_service_pb2.GetParallelResultsRequest, request, context)

    @rpc_method
    async def GetWorkflowProgress(self, request, context):
        validation.validate_get_workflow_progress(request, self.settings)
        return await self._to_id_shard("GetWorkflowProgress", history_service_pb2.GetWorkflowProgressRequest, request, context)

    # ------------------------------------------------------------ schedules

    async def _to_schedule_shard(self, method: str, wrapper, request, context):
        shard = self.history.shard_for(request.namespace, request.schedule_id)
        return await self._to_shard(method, wrapper, shard, request, context)

    async def _require_registered_type(self, namespace: str, workflow_type: str, context) -> None:
        """A schedule may start only a workflow type a worker of the namespace registered."""
        stub, target = self.router.metadata_stub()
        with upstream(target):
            found = await stub.ListWorkflowTypes(
                schedule_pb2.ListWorkflowTypesRequest(namespace=namespace, workflow_types=[workflow_type]),
                timeout=deadline(context, self.settings.rpc_timeout),
            )
        if not found.workflow_types:
            raise FailedPrecondition(
                f"schedule.action.workflow_type {workflow_type!r}: no worker in namespace {namespace!r} has registered this workflow type; "
                "start a worker that serves it (workers register their workflow types when they start), then create the schedule"
            )

    @rpc_method
    async def CreateSchedule(self, request, context):
        large = validation.validate_create_schedule(request, self.settings)
        await self._admit(request.namespace)
        log_large_payloads("CreateSchedule", request.namespace, large, self.settings)
        await self._require_registered_type(request.namespace, request.schedule.action.workflow_type.name, context)
        return await self._to_schedule_shard("CreateSchedule", history_service_pb2.CreateScheduleRequest, request, context)

    @rpc_method
    async def DescribeSchedule(self, request, context):
        validation.validate_schedule_key(request, self.settings)
        await self._admit(request.namespace)
        return await self._to_schedule_shard("DescribeSchedule", history_service_pb2.DescribeScheduleRequest, request, context)

    @rpc_method
    async def PatchSchedule(self, request, context):
        validation.validate_patch_schedule(request, self.settings)
        await self._admit(request.namespace)
        return await self._to_schedule_shard("PatchSchedule", history_service_pb2.PatchScheduleRequest, request, context)

    @rpc_method
    async def DeleteSchedule(self, request, context):
        validation.validate_schedule_key(request, self.settings)
        await self._admit(request.namespace)
        return await self._to_schedule_shard("DeleteSchedule", history_service_pb2.DeleteScheduleRequest, request, context)

    @rpc_method
    async def ListSchedules(self, request, context):
        """Every shard's schedules after the page token's id, merged by schedule id."""
        page_size = validation.validate_list_schedules(request, self.settings)
        after = _schedule_page_cursor(request)
        await self._admit(request.namespace)

        async def fetch(shard: int):
            stub, target = self.router.history_stub(shard)
            with upstream(target):
                return await stub.ListSchedules(
                    history_service_pb2.ListSchedulesRequest(shard_id=shard, namespace=request.namespace, after_schedule_id=after, limit=page_size + 1),
                    timeout=deadline(context, self.settings.rpc_timeout),
                )

        pages = await gather_all(fetch(shard) for shard in range(self.config.history_shard_count))
        entries = sorted((e for page in pages for e in page.schedules), key=lambda e: e.schedule_id)
        response = schedule_pb2.ListSchedulesResponse(schedules=entries[:page_size])
        if len(entries) > page_size:
            response.next_page_token = json.dumps({"v": 1, "ns": request.namespace, "after": entries[page_size - 1].schedule_id}).encode()
        return response

    @rpc_method
    async def RegisterWorkflowTypes(self, request, context):
        validation.validate_register_workflow_types(request, self.settings)
        await self._admit(request.namespace)
        stub, target = self.router.metadata_stub()
        with upstream(target):
            return await stub.RegisterWorkflowTypes(request, timeout=deadline(context, self.settings.rpc_timeout))

    @rpc_method
    async def ListWorkflowTypes(self, request, context):
        validation.validate_list_workflow_types(request, self.settings)
        await self._admit(request.namespace)
        stub, target = self.router.metadata_stub()
        with upstream(target):
            return await stub.ListWorkflowTypes(request, timeout=deadline(context, self.settings.rpc_timeout))


    # ------------------------------------------------------------ queries, updates and human input

    def _bounded_wait(self, wait: float, context) -> float:
        """A wait the client asked for (0: `default`), capped so that history answers before
        our caller's deadline."""
        wait = min(wait, self.settings.max_result_wait)
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:
            wait = max(0.0, min(wait, remaining - _RESULT_REPLY_MARGIN))
        return wait

    async def _to_workflow_shard_answer(self, method: str, wrapper, request, context, wait: float):
        shard = self.history.shard_for(request.namespace, request.execution.workflow_id)
        stub, target = self.router.history_stub(shard)
        with upstream_answer(target):
            return await getattr(stub, method)(
                wrapper(shard_id=shard, request=request), timeout=deadline(context, wait + self.settings.result_deadline_margin)
            )

    @rpc_method
    async def QueryWorkflow(self, request, context):
        wait, large = validation.validate_query_workflow(request, self.settings)
        await self._admit(request.namespace)
        log_large_payloads("QueryWorkflow", request.namespace, large, self.settings)
        wait = self._bounded_wait(wait or self.settings.query_timeout, context)
        request.timeout.CopyFrom(timeutil.duration(wait))
        return await self._to_workflow_shard_answer("QueryWorkflow", history_service_pb2.QueryWorkflowRequest, request, context, wait)

    @rpc_method
    async def RespondQueryTaskCompleted(self, request, context):
        large = validation.validate_respond_query(request, self.settings)
        token = validation.parse_query_task_token(request.task_token, namespace=request.namespace, partitions_of=self.matching.partitions)
        await self._admit(request.namespace)
        log_large_payloads("RespondQueryTaskCompleted", request.namespace, large, self.settings)
        stub, target = self.router.matching_stub(token.namespace, token.task_queue, common_pb2.TASK_TYPE_WORKFLOW, token.partition)
        with upstream(target):
            return await stub.RespondQueryTaskCompleted(
                matching_service_pb2.RespondQueryTaskCompletedRequest(query_id=token.query_id, request=request),
                timeout=deadline(context, self.settings.rpc_timeout),
            )

    @rpc_method
    async def UpdateWorkflowExecution(self, request, context):
        wait, large = validation.validate_update_workflow(request, self.settings)
        await self._admit(request.namespace)
        log_large_payloads("UpdateWorkflowExecution", request.namespace, large, self.settings)
        if not request.update_id:
            request.update_id = str(uuid.uuid4())  # no id given: this call is its only attempt
        wait = self._bounded_wait(wait or self.settings.update_wait, context)
        request.wait_timeout.CopyFrom(timeutil.duration(wait))
        return await self._to_workflow_shard_answer("UpdateWorkflowExecution", history_service_pb2.UpdateWorkflowExecutionRequest, request, context, wait)

    @rpc_method
    async def PollWorkflowExecutionUpdate(self, request, context):
        wait = validation.validate_poll_update(request, self.settings)
        await self._admit(request.namespace)
        wait = self._bounded_wait(wait, context)
        request.wait_timeout.CopyFrom(timeutil.duration(wait))
        return await self._to_workflow_shard_answer("PollWorkflowExecutionUpdate", history_service_pb2.PollWorkflowExecutionUpdateRequest, request, context, wait)

    # ------------------------------------------------------------ executor item failures
    @rpc_method
    async def GetParallelFailures(self, request, context):
        validation.validate_get_parallel_failures(request, self.settings)
        return await self._to_id_shard("GetParallelFailures", history_service_pb2.GetParallelFailuresRequest, request, context)
    # ------------------------------------------------------------ search keys

    @rpc_method
    async def CountWorkflowExecutions(self, request, context):
        validation.validate_count_workflows(request, self.settings)
        await self._admit(request.namespace)

        async def fetch(shard: int):
            stub, target = self.router.history_stub(shard)
            with upstream(target):
                return await stub.CountWorkflowExecutions(
                    history_service_pb2.CountWorkflowExecutionsRequest(shard_id=shard, request=request),
                    timeout=deadline(context, self.settings.rpc_timeout),
                )

        return await listing.count_across_shards(fetch, self.config.history_shard_count)

    @rpc_method
    async def UpdateWorkflowSearchKeys(self, request, context):
        validation.validate_update_search_keys(request, self.settings)
        await self._admit(request.namespace)
        return await self._to_workflow_shard(
            "UpdateWorkflowSearchKeys", history_service_pb2.UpdateWorkflowSearchKeysRequest, request, context
        )


    # ------------------------------------------------------------ streaming state and large data

    @rpc_stream_method
    async def WatchWorkflow(self, request, context):
        """Long polls on the workflow's shard (ReadWorkflowStream), sent on as they come; a
        progress snapshot first, after a batch of changes (at most once a second) and before
        the end; ends once the chain closed."""
        validation.validate_watch_workflow(request, self.settings)
        await self._admit(request.namespace)
        shard = self.history.shard_for(request.namespace, request.workflow_id)
        cursor = request.cursor
        first = True
        last_progress = 0.0
        loop = asyncio.get_running_loop()
        while True:
            stub, target = self.router.history_stub(shard)
            wait = self._bounded_wait(_WATCH_POLL_SECONDS, context)
            read = history_service_pb2.ReadWorkflowStreamRequest(
                shard_id=shard, namespace=request.namespace, workflow_id=request.workflow_id, after_cursor=cursor,
                wait=timeutil.duration(wait),
            )
            with upstream(target):
                batch = await stub.ReadWorkflowStream(read, timeout=deadline(context, wait + self.settings.result_deadline_margin))
            due = first or batch.closed or (batch.entries and loop.time() - last_progress >= _WATCH_PROGRESS_EVERY)
            if due and not request.no_progress:
                yield await self._watch_progress(request, shard, context, batch.entries[-1].cursor if batch.entries else cursor)
                last_progress = loop.time()
            first = False
            for entry in batch.entries:
                cursor = entry.cursor
                yield entry
            if batch.closed:
                return

    async def _watch_progress(self, request, shard: int, context, cursor: int) -> workflow_service_pb2.WatchWorkflowResponse:
        progress = await self._to_shard(
            "GetWorkflowProgress", history_service_pb2.GetWorkflowProgressRequest, shard,
            workflow_service_pb2.GetWorkflowProgressRequest(namespace=request.namespace, workflow_id=request.workflow_id), context,
        )
        response = workflow_service_pb2.WatchWorkflowResponse(cursor=cursor, progress=progress)
        response.time.GetCurrentTime()
        return response

    @rpc_method
    async def RecordTaskState(self, request, context):
        token = validation.validate_record_task_state(request, self.config.history_shard_count, self.settings)
        await self._admit(request.namespace)
        return await self._to_shard("RecordTaskState", history_service_pb2.RecordTaskStateRequest, token.shard_id, request, context)

    @rpc_method
    async def PutPayloadBlob(self, request, context):
        validation.validate_put_payload_blob(request, self.settings)
        return await self._to_id_shard("PutPayloadBlob", history_service_pb2.PutPayloadBlobRequest, request, context)

    @rpc_method
    async def GetPayloadBlob(self, request, context):
        validation.validate_get_payload_blob(request, self.settings)
        return await self._to_id_shard("GetPayloadBlob", history_service_pb2.GetPayloadBlobRequest, request, context)


def _schedule_page_cursor(request) -> str:
    """The schedule id a ListSchedules page token continues after ("" for the first page)."""
    if not request.next_page_token:
        return ""
    try:
        body = json.loads(request.next_page_token)
        if body.get("v") != 1 or body.get("ns") != request.namespace or not isinstance(body.get("after"), str):
            raise ValueError
        return body["after"]
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(
            "next_page_token is malformed; pass the next_page_token of the previous ListSchedules response unchanged, or none for the first page"
        ) from None

