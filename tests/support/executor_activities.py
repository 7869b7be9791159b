"""Activities of every shape the executors take (one parameter, two, a model built from an
index, a chain's next item), run on a cluster by tests/service/worker_sdk/test_sdk_executors.py
and called directly by tests/unit/worker_sdk/test_sdk_executors_direct.py."""
from __future__ import annotations

import worker_sdk as workflows

@workflows.activity()
async def two_params(item_id: int, value: str) -> str:
    return f"{item_id}:{value}"


@workflows.activity()
async def one_param(n: int) -> int:
    return n * 2


@workflows.activity()
async def fetch_by_index(params: workflows.GetItemFromIndexParams) -> dict:
    return {"item_id": params.idx, "value": f"v{params.idx}", "batch": (params.extra_params or {}).get("batch_id")}


@workflows.activity()
async def fetch_next(prev: int | None) -> int | None:
    if prev is None:
        return 0
    return prev + 1 if prev < 4 else None
