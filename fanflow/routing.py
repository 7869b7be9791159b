"""Where things live: the shard of a workflow, the matching process of a partition.

Both use a stable hash (blake2b), never Python's randomised hash(), so every
process of the cluster computes the same answer for the life of the cluster.
"""
from __future__ import annotations

import hashlib
import json

from protos import common_pb2


def stable_hash(*parts: str) -> int:
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def shard_for(namespace: str, workflow_id: str, shard_count: int) -> int:
    return stable_hash(namespace, workflow_id) % shard_count


def partition_count_for(task_queue: common_pb2.TaskQueue, partitions: int) -> int:
    # Sticky queues belong to one worker: splitting them would only add latency.
    return 1 if task_queue.kind == common_pb2.TASK_QUEUE_KIND_STICKY else partitions


def matching_owner_index(
    namespace: str, task_queue_name: str, task_type: int, partition: int, n_hosts: int
) -> int:
    return stable_hash(namespace, task_queue_name, str(task_type), str(partition)) % n_hosts


def matching_layout(config) -> str:
    """What decides which matching process holds which partition: the hosts' names in order
    and the partition count. History notices when it changed (see Shard)."""
    return json.dumps({"hosts": [host.name for host in config.matching_hosts], "partitions": config.task_queue_partitions})
