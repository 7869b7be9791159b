"""Which optional packages a feature needs, and the message when one is missing.

A worker-only install (`pip install fanflow`) has the SDK's packages only; the services and
the embedded cluster need `pip install 'fanflow[server]'`."""
from __future__ import annotations

# Top-level modules of the `server` extra (pyproject.toml).
SERVER_MODULES = frozenset({"aiosqlite", "asyncpg", "grpc_reflection", "grpc_health", "prometheus_client", "rich"})


def server_extra_missing(exc: BaseException) -> str | None:
    """The install hint when `exc` is the import of a server-only package, else None."""
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in SERVER_MODULES:
        return (
            f"the package {exc.name!r} is missing: the fanflow services and the embedded cluster need "
            "`pip install 'fanflow[server]'` (a worker or client alone needs only `pip install fanflow`; "
            "point it at a running cluster with FANFLOW_ADDRESS)"
        )
    return None
