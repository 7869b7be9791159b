"""Executors' continue-as-new with the sticky cache off: every workflow task replays its run's
full history (sdk_state checkpoints, markers, result sinks and the read-back must replay to
the same commands), and a Chain interrupted by continue-as-new resumes after its last item."""
from __future__ import annotations

import worker_sdk as workflows
from protos import common_pb2 as E
from support.executor_histories import run_histories, scheduled_types
from support.executors_at_scale import CALLS, ScaleTwo, low_limit_client, reset, square  # noqa: F401  (fixture)
from worker_sdk import Worker


@workflows.activity()
async def next_n(prev: int | None) -> int | None:
    n = 0 if prev is None else prev + 1
    return None if n >= 400 else n


@workflows.workflow.define(name="can_replay_chain")
class ChainCan:
    @workflows.workflow.entrypoint
    async def run(self) -> list[int]:
        return await workflows.execute_activities_in_parallel(square, get_item_from_prev_item_activity=next_n)


async def test_two_executors_cache_off(low_limit_client):
    reset()
    async with Worker(low_limit_client, task_queue="can-replay", workflows=[ScaleTwo], activities=[square], max_cached_workflows=0):
        handle = await low_limit_client.start_workflow(ScaleTwo, {"first": 100, "second": 400}, task_queue="can-replay")
        first, second = await handle.result(timeout=60)
    assert first == [i * i for i in range(100)] and second == [i * i for i in range(1000, 1400)]
    assert sum(CALLS.values()) == 500 and set(CALLS.values()) == {1}
    runs = await run_histories(handle)
    assert len(runs) > 1
    for events in runs:
        assert not [e for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED]


async def test_chain_continues_as_new_and_resumes(low_limit_client):
    reset()
    async with Worker(low_limit_client, task_queue="can-chain", workflows=[ChainCan], activities=[square, next_n]):
        handle = await low_limit_client.start_workflow(ChainCan, task_queue="can-chain")
        assert await handle.result(timeout=60) == [i * i for i in range(400)]
    assert sum(CALLS.values()) == 400 and set(CALLS.values()) == {1}
    runs = await run_histories(handle)
    assert len(runs) > 1
    events = [e for r in runs for e in r]
    assert scheduled_types(events)["next_n"] == 401  # no item fetched twice across runs
    [ex] = (await handle.progress()).executors
    assert (ex.pattern, ex.total, ex.done) == ("chain", 400, 400)


# ------------------- a run whose suggestion comes from results read back
@workflows.activity()
async def big(n: int) -> str:
    return "x" * 3000 + str(n)


@workflows.activity()
async def small(n: int) -> int:
    CALLS[("small", n)] += 1
    return n


@workflows.workflow.define(name="can_replay_big_then_small")
class BigThenSmall:
    @workflows.workflow.entrypoint
    async def run(self) -> list[int]:
        a = await workflows.execute_activities_in_parallel(big, items=list(range(100)), max_concurrent_scheduled_tasks=10)
        b = await workflows.execute_activities_in_parallel(small, items=list(range(600)), max_concurrent_scheduled_tasks=10)
        return [len(a), sum(len(x) for x in a), len(b), sum(b)]


async def test_read_back_results_do_not_starve_later_runs(tmp_path):
    """The first executor's 300 KB of results (past history's lowered size suggestion on their
    own) are used by every later run but never recorded in it (they page from the store): the
    second executor makes real progress per run, up to the 1,000-event suggestion (about 3.7
    events an item), instead of one window per run."""
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig, HistoryLimits
    from worker_sdk import Client

    limits = HistoryLimits(suggest_continue_as_new_events=1000, suggest_continue_as_new_bytes=200_000)
    cluster = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, limits=limits)).start()
    client = await Client.connect(cluster.frontend_address)
    reset()
    try:
        async with Worker(client, task_queue="can-big", workflows=[BigThenSmall], activities=[big, small]):
            handle = await client.start_workflow(BigThenSmall, task_queue="can-big")
            assert await handle.result(timeout=60) == [100, sum(3000 + len(str(n)) for n in range(100)), 600, sum(range(600))]
        runs = await run_histories(handle)
    finally:
        await client.close()
        await cluster.stop()
    assert set(CALLS.values()) == {1} and len(CALLS) == 600
    per_run = [scheduled_types(r).get("small", 0) for r in runs]
    print(f"small items per run: {per_run}")
    assert 2 <= len(runs) <= 5, per_run
    assert max(per_run) >= 200, per_run  # not one window (10) per run after the first
    for r in runs[1:]:
        assert sum(e.ByteSize() for e in r) < 200_000  # the first executor's results are in no later run
