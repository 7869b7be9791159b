"""Run the services of compose/docker-compose.yml as local processes.

Each service is started with its own `command` and `environment`, translated
only where a container differs from this machine:

- a compose address "SERVICE:PORT" (a port the service `expose`s) becomes
  "127.0.0.1:FREE", and so do "0.0.0.0:PORT" / "127.0.0.1:PORT" in that
  service's own command, environment and health check;
- a volume's container path becomes a folder (named volume) or a translated
  copy of the file (bind mount) under the test's tmp dir, and /tmp/X a file there;
- the executable "fanflow" becomes `python -m fanflow.cli` of this venv.

Services start in `depends_on` order; "service_healthy" waits until the
service's own `healthcheck.test` command (translated the same way) passes, and
"service_completed_successfully" until it exited with 0 (a one-shot job such as `schema`).
A service with `deploy.replicas: N` runs as N processes NAME-1..NAME-N, each on its own
ports. `external` services (e.g. `postgres`, an image with no command here) are not started:
`replace` maps the strings that point at them (the DSN) to what the test runs instead.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from conftest import ROOT, Processes, free_port

COMPOSE_FILE = ROOT / "compose" / "docker-compose.yml"


def interpolate(value: str, environ: dict[str, str] | None = None) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR-default}, from the environment."""
    environ = os.environ if environ is None else environ

    def sub(match: re.Match) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3) or ""
        if op == ":-":
            return environ.get(name) or default
        if op == "-":
            return environ.get(name, default)
        return environ.get(name, "")

    return re.sub(r"\$\{(\w+)(?:(:?-)([^}]*))?\}", sub, value)


def load_compose(path: Path = COMPOSE_FILE) -> dict:
    return yaml.safe_load(interpolate(path.read_text()))


@dataclass
class LocalService:
    name: str  # the replica's name: the compose service's, or NAME-i when it has replicas
    service: str  # the compose service it belongs to
    command: list[str]
    env: dict[str, str]
    health: list[str] | None
    depends_on: dict[str, str]
    ports: dict[int, int] = field(default_factory=dict)  # container port -> local port
    proc: subprocess.Popen | None = None


class LocalCompose:
    def __init__(self, processes: Processes, workdir: Path, compose: dict | None = None, compose_dir: Path | None = None,
                 external: tuple[str, ...] = (), replace: dict[str, str] | None = None):
        self.processes = processes
        self.workdir = workdir
        self.compose = compose if compose is not None else load_compose()
        self.compose_dir = compose_dir or COMPOSE_FILE.parent
        self.external = set(external)
        self.replace = replace or {}
        self.addresses: dict[str, str] = {}  # "service:port" (or "replica:port") -> "127.0.0.1:free"
        self.replicas: dict[str, list[str]] = {}  # compose service -> its replicas' names
        for name, spec in self.compose["services"].items():
            if name in self.external:
                continue
            count = int((spec.get("deploy") or {}).get("replicas", 1))
            self.replicas[name] = [name] if count == 1 else [f"{name}-{i}" for i in range(1, count + 1)]
            for replica in self.replicas[name]:
                for port in spec.get("expose", []):
                    self.addresses[f"{replica}:{int(port)}"] = f"127.0.0.1:{free_port()}"
            if count > 1:  # others dialling the service name reach its first replica
                for port in spec.get("expose", []):
                    self.addresses[f"{name}:{int(port)}"] = self.addresses[f"{self.replicas[name][0]}:{int(port)}"]
        self.services = {replica: self._translate(replica, name, spec)
                         for name, spec in self.compose["services"].items() if name not in self.external
                         for replica in self.replicas[name]}

    # -- translation ---------------------------------------------------------

    def _sub_addresses(self, text: str, own: str | None = None) -> str:
        if own is not None:  # the container's own listen / loopback addresses
            for compose_address, local in self.addresses.items():
                service, port = compose_address.rsplit(":", 1)
                if service == own:
                    text = re.sub(rf"\b(0\.0\.0\.0|127\.0\.0\.1|localhost):{port}\b", local, text)
        for compose_address, local in self.addresses.items():
            text = re.sub(rf"(?<![\w.-]){re.escape(compose_address)}\b", local, text)
        return text

    def _volume_paths(self, name: str, spec: dict) -> dict[str, str]:
        mounts: dict[str, str] = {}
        for volume in spec.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                original = (self.compose_dir / source).resolve()
                local = self.workdir / "mounts" / name / original.name
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_text(self._sub_addresses(original.read_text()))
            else:  # a named volume: a folder of its own
                local = self.workdir / "volumes" / source
                local.mkdir(parents=True, exist_ok=True)
            mounts[target] = str(local)
        return mounts

    def _translate_value(self, value: str, name: str, mounts: dict[str, str]) -> str:
        value = str(value)
        for old, new in self.replace.items():
            value = value.replace(old, new)
        value = self._sub_addresses(value, own=name)
        for target, local in sorted(mounts.items(), key=lambda item: -len(item[0])):
            if value == target or value.startswith(target + "/"):
                return local + value[len(target):]
        if value.startswith("/tmp/"):  # scratch files a container would write (a worker's health file)
            local_tmp = self.workdir / "tmp" / name
            local_tmp.mkdir(parents=True, exist_ok=True)
            return str(local_tmp / value[len("/tmp/"):])
        return value

    def _argv(self, argv: list[str], name: str, mounts: dict[str, str]) -> list[str]:
        argv = [self._translate_value(arg, name, mounts) for arg in argv]
        if argv and argv[0] == "fanflow":
            argv = [sys.executable, "-m", "fanflow.cli", *argv[1:]]
        return argv

    def _translate(self, name: str, service: str, spec: dict) -> LocalService:
        mounts = self._volume_paths(name, spec)
        environment = spec.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        env = {key: self._translate_value(value, name, mounts) for key, value in environment.items()}
        health = None
        test = (spec.get("healthcheck") or {}).get("test")
        if test:
            assert test[0] == "CMD", f"{name}: healthcheck.test must be an exec form ['CMD', ...]"
            health = self._argv(test[1:], name, mounts)
        depends = spec.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: "service_started" for d in depends}
        else:
            depends = {d: (c or {}).get("condition", "service_started") for d, c in depends.items()}
        ports = {int(p): int(self.addresses[f"{name}:{int(p)}"].rsplit(":", 1)[1]) for p in spec.get("expose", [])}
        return LocalService(name, service, self._argv(list(spec["command"]), name, mounts), env, health, depends, ports)

    # -- running -------------------------------------------------------------

    def address(self, name: str, port: int) -> str:
        return self.addresses[f"{name}:{port}"]

    def healthy(self, service: LocalService) -> bool:
        if service.health is None:
            return service.proc is not None and service.proc.poll() is None
        env = {**os.environ, **service.env}
        return subprocess.run(service.health, env=env, cwd=ROOT, capture_output=True, timeout=30).returncode == 0

    def wait_healthy(self, names: list[str], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            for name in list(pending):
                service = self.services[name]
                if service.proc is not None and service.proc.poll() is not None:
                    log = Path(service.proc.log_path).read_text()[-3000:]  # type: ignore[attr-defined]
                    raise RuntimeError(f"{name} exited with {service.proc.returncode}:\n{log}")
                if self.healthy(service):
                    pending.remove(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not healthy after {timeout} s: {pending}")
            if pending:
                time.sleep(0.2)

    def completed(self, names: list[str], timeout: float) -> None:
        """Wait until one-shot services exited with 0."""
        deadline = time.monotonic() + timeout
        for name in names:
            proc = self.services[name].proc
            assert proc is not None
            code = proc.wait(max(0.1, deadline - time.monotonic()))
            if code != 0:
                raise RuntimeError(f"{name} exited with {code}:\n{Path(proc.log_path).read_text()[-3000:]}")  # type: ignore[attr-defined]

    def up(self, timeout: float = 60.0) -> None:
        """Start every service once its dependencies meet their conditions."""
        started: set[str] = set()  # compose services whose replicas are started
        met: dict[str, set[str]] = {"service_started": set(self.external), "service_healthy": set(self.external),
                                    "service_completed_successfully": set(self.external)}
        jobs = {s.service for s in self.services.values() if any(c == "service_completed_successfully" and d == s.service
                                                                 for other in self.services.values() for d, c in other.depends_on.items())}
        while len(started) < len(self.replicas):
            ready = [
                name for name, replicas in self.replicas.items()
                if name not in started and all(dep in met.get(cond, met["service_started"]) for dep, cond in self.services[replicas[0]].depends_on.items())
            ]
            if not ready:
                for condition, check in (("service_healthy", self.wait_healthy), ("service_completed_successfully", self.completed)):
                    needed = {dep for s in self.services.values() for dep, c in s.depends_on.items() if c == condition}
                    waiting = sorted((needed & started) - met[condition])
                    if waiting:
                        check([r for name in waiting for r in self.replicas[name]], timeout)
                        met[condition].update(waiting)
                        break
                else:
                    raise RuntimeError(f"depends_on cannot be met: {sorted(set(self.replicas) - started)}")
                continue
            for name in ready:
                for replica in self.replicas[name]:
                    service = self.services[replica]
                    service.proc = self.processes.start(service.command, replica, env=service.env, cwd=ROOT)
                started.add(name)
                met["service_started"].add(name)
        self.wait_healthy([r for name, replicas in self.replicas.items() if name not in met["service_healthy"] and name not in jobs
                           for r in replicas], timeout)

    def stop(self, timeout: float = 15.0) -> dict[str, int | None]:
        """SIGTERM every service (as `docker compose down` does); their exit codes."""
        for service in self.services.values():
            if service.proc is not None and service.proc.poll() is None:
                service.proc.terminate()
        codes: dict[str, int | None] = {}
        deadline = time.monotonic() + timeout
        for name, service in self.services.items():
            if service.proc is None:
                continue
            try:
                codes[name] = service.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                codes[name] = None
        return codes
