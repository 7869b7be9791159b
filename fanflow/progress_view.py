"""`fanflow workflow progress ID`: a live progress bar per parallel executor
(rich), and one for the run's child workflows, refreshed from GetWorkflowProgress until
the workflow closes."""
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
    lines.extend(children_lines(progress))
    for ev in progress.events:
        lines.append(f"event {ev.name}: {json.dumps(json.loads(ev.details.data or b'null'))}")
    return lines


def children_lines(progress) -> list[str]:
    """Child workflows: how they went, then each open one with its own executors' progress."""
    s = progress.children_summary
    if not s.initiated:
        return []
    lines = [f"children: {s.initiated} started by this run, {s.pending} open, {s.completed} completed, {s.failed} failed, "
             f"{s.canceled} cancelled, {s.timed_out} timed out, {s.terminated} terminated, {s.start_failed} could not start"]
    for c in progress.children:
        state = _status_name(c.status) if c.status else "starting"
        items = f", {c.done}/{c.total or '?'} items" if c.executors else ""
        lines.append(f"child {c.workflow_id} [{c.workflow_type.name}] {state}{items}")
    return lines


def _children_closed(summary) -> int:
    return summary.completed + summary.failed + summary.canceled + summary.timed_out + summary.terminated + summary.start_failed


def _status(progress) -> str:
    return _status_name(progress.status)


def _status_name(status: int) -> str:
    return common_pb2.WorkflowExecutionStatus.Name(status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()


async def watch_progress(handle, *, once: bool = False, interval: float = 0.5, closing_lines: bool = True) -> int:
    """A live bar per executor until the workflow closes (closing_lines: then its status and
    events); once: one snapshot."""
    console = Console()
    progress = await handle.progress()
    if once:
        console.print(f"workflow {handle.workflow_id}: {_status(progress)}, run {progress.runs} ({progress.current_run_id})")
        for line in describe(progress):
            console.print(line, markup=False, highlight=False)  # "[list]" is text, not rich markup
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
            summary = progress.children_summary
            if summary.initiated:  # one bar for the child workflows: closed of started
                items = sum(c.done for c in progress.children)
                detail = f"{summary.pending} open ({items} items done in them)  {summary.failed + summary.timed_out + summary.terminated} failed"
                if "children" not in bars:
                    bars["children"] = view.add_task("child workflows", total=summary.initiated, detail=detail)
                view.update(bars["children"], completed=_children_closed(summary), total=summary.initiated, detail=detail)
            failure = progress.last_workflow_task_failure if progress.HasField("last_workflow_task_failure") else None
            if failure is not None and (failure.attempt, failure.time.ToNanoseconds()) != shown_failure:
                shown_failure = (failure.attempt, failure.time.ToNanoseconds())
                view.console.print(f"[red]{workflow_task_failure_line(failure)}[/red]", markup=True, highlight=False)
            if progress.status != common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
                break
            await asyncio.sleep(interval)
            progress = await handle.progress()
    if not closing_lines:
        return 0
    console.print(f"workflow {handle.workflow_id}: {_status(progress)} after {progress.runs} run(s)")
    for ev in progress.events[:10]:
        console.print(f"event {ev.name}: {json.dumps(json.loads(ev.details.data or b'null'))}")
    return 0
