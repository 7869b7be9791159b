"""The seed's REST test helpers (`mistralai.workflows.testing.workflow_helpers`), same names
and signatures, against fanflow's seed-compatible HTTP API (`webui/seed_api.py`, served by
`fanflow ui` and `fanflow dev` on 127.0.0.1:8233).

Each helper takes an ``httpx.AsyncClient`` whose ``base_url`` is that server:

    async with httpx.AsyncClient(base_url="http://127.0.0.1:8233") as http:
        done = await testing.execute_workflow_and_wait(http, "my_workflow", {"n": 3})
        events = await testing.stream_workflow_events(http, done["execution_id"])
        assert testing.get_event_types(events)[0] == "WORKFLOW_EXECUTION_STARTED"

``*_raw`` helpers return the ``httpx.Response`` whatever its status; the others raise
``httpx.HTTPStatusError`` on an error answer. Waiting helpers raise ``TimeoutError`` when
time runs out, and ``RuntimeError`` when the execution ended otherwise than expected.
"""
from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fanflow.seed_events import (
    StreamEventSseErrorData,
    WorkflowEventType,
    sse_payload_adapter,
    sse_stream_data_adapter,
    workflow_event_adapter,
)

from .environment import DEFAULT_TEST_TASK_QUEUE

if TYPE_CHECKING:  # pragma: no cover
    import httpx

# The seed reads its deployment from DEPLOYMENT_NAME; fanflow's default is the queue
# `create_test_worker` serves, so the two fit without configuration.
TEST_TASK_QUEUE = os.getenv("DEPLOYMENT_NAME", DEFAULT_TEST_TASK_QUEUE)
TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT", "CANCELED"})
MAX_CONSECUTIVE_POLL_ERRORS = 5  # a poll gives up after this many server errors in a row
POLL_SECONDS = 0.1
_T = TypeVar("_T")

__all__ = [
    "TEST_TASK_QUEUE", "create_workflow", "create_workflow_raw", "execute_workflow", "execute_workflow_and_wait",
    "get_workflow_status", "signal_workflow_raw", "query_workflow_raw", "update_workflow_raw", "submit_workflow_update",
    "poll_workflow_status", "wait_for_workflow_completion", "poll_pending_inputs", "wait_for_pending_inputs",
    "stream_workflow_events", "get_event_types", "filter_events_by_type", "filter_events_by_custom_task_type",
    "extract_state_from_event", "extract_json_patches_from_event", "sse_payload_adapter", "workflow_event_adapter",
]


# ------------------------------------------------------------------ polling
def _server_trouble(exc: Exception) -> bool:
    """A 5xx answer or a connection problem: worth another try."""
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.is_server_error
    return isinstance(exc, httpx.TransportError)


def _any_http_trouble(exc: Exception) -> bool:
    """Querying a run no worker has picked up yet is refused (4xx) until one does."""
    import httpx

    return isinstance(exc, (httpx.HTTPError, ValueError, KeyError))


async def _poll(probe: Callable[[], Awaitable[_T | None]], *, seconds: float, what: Callable[[], str],
                retry_on: Callable[[Exception], bool] = _server_trouble, max_errors: int | None = MAX_CONSECUTIVE_POLL_ERRORS) -> _T:
    """`probe()` every POLL_SECONDS until it returns a value; errors `retry_on` accepts are
    retried (at most `max_errors` in a row), others propagate. TimeoutError after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    errors, last_error = 0, None
    while True:
        try:
            value = await probe()
            errors = 0
            if value is not None:
                return value
        except Exception as exc:
            if not retry_on(exc):
                raise
            errors, last_error = errors + 1, exc
            if max_errors is not None and errors > max_errors:
                raise
        if loop.time() >= deadline:
            suffix = f" (last poll error: {last_error!r})" if last_error is not None else ""
            raise TimeoutError(what() + suffix) from last_error
        await asyncio.sleep(POLL_SECONDS)


def _json(response: "httpx.Response") -> Any:
    response.raise_for_status()
    return response.json()


# ------------------------------------------------------------------ starting
def _execute_body(input_data: Any, task_queue: str | None, always_input: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if input_data is not None or always_input:
        body["input"] = input_data
    if task_queue is not None:
        body["task_queue"] = task_queue
    return body


async def create_workflow(client: "httpx.AsyncClient", workflow_identifier: str, input_data: dict[str, Any] | None = None,
                          task_queue: str | None = TEST_TASK_QUEUE) -> dict[str, Any]:
    """Start workflow `workflow_identifier`; the execution as the API describes it."""
    return _json(await client.post(f"/v1/workflows/{workflow_identifier}/execute", json=_execute_body(input_data, task_queue, False)))


async def create_workflow_raw(client: "httpx.AsyncClient", workflow_identifier: str, input_data: dict[str, Any],
                              task_queue: str | None = TEST_TASK_QUEUE) -> "httpx.Response":
    """Start a workflow; the response whatever its status (for tests of refusals)."""
    return await client.post(f"/v1/workflows/{workflow_identifier}/execute", json=_execute_body(input_data, task_queue, True))


async def execute_workflow(client: "httpx.AsyncClient", workflow_name: str, input_data: dict[str, Any],
                           task_queue: str | None = TEST_TASK_QUEUE) -> str:
    """Start a workflow; its execution id."""
    data = _json(await client.post(f"/v1/workflows/{workflow_name}/execute", json=_execute_body(input_data, task_queue, True)))
    if not data.get("execution_id"):
        raise ValueError(f"No execution_id returned: {data}")
    return str(data["execution_id"])


async def execute_workflow_and_wait(client: "httpx.AsyncClient", workflow_name: str, input_data: dict[str, Any],
                                    timeout_seconds: int = 30, task_queue: str | None = TEST_TASK_QUEUE) -> dict[str, Any]:
    """Start a workflow and wait until it completes: its status answer (with `result`).
    RuntimeError when it ends otherwise, TimeoutError after `timeout_seconds`."""
    execution_id = await execute_workflow(client, workflow_name, input_data, task_queue)
    last: dict[str, Any] = {}

    async def probe() -> dict[str, Any] | None:
        last.update(await get_workflow_status(client, execution_id))
        status = last.get("status")
        if status == "COMPLETED":
            return dict(last)
        if status in TERMINAL_STATUSES:
            raise RuntimeError(f"Workflow {workflow_name} ended with status: {status}")
        return None

    return await _poll(probe, seconds=timeout_seconds,
                       what=lambda: f"Workflow {workflow_name} did not complete within {timeout_seconds}s (last known status: {last.get('status')})")


# ------------------------------------------------------------------ one execution
async def get_workflow_status(client: "httpx.AsyncClient", execution_id: str) -> dict[str, Any]:
    return _json(await client.get(f"/v1/workflows/executions/{execution_id}"))


def _invocation(name: str, value: Any, always_input: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if value is not None or always_input:
        body["input"] = value
    return body


async def signal_workflow_raw(client: "httpx.AsyncClient", execution_id: str, signal_name: str,
                              signal_input: dict[str, Any] | None = None) -> "httpx.Response":
    return await client.post(f"/v1/workflows/executions/{execution_id}/signals", json=_invocation(signal_name, signal_input))


async def query_workflow_raw(client: "httpx.AsyncClient", execution_id: str, query_name: str,
                             query_input: dict[str, Any] | None = None) -> "httpx.Response":
    return await client.post(f"/v1/workflows/executions/{execution_id}/queries", json=_invocation(query_name, query_input))


async def update_workflow_raw(client: "httpx.AsyncClient", execution_id: str, update_name: str,
                              update_input: dict[str, Any] | None = None) -> "httpx.Response":
    return await client.post(f"/v1/workflows/executions/{execution_id}/updates", json=_invocation(update_name, update_input))


async def submit_workflow_update(client: "httpx.AsyncClient", execution_id: str, update_name: str, update_input: dict[str, Any]) -> None:
    """Send an update and wait for its handler; HTTPStatusError when it was refused or failed."""
    (await client.post(f"/v1/workflows/executions/{execution_id}/updates", json=_invocation(update_name, update_input, True))).raise_for_status()


async def poll_workflow_status(client: "httpx.AsyncClient", execution_id: str, expected_status: str, timeout_seconds: int = 30) -> dict[str, Any]:
    """Wait until the execution has `expected_status` (e.g. "RUNNING", "FAILED"); RuntimeError
    if it ends with another one."""
    last: dict[str, Any] = {}

    async def probe() -> dict[str, Any] | None:
        last.update(await get_workflow_status(client, execution_id))
        status = last.get("status")
        if status == expected_status:
            return dict(last)
        if status in TERMINAL_STATUSES:
            raise RuntimeError(f"Workflow ended with status: {status}, expected: {expected_status}")
        return None

    return await _poll(probe, seconds=timeout_seconds,
                       what=lambda: f"Workflow did not reach {expected_status} status within {timeout_seconds}s (last known status: {last.get('status')})")


async def wait_for_workflow_completion(client: "httpx.AsyncClient", execution_id: str, max_retries: int = 50, delay: float = 0.1) -> dict[str, Any]:
    """Poll up to `max_retries` times, `delay` s apart, until the execution ended (completed,
    failed, terminated or canceled); AssertionError otherwise."""
    for _ in range(max_retries):
        status = await get_workflow_status(client, execution_id)
        if status["status"] in ("COMPLETED", "FAILED", "TERMINATED", "CANCELED", "TIMED_OUT"):
            return status
        await asyncio.sleep(delay)
    raise AssertionError(f"Workflow {execution_id} did not complete after {max_retries} retries")


# ------------------------------------------------------------------ human input (InteractiveWorkflow)
async def poll_pending_inputs(client: "httpx.AsyncClient", execution_id: str, expected_count: int = 1, timeout_seconds: int = 10,
                              exclude_task_ids: set[str] | None = None) -> list[dict[str, Any]]:
    """The execution's open `wait_for_input` calls (the `__get_pending_inputs` query), once
    there are at least `expected_count` not in `exclude_task_ids`."""
    excluded = exclude_task_ids or set()

    async def probe() -> list[dict[str, Any]] | None:
        answer = _json(await client.post(f"/v1/workflows/executions/{execution_id}/queries", json={"name": "__get_pending_inputs"}))
        pending = [p for p in (answer.get("result") or {}).get("pending_inputs", []) if p.get("task_id") not in excluded]
        return pending if len(pending) >= expected_count else None

    return await _poll(probe, seconds=timeout_seconds, retry_on=_any_http_trouble, max_errors=None,
                       what=lambda: f"Did not receive {expected_count} pending inputs within {timeout_seconds}s")


async def wait_for_pending_inputs(handle: Any, expected_count: int = 1, timeout: float = 5.0, label: str | None = None) -> list[dict[str, Any]]:
    """The same through a client's workflow handle (``handle.query("__get_pending_inputs")``),
    optionally only those with `label`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            pending = (await handle.query("__get_pending_inputs"))["pending_inputs"]
            if label:
                pending = [p for p in pending if p.get("label") == label]
            if len(pending) >= expected_count:
                return list(pending)
        except Exception:  # not picked up by a worker yet: ask again
            pass
        if loop.time() > deadline:
            raise TimeoutError(f"Timeout waiting for {expected_count} pending inputs" + (f" with label '{label}'" if label else ""))
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------ the event stream
async def stream_workflow_events(client: "httpx.AsyncClient", execution_id: str, timeout_seconds: float = 30.0, *,
                                 include_child_workflows: bool = False) -> list[dict[str, Any]]:
    """Every event of the execution from the SSE stream, until its WORKFLOW_EXECUTION_COMPLETED:
    a list of the stream's payloads (`{"data": event, "broker_sequence", ...}`). A stream that
    ends earlier is opened again after the `retry:` delay, from the next sequence number, so
    an execution that fails or is canceled ends in TimeoutError, as with the seed.
    `include_child_workflows`: the events of its child workflows too (each child's arrive
    when it has closed)."""
    scope = "root_workflow_exec_id" if include_child_workflows else "workflow_exec_id"
    received: list[dict[str, Any]] = []
    retry_seconds = 1.0
    async with asyncio.timeout(timeout_seconds):
        while True:
            start_seq = received[-1]["broker_sequence"] + 1 if received else 0
            async with client.stream("GET", "/v1/workflows/events/stream", params={scope: execution_id, "start_seq": start_seq},
                                     timeout=timeout_seconds) as response:
                if response.is_error:
                    await response.aread()
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        text = line[len("data:"):].strip()
                        if not text:
                            continue
                        event = json.loads(text)
                        parsed = sse_stream_data_adapter.validate_python(event)
                        if isinstance(parsed, StreamEventSseErrorData):
                            break
                        received.append(event)
                        if parsed.data.event_type == WorkflowEventType.WORKFLOW_EXECUTION_COMPLETED and parsed.data.workflow_exec_id == execution_id:
                            return received
                    elif line.startswith("retry:"):
                        try:
                            retry_seconds = float(line[len("retry:"):].strip()) / 1000
                        except ValueError:
                            pass
            await asyncio.sleep(retry_seconds)


def get_event_types(events: list[dict[str, Any]]) -> list[str]:
    return [e.get("data", {}).get("event_type") for e in events]


def filter_events_by_type(events: list[dict[str, Any]], event_types: list[WorkflowEventType]) -> list[dict[str, Any]]:
    """The events of those types (each checked to be a valid WorkflowEvent)."""
    kept = [e for e in events if e.get("data", {}).get("event_type") in event_types]
    for e in kept:
        workflow_event_adapter.validate_python(e.get("data", {}))
    return kept


def filter_events_by_custom_task_type(events: list[dict[str, Any]], custom_task_type: str) -> list[dict[str, Any]]:
    kept = [e for e in events if (e.get("data", {}).get("attributes") or {}).get("custom_task_type") == custom_task_type]
    for e in kept:
        workflow_event_adapter.validate_python(e.get("data", {}))
    return kept


def extract_state_from_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """A custom task event's JSON state (started, in progress or completed), else None."""
    data = sse_payload_adapter.validate_python(event).data
    if data.event_type in (WorkflowEventType.CUSTOM_TASK_STARTED, WorkflowEventType.CUSTOM_TASK_IN_PROGRESS, WorkflowEventType.CUSTOM_TASK_COMPLETED):
        payload = data.attributes.payload
        if payload.type == "json":
            return payload.value
    return None


def extract_json_patches_from_event(event: dict[str, Any]) -> list[dict[str, Any]]:
    """A custom task event's JSON-patch operations (in progress or completed), else []."""
    data = sse_payload_adapter.validate_python(event).data
    if data.event_type in (WorkflowEventType.CUSTOM_TASK_IN_PROGRESS, WorkflowEventType.CUSTOM_TASK_COMPLETED):
        payload = data.attributes.payload
        if payload.type == "json_patch":
            if isinstance(payload.value, str):
                raise ValueError("Cannot extract patches from encrypted payload")
            return [p.model_dump() for p in payload.value]
    return []
