"""An activity that notes when each execution started (STARTS, monotonic seconds): paced by a
worker's max_activities_per_second in tests/service/worker_sdk/test_sdk_worker_rate.py, and
given to a Worker whose options are checked in tests/unit/worker_sdk/test_sdk_worker_options.py."""
from __future__ import annotations

import time

import worker_sdk as workflows

STARTS: list[float] = []


@workflows.activity()
async def paced(i: int) -> int:
    STARTS.append(time.monotonic())
    return i
