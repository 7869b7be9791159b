"""Fault harness and soak: the cluster as separate processes on 127.0.0.1
(2 history, 2 matching, 1 frontend, 2 workers), killed with SIGKILL at random
moments and restarted on the same data.

    python -m fanflow.soak --rounds 20 --items 2000

Each round starts a List-executor workflow, kills one random service while it
runs, restarts it, and checks the result: every item's result present
(`lost` counts missing or wrong ones) and none twice (`duplicated`). Prints
rounds done, items processed, lost items and duplicated results; exits 1 if
either is not 0.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["history-a", "history-b", "matching-a", "matching-b", "frontend", "worker-1", "worker-2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """Every role in its own process, from one cluster config file."""

    def __init__(self, workdir: Path, *, shards: int = 8, partitions: int = 4, worker_module: str = "fanflow.soak_workflows",
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

    def start(self, name: str, timeout: float = 30.0) -> None:
        self.starts += 1
        log = open(self.workdir / f"{name}-{self.starts}.log", "wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(self.worker_env if name.startswith("worker") else {})}
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

    def up(self) -> "LocalCluster":
        for name in SERVICES:
            self.start(name)
        return self

    def kill(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def restart(self, name: str, down_for: float = 0.3) -> None:
        self.kill(name)
        time.sleep(down_for)
        self.start(name)

    def down(self) -> None:
        for name in list(self.procs):
            try:
                self.kill(name)
            except ProcessLookupError:
                pass

    def __enter__(self) -> "LocalCluster":
        return self.up()

    def __exit__(self, *exc) -> None:
        self.down()


async def soak_round(cluster: LocalCluster, client, items: int, rng: random.Random, log=print) -> tuple[int, int]:
    """One workflow, one random kill + restart while it runs; (lost, duplicated)."""
    from fanflow.soak_workflows import SoakList, item_value

    handle = await client.start_workflow(SoakList, items, task_queue=cluster.task_queue)
    victim = rng.choice(SERVICES)
    await asyncio.sleep(rng.uniform(0.2, 2.0))
    log(f"  killing {victim}")
    await asyncio.to_thread(cluster.restart, victim, rng.uniform(0.1, 1.5))
    result = await handle.result(timeout=600)
    expected = [item_value(i) for i in range(items)]
    lost = sum(1 for i, v in enumerate(expected) if i >= len(result) or result[i] != v)
    duplicated = max(0, len(result) - items)
    return lost, duplicated


async def soak(rounds: int, items: int, seed: int, workdir: Path) -> dict:
    from worker_sdk import Client

    rng = random.Random(seed)
    totals = {"rounds": 0, "items": 0, "lost": 0, "duplicated": 0}
    with LocalCluster(workdir) as cluster:
        client = await Client.connect(cluster.frontend, retry_timeout=300)
        try:
            for n in range(rounds):
                lost, duplicated = await soak_round(cluster, client, items, rng, log=lambda m: print(m, flush=True))
                totals["rounds"] += 1
                totals["items"] += items
                totals["lost"] += lost
                totals["duplicated"] += duplicated
                print(f"round {n + 1}/{rounds}: {items} items, lost {lost}, duplicated {duplicated}", flush=True)
        finally:
            await client.close()
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kill random services during runs; count lost and duplicated results")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--workdir", default=None, help="where data and logs go (default: a temp dir)")
    args = parser.parse_args(argv)
    from fanflow.logging import configure_logging

    configure_logging(os.environ.get("FANFLOW_LOG_LEVEL", "WARNING"))
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="fanflow-soak-"))
    print(f"soak: {args.rounds} rounds of {args.items} items, seed {args.seed}, data and logs in {workdir}", flush=True)
    totals = asyncio.run(soak(args.rounds, args.items, args.seed, workdir))
    print(f"rounds done {totals['rounds']}, items processed {totals['items']}, lost items {totals['lost']}, "
          f"duplicated results {totals['duplicated']}", flush=True)
    return 0 if totals["lost"] == 0 and totals["duplicated"] == 0 and totals["rounds"] == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
