"""A cluster with every role in its own process on 127.0.0.1 (2 history, 2 matching,
1 frontend, 2 workers), from one cluster config file; roles can be killed and restarted."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.procs import free_port

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["history-a", "history-b", "matching-a", "matching-b", "frontend", "worker-1", "worker-2"]


class ProcessCluster:
    """Processes of one cluster, each in its own process group on 127.0.0.1, that can be started,
    killed (SIGKILL), stopped (SIGTERM), frozen and woken by name. Subclasses give `_argv(name)`,
    `initial` (started by up()), `ports` (servers waited for) and `workdir`."""

    workdir: Path
    initial: list[str]
    ports: dict[str, int]
    procs: dict[str, subprocess.Popen]
    starts: int

    def _argv(self, name: str) -> list[str]:
        raise NotImplementedError

    def _env(self, name: str) -> dict[str, str]:
        return {}

    def start(self, name: str, timeout: float = 30.0) -> None:
        self.starts += 1
        log = open(self.workdir / f"{name}-{self.starts}.log", "wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self._env(name)}
        self.procs[name] = subprocess.Popen(self._argv(name), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
        if name in self.ports:
            self._wait_port(name, timeout)

    def _wait_port(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {self.procs[name].returncode}; see {self.workdir}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.ports[name])) == 0:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"{name} not listening after {timeout} s")

    def up(self):
        for name in self.initial:
            self.start(name)
        return self

    def kill(self, name: str) -> None:
        """SIGKILL: no goodbye (the process group, so nothing it started outlives it)."""
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGCONT)  # a frozen one dies too
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def restart(self, name: str, down_for: float = 0.3) -> None:
        self.kill(name)
        time.sleep(down_for)
        self.start(name)

    def stop(self, name: str, timeout: float = 30.0) -> int:
        """SIGTERM: a graceful stop."""
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGTERM)
        return proc.wait(timeout)

    def pause(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGCONT)

    def down(self) -> None:
        for name in list(self.procs):
            try:
                self.kill(name)
            except ProcessLookupError:
                pass

    def __enter__(self):
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(self, *exc) -> None:
        self.down()


class LocalCluster(ProcessCluster):
    """Every role in its own process, from one cluster config file."""

    def __init__(self, workdir: Path, *, shards: int = 8, partitions: int = 4, worker_module: str = "soak.workflows",
                 task_queue: str = "soak", worker_env: dict[str, str] | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.worker_module = worker_module
        self.task_queue = task_queue
        self.worker_env = worker_env or {}
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = {name: free_port() for name in SERVICES if not name.startswith("worker")}
        half = shards // 2
        self.config = {
            "cluster_name": "soak",
            "data_dir": str(self.workdir / "data"),
            "history_shard_count": shards,
            "task_queue_partitions": partitions,
            "frontend_address": f"127.0.0.1:{self.ports['frontend']}",
            "internal_secret": secrets.token_urlsafe(16),
            "poll_timeout": 5.0,
            "workflow_task_timeout": 5.0,
            "history_hosts": [
                {"name": "history-a", "address": f"127.0.0.1:{self.ports['history-a']}", "shards": list(range(half))},
                {"name": "history-b", "address": f"127.0.0.1:{self.ports['history-b']}", "shards": list(range(half, shards))},
            ],
            "matching_hosts": [
                {"name": "matching-a", "address": f"127.0.0.1:{self.ports['matching-a']}"},
                {"name": "matching-b", "address": f"127.0.0.1:{self.ports['matching-b']}"},
            ],
        }
        self.config_path = self.workdir / "cluster.json"
        self.config_path.write_text(json.dumps(self.config, indent=2))
        self.starts = 0
        self.initial = list(SERVICES)

    @property
    def frontend(self) -> str:
        return self.config["frontend_address"]

    def shard_owner(self, namespace: str, workflow_id: str) -> str:
        from fanflow.routing import shard_for

        shard = shard_for(namespace, workflow_id, self.config["history_shard_count"])
        return next(h["name"] for h in self.config["history_hosts"] if shard in h["shards"])

    def _argv(self, name: str) -> list[str]:
        if name.startswith("worker"):
            return [sys.executable, "-m", "fanflow.cli", "worker", self.worker_module, "--address", self.frontend, "--task-queue", self.task_queue]
        role = name.split("-")[0]
        argv = [sys.executable, "-m", "fanflow.cli", role, "--config", str(self.config_path)]
        return argv if role == "frontend" else [*argv, "--name", name]

    def _env(self, name: str) -> dict[str, str]:
        return self.worker_env if name.startswith("worker") else {}
