"""The HTTP API (webui) against an embedded cluster, with a plain HTTP client (httpx): every
endpoint, answers checked against the server's own OpenAPI document, the errors (unknown
workflow 404, bad JSON 400 naming the field, missing key 401, other namespace 403,
cross-site 403), and the SSE stream delivering progress until the run closes."""
from __future__ import annotations

import asyncio
import datetime
import json
from urllib.parse import quote

import httpx
import pytest
from openapi_spec_validator import validate as validate_openapi

from support import ui_workflows  # noqa: F401  (registers the workflows the worker runs)
from support.ui_stack import OpenApiCheck, ui_server
from worker_sdk import Client, Worker

TQ = "ui-api"


@pytest.fixture
async def stack(embedded_cluster):
    client = await Client.connect(embedded_cluster.frontend_address)
    async with Worker(client, task_queue=TQ, workflows=[ui_workflows.UiItems, ui_workflows.UiWaiter],
                      activities=[ui_workflows.ui_process_item, ui_workflows.ui_note]):
        async with ui_server(embedded_cluster.frontend_address) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                document = (await http.get("/api/v1/openapi.json")).json()
                yield http, OpenApiCheck(document), client
    await client.close()


def wf_path(workflow_id: str, suffix: str = "") -> str:
    return f"/api/v1/namespaces/default/workflows/{quote(workflow_id, safe='')}{suffix}"


async def start(http, workflow_type: str, workflow_id: str, input=None, check=None) -> dict:
    response = await http.post("/api/v1/namespaces/default/workflows", json={"workflow_type": workflow_type, "workflow_id": workflow_id, "task_queue": TQ, "input": input})
    if check:
        check.check(response)
    assert response.status_code == 201, response.text
    return response.json()


async def wait_closed(http, workflow_id: str) -> dict:
    response = await http.get(wf_path(workflow_id, "/result"), params={"wait": 30})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] != "running", body
    return body


async def test_every_endpoint_answers_as_its_openapi_document_says(stack):
    http, check, _ = stack
    validate_openapi(check.document)  # a valid OpenAPI 3.1 document

    async def get(path, params=None, status=200):
        response = await http.get(path, params=params)
        check.check(response)
        assert response.status_code == status, (path, response.status_code, response.text)
        return response.json()

    items_id = "api-items-<1>/x"  # '<', '>' and '/' in an id: percent-encoded in the path
    started = await start(http, "ui_items", items_id, {"n_items": 400, "flaky_every": 50, "label": "<b>x</b>"}, check)
    waiter = await start(http, "ui_waiter", "api-waiter", {"label": "w"}, check)
    closed = await wait_closed(http, items_id)
    assert closed["status"] == "completed" and closed["result"] == sum(2 * i for i in range(400))

    listed = await get("/api/v1/namespaces/default/workflows", {"page_size": 100})
    assert {w["workflow_id"] for w in listed["workflows"]} == {items_id, "api-waiter"}
    counted = await get("/api/v1/namespaces/default/workflow-count")
    assert counted["total"] == len(listed["workflows"]) and counted["by_status"]["running"] == 1

    described = await get(wf_path(items_id))
    assert described["info"]["status"] == "completed" and described["input"]["label"] == "<b>x</b>"
    assert described["outcome"]["result"] == closed["result"]
    first_run = (await get(wf_path(items_id, "/runs")))["runs"][-1]["run_id"]
    assert first_run == started["run_id"]
    history = await get(wf_path(items_id, "/history"), {"page_size": 5, "run_id": first_run})
    assert [e["event_id"] for e in history["events"]] == [1, 2, 3, 4, 5] and history["events"][0]["type"] == "WorkflowExecutionStarted"
    progress = await get(wf_path(items_id, "/progress"))
    [executor] = progress["executors"]
    assert (executor["total"], executor["done"], executor["pattern"]) == (400, 400, "list")
    assert [e["name"] for e in progress["events"]][0] == "finished"
    failures = await get(wf_path(items_id, "/failures"), {"page_size": 3})
    assert failures["total"] == 8 and len(failures["failures"]) == 3  # items 3, 53, ..., 353 failed once
    assert failures["failures"][0]["index"] == 3 and failures["failures"][0]["recovered"] and not failures["failures"][0]["final"]
    assert failures["failures"][0]["failure"]["message"] == "item 3 failed on its first attempt"
    rest = await get(wf_path(items_id, "/failures"), {"page_size": 10, "page_token": failures["next_page_token"]})
    assert [f["index"] for f in rest["failures"]] == [153, 203, 253, 303, 353] and rest["next_page_token"] == ""
    timeline = await get(wf_path(items_id, "/timeline"), {"run_id": first_run})
    # the List executor's items ran in groups (window 100: fanflow.list_group activities)
    assert any(s["kind"] == "activity" and s["name"] == "fanflow.list_group" and s["outcome"] == "completed" for s in timeline["spans"])
    await get(wf_path(items_id, "/result"))

    signal = await http.post(wf_path("api-waiter", "/signal"), json={"name": "approve", "input": "ops"})
    check.check(signal)
    assert signal.status_code == 200, signal.text
    described = await get(wf_path("api-waiter"))
    assert described["info"]["status"] == "running" and described["pending_activities"] == []
    cancel = await http.post(wf_path("api-waiter", "/cancel"), json={"reason": "enough"})
    check.check(cancel)
    assert (await wait_closed(http, "api-waiter"))["result"] == ["ops"]
    other = await start(http, "ui_waiter", "api-waiter-2", None, check)
    terminate = await http.post(wf_path("api-waiter-2", "/terminate"), json={"reason": "stop now"})
    check.check(terminate)
    ended = await wait_closed(http, "api-waiter-2")
    assert ended["status"] == "terminated" and ended["termination_reason"] == "stop now" and ended["run_id"] == other["run_id"]
    types = [e["type"] for e in (await get(wf_path("api-waiter", "/history"), {"page_size": 100}))["events"]]
    assert "WorkflowExecutionSignaled" in types and "WorkflowExecutionCancelRequested" in types and waiter["run_id"]

    assert (await get("/api/v1/namespaces"))["namespaces"][0]["name"] == "default"
    cluster = await get("/api/v1/cluster")
    assert len(cluster["shards"]) == cluster["history_shard_count"] == 16
    assert {m["role"] for m in cluster["members"]} >= {"frontend", "history", "matching"}
    queues = await get("/api/v1/namespaces/default/task-queues")
    assert TQ in [q["name"] for q in queues["task_queues"]]
    queue = await get(f"/api/v1/namespaces/default/task-queues/{TQ}")
    assert len(queue["activity"]["partitions"]) == 4 and len(queue["workflow"]["partitions"]) == 4
    me = await get("/api/v1/me")
    assert me == {"auth": False, "logged_in": False, "namespace": None, "admin": None}
    async with http.stream("GET", wf_path(items_id, "/stream")) as streamed:
        check.operation("GET", streamed.request.url.path)
        check.seen.add(("/api/v1/namespaces/{namespace}/workflows/{workflow_id}/stream", "get"))
        assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")

    documented = {(path, method) for path, ops in check.document["paths"].items() for method in ops}
    assert documented == check.seen, f"not exercised: {sorted(documented - check.seen)}"


async def test_the_openapi_document_lists_every_api_route(stack):
    http, check, _ = stack
    from webui.api import router

    routes = {(route.path.replace(":path", ""), method.lower()) for route in router.routes for method in route.methods if method != "HEAD"}
    assert len(routes) == 19
    documented = {(path, method) for path, ops in check.document["paths"].items() for method in ops}
    assert routes == documented


async def test_errors_name_what_is_wrong(stack):
    http, check, _ = stack

    async def expect(response, status, code, *words, field=None):
        check.check(response)
        assert response.status_code == status, (response.status_code, response.text)
        body = response.json()
        assert body["code"] == code, body
        for word in words:
            assert word in body["message"], body
        if field:
            assert body["field"] == field, body
        return body

    await expect(await http.get(wf_path("no-such-workflow")), 404, "NOT_FOUND", "workflow 'no-such-workflow' not found")
    await expect(await http.get(wf_path("no-such-workflow", "/history")), 404, "NOT_FOUND", "no-such-workflow")
    await expect(await http.get(wf_path("no-such-workflow", "/progress")), 404, "NOT_FOUND")
    await expect(await http.get(wf_path("no-such-workflow", "/stream")), 404, "NOT_FOUND")
    await expect(await http.post(wf_path("no-such-workflow", "/signal"), json={"name": "x"}), 404, "NOT_FOUND")
    bad_json = await http.post(wf_path("w", "/signal"), content=b'{"name": "approve", "input": }', headers={"content-type": "application/json"})
    await expect(bad_json, 400, "INVALID_ARGUMENT", "not valid JSON", field="body")
    await expect(await http.post(wf_path("w", "/signal"), json={"input": 1}), 400, "INVALID_ARGUMENT", "name", field="name")
    await expect(await http.post(wf_path("w", "/signal"), json={"name": 5}), 400, "INVALID_ARGUMENT", "name", field="name")
    await expect(await http.post(wf_path("w", "/cancel"), json={"reason": "x", "colour": "red"}), 400, "INVALID_ARGUMENT", "colour", field="colour")
    started = await http.post("/api/v1/namespaces/default/workflows", json={"workflow_type": "", "task_queue": TQ})
    await expect(started, 400, "INVALID_ARGUMENT", "workflow_type", field="workflow_type")
    await expect(await http.get("/api/v1/namespaces/default/workflows", params={"status": "sleeping"}), 400, "INVALID_ARGUMENT", "sleeping", field="status")
    await expect(await http.get("/api/v1/namespaces/default/workflows", params={"started_after": "yesterday"}), 400, "INVALID_ARGUMENT", "ISO 8601", field="started_after")
    empty_range = {"started_after": "2026-05-02T00:00:00Z", "started_before": "2026-05-01T00:00:00Z"}
    await expect(await http.get("/api/v1/namespaces/default/workflows", params=empty_range), 400, "INVALID_ARGUMENT", "no run could match", field="started_before")
    await expect(await http.get("/api/v1/namespaces/default/workflow-count", params=empty_range), 400, "INVALID_ARGUMENT", field="started_before")
    await expect(await http.get("/api/v1/namespaces/default/workflow-count", params={"id_prefix": "x" * 2000}), 400, "INVALID_ARGUMENT", "workflow_id_prefix")
    await expect(await http.get("/api/v1/namespaces/default/workflows", params={"page_size": 0}), 400, "INVALID_ARGUMENT", field="page_size")
    await expect(await http.get("/api/v1/namespaces/default/workflows", params={"page_token": "%%%"}), 400, "INVALID_ARGUMENT", field="page_token")
    await start(http, "ui_waiter", "err-waiter")
    await expect(await http.get(wf_path("err-waiter", "/history"), params={"event_type": "Nope"}), 400, "INVALID_ARGUMENT", "Nope", field="event_type")
    await expect(await http.get(wf_path("err-waiter", "/history"), params={"page_token": "abc"}), 400, "INVALID_ARGUMENT", field="page_token")
    await expect(await http.get(wf_path("err-waiter", "/failures"), params={"page_token": "!!"}), 400, "INVALID_ARGUMENT", field="page_token")
    again = await http.post("/api/v1/namespaces/default/workflows", json={"workflow_type": "ui_waiter", "workflow_id": "err-waiter", "task_queue": TQ})
    await expect(again, 409, "ALREADY_EXISTS", "err-waiter")
    await expect(await http.get("/api/v1/namespaces/nowhere/workflows"), 404, "NOT_FOUND", "nowhere")

    form = await http.post(wf_path("err-waiter", "/terminate"), content=b"reason=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415 and "JSON" in form.json()["message"]
    evil = await http.post(wf_path("err-waiter", "/terminate"), json={}, headers={"origin": "http://evil.example"})
    assert evil.status_code == 403 and "cross-site" in evil.json()["message"]
    fetched = await http.post(wf_path("err-waiter", "/terminate"), json={}, headers={"sec-fetch-site": "cross-site"})
    assert fetched.status_code == 403
    own_origin = f"http://{http.base_url.host}:{http.base_url.port}"
    no_token = await http.post(wf_path("err-waiter", "/terminate"), json={}, headers={"origin": own_origin})
    assert no_token.status_code == 403 and "X-CSRF-Token" in no_token.json()["message"]
    wrong = await http.post(wf_path("err-waiter", "/terminate"), json={}, headers={"origin": own_origin, "x-csrf-token": "b", "cookie": "fanflow_csrf=a"})
    assert wrong.status_code == 403
    rebinding = await http.get("/api/v1/namespaces", headers={"host": "evil.example:8233"})
    assert rebinding.status_code == 421
    assert (await http.get(wf_path("err-waiter"))).json()["info"]["status"] == "running"  # none of the refused calls got through
    right = await http.post(wf_path("err-waiter", "/terminate"), json={}, headers={"origin": own_origin, "x-csrf-token": "tok", "cookie": "fanflow_csrf=tok"})
    assert right.status_code == 200, right.text


async def test_the_stream_delivers_progress_until_the_run_closes(stack):
    http, _, _ = stack
    await start(http, "ui_items", "stream-items", {"n_items": 3000})
    events: list[tuple[str, dict]] = []
    async with http.stream("GET", wf_path("stream-items", "/stream"), params={"interval": 0.2}) as response:
        assert response.status_code == 200
        kind = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((kind, json.loads(line.removeprefix("data: "))))
    kinds = [k for k, _ in events]
    assert kinds[0] == "status" and kinds[-1] == "closed", kinds
    done = [data["executors"][0]["done"] for kind, data in events if kind == "progress" and data["executors"]]
    assert done == sorted(done) and done[-1] == 3000 and len(set(done)) >= 3, done  # it moved, in order, to the end
    assert events[-1][1]["status"] == "completed" and events[-1][1]["result"] == sum(2 * i for i in range(3000))
    statuses = [data for kind, data in events if kind == "status"]
    assert statuses[-1]["status"] == "completed" and statuses[-1]["runs"] >= 1
    recorded = [data["name"] for kind, data in events if kind == "recorded"]
    assert recorded[0] == "started" and recorded[-1] == "finished"


async def test_history_pages_from_any_event_and_filters(stack):
    http, _, _ = stack
    await start(http, "ui_items", "history-items", {"n_items": 3000, "flaky_every": 100})  # items travel in groups of 10: 3,000 make a history of 1,000+ events
    await wait_closed(http, "history-items")
    run_id = (await http.get(wf_path("history-items", "/runs"))).json()["runs"][-1]["run_id"]
    page = (await http.get(wf_path("history-items", "/history"), params={"run_id": run_id, "page_size": 50, "first_event_id": 100})).json()
    assert [e["event_id"] for e in page["events"]] == list(range(100, 150)) and page["next_page_token"] == "150"
    following = (await http.get(wf_path("history-items", "/history"), params={"run_id": run_id, "page_size": 50, "page_token": "150"})).json()
    assert following["events"][0]["event_id"] == 150
    length = (await http.get(wf_path("history-items"), params={"run_id": run_id})).json()["info"]["history_length"]
    last = (await http.get(wf_path("history-items", "/history"), params={"run_id": run_id, "page_size": 50, "first_event_id": length - 9})).json()
    assert [e["event_id"] for e in last["events"]] == list(range(length - 9, length + 1)) and last["next_page_token"] == ""
    scheduled = (await http.get(wf_path("history-items", "/history"), params={"run_id": run_id, "page_size": 1000, "event_type": "ActivityTaskScheduled"})).json()
    # the items only, in groups of 10 (window 100): results are read from the store, not by an activity
    assert len(scheduled["events"]) == 300 and {e["type"] for e in scheduled["events"]} == {"ActivityTaskScheduled"}
    found = (await http.get(wf_path("history-items", "/history"), params={"run_id": run_id, "q": '"index": 203,'})).json()  # not 2030-2039
    assert [e["type"] for e in found["events"]] == ["ActivityTaskScheduled"]


async def test_list_filters_and_counts(stack):
    http, _, client = stack
    for i in range(3):
        await start(http, "ui_waiter", f"orders-{i}")
    await start(http, "ui_waiter", "invoices-0")
    await start(http, "ui_items", "orders-items", {"n_items": 5})
    await wait_closed(http, "orders-items")

    async def ids(**params):
        body = (await http.get("/api/v1/namespaces/default/workflows", params=params)).json()
        return [w["workflow_id"] for w in body["workflows"]], body["next_page_token"]

    assert set((await ids(id_prefix="orders-"))[0]) == {"orders-0", "orders-1", "orders-2", "orders-items"}
    assert set((await ids(id_prefix="orders-", status="running"))[0]) == {"orders-0", "orders-1", "orders-2"}
    assert (await ids(type="ui_items", status="completed"))[0] == ["orders-items"]
    first, token = await ids(id_prefix="orders-", page_size=2)
    second, end = await ids(id_prefix="orders-", page_size=2, page_token=token)
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second) and end == ""
    newest = (await http.get("/api/v1/namespaces/default/workflows", params={"page_size": 1})).json()["workflows"][0]
    since = newest["start_time"]
    assert (await ids(started_after=since))[0] == [newest["workflow_id"]]
    assert newest["workflow_id"] not in (await ids(started_before=since))[0]
    future = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).isoformat()
    assert (await ids(started_after=future))[0] == []
    counts = (await http.get("/api/v1/namespaces/default/workflow-count", params={"id_prefix": "orders-"})).json()
    assert counts["total"] == 4 and counts["by_status"]["running"] == 3 and counts["by_status"]["completed"] == 1
    everything = (await http.get("/api/v1/namespaces/default/workflow-count")).json()
    assert everything["by_status"]["running"] == 4 and everything["total"] == 5
