"""The seed's "Batch Processing" examples ("Process 100,000 items with List Executor /
Offset Pagination Executor"), with only the import changed, on an embedded cluster.

    python examples/executors_100k.py                 # Offset 20,000 items, List 20,000 items
    python examples/executors_100k.py 100000 100000   # the seed's size (Offset, List)

(The List executor runs one activity execution per item, several hundred items/s for one
workflow when everything shares this one process; Offset runs 100 items per execution.)

Both workflows continue as new automatically (history suggests it at 4,096 events); item
results are stored beside history; the workflow gets them as a list that pages from the store. While each runs, the script shows
a live progress bar per executor and serves the web UI on http://127.0.0.1:8233
(FANFLOW_UI_ADDRESS to move it, "off" for none), where the same run can be watched; then it
prints, per workflow: items/s, the number of runs, the largest run's history and the progress
API's view. The runs stay in .fanflow/: `fanflow dev` shows them on the same address later.
"""
import asyncio
import os
import sys
import time
from urllib.parse import quote

import worker_sdk as workflows


@workflows.activity()
async def process_item(item_id: int, value: str) -> dict:
    # Process individual item
    return {"processed_value": f"processed_{value}"}


@workflows.activity()
async def get_item_by_index(params: workflows.GetItemFromIndexParams) -> dict:
    # Get item by index
    return {
        "item_id": params.idx,
        "value": f"item_{params.idx}",
        "extra_data": params.extra_params
    }


@workflows.workflow.define(name="executors_100k_list")
class List100k:
    @workflows.workflow.entrypoint
    async def run(self, n_items: int = 100_000) -> int:
        large_item_list = [{"item_id": i, "value": f"item_{i}"} for i in range(n_items)]
        # Process 100,000 items with List Executor - automatically continues as new workflow
        results = await workflows.execute_activities_in_parallel(
            activity=process_item,
            items=large_item_list,  # 100,000 items
            max_concurrent_scheduled_tasks=100
        )
        check(results, n_items)
        return len(results)


@workflows.workflow.define(name="executors_100k_offset")
class Offset100k:
    @workflows.workflow.entrypoint
    async def run(self, n_items: int = 100_000) -> int:
        # Process 100,000 items with Offset Pagination Executor
        results = await workflows.execute_activities_in_parallel(
            activity=process_item,
            get_item_from_index_activity=get_item_by_index,
            n_items=n_items,
            max_concurrent_executions_per_worker=100,  # Process 100 items together per activity
            max_concurrent_scheduled_tasks=50  # Execute 50 activities concurrently
        )
        check(results, n_items)
        return len(results)


def check(results: list[dict], n_items: int) -> None:
    # One by one: the results page from the store, nothing builds a list of all of them.
    if len(results) != n_items:
        raise workflows.ApplicationError(f"{len(results)} results for {n_items} items", non_retryable=True)
    for i, result in enumerate(results):
        if result != {"processed_value": f"processed_item_{i}"}:
            raise workflows.ApplicationError(f"result {i} is not the expected one: {result!r}", non_retryable=True)


async def history_lengths(handle) -> list[int]:
    lengths, run_id = [], handle.run_id
    while run_id:
        events = await handle.history(run_id)
        lengths.append(len(events))
        last = events[-1]
        run_id = last.workflow_execution_continued_as_new.new_execution_run_id if last.HasField("workflow_execution_continued_as_new") else ""
    return lengths


async def start_web_ui(frontend_address: str):
    """The web UI and HTTP API for this cluster, as `fanflow dev` serves them; None if it cannot."""
    address = os.environ.get("FANFLOW_UI_ADDRESS", "127.0.0.1:8233")
    if address.lower() == "off":
        return None
    try:
        from webui.server import UiServer
        from webui.settings import UiSettings

        return await UiServer(UiSettings(frontend_address=frontend_address, address=address)).start()
    except (ModuleNotFoundError, OSError) as exc:
        print(f"(web UI not started: {exc})")
        return None


async def main(n_offset: int, n_list: int) -> None:
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig
    from fanflow.logging import configure_logging
    from fanflow.progress_view import watch_progress

    configure_logging(os.environ.get("FANFLOW_LOG_LEVEL") or "WARNING")  # the example's output, not the cluster's
    cluster = await embedded(ClusterConfig.embedded(".fanflow")).start()
    ui = await start_web_ui(cluster.frontend_address)
    if ui is not None:
        print(f"web UI on {ui.url}: open it to watch the runs below (after the script, `fanflow dev` serves them there again)", flush=True)
    client = await workflows.Client.connect(cluster.frontend_address)
    try:
        async with workflows.Worker(client, task_queue="executors-100k", workflows=[List100k, Offset100k],
                                    activities=[process_item, get_item_by_index]):
            for workflow, n_items in ((Offset100k, n_offset), (List100k, n_list)):
                started = time.monotonic()
                handle = await client.start_workflow(workflow, n_items, task_queue="executors-100k")
                if ui is not None:
                    print(f"{workflow.__name__}: watch it at {ui.url}/namespaces/default/workflow?id={quote(handle.workflow_id)}", flush=True)
                await watch_progress(handle, closing_lines=False)  # a live bar per executor until the run closes
                assert await handle.result(timeout=3600) == n_items
                elapsed = time.monotonic() - started
                lengths = await history_lengths(handle)
                [ex] = (await handle.progress()).executors
                print(f"{workflow.__name__}: {n_items:,} items in {elapsed:.1f} s = {n_items / elapsed:,.0f} items/s; "
                      f"{len(lengths)} runs, largest history {max(lengths):,} events; "
                      f"progress: {ex.pattern} {ex.done:,}/{ex.total:,} done, {ex.failed} failed attempts")
    finally:
        await client.close()
        if ui is not None:
            await ui.stop()
        await cluster.stop()


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(sizes[0] if sizes else 20_000, sizes[1] if len(sizes) > 1 else 20_000))
