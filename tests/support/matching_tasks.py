"""Matching's tasks as history hands them over (internal.TaskInfo), for the backlog's tests
(tests/unit/matching/test_matching_sqlite_backlog.py) and the service's
(tests/service/matching/test_matching_service.py)."""
from __future__ import annotations

import time

from google.protobuf import timestamp_pb2

from protos import common_pb2, internal_pb2

NS = "default"
TQ = "orders"
WF = common_pb2.TASK_TYPE_WORKFLOW
ACT = common_pb2.TASK_TYPE_ACTIVITY


def make_task(wf: str, task_type: int = WF, queue: common_pb2.TaskQueue | None = None, **fields):
    fields = {"scheduled_event_id": 2, "shard_id": 3, **fields}
    return internal_pb2.TaskInfo(
        namespace=NS, workflow_id=wf, run_id=f"run-{wf}", task_type=task_type,
        task_queue=queue or common_pb2.TaskQueue(name=TQ, kind=common_pb2.TASK_QUEUE_KIND_NORMAL), **fields,
    )


def expiring(seconds_from_now: float) -> dict:
    """The fields of a task that expires this many seconds from now."""
    expire = timestamp_pb2.Timestamp()
    expire.FromNanoseconds(time.time_ns() + int(seconds_from_now * 1e9))
    return {"expire_time": expire}
