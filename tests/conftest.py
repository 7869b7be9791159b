"""Shared fixtures: real services on 127.0.0.1, real SQLite files in tmp_path (or a real
PostgreSQL server started for the session), and every process a test starts is killed at
the end.

Backends: `cluster_backend` is "sqlite" unless a test (or its module) is marked
`@pytest.mark.backends("sqlite", "postgres")`, which runs it once per backend. The
`embedded_cluster` fixture and `processes.fanflow("dev" | "history" | "matching", ...)`
follow it: on "postgres" they get a fresh database of the session's throwaway server
(`postgres_dsn`). Where no server can run, the postgres cases skip with the reason
(CI installs the server: .ci/run)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "tests" / "support"  # worker programs and definitions shared by several test files

from bench.procs import free_port, wait_for_port  # noqa: E402,F401  (shared with the benchmark; tests import them from here)

# `fanflow dev` (and the examples) serve a web UI by default; the processes tests start do not
# (no fixed port 8233 shared by tests, nothing to import), unless a test asks for one with
# --ui-address or its own FANFLOW_UI_ADDRESS (tests/cluster/ui, the example's test).
os.environ["FANFLOW_UI_ADDRESS"] = "off"


async def wait_for_event(handle, event_type: int, timeout: float = 30) -> None:
    """Poll a workflow's history until an event of `event_type` is in it."""
    import asyncio

    from protos import common_pb2

    for _ in range(int(timeout / 0.1)):
        if any(e.event_type == event_type for e in await handle.history()):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {common_pb2.EventType.Name(event_type)} in {handle.workflow_id} after {timeout} s")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run the test once per storage backend (sqlite, postgres)")


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "cluster_backend" in metafunc.fixturenames:
        metafunc.parametrize("cluster_backend", list(marker.args), indirect=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session (bench/pgserver.py), with a template
    database that holds fanflow's schema; skips (saying why) where none can run."""
    from bench.pgserver import PgServer, unavailable_reason

    reason = unavailable_reason()
    if reason and os.environ.get("FANFLOW_TEST_REQUIRE_POSTGRES"):  # CI (.ci/run): never skip them
        pytest.fail(f"FANFLOW_TEST_REQUIRE_POSTGRES is set but no PostgreSQL server can run: {reason}")
    if reason:
        print(f"\nPostgreSQL tests skipped: {reason}")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    server = PgServer(durable=False).start()
    try:
        server.create_database("fanflow_template")
        server.create_schema("fanflow_template")
        yield server
    finally:
        server.stop()


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def postgres_dsn(postgres_server) -> str:
    """A fresh database with fanflow's schema, for this test."""
    return postgres_server.create_database(f"t{os.getpid()}_{next(_databases)}", template="fanflow_template")


@pytest.fixture
def cluster_backend(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def backend_env(request, cluster_backend) -> dict[str, str]:
    """Environment that points a `fanflow` service process at the test's backend."""
    if cluster_backend != "postgres":
        return {}
    return {"FANFLOW_PERSISTENCE": "postgres", "FANFLOW_POSTGRES_DSN": request.getfixturevalue("postgres_dsn")}


def backend_overrides(env: dict[str, str]) -> dict:
    """ClusterConfig keyword overrides for the backend `backend_env` describes."""
    if not env:
        return {}
    return {"persistence": "postgres", "postgres_dsn": env["FANFLOW_POSTGRES_DSN"]}


SERVICE_COMMANDS = ("dev", "history", "matching", "frontend")


class Processes:
    """Starts processes and makes sure none outlives the test. `service_env` is added to the
    environment of `fanflow dev|history|matching|frontend` (the storage backend)."""

    def __init__(self, log_dir: Path, service_env: dict[str, str] | None = None):
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []
        self.service_env = service_env or {}

    def start(self, args: list[str], name: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}-{len(self.procs)}.log", "wb")
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=cwd or ROOT, start_new_session=True)
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def fanflow(self, *args: str, name: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
        if self.service_env and any(a in SERVICE_COMMANDS for a in args[:3]):
            env = {**self.service_env, **(env or {})}
        return self.start([sys.executable, "-m", "fanflow.cli", *args], name, env, cwd)

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def cleanup(self) -> None:
        for proc in self.procs:
            try:
                self.kill(proc)
            except ProcessLookupError:
                pass


@pytest.fixture
def processes(tmp_path, backend_env):
    procs = Processes(tmp_path, backend_env)
    yield procs
    procs.cleanup()


@pytest.fixture
async def embedded_cluster(tmp_path, backend_env):
    """All three services in this process (real gRPC servers, real SQLite or PostgreSQL)."""
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig

    process = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0, **backend_overrides(backend_env))).start()
    yield process
    await process.stop()


@pytest.fixture
async def client(embedded_cluster):
    from worker_sdk import Client

    c = await Client.connect(embedded_cluster.frontend_address)
    yield c
    await c.close()
