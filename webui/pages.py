"""The pages: server-rendered with Jinja2 (autoescaping on: every value from a user, ids,
inputs, results, event details, is shown as text), made live by static/app.js, which reads
the JSON API and writes into the page with `textContent` only.

Pages ask the cluster with the visitor's key; when the cluster wants a key they go to /login.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import grpc
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from protos import admin_service_pb2 as admin, workflow_service_pb2 as ws
from webui import api, convert, listing
from webui.caller import Caller
from webui.cluster import UpstreamError
from webui.errors import HTTP_STATUS
from webui.security import CSRF_COOKIE, SESSION_COOKIE, SESSION_MAX_AGE, new_csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.autoescape = True  # every page, whatever its file name
templates.env.filters["urlpart"] = lambda value: quote(str(value), safe="")
# JSON as plain text (autoescaping then escapes it for HTML, so "<script>" shows as typed)
templates.env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)
templates.env.filters["compact"] = lambda value: json.dumps(value, ensure_ascii=False)
router = APIRouter(include_in_schema=False)
LIST_PAGE_SIZE = 50
STATUSES = list(convert.STATUS_VALUES)
def _session(request: Request):
    return request.app.state.sessions.get(request.cookies.get(SESSION_COOKIE))


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    session = _session(request)
    context.setdefault("namespace", session.namespace if session else "default")
    response = templates.TemplateResponse(request, name, {"csrf": csrf, "session": session, "page": name.removesuffix(".html"), **context}, status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict", path="/")
    response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def error_page(request: Request, exc: UpstreamError):
    if exc.code == grpc.StatusCode.UNAUTHENTICATED:
        return RedirectResponse(f"/login?next={quote(str(request.url.path) + ('?' + request.url.query if request.url.query else ''), safe='')}", status_code=303)
    return render(request, "error.html", status_code=HTTP_STATUS.get(exc.code, 500), code=exc.code.name, message=exc.message)


def not_found_page(request: Request):
    return render(request, "error.html", status_code=404, code="NOT_FOUND", message=f"no page at {request.url.path}")


# ------------------------------------------------------------------ login
@router.get("/favicon.ico")
async def favicon():
    return FileResponse(Path(__file__).parent / "static" / "favicon.svg", media_type="image/svg+xml")


@router.get("/healthz")
async def healthz(request: Request):
    """200 while the frontend answers (container health checks: `fanflow health --http URL`)."""
    problem = await request.app.state.cluster.frontend_health()
    if problem is None:
        return JSONResponse({"frontend": "SERVING"})
    return JSONResponse({"frontend": problem}, status_code=503)


@router.get("/")
async def home(request: Request):
    session = _session(request)
    return RedirectResponse(f"/namespaces/{quote(session.namespace if session else 'default', safe='')}/workflows", status_code=303)


def _safe_next(value: str) -> str:
    parts = urlsplit(value or "/")
    return value if value.startswith("/") and not value.startswith("//") and not parts.netloc and not parts.scheme else "/"


@router.get("/login")
async def login_form(request: Request, next: str = "/"):
    return render(request, "login.html", next=_safe_next(next), problem=None)


@router.post("/login")
async def login(request: Request, api_key: str = Form(""), namespace: str = Form("default"), csrf_token: str = Form(""), next: str = Form("/")):
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(request, "login.html", status_code=403, next=_safe_next(next), problem="the form's CSRF token does not match: reload the page and try again")
    api_key, namespace = api_key.strip(), namespace.strip() or "default"
    client = request.app.state.cluster
    admin_key = False
    try:
        await client.call("admin", "ListNamespaces", admin.ListNamespacesRequest(), api_key or None)
        admin_key = True
    except UpstreamError as exc:
        if exc.code != grpc.StatusCode.PERMISSION_DENIED:
            return render(request, "login.html", status_code=HTTP_STATUS.get(exc.code, 500), next=_safe_next(next), problem=f"{exc.code.name}: {exc.message}")
        try:
            await client.call("workflows", "ListWorkflowExecutions", ws.ListWorkflowExecutionsRequest(namespace=namespace, page_size=1), api_key)
        except UpstreamError as exc2:
            return render(request, "login.html", status_code=HTTP_STATUS.get(exc2.code, 500), next=_safe_next(next), problem=f"{exc2.code.name}: {exc2.message}")
    session_id = request.app.state.sessions.create(api_key, namespace, admin_key)
    target = _safe_next(next)
    if target == "/":
        target = f"/namespaces/{quote(namespace, safe='')}/workflows"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="strict", path="/", max_age=SESSION_MAX_AGE)
    return response


@router.post("/logout")
async def logout(request: Request, csrf_token: str = Form("")):
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(request, "error.html", status_code=403, code="PERMISSION_DENIED", message="the form's CSRF token does not match")
    request.app.state.sessions.drop(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ------------------------------------------------------------------ pages
@router.get("/namespaces")
async def namespaces_page(request: Request, caller: Caller = Depends()):
    data = await api.list_namespaces(caller)
    return render(request, "namespaces.html", namespaces=data["namespaces"])


@router.get("/namespaces/{namespace}/workflows")
async def workflows_page(
    request: Request, namespace: str, status: str = "", workflow_type: str = Query("", alias="type"), id_prefix: str = "",
    started_after: str = "", started_before: str = "", page_token: str = "", caller: Caller = Depends(),
):
    filters = api.filters_from(status, workflow_type, id_prefix, started_after or None, started_before or None)
    rows, token = await listing.list_page(caller.client, caller.api_key, namespace, filters, LIST_PAGE_SIZE, page_token)
    query = {"status": status, "type": workflow_type, "id_prefix": id_prefix, "started_after": started_after, "started_before": started_before}
    return render(request, "workflows.html", namespace=namespace, rows=[convert.execution_info(r) for r in rows], next_token=token,
                  query=query, statuses=STATUSES, first_page=not page_token)


@router.get("/namespaces/{namespace}/workflow")
async def workflow_page(request: Request, namespace: str, id: str = Query(..., min_length=1), run_id: str = "", caller: Caller = Depends()):
    described = await api.describe_workflow(caller, namespace, id, run_id)
    return render(request, "workflow.html", namespace=namespace, wf=described, info=described["info"], pinned_run=run_id)


@router.get("/namespaces/{namespace}/workflow/failures")
async def failures_page(request: Request, namespace: str, id: str = Query(..., min_length=1), executor_id: str = "", page_token: str = "",
                        caller: Caller = Depends()):
    data, progress = await asyncio.gather(
        api.failures(namespace, id, executor_id, 100, page_token, caller),
        api.progress(namespace, id, 1, caller),
    )
    return render(request, "failures.html", namespace=namespace, workflow_id=id, executor_id=executor_id, data=data, executors=progress["executors"],
                  first_page=not page_token)


@router.get("/cluster")
async def cluster_page(request: Request, caller: Caller = Depends()):
    return render(request, "cluster.html", cluster=await api.cluster(caller))


@router.get("/namespaces/{namespace}/task-queues")
async def task_queues_page(request: Request, namespace: str, name: str = "", caller: Caller = Depends()):
    queues = await api.task_queues(namespace, caller)
    detail, problem = None, None
    if name:
        try:
            detail = await api.task_queue(namespace, name, caller)
        except UpstreamError as exc:
            if exc.code != grpc.StatusCode.PERMISSION_DENIED:
                raise
            problem = exc.message
    return render(request, "task_queues.html", namespace=namespace, queues=queues["task_queues"], detail=detail, selected=name, problem=problem)
