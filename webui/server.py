"""The UI server: the FastAPI app (API, pages, static files) and how to serve it with
uvicorn, on its own (`fanflow ui`) or as a task inside `fanflow dev`."""
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from webui import api, pages, seed_api
from webui.cluster import ClusterClient, UpstreamError
from webui.errors import CODE_OF_HTTP, error_response, upstream_response, validation_message
from webui.listing import BadFilter
from webui.security import LOOPBACK_NAMES, Sessions, cross_site_problem, host_allowed, is_loopback_bind
from webui.settings import UiSettings, split_address

log = structlog.get_logger("fanflow.ui")
STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api/"
SEED_PREFIX = seed_api.PREFIX + "/"  # the seed-compatible REST API (webui/seed_api.py): JSON errors too
FORM_PATHS = ("/login", "/logout")  # plain HTML forms: their CSRF token is a form field, checked by the route (Origin still here)


class Guard:
    """ASGI middleware: Host checks, cross-site checks of state-changing requests, JSON bodies
    on the API (see webui/security.py)."""

    def __init__(self, app, allowed_hosts: frozenset[str] | None):
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        problem = None
        status = 403
        if not host_allowed(request.headers.get("host", ""), self.allowed_hosts):
            problem, status = f"Host {request.headers.get('host')!r} is not served here (a loopback-bound UI answers loopback names only)", 421
        elif scope["path"] in FORM_PATHS:
            problem = cross_site_problem(request.method, request.headers, {}, token_required=False)
        else:
            problem = cross_site_problem(request.method, request.headers, request.cookies)
        if problem is None and request.method == "POST" and scope["path"].startswith(API_PREFIX):
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                problem, status = "the request body must be JSON (Content-Type: application/json)", 415
        if problem is not None:
            code = "PERMISSION_DENIED" if status in (403, 421) else "INVALID_ARGUMENT"
            return await error_response(status, code, problem)(scope, receive, send)
        return await self.app(scope, receive, send)


def create_app(settings: UiSettings, client: ClusterClient | None = None) -> FastAPI:
    """The app; `client` (tests, `fanflow dev`) or one dialled from the settings at start-up."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        own = client is None
        app.state.cluster = client or ClusterClient(settings.frontend_address, tls_ca_file=settings.tls_ca_file)
        try:
            yield
        finally:
            if own:
                await app.state.cluster.close()

    app = FastAPI(
        title="fanflow HTTP API", version="1", lifespan=lifespan, openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None,
        description="The cluster's public operations over HTTP/JSON, for scripts and for fanflow's web UI. "
                    "Authenticate with `Authorization: Bearer KEY` when the cluster has auth on. Errors carry the gRPC status name "
                    "and the cluster's message.",
    )
    app.state.settings = settings
    app.state.sessions = Sessions()
    host, _ = split_address(settings.address)
    allowed = frozenset({*LOOPBACK_NAMES, *(h.lower() for h in settings.allowed_hosts)}) if is_loopback_bind(host) else None
    app.add_middleware(Guard, allowed_hosts=allowed)
    app.include_router(api.router)
    app.include_router(seed_api.router, include_in_schema=False)  # the seed's API, not in fanflow's OpenAPI document
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def openapi() -> dict:
        """FastAPI's document, with the answers this API really gives for bad input (400
        ErrorBody, see the handler below) in place of FastAPI's default 422."""
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for operations in doc.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                doc.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi

    @app.exception_handler(seed_api.SeedError)
    async def seed_error(request: Request, exc: seed_api.SeedError):
        return seed_api.seed_error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(UpstreamError)
    async def upstream_error(request: Request, exc: UpstreamError):
        if request.url.path.startswith(SEED_PREFIX):
            return seed_api.upstream_as_seed(exc)
        if request.url.path.startswith(API_PREFIX):
            return upstream_response(exc)
        return pages.error_page(request, exc)

    @app.exception_handler(BadFilter)
    async def bad_filter(request: Request, exc: BadFilter):
        if request.url.path.startswith((API_PREFIX, SEED_PREFIX)):
            return error_response(400, "INVALID_ARGUMENT", str(exc), field=exc.field)
        return pages.error_page(request, UpstreamError(__import__("grpc").StatusCode.INVALID_ARGUMENT, str(exc)))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        message, field = validation_message(exc.errors())
        return error_response(400, "INVALID_ARGUMENT", message, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith((API_PREFIX, SEED_PREFIX)) or exc.status_code != 404:
            return error_response(exc.status_code, CODE_OF_HTTP.get(exc.status_code, "UNKNOWN"), str(exc.detail))
        return pages.not_found_page(request)

    return app


def bind(address: str):
    """A listening socket on `address` (port 0: any free port); OSError names the address."""
    import socket

    host, port = split_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so (with proto 0 every
    # keep-alive answer would wait ~40 ms for the client's delayed ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"the web UI cannot listen on {address}: {exc.strerror}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


class UiServer:
    """A running UI server: `address` is where it listens (the real port when 0 was asked)."""

    def __init__(self, settings: UiSettings, client: ClusterClient | None = None):
        import uvicorn

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self):  # the process's owner handles signals, not uvicorn
                yield

        self.settings = settings
        self.socket = bind(settings.address)
        host = split_address(settings.address)[0]
        self.address = f"{host}:{self.socket.getsockname()[1]}"
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{self.socket.getsockname()[1]}"
        settings.address = self.address
        config = uvicorn.Config(create_app(settings, client), log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2)
        self._server = _Server(config)
        self._task: asyncio.Task | None = None

    async def start(self) -> "UiServer":
        self._task = asyncio.ensure_future(self._server.serve(sockets=[self.socket]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise OSError(f"the web UI stopped before it served on {self.address}")
            await asyncio.sleep(0.02)
        log.info("web UI serving", url=self.url, frontend=self.settings.frontend_address)
        return self

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 5.0)
        except (asyncio.TimeoutError, Exception):
            self._task.cancel()
        self.socket.close()
