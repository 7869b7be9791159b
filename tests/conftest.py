"""Shared fixtures: real services on 127.0.0.1, real SQLite files in tmp_path,
and every process a test starts is killed at the end."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


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
