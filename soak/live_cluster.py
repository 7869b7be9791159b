"""A cluster on PostgreSQL with live membership, every role in its own process on 127.0.0.1:
history and matching processes find each other in the database (no hosts in the config), so
they can be added, stopped, killed or frozen (SIGSTOP) while work runs."""
from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from bench.procs import free_port
from soak.cluster import ProcessCluster


class LiveCluster(ProcessCluster):
    def __init__(self, workdir: Path, dsn: str, *, history: int = 3, matching: int = 2, workers: int = 2, shards: int = 16,
                 partitions: int = 4, heartbeat: float = 0.5, lease: float = 3.0, worker_module: str = "soak.workflows",
                 task_queue: str = "soak"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.dsn = dsn
        self.worker_module = worker_module
        self.task_queue = task_queue
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {"frontend": free_port()}
        self.initial = ([f"history-{i}" for i in range(1, history + 1)] + [f"matching-{i}" for i in range(1, matching + 1)]
                        + ["frontend"] + [f"worker-{i}" for i in range(1, workers + 1)])
        self.config = {
            "cluster_name": "live",
            "data_dir": str(self.workdir / "data"),
            "history_shard_count": shards,
            "task_queue_partitions": partitions,
            "frontend_address": f"127.0.0.1:{self.ports['frontend']}",
            "internal_secret": secrets.token_urlsafe(16),
            "poll_timeout": 5.0,
            "workflow_task_timeout": 5.0,
            "persistence": "postgres",
            "postgres_dsn": dsn,
            "postgres_pool_size": 8,
            "membership_heartbeat_interval": heartbeat,
            "membership_lease": lease,
        }
        self.config_path = self.workdir / "cluster.json"
        self.config_path.write_text(json.dumps(self.config, indent=2))
        self.starts = 0

    @property
    def frontend(self) -> str:
        return self.config["frontend_address"]

    def _argv(self, name: str) -> list[str]:
        if name.startswith("worker"):
            return [sys.executable, "-m", "fanflow.cli", "worker", self.worker_module, "--address", self.frontend, "--task-queue", self.task_queue]
        role = name.split("-")[0]
        argv = [sys.executable, "-m", "fanflow.cli", role, "--config", str(self.config_path), "--listen", f"127.0.0.1:{self.ports[name]}"]
        return argv if role == "frontend" else [*argv, "--name", name]

    def start(self, name: str, timeout: float = 30.0) -> None:
        if not name.startswith("worker"):
            self.ports.setdefault(name, free_port())  # a host that joins gets a port of its own
        super().start(name, timeout)
