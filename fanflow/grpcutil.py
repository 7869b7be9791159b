"""gRPC plumbing shared by every service: servers with reflection + health, and one
place that maps errors to status codes. Channels are in `fanflow.channels` (the SDK
imports that, not this: this module pulls in the metrics)."""
from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterable
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from fanflow import metrics
from fanflow.channels import MAX_MESSAGE_BYTES
from fanflow.errors import FanflowError, Unavailable

log = structlog.get_logger("fanflow.grpc")

SERVER_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.so_reuseport", 0),
    # Calls that arrived but no handler took yet: past the soft limit gRPC drops them at random
    # (CANCELLED), past the hard one all. Its default of 1,000 dropped a tenth of a burst of
    # 2,000 workflow starts from one client; a larger burst waits its turn instead.
    ("grpc.server.max_pending_requests", 10_000),
    ("grpc.server.max_pending_requests_hard_limit", 20_000),
]


class RunningServer:
    """A grpc.aio server bound to a port (known before it starts serving),
    with its health servicer."""

    def __init__(self, server: grpc.aio.Server, port: int, health_servicer: health.aio.HealthServicer, host: str, service_names: list[str]):
        self.server = server
        self.port = port
        self.health = health_servicer
        self.address = f"{host}:{port}"
        self.service_names = service_names

    async def start(self) -> "RunningServer":
        await self.server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        for name in self.service_names:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return self

    async def stop(self, grace: float | None = 1.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


def bind_server(
    address: str,
    registrations: Iterable[tuple[Callable[[Any, grpc.aio.Server], None], Any, str]],
    interceptors: Iterable[grpc.aio.ServerInterceptor] = (),
    credentials: grpc.ServerCredentials | None = None,
) -> RunningServer:
    """Bind `address` ("host:0" picks a free port) without serving yet.

    registrations: (add_XServicer_to_server, servicer, full service name).
    Reflection and grpc.health.v1 are always added, so grpcurl can list,
    describe and call everything. credentials: serve TLS with them (fanflow/tls.py).
    """
    server = grpc.aio.server(options=SERVER_OPTIONS, interceptors=list(interceptors) or None)
    health_servicer = health.aio.HealthServicer()
    names = []
    for add, servicer, name in registrations:
        add(servicer, server)
        names.append(name)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*names, reflection.SERVICE_NAME, health.SERVICE_NAME], server)
    host = address.rsplit(":", 1)[0]
    if credentials is not None:
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"could not bind {address}: is the port in use?")
    return RunningServer(server, port, health_servicer, host, names)


async def start_server(
    address: str,
    registrations: Iterable[tuple[Callable[[Any, grpc.aio.Server], None], Any, str]],
) -> RunningServer:
    """bind_server + start."""
    return await bind_server(address, registrations).start()


async def abort(context: grpc.aio.ServicerContext, error: FanflowError) -> None:
    """End the call with the error's status code and message (the one mapping of our
    errors to gRPC statuses; rpc_method and the auth interceptors use it)."""
    await context.abort(error.code, error.message, trailing_metadata=error.trailing_metadata)


def rpc_method(fn):
    """Turn FanflowError (ours) and AioRpcError (from a service we called) into
    a status for our caller with the message intact; anything else is INTERNAL."""

    method = fn.__name__
    series: dict[tuple[str, str], Any] = {}  # (service, code) -> counter child: no label lookup per call

    def record(service: str, code: str, began: float) -> None:
        counter = series.get((service, code))
        if counter is None:
            counter = series[(service, code)] = metrics.RPC_REQUESTS.labels(service, method, code)
        counter.inc()
        latency = series.get((service, ""))
        if latency is None:
            latency = series[(service, "")] = metrics.RPC_LATENCY.labels(service, method)
        latency.observe(time.perf_counter() - began)

    @functools.wraps(fn)
    async def wrapper(self, request, context: grpc.aio.ServicerContext):
        service = getattr(self, "METRICS_SERVICE", type(self).__name__)
        began = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            refusal = getattr(self, "refusal", None)  # a service whose storage cannot be used (fanflow/sqlite_health.py)
            if refusal is not None:
                raise Unavailable(refusal)
            return await fn(self, request, context)
        except FanflowError as exc:
            code = exc.code
            await abort(context, exc)
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.CANCELLED:
                code = grpc.StatusCode.UNAVAILABLE
            await context.abort(code, exc.details() or str(code))
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED  # the caller went away
            raise
        except (grpc.aio.AbortError, grpc.aio.UsageError):
            code = grpc.StatusCode.UNKNOWN  # aborted by the handler itself
            raise
        except Exception as exc:  # a bug: say so, keep serving
            code = grpc.StatusCode.INTERNAL
            log.exception("rpc failed", method=method)
            await context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            record(service, code.name, began)

    return wrapper


def rpc_stream_method(fn):
    """rpc_method for a server-streaming handler (an async generator): errors raised before or
    between messages end the stream with their status, the same mapping as rpc_method."""
    method = fn.__name__

    @functools.wraps(fn)
    async def wrapper(self, request, context: grpc.aio.ServicerContext):
        service = getattr(self, "METRICS_SERVICE", type(self).__name__)
        began = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            async for response in fn(self, request, context):
                yield response
        except FanflowError as exc:
            code = exc.code
            await abort(context, exc)
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.CANCELLED:
                code = grpc.StatusCode.UNAVAILABLE
            await context.abort(code, exc.details() or str(code))
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except (grpc.aio.AbortError, grpc.aio.UsageError):
            code = grpc.StatusCode.UNKNOWN
            raise
        except Exception as exc:
            code = grpc.StatusCode.INTERNAL
            log.exception("rpc failed", method=method)
            await context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            metrics.RPC_REQUESTS.labels(service, method, code.name).inc()
            metrics.RPC_LATENCY.labels(service, method).observe(time.perf_counter() - began)

    return wrapper
