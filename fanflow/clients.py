"""Clients one service uses to reach another, routed by the cluster config.

HistoryClient sends a call to the process that owns the shard; MatchingClient
to the process that owns the task-queue partition. Channels are opened lazily
so that the embedded cluster can fill in ports picked at start-up.
"""
from __future__ import annotations

import itertools
import random

import grpc

from fanflow import routing
from fanflow.auth import internal_client_interceptors
from fanflow.config import ClusterConfig
from fanflow.grpcutil import insecure_channel
from protos import (
    common_pb2,
    history_service_pb2_grpc,
    matching_service_pb2,
    matching_service_pb2_grpc,
)


class _ChannelPool:
    """Channels by address; each call carries the cluster's internal secret."""

    def __init__(self, config: ClusterConfig) -> None:
        self._config = config
        self._channels: dict[str, grpc.aio.Channel] = {}

    def get(self, address: str) -> grpc.aio.Channel:
        channel = self._channels.get(address)
        if channel is None:
            interceptors = internal_client_interceptors(self._config.internal_secret)
            channel = self._channels[address] = insecure_channel(address, interceptors)
        return channel

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


class HistoryClient:
    def __init__(self, config: ClusterConfig):
        self.config = config
        self._pool = _ChannelPool(config)

    def shard_for(self, namespace: str, workflow_id: str) -> int:
        return routing.shard_for(namespace, workflow_id, self.config.history_shard_count)

    def stub(self, shard_id: int) -> history_service_pb2_grpc.HistoryServiceStub:
        host = self.config.shard_owner(shard_id)
        return history_service_pb2_grpc.HistoryServiceStub(self._pool.get(host.address))

    def stub_for_host(self, address: str) -> history_service_pb2_grpc.HistoryServiceStub:
        return history_service_pb2_grpc.HistoryServiceStub(self._pool.get(address))

    async def close(self) -> None:
        await self._pool.close()


class MatchingClient:
    def __init__(self, config: ClusterConfig):
        self.config = config
        self._pool = _ChannelPool(config)
        self._poll_cursor = itertools.count(random.randrange(1 << 16))

    def partitions(self, task_queue: common_pb2.TaskQueue) -> int:
        return routing.partition_count_for(task_queue, self.config.task_queue_partitions)

    def owner_index(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int) -> int:
        return routing.matching_owner_index(namespace, task_queue.name, task_type, partition, len(self.config.matching_hosts))

    def owner(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int):
        return self.config.matching_hosts[self.owner_index(namespace, task_queue, task_type, partition)]

    def stub(self, namespace: str, task_queue: common_pb2.TaskQueue, task_type: int, partition: int):
        host = self.owner(namespace, task_queue, task_type, partition)
        return matching_service_pb2_grpc.MatchingServiceStub(self._pool.get(host.address))

    def stub_for_host(self, address: str) -> matching_service_pb2_grpc.MatchingServiceStub:
        return matching_service_pb2_grpc.MatchingServiceStub(self._pool.get(address))

    def pick_add_partition(self, task_queue: common_pb2.TaskQueue) -> int:
        """Writes spread at random so every partition carries load."""
        return random.randrange(self.partitions(task_queue))

    def pick_poll_partition(self, task_queue: common_pb2.TaskQueue) -> int:
        """Polls rotate over partitions so every partition (and every matching
        process) gets pollers."""
        return next(self._poll_cursor) % self.partitions(task_queue)

    async def add_task(self, task, partition: int, timeout: float | None = None):
        stub = self.stub(task.namespace, task.task_queue, task.task_type, partition)
        return await stub.AddTask(matching_service_pb2.AddTaskRequest(task=task, partition=partition), timeout=timeout)

    async def close(self) -> None:
        await self._pool.close()
