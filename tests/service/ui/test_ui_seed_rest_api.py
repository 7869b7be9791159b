"""The seed's REST and event-stream test helpers (`worker_sdk.testing`, named as
`mistralai.workflows.testing`) against fanflow's seed-compatible API (webui/seed_api.py):
an embedded cluster, the HTTP server in this process, a worker from `create_test_worker_with_events`.
The tests are written as a seed test is, with only the import changed."""
from __future__ import annotations

import asyncio
import json

import httpx
import pytest

import worker_sdk as workflows
from support.seed_rest_workflows import (
    RELEASED,
    SeedRestApprovalWorkflow,
    SeedRestCollector,
    SeedRestFailing,
    SeedRestGreeter,
    SeedRestHolder,
    SeedRestParent,
    SeedRestTasks,
    seedrest_greet,
    seedrest_hold,
)
from support.ui_stack import ui_server
from worker_sdk import testing
from worker_sdk.testing import (
    activity_completed,
    activity_started,
    compare_itemwise,
    execute_workflow,
    execute_workflow_and_wait,
    extract_state_from_event,
    filter_events_by_custom_task_type,
    filter_events_by_type,
    get_event_types,
    poll_pending_inputs,
    poll_workflow_status,
    query_workflow_raw,
    signal_workflow_raw,
    stream_workflow_events,
    submit_workflow_update,
    update_workflow_raw,
    wait_for_pending_inputs,
    wait_for_workflow_completion,
    workflow_canceled,
    workflow_completed,
    workflow_failed,
    workflow_started,
)

ENVELOPE = {"event_id", "event_timestamp", "root_workflow_exec_id", "workflow_exec_id", "workflow_run_id", "first_execution_run_id",
            "chain_run_id", "attributes.task_id"}


@pytest.fixture
async def http(embedded_cluster):
    client = await workflows.Client.connect(embedded_cluster.frontend_address)
    env = testing.WorkflowEnvironment.from_client(client)
    async with testing.create_test_worker_with_events(env, [SeedRestGreeter, SeedRestCollector, SeedRestApprovalWorkflow, SeedRestFailing, SeedRestHolder, SeedRestParent, SeedRestTasks],
                                                      [seedrest_greet, seedrest_hold]):
        async with ui_server(embedded_cluster.frontend_address) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as session:
                session.fanflow_client = client  # for the handle-based helper
                yield session
    await client.close()


async def _events_so_far(http, execution_id: str) -> list[dict]:
    response = await http.get("/v1/workflows/events/list", params={"workflow_exec_id": execution_id, "limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["events"]


async def test_execute_and_wait_then_stream_the_runs_events(http):
    done = await execute_workflow_and_wait(http, "seedrest_greeter", {"name": "ada", "times": 2})
    assert done["status"] == "COMPLETED" and done["result"] == {"greeting": "hello ada hello ada", "length": 19}
    assert done["workflow_name"] == "seedrest_greeter" and done["end_time"] and done["total_duration_ms"] >= 0

    events = await stream_workflow_events(http, done["execution_id"], timeout_seconds=20)
    assert get_event_types(events) == ["WORKFLOW_EXECUTION_STARTED", "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"]
    assert [e["broker_sequence"] for e in events] == [0, 1, 2, 3]
    assert {e["data"]["workflow_exec_id"] for e in events} == {done["execution_id"]}
    assert {e["data"]["workflow_run_id"] for e in events} == {done["run_id"]}
    expected = [
        workflow_started("seedrest_greeter", {"name": "ada", "times": 2}),
        activity_started("seedrest_greet", {"name": "ada", "times": 2}, workflow_name="seedrest_greeter"),
        activity_completed("seedrest_greet", {"greeting": "hello ada hello ada"}, workflow_name="seedrest_greeter"),
        workflow_completed("seedrest_greeter", {"greeting": "hello ada hello ada", "length": 19}),
    ]
    assert compare_itemwise(expected, [e["data"] for e in events], exclude_paths=ENVELOPE) == []
    # a wrong expectation is reported, naming where
    wrong = [workflow_started("seedrest_greeter", {"name": "bob", "times": 2}), *expected[1:]]
    assert compare_itemwise(wrong, [e["data"] for e in events], exclude_paths=ENVELOPE) == [
        "index 0: value mismatch at attributes.input.value.name: 'bob' != 'ada'"]
    assert len(filter_events_by_type(events, ["ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED"])) == 2

    # resuming from a sequence number gives the rest, and the list endpoint pages the same events
    response = await http.get("/v1/workflows/events/list", params={"workflow_exec_id": done["execution_id"], "limit": 3})
    first = response.json()
    assert [e["event_type"] for e in first["events"]] == get_event_types(events)[:3] and first["next_cursor"] == "3"
    rest = (await http.get("/v1/workflows/events/list", params={"workflow_exec_id": done["execution_id"], "limit": 3, "cursor": "3"})).json()
    assert [e["event_type"] for e in rest["events"]] == ["WORKFLOW_EXECUTION_COMPLETED"] and rest["next_cursor"] is None


async def test_workflow_code_tasks_stream_as_custom_task_events(http):
    done = await execute_workflow_and_wait(http, "seedrest_tasks", {"n": 2})
    assert done["status"] == "COMPLETED"
    events = await stream_workflow_events(http, done["execution_id"], timeout_seconds=20)
    tasks = [e for e in events if e["data"]["event_type"].startswith("CUSTOM_TASK_")]
    assert [(e["data"]["event_type"], e["data"]["attributes"]["custom_task_type"]) for e in tasks] == [
        ("CUSTOM_TASK_STARTED", "count"), ("CUSTOM_TASK_IN_PROGRESS", "count"), ("CUSTOM_TASK_IN_PROGRESS", "count"),
        ("CUSTOM_TASK_COMPLETED", "count"), ("CUSTOM_TASK_STARTED", "doomed"), ("CUSTOM_TASK_FAILED", "doomed"),
    ]
    assert [extract_state_from_event(e) for e in tasks[:4]] == [{"done": 0}, {"done": 1}, {"done": 2}, {"done": 2}]
    assert "no luck" in tasks[-1]["data"]["attributes"]["failure"]["message"]
    assert len({e["data"]["attributes"]["custom_task_id"] for e in tasks}) == 2
    assert filter_events_by_custom_task_type(events, "count") == tasks[:4]


async def test_stream_follows_a_run_while_it_runs(http):
    execution_id = await execute_workflow(http, "seedrest_collector", {})
    streamed = asyncio.ensure_future(stream_workflow_events(http, execution_id, timeout_seconds=30))
    await poll_workflow_status(http, execution_id, "RUNNING")
    await asyncio.sleep(0.5)
    assert not streamed.done()  # still open: the run has not completed
    assert (await signal_workflow_raw(http, execution_id, "finish")).status_code == 200
    events = await streamed
    assert get_event_types(events) == ["WORKFLOW_EXECUTION_STARTED", "WORKFLOW_EXECUTION_COMPLETED"]
    assert events[-1]["data"]["attributes"]["result"]["value"] == {"items": [], "label": "none"}


async def test_an_activity_started_event_arrives_while_it_runs(http):
    execution_id = await execute_workflow(http, "seedrest_holder", {"key": "live-1"})
    seen: list[dict] = []

    async def read_stream() -> None:
        async with http.stream("GET", "/v1/workflows/events/stream", params={"workflow_exec_id": execution_id}) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    seen.append(json.loads(line[5:]))

    reader = asyncio.ensure_future(read_stream())
    for _ in range(200):
        if "ACTIVITY_TASK_STARTED" in get_event_types(seen):
            break
        await asyncio.sleep(0.05)
    assert get_event_types(seen) == ["WORKFLOW_EXECUTION_STARTED", "ACTIVITY_TASK_STARTED"]
    assert seen[1]["data"]["attributes"]["input"]["value"] == {"key": "live-1"}
    assert (await testing.workflow_helpers.get_workflow_status(http, execution_id))["status"] == "RUNNING"  # the activity still runs
    RELEASED.add("live-1")
    await asyncio.wait_for(reader, 30)  # the stream ends with the run
    assert get_event_types(seen) == ["WORKFLOW_EXECUTION_STARTED", "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"]
    resumed = await stream_workflow_events(http, execution_id)  # a fresh read of the history numbers them the same
    assert [(e["broker_sequence"], e["data"]["event_id"]) for e in resumed] == [(e["broker_sequence"], e["data"]["event_id"]) for e in seen]


async def test_a_roots_stream_includes_its_child_workflows(http):
    parent_id = await execute_workflow(http, "seedrest_parent", {"names": ["ann", "bo"]})
    events = await stream_workflow_events(http, parent_id, timeout_seconds=30, include_child_workflows=True)
    assert [(e["data"]["workflow_name"], e["data"]["event_type"]) for e in events] == [
        ("seedrest_parent", "WORKFLOW_EXECUTION_STARTED"),
        *[(name, kind) for _ in ("ann", "bo") for name, kind in (
            ("seedrest_greeter", "WORKFLOW_EXECUTION_STARTED"), ("seedrest_greeter", "ACTIVITY_TASK_STARTED"),
            ("seedrest_greeter", "ACTIVITY_TASK_COMPLETED"), ("seedrest_greeter", "WORKFLOW_EXECUTION_COMPLETED"))],
        ("seedrest_parent", "WORKFLOW_EXECUTION_COMPLETED"),
    ]
    children = [e for e in events if e["data"]["workflow_exec_id"] != parent_id]
    assert {(e["data"]["parent_workflow_exec_id"], e["data"]["root_workflow_exec_id"]) for e in children} == {(parent_id, parent_id)}
    assert {e["workflow_context"]["workflow_exec_id"] for e in children} == {e["data"]["workflow_exec_id"] for e in children}
    assert [e["data"]["attributes"]["input"]["value"]["name"] for e in children if e["data"]["event_type"] == "WORKFLOW_EXECUTION_STARTED"] == ["ann", "bo"]
    assert [e["broker_sequence"] for e in events] == list(range(len(events)))
    own = await stream_workflow_events(http, parent_id)  # scoped to the one execution: no child's events
    assert get_event_types(own) == ["WORKFLOW_EXECUTION_STARTED", "WORKFLOW_EXECUTION_COMPLETED"]
    child_id = children[0]["data"]["workflow_exec_id"]
    child = await stream_workflow_events(http, child_id)  # a child's own stream says where it belongs
    assert len(child) == 4 and child[0]["data"]["parent_workflow_exec_id"] == parent_id and child[0]["data"]["root_workflow_exec_id"] == parent_id


async def test_signal_query_update_raw_calls(http):
    execution_id = await execute_workflow(http, "seedrest_collector", {})
    response = await signal_workflow_raw(http, execution_id, "add_item", {"item": "apple"})
    assert response.status_code == 200 and response.json() == {"message": "Signal accepted"}
    await signal_workflow_raw(http, execution_id, "add_item", {"item": "pear"})

    for _ in range(100):  # the query is answered once a worker has the run
        queried = await query_workflow_raw(http, execution_id, "items")
        if queried.status_code == 200 and len(queried.json()["result"]["items"]) == 2:
            break
        await asyncio.sleep(0.05)
    assert queried.json() == {"query_name": "items", "result": {"items": ["apple", "pear"], "label": "none"}}

    updated = await update_workflow_raw(http, execution_id, "set_label", {"label": "fruit"})
    assert updated.status_code == 200, updated.text
    assert updated.json() == {"update_name": "set_label", "result": {"previous": "none", "label": "fruit"}}
    await submit_workflow_update(http, execution_id, "set_label", {"label": "basket"})

    refused = await update_workflow_raw(http, execution_id, "set_label", {"label": " "})  # the handler raises
    assert refused.status_code == 400 and "label must not be blank" in refused.json()["message"]
    unknown_query = await query_workflow_raw(http, execution_id, "no_such_query")
    assert unknown_query.status_code == 400 and "no_such_query" in unknown_query.json()["detail"]
    with pytest.raises(httpx.HTTPStatusError):
        await submit_workflow_update(http, execution_id, "no_such_update", {})

    await signal_workflow_raw(http, execution_id, "finish")
    closed = await wait_for_workflow_completion(http, execution_id, max_retries=200)
    assert closed["status"] == "COMPLETED" and closed["result"] == {"items": ["apple", "pear"], "label": "basket"}


async def test_pending_inputs_of_an_interactive_workflow(http):
    execution_id = await execute_workflow(http, "seedrest_approval", {"document": "doc-7"})
    [pending] = await poll_pending_inputs(http, execution_id)
    assert pending["label"] == "approve document" and pending["input_schema"]["required"] == ["approved", "reviewer"]
    handle = http.fanflow_client.get_workflow_handle(execution_id)
    assert [p["task_id"] for p in await wait_for_pending_inputs(handle, label="approve document")] == [pending["task_id"]]

    bad = await update_workflow_raw(http, execution_id, "__submit_input", {"task_id": pending["task_id"], "input": {"approved": "maybe"}})
    assert bad.status_code == 400 and "reviewer" in bad.json()["message"]  # checked against the schema, nothing recorded
    await submit_workflow_update(http, execution_id, "__submit_input", {"task_id": pending["task_id"], "input": {"approved": True, "reviewer": "ada"}})
    closed = await wait_for_workflow_completion(http, execution_id, max_retries=200)
    assert closed["result"] == {"document": "doc-7", "approved": True, "reviewer": "ada"}


async def test_failure_and_cancel_events_match_the_predicates(http):
    failing = await execute_workflow(http, "seedrest_failing", {"reason": "no budget"})
    with pytest.raises(RuntimeError, match="ended with status: FAILED"):
        await poll_workflow_status(http, failing, "COMPLETED")
    events = await _events_so_far(http, failing)
    assert compare_itemwise([workflow_started("seedrest_failing", {"reason": "no budget"}), workflow_failed("seedrest_failing", "WorkflowError: refused: no budget")],
                            events, exclude_paths=ENVELOPE) == []
    with pytest.raises(RuntimeError, match="seedrest_failing ended with status: FAILED"):
        await execute_workflow_and_wait(http, "seedrest_failing", {"reason": "again"})

    waiting = await execute_workflow(http, "seedrest_collector", {})
    await poll_workflow_status(http, waiting, "RUNNING")
    assert (await http.post(f"/v1/workflows/executions/{waiting}/cancel")).status_code == 200
    closed = await wait_for_workflow_completion(http, waiting, max_retries=200)
    assert closed["status"] == "CANCELED"
    events = await _events_so_far(http, waiting)
    assert compare_itemwise([workflow_started("seedrest_collector"), workflow_canceled("seedrest_collector", "canceled through the seed-compatible API")],
                            events, exclude_paths=ENVELOPE) == []

    ended = await execute_workflow(http, "seedrest_collector", {})
    assert (await http.post(f"/v1/workflows/executions/{ended}/terminate")).status_code == 200
    assert (await wait_for_workflow_completion(http, ended, max_retries=200))["status"] == "TERMINATED"
    assert (await _events_so_far(http, ended))[-1]["attributes"]["reason"] == "terminated: terminated through the seed-compatible API"


async def test_bad_input_gets_clear_errors(http):
    unknown = await testing.create_workflow_raw(http, "seedrest_no_such_workflow", {})
    assert unknown.status_code == 404
    message = unknown.json()["detail"]
    assert "seedrest_no_such_workflow" in message and "seedrest_greeter" in message  # names the registered ones
    with pytest.raises(httpx.HTTPStatusError) as raised:
        await execute_workflow(http, "seedrest_no_such_workflow", {})
    assert raised.value.response.status_code == 404

    wrong_queue = await testing.create_workflow_raw(http, "seedrest_greeter", {"name": "x"}, task_queue="nobody-serves-this")
    assert wrong_queue.status_code == 400 and "test-task-queue" in wrong_queue.json()["message"]
    bad_id = await http.post("/v1/workflows/seedrest_greeter/execute", json={"input": {"name": "x"}, "execution_id": "has space"})
    assert bad_id.status_code == 400 and "execution_id" in bad_id.json()["message"]
    not_object = await http.post("/v1/workflows/seedrest_greeter/execute", json={"input": [1, 2]})
    assert not_object.status_code == 400 and "input" in not_object.json()["message"]
    missing = await http.get("/v1/workflows/executions/no-such-execution")
    assert missing.status_code == 404 and "no-such-execution" in missing.json()["detail"]
    assert (await signal_workflow_raw(http, "no-such-execution", "finish")).status_code == 404
    no_stream = await http.get("/v1/workflows/events/stream", params={"workflow_exec_id": "no-such-execution"})
    assert no_stream.status_code == 404
    both = await http.get("/v1/workflows/events/stream", params={"root_workflow_exec_id": "x", "workflow_exec_id": "y"})
    assert both.status_code == 400 and "not both" in both.json()["message"]
    bad_type = await http.get("/v1/workflows/events/list", params={"workflow_exec_id": "x", "workflow_event_types": "NOPE"})
    assert bad_type.status_code == 400 and "NOPE" in bad_type.json()["message"]

    listed = (await http.get("/v1/workflows")).json()["workflows"]
    greeter = next(w for w in listed if w["name"] == "seedrest_greeter")
    assert greeter["task_queues"] == [testing.TEST_TASK_QUEUE]
    assert (await http.get("/v1/workflows/seedrest_greeter")).json()["workflow"]["name"] == "seedrest_greeter"
    synchronous = await http.post("/v1/workflows/seedrest_greeter/execute", json={"input": {"name": "sync"}, "wait_for_result": True, "execution_id": "sync-1"})
    assert synchronous.json() == {"workflow_name": "seedrest_greeter", "execution_id": "sync-1", "result": {"greeting": "hello sync", "length": 10}}
    executions = (await http.get("/v1/workflows/executions", params={"workflow_name": "seedrest_greeter"})).json()["executions"]
    assert [e["execution_id"] for e in executions] == ["sync-1"] and executions[0]["status"] == "COMPLETED"


async def test_keys_and_namespaces_with_auth_on(tmp_path):
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig
    from protos import admin_service_pb2 as adm
    from webui.cluster import ClusterClient

    process = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0, auth_enabled=True, admin_api_keys=["seedrest-admin"])).start()
    admin = ClusterClient(process.frontend_address)
    try:
        key = (await admin.call("admin", "RegisterNamespace", adm.RegisterNamespaceRequest(name="seedrest"), "seedrest-admin")).api_key
        async with ui_server(process.frontend_address) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as anonymous:
                missing = await anonymous.get("/v1/workflows/executions")
                assert missing.status_code == 401 and missing.json()["code"] == "UNAUTHENTICATED" and "Bearer" in missing.json()["detail"]
            headers = {"authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=headers) as other:
                refused = await other.get("/v1/workflows/executions")  # the default namespace is not this key's
                assert refused.status_code == 403 and "seedrest" in refused.json()["detail"]
            # the seed's helpers send no namespace: a client whose every request carries it
            async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=headers, params={"namespace": "seedrest"}) as http:
                assert (await http.get("/v1/workflows/executions")).json() == {"executions": [], "next_page_token": None}
                unknown = await testing.create_workflow_raw(http, "seedrest_greeter", {"name": "x"})
                assert unknown.status_code == 404 and "namespace 'seedrest'" in unknown.json()["detail"]
    finally:
        await admin.close()
        await process.stop()
