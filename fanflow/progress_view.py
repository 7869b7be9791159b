"""`fanflow workflow progress ID`: a live progress bar per parallel executor
(rich), refreshed from GetWorkflowProgress until the workflow closes."""
from __future__ import annotations

import asyncio
import json

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn

from protos import common_pb2


def workflow_task_failure_line(failure) -> str:
    """One line for a run's latest failed workflow task (why it is stuck)."""
    cause = common_pb2.WorkflowTaskFailedCause.Name(failure.cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower()
    kind = "timed out" if failure.timed_out else f"failed ({cause})"
    return f"workflow task {kind} on attempt {failure.attempt}: {failure.failure.message}"


def describe(progress) -> list[str]:
    lines = []
    if progress.HasField("last_workflow_task_failure"):
        lines.append(workflow_task_failure_line(progress.last_workflow_task_failure))
    for e in progress.executors:
        eta = "?" if e.eta_seconds < 0 else f"{e.eta_seconds:.0f}s"
        total = e.total or "?"
        lines.append(f"{e.executor_id} [{e.pattern}] {e.done}/{total} done, {e.failed} failed attempts, "
                     f"{e.in_flight} in flight, {e.items_per_second:.1f} items/s, ETA {eta}")
    for ev in progress.events:
        lines.append(f"event {ev.name}: {json.dumps(json.loads(ev.details.data or b'null'))}")
    return lines


def _status(progress) -> str:
    return common_pb2.WorkflowExecutionStatus.Name(progress.status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()


async def watch_progress(handle, *, once: bool = False, interval: float = 0.5, summary: bool = True) -> int:
    """A live bar per executor until the workflow closes (summary: then its status and
    events); once: one snapshot."""
    console = Console()
    progress = await handle.progress()
    if once:
        console.print(f"workflow {handle.workflow_id}: {_status(progress)}, run {progress.runs} ({progress.current_run_id})")
        for line in describe(progress):
            console.print(line)
        return 0
    bars: dict[str, int] = {}
    shown_failure: tuple[int, int] | None = None
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(), TextColumn("{task.fields[detail]}")]
    with Progress(*columns, console=console) as view:
        while True:
            for e in progress.executors:
                detail = f"{e.items_per_second:.0f}/s  {e.failed} failed  {e.in_flight} in flight  ETA {'?' if e.eta_seconds < 0 else f'{e.eta_seconds:.0f}s'}"
                if e.executor_id not in bars:
                    bars[e.executor_id] = view.add_task(f"{e.pattern} {e.executor_id[-8:]}", total=e.total or None, detail=detail)
                view.update(bars[e.executor_id], completed=e.done, total=e.total or None, detail=detail)
            failure = progress.last_workflow_task_failure if progress.HasField("last_workflow_task_failure") else None
            if failure is not None and (failure.attempt, failure.time.ToNanoseconds()) != shown_failure:
                shown_failure = (failure.attempt, failure.time.ToNanoseconds())
                view.console.print(f"[red]{workflow_task_failure_line(failure)}[/red]", markup=True, highlight=False)
            if progress.status != common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
                break
            await asyncio.sleep(interval)
            progress = await handle.progress()
    if not summary:
        return 0
    console.print(f"workflow {handle.workflow_id}: {_status(progress)} after {progress.runs} run(s)")
    for ev in progress.events[:10]:
        console.print(f"event {ev.name}: {json.dumps(json.loads(ev.details.data or b'null'))}")
    return 0
