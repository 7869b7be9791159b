"""A finished executor's results reach the workflow as a lazy, immutable list paging from the
result store (``worker_sdk/executors/lazy_results.py``), never recorded in history: on a real
embedded cluster with a real Worker."""
from __future__ import annotations

import asyncio
import threading

import pytest

from conftest import free_port
from protos import common_pb2 as E
from support.executor_histories import all_events, run_histories, scheduled_types
from support.executors_at_scale import ScaleTwo, low_limit_client, reset, square  # noqa: F401  (fixture)
from support.lazy_results_workflows import (
    LazyAllPatterns, LazyEmpty, LazyIterate, LazyPadded, LazyReturnAll, LazyWaitThenRead,
    lzr_fetch, lzr_maybe_none, lzr_next, lzr_padded, lzr_plus_one, lzr_score, lzr_sum_indexes,
)
from worker_sdk import Client, Replayer, Worker
from worker_sdk.executors import lazy_results
from worker_sdk.executors.lazy_results import MAX_CACHED_PAGES, MAX_PAGE_ITEMS, ResultReader, ResultsUnavailableError

ALL_ACTIVITIES = [lzr_score, lzr_next, lzr_fetch, lzr_sum_indexes, lzr_plus_one, lzr_padded, lzr_maybe_none]
N = 30


def expected_checks(n: int) -> dict:
    return {
        "type_is_list": True, "len": n, "all_scored": True, "first": 0, "last": n - 1, "minus_two": n - 2,
        "slice": [2, 3, 4], "tail": [n - 3, n - 2, n - 1], "step": list(range(0, n, 10)), "backwards": list(range(n - 1, -1, -15)),
        "reversed3": [n - 1, n - 2, n - 3], "equal_to_list": True, "unequal_to_other": True, "list_copy_equal": True,
        "contains": True, "index_of_5": 5, "count_of_7": 1, "json": {"idx": n - 1, "label": f"n{n - 1}"}, "bool": True,
        "plus": [n - 1, -1],
    }


def patch_markers(events) -> list[bytes]:
    return [e.marker_recorded.details.data for e in events
            if e.event_type == E.EVENT_TYPE_MARKER_RECORDED and e.marker_recorded.marker_name == "fanflow.patch"]


async def run_all_patterns(client: Client, queue: str, **worker_options) -> tuple[dict, list]:
    async with Worker(client, task_queue=queue, workflows=[LazyAllPatterns], activities=ALL_ACTIVITIES, **worker_options):
        handle = await client.start_workflow(LazyAllPatterns, N, task_queue=queue)
        result = await handle.result(timeout=90)
    return result, await handle.history()


def check_all_patterns(result: dict, events: list) -> None:
    assert result["checks"] == {"list": expected_checks(N), "chain": expected_checks(40), "offset": expected_checks(N)}
    assert result["immutable"].startswith("executor results cannot be changed")
    assert result["out_of_range"] == "IndexError"
    assert result["via_activity"] == sum(range(N))
    assert result["offset"] == [{"idx": i, "label": f"n{i}"} for i in range(N)]
    assert not [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    types = scheduled_types(events)
    assert "fanflow.read_results" not in types  # no read-back activity: nothing of the results in history
    assert types == {"lzr_score": N + 40, "lzr_next": 41, "fanflow.offset_group": 5, "lzr_sum_indexes": 1}
    assert patch_markers(events) == [b'{"id":"fanflow.executor-results-in-store","deprecated":false}']


async def test_list_chain_offset_results_behave_as_lists(client):
    result, events = await run_all_patterns(client, "lzr-all")
    check_all_patterns(result, events)


async def test_cache_off_every_task_replays_the_same_history(client):
    """Every workflow task replays the whole history and reads the results again: the same
    commands (no failed task), the same answers; the Replayer with a client agrees too."""
    result, events = await run_all_patterns(client, "lzr-all-replay", max_cached_workflows=0)
    check_all_patterns(result, events)
    cached_result, cached_events = await run_all_patterns(client, "lzr-all-cached")
    assert cached_result == result
    assert scheduled_types(cached_events) == scheduled_types(events)
    replayed = await Replayer(workflows=[LazyAllPatterns], client=client).replay_workflow(await _history_of(client, events))
    assert replayed.replay_failure is None
    # without a client, code that reads results cannot replay, and says why
    failed = await Replayer(workflows=[LazyAllPatterns]).replay_workflow(await _history_of(client, events), raise_on_replay_failure=False)
    assert "Replayer needs client=" in str(failed.replay_failure)


async def _history_of(client: Client, events: list):
    from worker_sdk.replayer import WorkflowHistory

    started = events[0].workflow_execution_started
    [run] = [r for r in await client.list_workflows(page_size=1000) if r.execution.run_id == started.first_execution_run_id]
    return WorkflowHistory(run.execution.workflow_id, events, run.execution.run_id)


async def test_empty_executors_and_all_none_results(client):
    async with Worker(client, task_queue="lzr-empty", workflows=[LazyEmpty], activities=ALL_ACTIVITIES):
        handle = await client.start_workflow(LazyEmpty, task_queue="lzr-empty")
        result = await handle.result(timeout=30)
    assert result == {"a": [], "b": [], "is_list": [True, True], "lens": [0, 0], "eq": [True, True], "none": None}


async def test_final_run_history_holds_no_result_pages(client):
    """3,000 results of 1.5 KB (4.6 MB, read back into the final run's history before):
    the run's history stays small, the workflow still sees every result."""
    n = 3000
    async with Worker(client, task_queue="lzr-padded", workflows=[LazyPadded], activities=ALL_ACTIVITIES):
        handle = await client.start_workflow(LazyPadded, n, task_queue="lzr-padded")
        result = await handle.result(timeout=90)
    assert result == {"len": n, "bytes": n * 1508, "first": "00000000", "last": f"{n - 1:08d}"}
    runs = await run_histories(handle)
    final = runs[-1]
    size = sum(e.ByteSize() for e in final)
    print(f"final run: {len(final)} events, {size:,} bytes of history for {n * 1508:,} bytes of results")
    assert size < 100_000
    assert scheduled_types(final) == {"fanflow.offset_group": n // 100}


async def test_iterating_100000_results_keeps_a_few_pages(client):
    """Iterating 100,000 Offset results holds at most MAX_CACHED_PAGES pages (the page cache,
    not a timing); the pages really were read one after another."""
    n = 100_000
    async with Worker(client, task_queue="lzr-iterate", workflows=[LazyIterate], activities=ALL_ACTIVITIES, max_concurrent_activities=40) as worker:
        handle = await client.start_workflow(LazyIterate, n, task_queue="lzr-iterate")
        result = await handle.result(timeout=300)
        reads = worker.workflow_worker.results_reader.reads
    assert result == {"len": n, "sum": sum(range(1, n + 1)), "peak_pages": MAX_CACHED_PAGES, "last": n, "is_list": True}
    assert reads >= n // MAX_PAGE_ITEMS  # pages of at most MAX_PAGE_ITEMS results: each read on demand
    events = await all_events(handle)
    assert "fanflow.read_results" not in scheduled_types(events)


async def test_returning_every_result_past_the_payload_limit_terminates_the_run(client):
    """Today's behaviour when a workflow returns more than 2 MiB: the run is terminated with a
    message naming the size and the limit (and here: return a summary instead)."""
    n = 2000  # 2,000 x ~1.5 KB = ~3 MB of JSON
    async with Worker(client, task_queue="lzr-return-all", workflows=[LazyReturnAll], activities=ALL_ACTIVITIES):
        handle = await client.start_workflow(LazyReturnAll, n, task_queue="lzr-return-all")
        with pytest.raises(Exception) as failure:
            await handle.result(timeout=60)
    message = str(failure.value)
    assert "3,0" in message and "2,097,152 bytes (2 MiB)" in message and "return a summary" in message, message
    assert (await handle.describe()).info.status == E.WORKFLOW_EXECUTION_STATUS_TERMINATED


async def test_continue_as_new_later_runs_use_stored_results(low_limit_client):
    """The first executor finishes in the first run; the run that returns uses its results,
    paged from the store, and records no page of them."""
    reset()
    async with Worker(low_limit_client, task_queue="lzr-can", workflows=[ScaleTwo], activities=[square]):
        handle = await low_limit_client.start_workflow(ScaleTwo, {"first": 150, "second": 900}, task_queue="lzr-can")
        first, second = await handle.result(timeout=90)
    assert first == [i * i for i in range(150)] and second == [i * i for i in range(1000, 1900)]
    runs = await run_histories(handle)
    assert len(runs) > 1
    last = runs[-1]
    assert "fanflow.read_results" not in scheduled_types(last)
    assert patch_markers(last)  # every run that finishes an executor records the patch once
    assert sum(e.ByteSize() for e in last) < 200_000


async def test_history_restarted_between_the_executor_end_and_the_read(tmp_path):
    """The cluster (history with it) stops after the executor finished and starts again on the
    same files; the workflow then reads its results from the store."""
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig

    address = f"127.0.0.1:{free_port()}"
    config = ClusterConfig.embedded(tmp_path / "data", frontend_address=address, poll_timeout=2.0)
    cluster = await embedded(config).start()
    client = await Client.connect(address)
    worker = await Worker(client, task_queue="lzr-restart", workflows=[LazyWaitThenRead], activities=ALL_ACTIVITIES).start()
    try:
        handle = await client.start_workflow(LazyWaitThenRead, 500, task_queue="lzr-restart")
        for _ in range(300):
            progress = await handle.progress()
            if progress.executors and progress.executors[0].done == 500 and patch_markers(await handle.history()):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the executor did not finish")
        await cluster.stop()
        cluster = await embedded(config).start()
        await handle.signal("go_ahead")
        assert await handle.result(timeout=60) == {"sum": sum(range(1, 501)), "last": 500, "len": 500}
    finally:
        await worker.shutdown(grace=1.0)
        await client.close()
        await cluster.stop()


async def test_a_read_is_retried_until_the_cluster_answers(tmp_path, monkeypatch):
    """ResultReader against a cluster that is down: the read is retried and returns the stored
    results once the cluster is back; down for longer than READ_DEADLINE it raises
    ResultsUnavailableError (which fails the workflow task, never gives another value)."""
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig
    from protos import workflow_service_pb2 as ws
    from worker_sdk import converter

    address = f"127.0.0.1:{free_port()}"
    config = ClusterConfig.embedded(tmp_path / "data", frontend_address=address, poll_timeout=2.0)
    cluster = await embedded(config).start()
    client = await Client.connect(address)
    try:
        await client.call("PutParallelResults", ws.PutParallelResultsRequest(
            namespace=client.namespace, workflow_id="wf-reads", executor_id="run/0",
            results=[ws.IndexedPayload(index=i, payload=converter.to_payload({"i": i})) for i in range(10)],
        ))
        reader = ResultReader(client, asyncio.get_running_loop())
        await cluster.stop()
        outcome: dict = {}
        thread = threading.Thread(target=lambda: outcome.update(values=reader.read("wf-reads", "run/0", 3, 5)))
        thread.start()
        await asyncio.sleep(1.0)
        cluster = await embedded(config).start()
        while thread.is_alive():
            await asyncio.sleep(0.05)
        assert outcome["values"] == [b'{"i":%d}' % i for i in range(3, 8)]

        await cluster.stop()
        monkeypatch.setattr(lazy_results, "READ_DEADLINE", 1.0)

        def read_while_down() -> None:
            try:
                reader.read("wf-reads", "run/0", 0, 1)
            except ResultsUnavailableError as exc:
                outcome["error"] = str(exc)

        thread = threading.Thread(target=read_while_down)
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.05)
        assert "reading results from item 0 failed" in outcome["error"]
        cluster = await embedded(config).start()
        # on the event loop's own thread a read would block the loop serving it: refused
        with pytest.raises(ResultsUnavailableError, match="event-loop thread"):
            reader.read("wf-reads", "run/0", 0, 1)
    finally:
        await client.close()
        await cluster.stop()


def test_runs_recorded_with_the_read_back_still_replay():
    """A history recorded before lazy results (by main at the commit the file names) read
    results back with fanflow.read_results activities: today's code replays it, taking the
    old path there (no patch marker in that history), without a cluster."""
    from conftest import SUPPORT
    from worker_sdk.replayer import WorkflowHistory, replay

    history = WorkflowHistory.from_json(None, (SUPPORT / "histories" / "executor_read_back_v1.json").read_text())
    assert scheduled_types(history.events)["fanflow.read_results"] == 3
    assert not patch_markers(history.events)
    assert replay(history, LazyAllPatterns).replay_failure is None
