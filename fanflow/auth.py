"""Who may call what.

- `InternalSecretServerInterceptor` guards history and matching: every call must
  carry the cluster's internal secret (`x-fanflow-internal` metadata), which the
  services' own clients add (`InternalSecretClientInterceptor`). Health checks
  and reflection stay open so orchestrators can probe and grpcurl can list.
- `FrontendGuard` wraps every public method of the frontend: it turns bytes that
  are not a valid protobuf message into INVALID_ARGUMENT (instead of gRPC's
  INTERNAL), and, when auth is on, checks `authorization: Bearer KEY`:
  a missing or unknown key is UNAUTHENTICATED; a namespace key used for another
  namespace, or for an admin call, is PERMISSION_DENIED; admin keys may do all.

Refusals are `fanflow.errors` (Unauthenticated, PermissionDenied, ...) turned into a
status by `grpcutil.abort`, the mapping every service uses.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import structlog
from google.protobuf.message import DecodeError

from fanflow.errors import FanflowError, InvalidArgument, PermissionDenied, Unauthenticated, Unavailable
from fanflow.grpcutil import abort

log = structlog.get_logger("fanflow.auth")

INTERNAL_METADATA_KEY = "x-fanflow-internal"
# Health (for orchestrators) and reflection (it only describes the API) stay open;
# every call that reads or changes state needs the secret.
OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.v1alpha.ServerReflection/", "/grpc.reflection.v1.ServerReflection/")
ADMIN_SERVICE_PREFIX = "/fanflow.v1.AdminService/"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}


def _wrap_unary(handler: grpc.RpcMethodHandler, behavior, deserializer) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(behavior, request_deserializer=deserializer, response_serializer=handler.response_serializer)


def _wrap_unary_stream(handler: grpc.RpcMethodHandler, behavior, deserializer) -> grpc.RpcMethodHandler:
    return grpc.unary_stream_rpc_method_handler(behavior, request_deserializer=deserializer, response_serializer=handler.response_serializer)


# ------------------------------------------------------------------ internal
class InternalSecretServerInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, secret: str):
        self.secret = secret

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(OPEN_SERVICES):
            return handler
        presented = dict(handler_call_details.invocation_metadata or ()).get(INTERNAL_METADATA_KEY, "")
        if isinstance(presented, str) and hmac.compare_digest(presented, self.secret):
            return handler

        async def deny(request, context):
            await abort(context, Unauthenticated(f"{method} is internal to the cluster: call it with the cluster's internal secret"))

        if handler.unary_unary:
            return _wrap_unary(handler, deny, handler.request_deserializer)
        if handler.unary_stream:  # reflection

            async def deny_stream(request, context):
                await deny(request, context)
                yield  # pragma: no cover

            return _wrap_unary_stream(handler, deny_stream, handler.request_deserializer)
        return None  # streaming-request methods (reflection) are refused as UNIMPLEMENTED


class _AddInternalSecret(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, secret: str):
        self.pair = (INTERNAL_METADATA_KEY, secret)

    def _details(self, details):
        metadata = list(details.metadata or ())
        metadata.append(self.pair)
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details), request)

    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details), request)


def internal_client_interceptors(secret: str) -> list:
    return [_AddInternalSecret(secret)] if secret else []


# ------------------------------------------------------------------ API keys
class ApiKeyCache:
    """key hash -> namespace, fetched from history; a miss refreshes at most
    once per `miss_interval` so unknown keys cannot hammer history."""

    def __init__(self, fetch: Callable[[], Awaitable[dict[str, str]]], miss_interval: float = 1.0, max_age: float = 30.0):
        self._fetch = fetch
        self._by_hash: dict[str, str] = {}
        self._fetched_at = float("-inf")
        self._miss_interval = miss_interval
        self._max_age = max_age
        self._lock = asyncio.Lock()

    async def namespace_of(self, key: str) -> str | None:
        digest = key_hash(key)
        namespace = self._by_hash.get(digest)
        if namespace is not None and time.monotonic() - self._fetched_at < self._max_age:
            return namespace
        if namespace is None and time.monotonic() - self._fetched_at < self._miss_interval and not self._lock.locked():
            return None
        async with self._lock:
            if time.monotonic() - self._fetched_at >= self._miss_interval:
                self._by_hash = await self._fetch()
                self._fetched_at = time.monotonic()
        return self._by_hash.get(digest)

    def add(self, key: str, namespace: str) -> None:
        self._by_hash[key_hash(key)] = namespace


class FrontendGuard(grpc.aio.ServerInterceptor):
    def __init__(self, *, auth_enabled: bool, admin_keys: list[str], api_keys: ApiKeyCache | None):
        self.auth_enabled = auth_enabled
        self.admin_keys = [k for k in admin_keys if k]
        self.api_keys = api_keys
        self._guarded: dict[str, tuple[Any, Any]] = {}  # method -> (its handler, the guarded one)
        if auth_enabled and not self.admin_keys:
            log.warning("auth is on but no admin key is configured: admin calls will all be refused")

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith("/fanflow.") or not (handler.unary_unary or handler.unary_stream):
            return handler
        known = self._guarded.get(method)
        if known is not None and known[0] is handler:
            return known[1]  # the guard holds nothing of one call: built once per method
        guarded = self._guard(method, handler)
        self._guarded[method] = (handler, guarded)
        return guarded

    def _guard(self, method: str, handler):
        parse = handler.request_deserializer
        message_name = method.rsplit("/", 1)[-1]

        def tolerant_parse(data: bytes):
            try:
                return parse(data)
            except (DecodeError, ValueError, TypeError) as exc:
                return _Undecodable(str(exc) or type(exc).__name__)

        async def check(request, context) -> None:
            try:
                if isinstance(request, _Undecodable):
                    raise InvalidArgument(f"the request body is not a valid protobuf message for {message_name}: {request.error}")
                if self.auth_enabled:
                    await self._authorize(method, request, context)
            except FanflowError as exc:
                await abort(context, exc)

        if handler.unary_stream:  # WatchWorkflow
            inner_stream = handler.unary_stream

            async def guarded_stream(request, context):
                if self.auth_enabled or isinstance(request, _Undecodable):
                    await check(request, context)
                async for response in inner_stream(request, context):
                    yield response

            return _wrap_unary_stream(handler, guarded_stream, tolerant_parse)
        inner = handler.unary_unary

        async def guarded(request, context):
            if self.auth_enabled or isinstance(request, _Undecodable):
                await check(request, context)
            return await inner(request, context)

        return _wrap_unary(handler, guarded, tolerant_parse)

    async def _authorize(self, method: str, request, context: grpc.aio.ServicerContext) -> None:
        """Raises Unauthenticated / PermissionDenied (or Unavailable) unless the call's key may make it."""
        header = _metadata(context).get("authorization", "")
        if not header:
            raise Unauthenticated("missing API key: send metadata 'authorization: Bearer <key>'")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("malformed authorization metadata: expected 'Bearer <key>'")
        key = key.strip()
        if any(hmac.compare_digest(key, admin) for admin in self.admin_keys):
            return
        namespace = None
        if self.api_keys is not None:
            try:
                namespace = await self.api_keys.namespace_of(key)
            except grpc.aio.AioRpcError as exc:
                raise Unavailable(f"cannot check the API key right now: {exc.details()}") from None
        if namespace is None:
            raise Unauthenticated("unknown API key")
        if method.startswith(ADMIN_SERVICE_PREFIX):
            raise PermissionDenied(f"admin calls need an admin key; this key belongs to namespace {namespace!r}")
        requested = getattr(request, "namespace", "")
        if requested != namespace:
            raise PermissionDenied(f"this API key is for namespace {namespace!r}; it cannot act in namespace {requested!r}")


class _Undecodable:
    def __init__(self, error: str):
        self.error = error
