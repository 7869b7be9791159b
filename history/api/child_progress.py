"""Child workflows in a parent's GetWorkflowProgress: the current run's open children, each
with its own executors' progress (asked of the child's shard, without grandchildren), and a
summary of how all of the run's children went (initiated, started, completed, failed, ...)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc
import structlog

from history.run_state import RunState
from history.shard import Shard
from protos import common_pb2, history_service_pb2, persistence_pb2, workflow_service_pb2

log = structlog.get_logger("fanflow.history.children")

CHILDREN_SHOWN = 1_000  # open children listed with their progress, oldest first
CONCURRENT_ASKS = 32  # children's shards asked at once
ASK_TIMEOUT = 10.0


@dataclass
class ChildrenSnapshot:
    """What the parent's run says about its children, taken under its lock."""

    open: list[persistence_pb2.ChildExecutionInfo]
    counts: persistence_pb2.ChildWorkflowCounts

    @classmethod
    def of(cls, run: RunState) -> "ChildrenSnapshot":
        open_children = []
        for info in sorted(run.children.values(), key=lambda c: c.initiated_event_id)[:CHILDREN_SHOWN]:
            copy = persistence_pb2.ChildExecutionInfo()
            copy.CopyFrom(info)
            open_children.append(copy)
        counts = persistence_pb2.ChildWorkflowCounts()
        counts.CopyFrom(run.state.child_counts)
        return cls(open_children, counts)


async def children_progress(shard: Shard, namespace: str, snapshot: ChildrenSnapshot, response: workflow_service_pb2.GetWorkflowProgressResponse) -> None:
    c = snapshot.counts
    response.children_summary.CopyFrom(
        workflow_service_pb2.ChildWorkflowsSummary(
            initiated=c.initiated, started=c.started, start_failed=c.start_failed, completed=c.completed, failed=c.failed,
            canceled=c.canceled, timed_out=c.timed_out, terminated=c.terminated, pending=len(snapshot.open),
        )
    )
    if not snapshot.open:
        return
    slots = asyncio.Semaphore(CONCURRENT_ASKS)
    entries = await asyncio.gather(*(_child_progress(shard, namespace, info, slots) for info in snapshot.open))
    response.children.extend(entries)


async def _child_progress(shard: Shard, namespace: str, info: persistence_pb2.ChildExecutionInfo, slots: asyncio.Semaphore) -> workflow_service_pb2.ChildWorkflowProgress:
    entry = workflow_service_pb2.ChildWorkflowProgress(
        workflow_id=info.workflow_id, run_id=info.run_id, workflow_type=common_pb2.WorkflowType(name=info.workflow_type),
    )
    if not info.run_id or shard.history is None:
        return entry  # not started yet
    client = shard.history
    child_shard = client.shard_for(namespace, info.workflow_id)
    request = history_service_pb2.GetWorkflowProgressRequest(
        shard_id=child_shard,
        request=workflow_service_pb2.GetWorkflowProgressRequest(namespace=namespace, workflow_id=info.workflow_id, max_events=1),
        omit_children=True,
    )
    async with slots:
        try:
            progress = await client.stub(child_shard).GetWorkflowProgress(request, timeout=ASK_TIMEOUT)
        except (grpc.aio.AioRpcError, KeyError) as exc:  # shown without its progress; the parent's answer still comes
            log.debug("child progress unavailable", child=info.workflow_id, error=str(exc))
            return entry
    entry.status = progress.status
    entry.runs = progress.runs
    entry.executors.extend(progress.executors)
    entry.done = sum(e.done for e in progress.executors)
    entry.total = sum(e.total for e in progress.executors)
    return entry
