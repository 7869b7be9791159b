"""Activity options on the decorator and per call, and history's retry policy,
on a real cluster."""
from __future__ import annotations

import worker_sdk as workflows
from protos import common_pb2 as E
from support.activity_options import CALLS, options_flaky
from worker_sdk import RetryPolicy, Worker


@workflows.workflow.define(name="options_flow")
class OptionsFlow:
    @workflows.workflow.entrypoint
    async def run(self, key: str) -> list[str]:
        first = await options_flaky(f"{key}-a", 2)  # decorator options: retried until it works
        second = await options_flaky.with_options(start_to_close_timeout=7, retry_policy=RetryPolicy(initial_interval=0.05, maximum_attempts=2))(f"{key}-b", 0)
        try:
            await options_flaky.with_options(retry_policy=RetryPolicy(initial_interval=0.05, maximum_attempts=2))(f"{key}-c", 5)
        except workflows.ActivityError as exc:
            third = f"gave up: {exc}"
        try:
            await options_flaky.with_options(retry_policy=RetryPolicy(initial_interval=0.05, non_retryable_error_types=["ValueError"]))(f"{key}-d", 5, "ValueError")
        except workflows.ActivityError:
            fourth = "not retried"
        return [first, second, third, fourth]


async def test_decorator_and_per_call_options(client):
    async with Worker(client, task_queue="options", workflows=[OptionsFlow], activities=[options_flaky]):
        handle = await client.start_workflow(OptionsFlow, "k", task_queue="options")
        first, second, third, fourth = await handle.result(timeout=60)
    assert first == "k-a ok after 3" and second == "k-b ok after 1"
    assert third.startswith("gave up") and CALLS["k-c"] == 2  # maximum_attempts=2, decided by history
    assert fourth == "not retried" and CALLS["k-d"] == 1  # non-retryable error type
    scheduled = [e.activity_task_scheduled for e in await handle.history() if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert [s.start_to_close_timeout.seconds for s in scheduled] == [30, 7, 30, 30]
    assert [s.retry_policy.maximum_attempts for s in scheduled] == [5, 2, 2, 0]
    # retries write no events: one Started per activity, carrying the attempt that finished
    started = [e.activity_task_started.attempt for e in await handle.history() if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED]
    assert started == [3, 1, 2, 1]


