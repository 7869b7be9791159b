"""GetWorkflowProgress: each executor of a continue-as-new chain (total, done, failed,
in flight, rate, ETA), the number of runs, the workflow's recorded events, the chain's tasks
(`workflows.task`) at their latest state, and the current
run's child workflows with their own progress (history/api/child_progress.py)."""
from __future__ import annotations

import weakref

from fanflow import clock
from history.api.child_progress import ChildrenSnapshot, children_progress
from history.shard import Shard
from protos import common_pb2, workflow_service_pb2

DEFAULT_EVENTS = 100
MAX_TASKS = 1000


# Executors whose every item has its result: that count is final (results are kept per index),
# so it is not counted again at each read (a million-row COUNT on every read of a page's stream).
_FINISHED: "weakref.WeakKeyDictionary[object, dict[tuple, int]]" = weakref.WeakKeyDictionary()


async def _done(store, namespace: str, workflow_id: str, record) -> int:
    finished = _FINISHED.setdefault(store, {})
    key = (namespace, workflow_id, record.executor_id, record.total)
    if key in finished:
        return finished[key]
    done = await store.executor_result_count(namespace, workflow_id, record.executor_id)
    if record.total and done >= record.total:
        if len(finished) >= 10_000:
            finished.clear()
        finished[key] = done
    return done


async def get_progress(
    shard: Shard, request: workflow_service_pb2.GetWorkflowProgressRequest, with_children: bool = True
) -> workflow_service_pb2.GetWorkflowProgressResponse:
    ns, wf = request.namespace, request.workflow_id
    store = shard.store
    async with shard.locks.hold((ns, wf)):  # a consistent, committed snapshot of the current run
        run = await shard.require(await shard.resolve(ns, common_pb2.WorkflowExecution(workflow_id=wf)))
        first_run, running, current_run_id, status = run.state.first_run_id, run.running, run.state.run_id, run.state.status
        pending_now = len(run.activities)
        wft_failure = run.state.last_wft_failure if run.state.HasField("last_wft_failure") else None
        children = ChildrenSnapshot.of(run) if with_children else None
    chain = {state.run_id for state in await store.runs_of_workflow(ns, wf) if state.first_run_id == first_run}
    runs = len(chain)
    records = await store.executor_progress(ns, wf, first_run)
    now = clock.now_ns()
    executors = []
    for i, record in enumerate(records):
        done = await _done(store, ns, wf, record)
        total = record.total
        finished = total and done >= total
        latest = i == len(records) - 1
        in_flight = pending_now if (latest and running and not finished) else 0
        end_ns = record.updated_ns if finished else now
        elapsed = max((end_ns - record.started_ns) / 1e9, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if (total and rate > 0) else (0.0 if finished else -1.0)
        progress = workflow_service_pb2.ParallelProgress(
            executor_id=record.executor_id, pattern=record.pattern, total=total, done=done, failed=record.failed, in_flight=in_flight,
            items_per_second=rate, eta_seconds=eta,
        )
        progress.started_time.FromNanoseconds(record.started_ns)
        progress.updated_time.FromNanoseconds(record.updated_ns)
        executors.append(progress)
    events = await store.recorded_events(ns, wf, request.max_events or DEFAULT_EVENTS)
    response = workflow_service_pb2.GetWorkflowProgressResponse(
        executors=executors, events=events, status=status, current_run_id=current_run_id, runs=runs,
        last_workflow_task_failure=wft_failure,
        tasks=[task for task in await store.task_states(ns, wf, MAX_TASKS) if task.run_id in chain],
    )
    if children is not None:
        await children_progress(shard, ns, children, response)
    return response
