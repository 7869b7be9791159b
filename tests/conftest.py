"""Shared fixtures: real services on 127.0.0.1, real SQLite files in tmp_path,
and every process a test starts is killed at the end."""
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


class Processes:
    """Starts processes and makes sure none outlives the test."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], name: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}-{len(self.procs)}.log", "wb")
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=cwd or ROOT, start_new_session=True)
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def fanflow(self, *args: str, name: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
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
def processes(tmp_path):
    procs = Processes(tmp_path)
    yield procs
    procs.cleanup()


@pytest.fixture
async def embedded_cluster(tmp_path):
    """All three services in this process (real gRPC servers, real SQLite)."""
    from fanflow.cluster import embedded
    from fanflow.config import ClusterConfig

    process = await embedded(ClusterConfig.embedded(tmp_path / "data", poll_timeout=5.0)).start()
    yield process
    await process.stop()


@pytest.fixture
async def client(embedded_cluster):
    from worker_sdk import Client

    c = await Client.connect(embedded_cluster.frontend_address)
    yield c
    await c.close()
