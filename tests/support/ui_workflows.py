"""Workflows the web UI's tests run: an executor run to watch, items that fail, a workflow
that waits for signals until cancelled. Imported by the service tests and by the worker
process of the browser tests (`fanflow worker ui_workflows`, cwd tests/support)."""
import asyncio

import worker_sdk as workflows


@workflows.activity(retry_policy_max_attempts=3)
async def ui_process_item(index: int, flaky_every: int = 0, fatal_index: int = -1) -> int:
    """Doubles the index. With flaky_every, every flaky_every-th item fails its first attempt
    (and succeeds when retried); fatal_index fails for good (non-retryable)."""
    if index == fatal_index:
        raise workflows.ApplicationError(f"item {index} is broken for good", type="BrokenItem", non_retryable=True)
    if flaky_every and index % flaky_every == 3 and workflows.activity.info().attempt == 1:
        raise ValueError(f"item {index} failed on its first attempt")
    return index * 2


@workflows.workflow.define(name="ui_items", workflow_display_name="UI test items")
class UiItems:
    @workflows.workflow.entrypoint
    async def run(self, n_items: int, flaky_every: int = 0, fatal_index: int = -1, label: str = "") -> int:
        if not workflows.workflow.info().continued_run_id:  # the code reruns in every continued run: record once
            workflows.workflow.record_event("started", {"n_items": n_items, "label": label})
        results = await workflows.execute_activities_in_parallel(
            activity=ui_process_item,
            items=[{"index": i, "flaky_every": flaky_every, "fatal_index": fatal_index} for i in range(n_items)],
            max_concurrent_scheduled_tasks=100,
        )
        workflows.workflow.record_event("finished", {"sum": sum(results)})
        return sum(results)


@workflows.activity()
async def ui_note(text: str) -> str:
    return f"noted {text}"


@workflows.workflow.define(name="ui_waiter")
class UiWaiter:
    """Collects signals until cancelled (then returns what it got) or terminated."""

    def __init__(self) -> None:
        self.approvals: list[str] = []

    @workflows.workflow.signal(name="approve")
    def approve(self, who: str) -> None:
        self.approvals.append(who)

    @workflows.workflow.entrypoint
    async def run(self, label: str = "") -> list[str]:
        try:
            await workflows.workflow.wait_condition(lambda: len(self.approvals) >= 1000)
        except asyncio.CancelledError:
            await ui_note(f"cancelled after {len(self.approvals)} approvals")
            return self.approvals
        return self.approvals
