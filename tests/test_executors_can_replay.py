"""Executors' continue-as-new with the sticky cache off: every workflow task replays its run's
full history (sdk_state checkpoints, markers, result sinks and the read-back must replay to
the same commands), and a Chain interrupted by continue-as-new resumes after its last item."""
from __future__ import annotations

import worker_sdk as workflows
from protos import common_pb2 as E
from worker_sdk import Worker

from test_executors import run_histories, scheduled_types
from test_executors_scale import CALLS, ScaleTwo, low_limit_client, reset, square  # noqa: F401  (fixture)


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
