"""gRPC HistoryService: routes each request to the shard it names.

A process serves only the shards the cluster config gives it; a request for
another shard is UNAVAILABLE (the caller's routing is stale or wrong). The host
named by the config's metadata_host (default: shard 0's owner) also serves
cluster metadata, namespaces and API keys, from its own store.
"""
from __future__ import annotations

import asyncio
import time

import structlog

from fanflow import routing, task_tokens
from fanflow.clients import HistoryClient, MatchingClient
from fanflow.config import ClusterConfig
from fanflow.errors import AlreadyExists, FanflowError, InvalidArgument, Unavailable
from fanflow.grpcutil import rpc_method
from fanflow.sqlite_health import BadStorage, DiskFull
from fanflow.timeutil import ts_from_ns
from history import blobs, shard_count
from history.api import (
    child_workflows, executor_results, listing, namespaces, progress, queries, reads, respond, schedules, search_keys, start, task_started, updates,
    watch,
)
from fanflow.membership import Membership
from history.limits import Limits
from history.ownership import ShardOwnership
from history.persistence import metadata_store, shard_store
from history.persistence.metadata import MetadataStore
from history.shard import Shard
from protos import (
    admin_service_pb2,
    history_service_pb2,
    history_service_pb2_grpc,
    internal_pb2,
    schedule_pb2,
    workflow_service_pb2,
)

log = structlog.get_logger("fanflow.history")

LOST_SHARD_GRACE = 1.0  # seconds a lost shard's store stays open for the requests already inside it
RELEASE_GRACE = 0.2  # seconds a shard handed over stays open for the requests already inside it



class HistoryServicer(history_service_pb2_grpc.HistoryServiceServicer):
    METRICS_SERVICE = "history"
    SERVICE_NAME = "fanflow.internal.v1.HistoryService"

    def __init__(self, config: ClusterConfig, host_name: str, matching: MatchingClient, limits: Limits | None = None,
                 history: HistoryClient | None = None, membership: Membership | None = None):
        """history: how this process's shards reach others (child workflows; schedules start
        workflows there); None: one of our own. membership: live membership (PostgreSQL, no
        hosts in the config): this host holds the shards the membership view gives it
        (history/ownership.py) instead of a list from the config."""
        self.config = config
        self.host_name = host_name
        self.matching = matching
        self._own_history_client = history is None
        self.history = history if history is not None else HistoryClient(config)
        self.limits = limits or Limits.from_config(config)
        self.shards: dict[int, Shard] = {}
        self.metadata: MetadataStore | None = None  # when this host serves cluster metadata
        self.refused: dict[int, str] = {}  # shards whose file cannot be used: why, and what to do
        self.metadata_refusal: str | None = None  # the same for the cluster metadata file
        self._reopening: list[asyncio.Task] = []  # shards waiting for disk space to open
        self._lost_shards: set[int] = set()  # taken by another process: closed here
        self._closing: set[asyncio.Task] = set()
        self.membership = membership
        self.ownership = ShardOwnership(self, membership) if membership is not None else None

    async def start(self) -> None:
        await shard_count.check_storage(self.config)  # storage from a cluster of more shards refuses to start
        if self.ownership is not None:
            await self._start_live()
            return
        host = self.config.history_host(self.host_name)
        for shard_id in self.config.shards_of(host):
            try:
                await self._start_shard(shard_id)
            except BadStorage as exc:  # that shard alone refuses; the others serve
                self.refused[shard_id] = exc.message
                log.error(f"shard {shard_id} not served: {exc.message}")
            except DiskFull as exc:  # tried again until there is space
                self.refused[shard_id] = exc.message
                log.error(f"shard {shard_id} not served yet: {exc.message}")
                self._reopening.append(asyncio.create_task(self._start_when_space(shard_id), name=f"shard-{shard_id}-reopen"))
            except Unavailable as exc:  # the database went away while the shard opened: tried again until it is back
                self.refused[shard_id] = f"shard {shard_id} is not open yet: {exc}"
                log.error(f"shard {shard_id} not served yet: {exc}")
                self._reopening.append(asyncio.create_task(self._start_when_space(shard_id), name=f"shard-{shard_id}-reopen"))
        if self.config.metadata_owner().name == self.host_name:
            metadata = metadata_store(self.config)
            try:
                await metadata.open()
            except (BadStorage, DiskFull) as exc:  # the shards serve; namespace and API-key calls refuse
                self.metadata_refusal = exc.message
                log.error(f"cluster metadata not served: {exc.message}")
                if isinstance(exc, DiskFull):
                    self._reopening.append(asyncio.create_task(self._metadata_when_space(), name="metadata-reopen"))
                metadata = None
            self.metadata = metadata
        if self.metadata is not None:
            await self._ensure_default_namespace()
        log.info("history started", host=self.host_name, shards=sorted(self.shards), cluster_metadata=self.metadata is not None)

    async def _start_live(self) -> None:
        """Live membership: cluster metadata from the database (every history host serves it),
        and the shards the view gives this host, taken now and followed from then on."""
        metadata = metadata_store(self.config)
        await metadata.open()
        self.metadata = metadata
        await self._ensure_default_namespace()
        self.membership.add_listener(self.ownership.on_view)
        await self.membership.first_tick()
        log.info("history started", host=self.host_name, shards=sorted(self.shards), membership="live")

    async def _ensure_default_namespace(self, patience: float = 60.0) -> None:
        """The default namespace exists in every cluster (made at first start); a database that
        is away for a moment is waited for rather than failing the start."""
        deadline = time.monotonic() + patience
        while True:
            try:
                if not await self.metadata.namespace_exists(self.config.default_namespace):
                    await namespaces.register_namespace(self.metadata, self.config.default_namespace, "created at first start")
                return
            except AlreadyExists:  # another process serving the same store was first
                return
            except Unavailable as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("cluster metadata not reachable yet, trying again", error=str(exc))
                await asyncio.sleep(1.0)

    async def acquire_shard(self, shard_id: int) -> None:
        """Take a shard the membership view gives this host (ShardHeld: its owner is live)."""
        if shard_id in self.shards:
            return
        self._lost_shards.discard(shard_id)
        await self._start_shard(shard_id)

    async def release_shard(self, shard_id: int) -> None:
        """Hand a shard over: refuse new requests, let those inside finish, stop it, mark it free."""
        shard = self.shards.pop(shard_id, None)
        if shard is None:
            return
        shard.store.release_on_close = True
        await asyncio.sleep(RELEASE_GRACE)
        await shard.stop()
        log.info("shard handed over", shard=shard_id, host=self.host_name)

    async def _start_shard(self, shard_id: int) -> None:
        shard = Shard(
            shard_id, shard_store(self.config, shard_id, self.host_name), self.matching, self.limits,
            retention_seconds=self.config.retention_hours * 3600,
            matching_layout=routing.matching_layout(self.config),
            history=self.history,
            shard_count=self.config.history_shard_count,
        )
        await shard.start()
        self.shards[shard_id] = shard
        self.refused.pop(shard_id, None)

    async def _start_when_space(self, shard_id: int, every: float = 2.0) -> None:
        """Open a shard again until its storage takes it (a full disk has space again, the
        database is back)."""
        while shard_id not in self.shards:
            await asyncio.sleep(every)
            try:
                await self._start_shard(shard_id)
                log.warning(f"shard {shard_id} served: its storage is usable again")
            except (DiskFull, Unavailable):
                continue
            except BadStorage as exc:
                self.refused[shard_id] = exc.message
                log.error(f"shard {shard_id} not served: {exc.message}")
                return

    async def _metadata_when_space(self, every: float = 2.0) -> None:
        while self.metadata is None:
            await asyncio.sleep(every)
            metadata = metadata_store(self.config)
            try:
                await metadata.open()
            except DiskFull:
                continue
            except BadStorage as exc:
                self.metadata_refusal = exc.message
                log.error(f"cluster metadata not served: {exc.message}")
                return
            self.metadata, self.metadata_refusal = metadata, None
            log.warning("cluster metadata served: its disk has space again")

    async def stop(self) -> None:
        for task in self._reopening:
            task.cancel()
        if self.ownership is not None:  # a graceful stop hands every shard over at once
            for shard in self.shards.values():
                shard.store.release_on_close = True
        await asyncio.gather(*self._closing, *(shard.stop() for shard in self.shards.values()), return_exceptions=True)
        self.shards.clear()
        if self.metadata is not None:
            await self.metadata.close()
            self.metadata = None
        if self._own_history_client:
            await self.history.close()

    def shard(self, shard_id: int) -> Shard:
        shard = self.shards.get(shard_id)
        if shard is None and shard_id in self.refused:
            raise Unavailable(self.refused[shard_id])
        if shard is None:
            if not 0 <= shard_id < self.config.history_shard_count:
                raise InvalidArgument(f"shard {shard_id} does not exist (shards are 0..{self.config.history_shard_count - 1})")
            if shard_id in self._lost_shards:
                raise Unavailable(f"shard {shard_id} ownership was lost by {self.host_name!r}: another history process owns it")
            raise Unavailable(f"shard {shard_id} is not owned by history host {self.host_name!r}")
        if shard.lost:
            self._close_lost(shard_id, shard)
            raise Unavailable(f"shard {shard_id} ownership was lost by {self.host_name!r}: another history process owns it")
        return shard

    @staticmethod
    async def _stop_lost(shard: Shard) -> None:
        await asyncio.sleep(LOST_SHARD_GRACE)  # requests already inside finish first (their writes fail as lost)
        await shard.stop()

    def _close_lost(self, shard_id: int, shard: Shard) -> None:
        """A shard another process took is closed here (its timers, outbox and cache stop) and
        its requests are refused from then on."""
        if self.shards.get(shard_id) is shard:
            del self.shards[shard_id]
            self._lost_shards.add(shard_id)
            log.warning("shard ownership lost: closing the shard", shard=shard_id, host=self.host_name)
            task = asyncio.get_running_loop().create_task(self._stop_lost(shard), name=f"close-lost-shard-{shard_id}")
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def _metadata(self) -> MetadataStore:
        if self.metadata is None and self.metadata_refusal is not None:
            raise Unavailable(self.metadata_refusal)
        if self.metadata is None:
            owner = self.config.metadata_owner()
            raise Unavailable(f"cluster metadata (namespaces, API keys) is served by history host {owner.name!r} at {owner.address}, not {self.host_name!r}")
        return self.metadata

    def _token_shard(self, request) -> tuple[Shard, internal_pb2.TaskToken]:
        token = task_tokens.decode(request.request.task_token)
        if token.shard_id != request.shard_id:
            raise InvalidArgument(f"task token is for shard {token.shard_id}, the request was routed to shard {request.shard_id}")
        shard = self.shard(request.shard_id)
        shard.verify_token(token)
        return shard, token

    # ---------------------------------------------------------- workflows
    @rpc_method
    async def StartWorkflowExecution(self, request, context):
        shard = self.shard(request.shard_id)
        run_id = await start.start_workflow(shard, request.request)
        return workflow_service_pb2.StartWorkflowExecutionResponse(run_id=run_id, shard_id=request.shard_id)

    @rpc_method
    async def GetWorkflowResult(self, request, context):
        return await reads.get_result(self.shard(request.shard_id), request.request)

    @rpc_method
    async def DescribeWorkflowExecution(self, request, context):
        return await reads.describe(self.shard(request.shard_id), request.request)

    @rpc_method
    async def GetWorkflowExecutionHistory(self, request, context):
        return await reads.get_history(self.shard(request.shard_id), request.request)

    @rpc_method
    async def ListWorkflowExecutions(self, request, context):
        return await listing.list_executions(self.shard(request.shard_id), request.request)

    @rpc_method
    async def TerminateWorkflowExecution(self, request, context):
        await respond.terminate(self.shard(request.shard_id), request.request)
        return workflow_service_pb2.TerminateWorkflowExecutionResponse()

    @rpc_method
    async def RequestCancelWorkflowExecution(self, request, context):
        await respond.request_cancel(self.shard(request.shard_id), request.request)
        return workflow_service_pb2.RequestCancelWorkflowExecutionResponse()

    @rpc_method
    async def SignalWorkflowExecution(self, request, context):
        await respond.signal(self.shard(request.shard_id), request.request)
        return workflow_service_pb2.SignalWorkflowExecutionResponse()

    # -------------------------------------------------------------- tasks
    @rpc_method
    async def RecordWorkflowTaskStarted(self, request, context):
        return await task_started.record_workflow_task_started(self.shard(request.task.shard_id), request.task, request.identity, request.partition)

    @rpc_method
    async def RecordActivityTaskStarted(self, request, context):
        return await task_started.record_activity_task_started(self.shard(request.task.shard_id), request.task, request.identity, request.partition)

    @rpc_method
    async def RespondWorkflowTaskCompleted(self, request, context):
        shard, token = self._token_shard(request)
        return await respond.complete_workflow_task(shard, token, request.request)

    @rpc_method
    async def RespondWorkflowTaskFailed(self, request, context):
        shard, token = self._token_shard(request)
        await respond.fail_workflow_task(shard, token, request.request)
        return workflow_service_pb2.RespondWorkflowTaskFailedResponse()

    @rpc_method
    async def RecordWorkflowTaskHeartbeat(self, request, context):
        shard, token = self._token_shard(request)
        return await respond.heartbeat_workflow_task(shard, token, request.request)

    @rpc_method
    async def RespondActivityTaskCompleted(self, request, context):
        shard, token = self._token_shard(request)
        return await respond.complete_activity(shard, token, request.request)

    @rpc_method
    async def RespondActivityTasksCompleted(self, request, context):
        shard, tokens = self._batch_tokens(request)
        return await respond.complete_activities(shard, tokens, request.request)

    @rpc_method
    async def RespondWorkflowTasksCompleted(self, request, context):
        shard, tokens = self._batch_tokens(request)
        return await respond.complete_workflow_tasks(shard, tokens, request.request)

    def _batch_tokens(self, request):
        """The shard a batch of completions was routed to and each completion's verified token."""
        shard = self.shard(request.shard_id)
        tokens = []
        for i, item in enumerate(request.request.completions):
            token = task_tokens.decode(item.task_token)
            if token.shard_id != request.shard_id:
                raise InvalidArgument(f"completions[{i}]: task token is for shard {token.shard_id}, the request was routed to shard {request.shard_id}")
            try:
                shard.verify_token(token)
            except FanflowError as exc:
                raise type(exc)(f"completions[{i}]: {exc.message}") from None
            tokens.append(token)
        return shard, tokens

    @rpc_method
    async def RespondActivityTaskFailed(self, request, context):
        shard, token = self._token_shard(request)
        await respond.fail_activity(shard, token, request.request)
        return workflow_service_pb2.RespondActivityTaskFailedResponse()

    @rpc_method
    async def RecordActivityTaskHeartbeat(self, request, context):
        shard, token = self._token_shard(request)
        cancel_requested = await respond.heartbeat(shard, token, request.request)
        return workflow_service_pb2.RecordActivityTaskHeartbeatResponse(cancel_requested=cancel_requested)

    @rpc_method
    async def RespondActivityTaskCanceled(self, request, context):
        shard, token = self._token_shard(request)
        await respond.cancel_activity(shard, token, request.request)
        return workflow_service_pb2.RespondActivityTaskCanceledResponse()

    # ------------------------------------------------- parallel executors
    @rpc_method
    async def PutParallelResults(self, request, context):
        stored = await executor_results.put_parallel_results(self.shard(request.shard_id), request.request)
        return workflow_service_pb2.PutParallelResultsResponse(stored=stored)

    @rpc_method
    async def GetParallelResults(self, request, context):
        return await executor_results.get_parallel_results(self.shard(request.shard_id), request.request)

    @rpc_method
    async def GetWorkflowProgress(self, request, context):
        return await progress.get_progress(self.shard(request.shard_id), request.request, with_children=not request.omit_children)

    # ------------------------------------------------- streaming state and large data
    @rpc_method
    async def ReadWorkflowStream(self, request, context):
        return await watch.read_workflow_stream(self.shard(request.shard_id), request)

    @rpc_method
    async def RecordTaskState(self, request, context):
        shard, token = self._token_shard(request)
        return await watch.record_task_state(shard, token, request.request)

    @rpc_method
    async def PutPayloadBlob(self, request, context):
        return await blobs.put_blob(self.shard(request.shard_id), request.request)

    @rpc_method
    async def GetPayloadBlob(self, request, context):
        return await blobs.get_blob(self.shard(request.shard_id), request.request)

    @rpc_method
    async def GetParallelFailures(self, request, context):  # executor item failures
        return await executor_results.get_parallel_failures(self.shard(request.shard_id), request.request)

    # -------------------------------------------------------------- admin
    @rpc_method
    async def DescribeShard(self, request, context):
        return await reads.describe_shard(self.shard(request.shard_id))

    @rpc_method
    async def RegisterNamespace(self, request, context):
        store = self._metadata()
        info = await namespaces.register_namespace(store, request.name, request.description)
        key, _ = await namespaces.create_api_key(store, request.name, "first key, created with the namespace")
        return admin_service_pb2.RegisterNamespaceResponse(namespace=info, api_key=key)

    @rpc_method
    async def CreateApiKey(self, request, context):
        key, key_id = await namespaces.create_api_key(self._metadata(), request.namespace, request.description)
        return admin_service_pb2.CreateApiKeyResponse(api_key=key, key_id=key_id)

    @rpc_method
    async def ListApiKeys(self, request, context):
        return history_service_pb2.ListApiKeysResponse(keys=await self._metadata().list_api_keys())

    @rpc_method
    async def ListNamespaces(self, request, context):
        if self.metadata is None and self.metadata_refusal is not None:
            # The default namespace exists in every cluster (made at first start): its workflows keep
            # running while the metadata file is restored; everything else there refuses.
            return admin_service_pb2.ListNamespacesResponse(namespaces=[admin_service_pb2.NamespaceInfo(
                name=self.config.default_namespace, description=f"only this one is known now: {self.metadata_refusal}")])
        return admin_service_pb2.ListNamespacesResponse(namespaces=await self._metadata().list_namespaces())

    # -------------------------------------------------------------- schedules
    @rpc_method
    async def CreateSchedule(self, request, context):
        return await schedules.create_schedule(self.shard(request.shard_id), request.request)

    @rpc_method
    async def DescribeSchedule(self, request, context):
        return await schedules.describe_schedule(self.shard(request.shard_id), request.request)

    @rpc_method
    async def ListSchedules(self, request, context):
        entries = await schedules.list_schedules(self.shard(request.shard_id), request.namespace, request.after_schedule_id, request.limit or 100)
        return history_service_pb2.ListSchedulesResponse(schedules=entries)

    @rpc_method
    async def PatchSchedule(self, request, context):
        await schedules.patch_schedule(self.shard(request.shard_id), request.request)
        return schedule_pb2.PatchScheduleResponse()

    @rpc_method
    async def DeleteSchedule(self, request, context):
        await schedules.delete_schedule(self.shard(request.shard_id), request.request)
        return schedule_pb2.DeleteScheduleResponse()

    @rpc_method
    async def RegisterWorkflowTypes(self, request, context):
        await self._metadata().register_workflow_types(request.namespace, request.task_queue, list(request.workflow_types), request.identity, time.time_ns())
        return schedule_pb2.RegisterWorkflowTypesResponse()

    @rpc_method
    async def ListWorkflowTypes(self, request, context):
        found = await self._metadata().workflow_types(request.namespace, list(request.workflow_types) or None)
        return schedule_pb2.ListWorkflowTypesResponse(workflow_types=[
            schedule_pb2.RegisteredWorkflowType(workflow_type=name, task_queues=queues, last_registered_time=ts_from_ns(last))
            for name, (queues, last) in sorted(found.items())
        ])
    # ------------------------------------------- queries, updates and human input
    @rpc_method
    async def QueryWorkflow(self, request, context):
        return await queries.query_workflow(self.shard(request.shard_id), request.request)

    @rpc_method
    async def UpdateWorkflowExecution(self, request, context):
        return await updates.update_workflow(self.shard(request.shard_id), request.request)

    @rpc_method
    async def PollWorkflowExecutionUpdate(self, request, context):
        return await updates.poll_update(self.shard(request.shard_id), request.request)

    # ------------------------------------------- search keys
    @rpc_method
    async def CountWorkflowExecutions(self, request, context):
        return await listing.count_executions(self.shard(request.shard_id), request.request)

    @rpc_method
    async def UpdateWorkflowSearchKeys(self, request, context):
        return await search_keys.update_search_keys(self.shard(request.shard_id), request.request)
    # ---------------------------------------------------- child workflows (history/api/child_workflows.py)
    @rpc_method
    async def StartChildWorkflowExecution(self, request, context):
        run_id = await child_workflows.start_child(self.shard(request.shard_id), request.request)
        return workflow_service_pb2.StartWorkflowExecutionResponse(run_id=run_id, shard_id=request.shard_id)

    @rpc_method
    async def RecordChildExecutionCompleted(self, request, context):
        await child_workflows.record_child_closed(self.shard(request.shard_id), request)
        return history_service_pb2.RecordChildExecutionCompletedResponse()

    @rpc_method
    async def ApplyParentClosePolicy(self, request, context):
        await child_workflows.apply_parent_close_policy(self.shard(request.shard_id), request)
        return history_service_pb2.ApplyParentClosePolicyResponse()
