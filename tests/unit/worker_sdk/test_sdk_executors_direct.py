"""execute_activities_in_parallel outside a workflow calls the activities directly, for each
pattern (handy in the user's unit tests); GetItemFromIndexParams extends the seed's
ExtraItemParams."""
from __future__ import annotations

import pytest

import worker_sdk as workflows
from support.executor_activities import fetch_by_index, fetch_next, one_param, two_params


async def test_runs_directly_outside_a_workflow():
    """Outside a workflow the same code calls the functions directly (handy in unit tests)."""
    assert await workflows.execute_activities_in_parallel(one_param, items=[1, 2], max_concurrent_scheduled_tasks=1) == [2, 4]
    assert await workflows.execute_activities_in_parallel(one_param, get_item_from_prev_item_activity=fetch_next) == [0, 2, 4, 6, 8]
    got = await workflows.execute_activities_in_parallel(two_params, get_item_from_index_activity=fetch_by_index, n_items=5, max_concurrent_executions_per_worker=2)
    assert got == [f"{i}:v{i}" for i in range(5)]
    with pytest.raises(ValueError, match="^Must specify one execution pattern"):
        await workflows.execute_activities_in_parallel(one_param)


def test_get_item_from_index_params_extends_the_seeds_extra_item_params():
    params = workflows.GetItemFromIndexParams(idx=4, extra_params={"batch_id": "b"})
    assert isinstance(params, workflows.ExtraItemParams) and params.extra_params == {"batch_id": "b"}
    assert workflows.ExtraItemParams().extra_params is None
