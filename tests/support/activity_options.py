"""An activity that fails a given number of times, with retry options on its decorator: run on
a cluster by tests/service/worker_sdk/test_sdk_activity_options.py (CALLS counts its attempts
per key), and its per-call options checked by tests/unit/worker_sdk/test_sdk_activity.py."""
from __future__ import annotations

import worker_sdk as workflows
from worker_sdk import RetryPolicy

CALLS: dict[str, int] = {}


@workflows.activity(start_to_close_timeout=30, retry_policy=RetryPolicy(initial_interval=0.05, maximum_attempts=5))
async def options_flaky(key: str, fail_times: int, error: str = "RuntimeError") -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= fail_times:
        raise {"RuntimeError": RuntimeError, "ValueError": ValueError}[error](f"attempt {CALLS[key]} of {key} fails")
    return f"{key} ok after {CALLS[key]}"
