"""Names of task queues and their partitions as matching keys them.

The queue kind (normal / sticky) is not part of the key: it only decides how
many partitions a queue has, and sticky queue names are unique per worker.
"""
from __future__ import annotations

from dataclasses import dataclass

from protos import common_pb2


@dataclass(frozen=True, slots=True)
class QueueKey:
    namespace: str
    name: str
    task_type: int  # common_pb2.TaskType

    def describe(self) -> str:
        kind = common_pb2.TaskType.Name(self.task_type) if self.task_type in common_pb2.TaskType.values() else str(self.task_type)
        return f"{self.namespace}/{self.name}/{kind}"


@dataclass(frozen=True, slots=True)
class PartitionKey:
    queue: QueueKey
    partition: int
