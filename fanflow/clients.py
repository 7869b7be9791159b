"""Clients one service uses to reach another, routed by the cluster config.

HistoryClient sends a call to the process that owns the shard; MatchingClient
to the process that owns the task-queue partition. Channels are opened lazily
so that the embedded cluster can fill in ports picked at start-up.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator

import grpc
import structlog

from fanflow import local_rpc, routing, tls
from fanflow.auth import internal_client_interceptors
from fanflow.config import ClusterConfig
from fanflow.channels import credentials_channel, insecure_channel
from fanflow.errors import Unavailable
from fanflow.membership import Membership
from protos import (
    common_pb2,
    history_service_pb2,
    history_service_pb2_grpc,
    matching_service_pb2,
    matching_service_pb2_grpc,
)

log = structlog.get_logger("fanflow.clients")

# gRPC metadata a poll to matching may carry: wait at most this many seconds
# (a float, as text) for a task before answering empty, instead of poll_timeout.
POLL_WAIT_METADATA = "fanflow-poll-wait"

_MAX_TRACKED_QUEUES = 10_000  # poll cursors kept for this many task queues (LRU)
POLL_FAILURE_PENALTY = 5.0  # seconds a matching process whose poll failed gets no new polls (if others can take them)


class _ChannelPool:
    """Channels by address. Without mutual TLS each call carries the cluster's internal
    secret; with TLS the channels present this process's certificate and check the
    server's against the CA bundle, and are rebuilt when those files change (the old
    ones finish their calls, long polls included, then close)."""

    RETIRED_GRACE = 120.0  # seconds a replaced channel has to finish its calls (long polls)

    def __init__(self, config: ClusterConfig) -> None:
        self._config = config
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stubs: dict[tuple, object] = {}
        self._tls: tls.ClientTls | None = None
        self._retiring: dict[asyncio.Task, grpc.aio.Channel] = {}

    def _client_tls(self) -> tls.ClientTls | None:
        if self._tls is None and self._config.tls_enabled:
            files = tls.process_files(self._config.tls_cert_file, self._config.tls_key_file, self._config.tls_ca_file or None)
            self._tls = tls.ClientTls(files, server_name=self._config.tls_server_name)
        return self._tls

    def _follow_rotation(self) -> None:
        client_tls = self._client_tls()
        if client_tls is None or not client_tls.changed():
            return
        log.info("TLS files changed: new connections use them", channels=len(self._channels))
        for channel in self._channels.values():
            task = asyncio.get_running_loop().create_task(channel.close(grace=self.RETIRED_GRACE))
            self._retiring[task] = channel
            task.add_done_callback(lambda done: self._retiring.pop(done, None))
        self._channels.clear()
        self._stubs.clear()
        client_tls.credentials()  # built from the new files: changed() is False until they change again

    def get(self, address: str) -> grpc.aio.Channel:
        self._follow_rotation()
        channel = self._channels.get(address)
        if channel is None:
            interceptors = [] if self._config.mutual_tls else internal_client_interceptors(self._config.internal_secret)
            client_tls = self._client_tls()
            if client_tls is None:
                channel = insecure_channel(address, interceptors)
            else:
                interceptors.append(tls.ExplainTlsRefusals(lambda: client_tls.files.current, cert_file=self._config.tls_cert_file, target=address))
                channel = credentials_channel(address, client_tls.credentials(), interceptors, server_name=self._config.tls_server_name)
            self._channels[address] = channel
        return channel

    def stub(self, address: str, stub_class):
        """A stub for `address` (cached: building one costs a callable per method);
        a direct in-process stub when that service lives in this process."""
        self._follow_rotation()
        key = (address, stub_class)
        stub = self._stubs.get(key)
        if stub is None:
            servicer = local_rpc.local_servicer(address)
            stub = local_rpc.LocalStub(servicer) if servicer is not None else stub_class(self.get(address))
            self._stubs[key] = stub
        return stub

    async def close(self) -> None:
        self._stubs.clear()
        for task, channel in list(self._retiring.items()):
            task.cancel()
            await channel.close()
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


# UNAVAILABLE answers that mean "ask again elsewhere": the shard is not (or no longer) served
# there, or nothing listens at that address (the process died). The request did nothing.
_MOVED_MARKERS = ("is not owned by history host", "ownership was lost by", "failed to connect", "Connection refused",
                  "no live history host", "is closing")
ROUTE_RETRY_BUDGET = 30.0  # seconds a call with no deadline of its own keeps following a moved shard


def shard_moved(exc: BaseException) -> bool:
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.code() == grpc.StatusCode.UNAVAILABLE and any(m in (exc.details() or "") for m in _MOVED_MARKERS)
    return False


class _RoutedHistoryStub:
    """A HistoryService stub for one shard under live membership: each call goes to the shard's
    owner in the current view and follows the shard when it moved (a new view, then again)."""

    def __init__(self, client: "HistoryClient", shard_id: int):
        self._client = client
        self._shard_id = shard_id

    def __getattr__(self, method: str):
        if method in _STREAMING_HISTORY_METHODS:  # a stream is not retried: it goes to today's owner
            return getattr(self._client.direct_stub(self._shard_id), method)

        async def call(request, *, timeout: float | None = None, **kwargs):
            return await self._client.call_following(self._shard_id, method, request, timeout, kwargs)
        return call


_STREAMING_HISTORY_METHODS = frozenset(
    name for name, method in history_service_pb2.DESCRIPTOR.services_by_name["HistoryService"].methods_by_name.items()
    if method.server_streaming or method.client_streaming
)


class HistoryClient:
    def __init__(self, config: ClusterConfig, membership: Membership | None = None):
        """membership: live membership (PostgreSQL, no hosts in the config): route by its view."""
        self.config = config
        self.membership = membership
        self._pool = _ChannelPool(config)

    def shard_for(self, namespace: str, workflow_id: str) -> int:
        return routing.shard_for(namespace, workflow_id, self.config.history_shard_count)

    def shard_host(self, shard_id: int) -> tuple[str, str]:
        """(name, address) of the history process serving the shard now."""
        if self.membership is None:
            host = self.config.shard_owner(shard_id)
            return host.name, host.address
        member = self.membership.view.shard_target(shard_id)
        if member is None:
            raise Unavailable(f"no live history host to serve shard {shard_id} (none has heartbeaten within "
                              f"membership_lease = {self.config.membership_lease} s)")
        return member.name, member.address

    def direct_stub(self, shard_id: int) -> history_service_pb2_grpc.HistoryServiceStub:
        return self._pool.stub(self.shard_host(shard_id)[1], history_service_pb2_grpc.HistoryServiceStub)

    def stub(self, shard_id: int) -> history_service_pb2_grpc.HistoryServiceStub:
        if self.membership is None:
            return self.direct_stub(shard_id)
        return _RoutedHistoryStub(self, shard_id)  # type: ignore[return-value]

    async def call_following(self, shard_id: int, method: str, request, timeout: float | None, kwargs: dict):
        """Call `method` on the shard's owner; when the answer says the shard moved (or its host
        is gone), read the membership again and retry, within the call's deadline."""
        assert self.membership is not None
        deadline = time.monotonic() + (timeout if timeout is not None else ROUTE_RETRY_BUDGET)
        delay = 0.05
        while True:
            remaining = deadline - time.monotonic()
            try:
                stub = self.direct_stub(shard_id)
                return await getattr(stub, method)(request, timeout=max(remaining, 0.01), **kwargs)
            except (grpc.aio.AioRpcError, Unavailable) as exc:
                moved = isinstance(exc, Unavailable) or shard_moved(exc)
                if not moved or time.monotonic() + delay >= deadline:
                    raise
            self.membership.refresh_soon()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    def metadata_stub(self) -> history_service_pb2_grpc.HistoryServiceStub:
        """The history host serving cluster metadata: namespaces and API keys (under live
        membership every history host serves it from the database: shard 0's does)."""
        if self.membership is not None:
            return self.stub(0)
        return self._pool.stub(self.config.metadata_owner().address, history_service_pb2_grpc.HistoryServiceStub)

    def metadata_target(self) -> str:
        """Where cluster metadata comes from, for error messages."""
        if self.membership is not None:
            return "history (cluster metadata, any live history host)"
        return "history (shard 0)" if not self.config.metadata_host else f"history ({self.config.metadata_host}, cluster metadata)"

    async def close(self) -> None:
        await self._pool.close()


class MatchingClient:
    def __init__(self, config: ClusterConfig, membership: Membership | None = None):
        """membership: live membership (PostgreSQL, no hosts in the config): partitions belong
        to the live matching members (rendezvous hashing over the view)."""
        self.config = config
        self.membership = membership
        self._pool = _ChannelPool(config)
        # Polls this process has forwarded and not yet answered, per (queue key, host
        # address), and a rotation cursor per queue key: see choose_poll_partition.
        self._in_flight: Counter[tuple] = Counter()
        self._cursors: OrderedDict[tuple, int] = OrderedDict()
        self._down_until: dict[str, float] = {}  # host address -> monotonic time its polls failed until

    def partitions(self, task_queue: common_pb2.TaskQueue) -> int:
        return routing.partition_count_for(task_queue, self.config.task_queue_partitions)

    def owner_index(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int) -> int:
        return routing.matching_owner_index(namespace, task_queue.name, task_type, partition, len(self.config.matching_hosts))

    def owner(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int):
        """The matching host of a partition (.name, .address)."""
        if self.membership is not None:
            member = self.membership.view.partition_owner(namespace, task_queue.name, task_type, partition, self.partitions(task_queue))
            if member is None:
                raise Unavailable(f"no live matching host for task queue {task_queue.name!r} (none has heartbeaten within "
                                  f"membership_lease = {self.config.membership_lease} s)")
            return member
        return self.config.matching_hosts[self.owner_index(namespace, task_queue, task_type, partition)]

    def has_hosts(self) -> bool:
        return bool(self.config.matching_hosts) or (self.membership is not None and bool(self.membership.view.matching))

    def stub(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int):
        host = self.owner(namespace, task_queue, task_type, partition)
        return self._pool.stub(host.address, matching_service_pb2_grpc.MatchingServiceStub)

    def stub_for_host(self, address: str) -> matching_service_pb2_grpc.MatchingServiceStub:
        return self._pool.stub(address, matching_service_pb2_grpc.MatchingServiceStub)

    def pick_add_partition(self, task_queue: common_pb2.TaskQueue) -> int:
        """Writes spread at random so every partition carries load."""
        return random.randrange(self.partitions(task_queue))

    def add_partition(self, task) -> int:
        """The partition for a task: a rate-limited activity's is 0, where matching meters its
        queue (matching/rate_limiter.py); any other is spread at random."""
        if task.HasField("rate_limit"):
            return 0
        return self.pick_add_partition(task.task_queue)

    def partitions_by_host(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int) -> dict[str, list[int]]:
        """Owner address -> the queue's partitions it holds (in order)."""
        hosts: dict[str, list[int]] = {}
        for partition in range(self.partitions(task_queue)):
            hosts.setdefault(self.owner(namespace, task_queue, task_type, partition).address, []).append(partition)
        return hosts

    def choose_poll_partition(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int) -> int:
        """The partition for the next poll of this queue: one held by the matching
        process that has the fewest of our polls waiting right now (ties and the
        partitions of one process taken in turn, per queue).

        A matching process serves only the partitions it holds, so every process
        holding some must have pollers, or its tasks wait for one; balancing the
        waiting polls over processes (not a global round robin, which can send one
        queue's polls to the same few partitions forever) gives each one its share.
        """
        count = self.partitions(task_queue)
        if count == 1:
            return 0
        key = (namespace, task_queue.name, task_queue.kind, task_type)
        hosts = self.partitions_by_host(namespace, task_queue, task_type)
        cursor = self._cursors.pop(key, random.randrange(1 << 16)) + 1
        self._cursors[key] = cursor
        while len(self._cursors) > _MAX_TRACKED_QUEUES:
            self._cursors.popitem(last=False)
        # A process whose polls just failed (down, restarting) has no waiting polls
        # and would look like the emptiest: leave it out while others answer.
        now = time.monotonic()
        live = [address for address in hosts if self._down_until.get(address, 0.0) <= now] or list(hosts)
        fewest = min(self._in_flight[(key, address)] for address in live)
        candidates = [address for address in live if self._in_flight[(key, address)] == fewest]
        partitions = hosts[candidates[cursor % len(candidates)]]
        return partitions[(cursor // len(candidates)) % len(partitions)]

    def poll_failed(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int) -> bool:
        """Note that a poll to the owner of `partition` failed (unreachable); True if
        another process holding partitions of this queue is still thought live."""
        address = self.owner(namespace, task_queue, task_type, partition).address
        now = time.monotonic()
        self._down_until[address] = now + POLL_FAILURE_PENALTY
        hosts = self.partitions_by_host(namespace, task_queue, task_type)
        return any(self._down_until.get(other, 0.0) <= now for other in hosts if other != address)

    @contextlib.contextmanager
    def polling(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int) -> Iterator[None]:
        """Count a poll forwarded to the owner of `partition` while it waits."""
        key = ((namespace, task_queue.name, task_queue.kind, task_type), self.owner(namespace, task_queue, task_type, partition).address)
        self._in_flight[key] += 1
        try:
            yield
        finally:
            self._in_flight[key] -= 1
            if self._in_flight[key] <= 0:
                del self._in_flight[key]

    async def add_task(self, task, partition: int, timeout: float | None = None):
        stub = self.stub(task.namespace, task.task_queue, task.task_type, partition)
        return await stub.AddTask(matching_service_pb2.AddTaskRequest(task=task, partition=partition), timeout=timeout)

    async def add_task_until_acked(self, task, partition: int | None = None) -> bool:
        """AddTask, retried with backoff until matching acks it: True. False when matching
        rejects it as invalid (it never will accept it; retrying would block the caller).
        partition None: a partition is picked for each attempt (add_partition)."""
        delay = 0.05
        while True:
            try:
                chosen = self.add_partition(task) if partition is None else partition
                await self.add_task(task, chosen, timeout=30.0)
                return True
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                    log.error("matching rejected task, dropping", error=exc.details(), workflow_id=task.workflow_id)
                    return False
                log.debug("matching unavailable, will retry", code=str(exc.code()), workflow_id=task.workflow_id)
                if self.membership is not None:
                    self.membership.refresh_soon()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # e.g. no matching host for the partition in the config
                log.warning("AddTask failed, will retry", error=str(exc), workflow_id=task.workflow_id)
                if self.membership is not None:
                    self.membership.refresh_soon()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        await self._pool.close()
