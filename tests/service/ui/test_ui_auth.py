"""The web UI with auth on: the API forwards the caller's key (missing 401, another
namespace's 403, an admin key sees all), and a browser logs in with a form and gets a
session; the form and every change need the page's CSRF token."""
from __future__ import annotations

import re

import httpx
import pytest

from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from protos import admin_service_pb2 as adm
from support.ui_stack import ui_server
from webui.cluster import ClusterClient

ADMIN = "ui-admin-key"


@pytest.fixture
async def secured(tmp_path):
    process = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=2.0, auth_enabled=True, admin_api_keys=[ADMIN])).start()
    client = ClusterClient(process.frontend_address)
    orders_key = (await client.call("admin", "RegisterNamespace", adm.RegisterNamespaceRequest(name="orders"), ADMIN)).api_key
    async with ui_server(process.frontend_address) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield http, orders_key
    await client.close()
    await process.stop()


def bearer(key: str) -> dict:
    return {"authorization": f"Bearer {key}"}


async def test_the_api_answers_what_the_key_may_see(secured):
    http, orders_key = secured
    missing = await http.get("/api/v1/namespaces/orders/workflows")
    assert missing.status_code == 401 and missing.json() == {"code": "UNAUTHENTICATED", "message": "missing API key: send metadata 'authorization: Bearer <key>'"}
    unknown = await http.get("/api/v1/namespaces/orders/workflows", headers=bearer("nope"))
    assert unknown.status_code == 401 and unknown.json()["message"] == "unknown API key"
    other = await http.get("/api/v1/namespaces/default/workflows", headers=bearer(orders_key))
    assert other.status_code == 403 and "this API key is for namespace 'orders'" in other.json()["message"]
    start = await http.post("/api/v1/namespaces/default/workflows", json={"workflow_type": "t"}, headers=bearer(orders_key))
    assert start.status_code == 403 and start.json()["code"] == "PERMISSION_DENIED"
    assert (await http.get("/api/v1/cluster", headers=bearer(orders_key))).status_code == 403
    assert (await http.get("/api/v1/namespaces", headers=bearer(orders_key))).status_code == 403
    own = await http.post("/api/v1/namespaces/orders/workflows", json={"workflow_type": "t", "workflow_id": "o-1"}, headers=bearer(orders_key))
    assert own.status_code == 201, own.text
    listed = await http.get("/api/v1/namespaces/orders/workflows", headers=bearer(orders_key))
    assert [w["workflow_id"] for w in listed.json()["workflows"]] == ["o-1"]
    assert (await http.get("/api/v1/cluster", headers=bearer(ADMIN))).status_code == 200
    names = [n["name"] for n in (await http.get("/api/v1/namespaces", headers=bearer(ADMIN))).json()["namespaces"]]
    assert set(names) == {"default", "orders"}
    assert (await http.get("/api/v1/me")).json()["auth"] is True


async def test_a_browser_logs_in_and_sees_its_namespace_only(secured):
    http, orders_key = secured
    page = await http.get("/namespaces/orders/workflows")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    form = await http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    assert http.cookies["fanflow_csrf"] == token
    forged = await http.post("/login", data={"api_key": orders_key, "namespace": "orders", "csrf_token": "forged"})
    assert forged.status_code == 403 and "fanflow_session" not in http.cookies
    wrong = await http.post("/login", data={"api_key": "nope", "namespace": "orders", "csrf_token": token})
    assert wrong.status_code == 401 and "unknown API key" in wrong.text
    elsewhere = await http.post("/login", data={"api_key": orders_key, "namespace": "default", "csrf_token": token})
    assert elsewhere.status_code == 403 and "namespace &#39;orders&#39;" in elsewhere.text
    ok = await http.post("/login", data={"api_key": orders_key, "namespace": "orders", "csrf_token": token, "next": "https://evil.example/"})
    assert ok.status_code == 303 and ok.headers["location"] == "/namespaces/orders/workflows"
    assert "fanflow_session" in http.cookies
    listed = await http.get("/namespaces/orders/workflows")
    assert listed.status_code == 200 and "namespace key" in listed.text
    me = (await http.get("/api/v1/me")).json()
    assert me == {"auth": True, "logged_in": True, "namespace": "orders", "admin": False}
    assert (await http.get("/namespaces/default/workflows")).status_code == 403
    cluster = await http.get("/cluster")
    assert cluster.status_code == 403 and "admin calls need an admin key" in cluster.text
    # The session's key works for the API too, but a change must carry the CSRF token.
    started = await http.post("/api/v1/namespaces/orders/workflows", json={"workflow_type": "t", "workflow_id": "o-2"})
    assert started.status_code == 403 and "X-CSRF-Token" in started.json()["message"]
    started = await http.post("/api/v1/namespaces/orders/workflows", json={"workflow_type": "t", "workflow_id": "o-2"}, headers={"x-csrf-token": token})
    assert started.status_code == 201, started.text
    logout = await http.post("/logout", data={"csrf_token": token})
    assert logout.status_code == 303
    http.cookies.delete("fanflow_session")
    assert (await http.get("/api/v1/namespaces/orders/workflows")).status_code == 401
