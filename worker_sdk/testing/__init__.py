"""Test helpers shaped like the seed's ``mistralai.workflows.testing``, on fanflow's own
embedded cluster (real frontend, history and matching services in the test's process,
SQLite files in a temporary folder — nothing to install or download).

    from worker_sdk import testing

    async def test_my_workflow():
        async with await testing.WorkflowEnvironment.start_local() as env:
            async with testing.create_test_worker(env, [MyWorkflow], [my_activity]):
                result = await env.client.execute_workflow(
                    MyWorkflow.run, Params(x=1), id="test-1", task_queue="test-task-queue"
                )

``WorkflowEnvironment`` stands in for temporalio's: ``start_local()`` (awaited, or used
directly in ``async with``), ``start_time_skipping()`` (the same real-time environment:
fanflow cannot skip time, so durable timers take their real duration and
``supports_time_skipping`` is ``False``), ``from_client(client)``, ``env.client`` (a fanflow
``Client``, which also takes a workflow type name and a dict, or the entrypoint method, as
temporalio's does), ``env.sleep``, ``env.get_current_time``, ``env.shutdown``.
``worker_sdk.testing.fixtures`` provides the seed's ``temporal_env`` pytest fixture.

The seed's helpers for its REST API and event stream (``execute_workflow_and_wait``,
``stream_workflow_events``, ``signal_workflow_raw``, ``poll_pending_inputs``, the event
builders ``workflow_started`` ... and ``compare_itemwise``) take an ``httpx.AsyncClient`` on
fanflow's seed-compatible HTTP API (``webui/seed_api.py``: ``fanflow ui`` / ``fanflow dev``,
127.0.0.1:8233); their events are derived from the run's history (``webui/seed_stream.py``).
"""
from __future__ import annotations

from ..exceptions import WorkflowFailureError
from . import event_comparison, event_helpers, workflow_helpers
from .environment import DEFAULT_TEST_TASK_QUEUE, WorkflowEnvironment, create_test_worker, create_test_worker_with_events
from .event_comparison import *  # noqa: F403
from .event_helpers import *  # noqa: F403
from .workflow_helpers import *  # noqa: F403

__all__ = [
    "WorkflowEnvironment", "create_test_worker", "create_test_worker_with_events", "DEFAULT_TEST_TASK_QUEUE", "WorkflowFailureError",
    *event_comparison.__all__, *event_helpers.__all__, *workflow_helpers.__all__,
]
