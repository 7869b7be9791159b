"""The operator AdminService: namespaces (cluster metadata, served by one history host), the
cluster layout (from the config), shards (history) and task queues (matching,
merged over the partitions' owners)."""
from __future__ import annotations

from collections.abc import Sequence

import structlog

from fanflow.clients import HistoryClient, MatchingClient
from fanflow.config import ClusterConfig
from fanflow.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from fanflow.grpcutil import rpc_method
from frontend import validation
from frontend.namespaces import NamespaceCache
from frontend.settings import FrontendSettings
from frontend.upstream import deadline, gather_all, upstream
from frontend.workflow_service import Router
from protos import admin_service_pb2, admin_service_pb2_grpc, matching_service_pb2

log = structlog.get_logger("fanflow.frontend")


def merge_task_queue_descriptions(
    parts: Sequence[tuple[str, Sequence[int], admin_service_pb2.DescribeTaskQueueResponse]],
) -> admin_service_pb2.DescribeTaskQueueResponse:
    """Merge the answers of the matching processes that own a queue's partitions.

    parts: (owner name, partitions asked of it, its answer). The result lists
    each asked partition once, sorted; a partition its owner did not describe
    (e.g. never used) appears with zero counts; a missing owner is filled in.
    Poller identities are de-duplicated, first seen first.
    """
    by_partition: dict[int, admin_service_pb2.TaskQueuePartitionInfo] = {}
    identities: dict[str, None] = {}
    for owner, asked, response in parts:
        for info in response.partitions:
            merged = admin_service_pb2.TaskQueuePartitionInfo()
            merged.CopyFrom(info)
            if not merged.owner:
                merged.owner = owner
            by_partition.setdefault(merged.partition, merged)
        for partition in asked:
            by_partition.setdefault(partition, admin_service_pb2.TaskQueuePartitionInfo(partition=partition, owner=owner))
        for identity in response.recent_poller_identities:
            identities.setdefault(identity, None)
    return admin_service_pb2.DescribeTaskQueueResponse(
        partitions=[by_partition[p] for p in sorted(by_partition)],
        recent_poller_identities=list(identities),
    )


class AdminServiceHandler(admin_service_pb2_grpc.AdminServiceServicer):
    METRICS_SERVICE = "frontend-admin"
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
        self.api_keys = None  # fanflow.auth.ApiKeyCache when auth is on: learns new keys at once
        self.router = Router(config, history, matching)

    # ------------------------------------------------------------ namespaces

    @rpc_method
    async def RegisterNamespace(self, request, context):
        validation.validate_register_namespace(request, self.settings)
        stub, target = self.router.metadata_stub()
        with upstream(target):
            response = await stub.RegisterNamespace(request, timeout=deadline(context, self.settings.rpc_timeout))
        info = response.namespace if response.namespace.name else admin_service_pb2.NamespaceInfo(
            name=request.name, description=request.description
        )
        self.namespaces.put(info)
        if self.api_keys is not None and response.api_key:
            self.api_keys.add(response.api_key, request.name)
        log.info("namespace registered", namespace=request.name)
        return response

    @rpc_method
    async def CreateApiKey(self, request, context):
        validation.validate_create_api_key(request, self.settings)
        await self.namespaces.require(request.namespace)
        stub, target = self.router.metadata_stub()
        with upstream(target):
            response = await stub.CreateApiKey(request, timeout=deadline(context, self.settings.rpc_timeout))
        if self.api_keys is not None:
            self.api_keys.add(response.api_key, request.namespace)
        log.info("API key created", namespace=request.namespace, key_id=response.key_id)
        return response

    @rpc_method
    async def ListNamespaces(self, request, context):
        infos = await self.namespaces.refresh()
        return admin_service_pb2.ListNamespacesResponse(namespaces=sorted(infos, key=lambda info: info.name))

    @rpc_method
    async def DescribeNamespace(self, request, context):
        validation.check_string("name", request.name, required=True, limit=self.settings.max_namespace_length)
        for info in await self.namespaces.refresh():
            if info.name == request.name:
                return admin_service_pb2.DescribeNamespaceResponse(namespace=info)
        raise NotFound(
            f"namespace {validation.show(request.name)} is not registered; register it with AdminService/RegisterNamespace"
        )

    # ------------------------------------------------------------ cluster and shards

    @rpc_method
    async def DescribeCluster(self, request, context):
        config = self.config
        response = admin_service_pb2.DescribeClusterResponse(
            cluster_name=config.cluster_name,
            history_shard_count=config.history_shard_count,
            task_queue_partitions=config.task_queue_partitions,
            membership="live" if self.membership is not None else "static",
        )
        if self.membership is not None:
            response.membership_lease_seconds = config.membership_lease
            response.members.extend(await self._live_members())
            return response
        members = [admin_service_pb2.ServiceMember(role="frontend", name="frontend", address=config.frontend_address)]
        for host in config.history_hosts:
            members.append(
                admin_service_pb2.ServiceMember(
                    role="history", name=host.name, address=host.address, shards=sorted(config.shards_of(host))
                )
            )
        for host in config.matching_hosts:
            members.append(admin_service_pb2.ServiceMember(role="matching", name=host.name, address=host.address))
        response.members.extend(members)
        return response

    @property
    def membership(self):
        return self.router.history.membership

    async def _live_members(self) -> list[admin_service_pb2.ServiceMember]:
        """Every member seen in the last hour (live or not), from a fresh reading of the table."""
        view = await self.membership.refresh()
        shards: dict[str, list[int]] = {}
        for row in view.shards.values():
            shards.setdefault(row.owner, []).append(row.shard_id)
        members = []
        for row in view.rows:
            member = admin_service_pb2.ServiceMember(
                role=row.role, name=row.member_id, address=row.address, live=row.live, draining=row.draining,
                heartbeat_age_seconds=round(row.heartbeat_age, 3), shards=sorted(shards.get(row.member_id, [])) if row.role == "history" else [],
            )
            member.started_time.FromNanoseconds(int(row.started_at * 1e9))
            members.append(member)
        return members

    @rpc_method
    async def DrainMember(self, request, context):
        validation.check_string("name", request.name, required=True, limit=1000)
        if self.membership is None:
            raise FailedPrecondition("DrainMember needs live membership (persistence = \"postgres\" and no hosts listed in the "
                                     "cluster config); with a static layout, move shards by editing history_hosts")
        try:
            role = await self.membership.drain(request.name)
        except LookupError:
            raise NotFound(f"no cluster member named {validation.show(request.name)}; AdminService/DescribeCluster lists them") from None
        if role not in ("history", "matching"):
            raise InvalidArgument(f"member {validation.show(request.name)} is a {role}: only history and matching members hold shards or partitions")
        log.warning("member asked to drain", member=request.name, role=role)
        return admin_service_pb2.DrainMemberResponse(role=role)

    async def _describe_shard(self, shard_id: int, context) -> admin_service_pb2.DescribeShardResponse:
        stub, target = self.router.history_stub(shard_id)
        with upstream(target):
            response = await stub.DescribeShard(
                admin_service_pb2.DescribeShardRequest(shard_id=shard_id),
                timeout=deadline(context, self.settings.rpc_timeout),
            )
        response.shard_id = shard_id
        if self.membership is not None:  # the owner's lease: its heartbeat's age, by the database's clock
            view = self.membership.view
            row = next((r for r in view.rows if r.member_id == response.owner), None)
            if row is not None:
                response.owner_address = row.address
                response.lease_remaining_seconds = round(max(0.0, self.config.membership_lease - row.heartbeat_age), 3)
        return response

    @rpc_method
    async def DescribeShard(self, request, context):
        validation.check_shard_id(request.shard_id, self.config.history_shard_count)
        return await self._describe_shard(request.shard_id, context)

    @rpc_method
    async def ListShards(self, request, context):
        shards = await gather_all(
            self._describe_shard(shard, context) for shard in range(self.config.history_shard_count)
        )
        return admin_service_pb2.ListShardsResponse(shards=shards)

    # ------------------------------------------------------------ task queues

    @rpc_method
    async def DescribeTaskQueue(self, request, context):
        validation.validate_describe_task_queue(request, self.settings)
        await self.namespaces.require(request.namespace)
        if not self.matching.has_hosts():
            raise Unavailable("no matching hosts: the cluster config lists none (or, under live membership, none is live)")
        owners: dict[str, tuple[str, list[int]]] = {}  # address -> (name, partitions)
        for partition in range(self.matching.partitions(request.task_queue)):
            host = self.matching.owner(request.namespace, request.task_queue, request.task_type, partition)
            owners.setdefault(host.address, (host.name, []))[1].append(partition)

        async def ask(address: str, name: str, partitions: list[int]):
            stub = self.matching.stub_for_host(address)
            with upstream(f"matching {name} at {address} (task queue {request.task_queue.name!r}, partitions {partitions})"):
                response = await stub.DescribeTaskQueue(
                    matching_service_pb2.DescribeTaskQueueRequest(partitions=partitions, request=request),
                    timeout=deadline(context, self.settings.rpc_timeout),
                )
            return name, partitions, response

        parts = await gather_all(ask(address, name, partitions) for address, (name, partitions) in owners.items())
        return merge_task_queue_descriptions(parts)
