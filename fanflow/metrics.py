"""Prometheus metrics of a fanflow process, served over HTTP when `metrics_address` is set.

Every RPC handled by a frontend, history or matching service is counted by method and status
code, and timed (`grpcutil.rpc_method` records them). The services add counters of their own
work below. One process may run several services (`fanflow dev`): the `service` label tells
them apart. Scrape `http://<metrics_address>/metrics`.
"""
from __future__ import annotations

import threading

import structlog
from prometheus_client import Counter, Histogram, start_http_server

log = structlog.get_logger("fanflow.metrics")

RPC_REQUESTS = Counter(
    "fanflow_rpc_requests", "RPCs handled, by service, method and gRPC status code", ["service", "method", "code"]
)
RPC_LATENCY = Histogram(
    "fanflow_rpc_latency_seconds",
    "Time to handle an RPC (long polls included: they wait for work)",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TASKS_DISPATCHED = Counter(
    "fanflow_history_tasks_dispatched", "Tasks history handed to matching (outbox deliveries acked)", ["shard"]
)
TIMERS_FIRED = Counter("fanflow_history_timers_fired", "Durable timers that fired and changed a run", ["shard"])
MATCHING_TASKS_STARTED = Counter(
    "fanflow_matching_tasks_started", "Tasks matching handed to a poller, by how", ["task_type", "how"]
)
MATCHING_TASKS_EXPIRED = Counter("fanflow_matching_tasks_expired", "Stored tasks dropped because they expired")
RATE_LIMITED = Counter("fanflow_frontend_rate_limited", "Requests refused over a namespace's rate limit", ["namespace"])

_server_lock = threading.Lock()
_server_address: str | None = None


def serve(address: str) -> str:
    """Serve /metrics on `address` (host:port, checked by ClusterConfig; port 0 picks one).
    Returns the bound address. Once per process: services sharing a process share the endpoint."""
    global _server_address
    with _server_lock:
        if _server_address is not None:
            return _server_address
        host, _, port = address.rpartition(":")
        server, _thread = start_http_server(int(port), addr=host)
        _server_address = f"{host}:{server.server_port}"
        log.info("metrics served", address=_server_address, path="/metrics")
        return _server_address
