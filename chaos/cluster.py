"""fanflow as separate processes, each on a host of its own (chaos/hosts.py): 2 history,
2 matching, 1 frontend, 3 workers by default. Each history and matching process keeps its
files on a small disk of its own (a tmpfs, so it can be filled) and reads its wall clock
through an offset file (fanflow.clock), so the harness can fill its disk or move its clock.

backend="postgres": every history and matching process stores in one PostgreSQL database
(`persistence = "postgres"`). By default the harness runs that server itself
(bench/pgserver.py) on a host of its own named "postgres", with its data directory on a
tmpfs of its own: it can then be partitioned from a service, restarted, and its disk
filled. With `postgres_dsn` the run uses a database the harness does not manage (only
partitions from it apply; see ExternalDatabase).

Faults it can apply: kill (SIGKILL) and restart on the same data, pause (SIGSTOP) and
resume (SIGCONT), partition and heal two hosts, fill and free a disk, jump a clock, restart
the database."""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from chaos.hosts import Hosts

ROOT = Path(__file__).resolve().parent.parent
PORT = 7233  # every service listens on it: each has an address of its own
DATABASE = "postgres"  # the database server's host name (backend "postgres")
DATABASE_NAME = "fanflow"


def layout(histories: int = 2, matchings: int = 2, workers: int = 3) -> list[str]:
    return ([f"history-{chr(97 + i)}" for i in range(histories)] + [f"matching-{chr(97 + i)}" for i in range(matchings)]
            + ["frontend"] + [f"worker-{i + 1}" for i in range(workers)])


class ChaosCluster:
    def __init__(self, workdir: Path, tag: str, subnet: int, *, shards: int = 8, partitions: int = 4,
                 histories: int = 2, matchings: int = 2, workers: int = 3, disk_mb: int = 256,
                 worker_module: str = "chaos.workflows", task_queue: str = "chaos", backend: str = "sqlite",
                 postgres_dsn: str | None = None, database_disk_mb: int = 768):
        if backend not in ("sqlite", "postgres"):
            raise ValueError(f"backend must be sqlite or postgres, got {backend!r}")
        if postgres_dsn and backend != "postgres":
            raise ValueError("postgres_dsn is only for backend='postgres'")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.services = layout(histories, matchings, workers)
        self.worker_module, self.task_queue, self.disk_mb = worker_module, task_queue, disk_mb
        self.backend, self.database_disk_mb = backend, database_disk_mb
        self.database = None  # the PostgreSQL server the harness runs (PgServer), or None
        self.database_restarts_after_full_disk = 0
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}  # each service's current log file
        self.paused: set[str] = set()
        self.retired_procs: list[subprocess.Popen] = []  # processes replaced by a takeover
        self.clock_offsets: dict[str, float] = {}
        self.starts = 0
        self.start_retries = 0  # starts refused (exit 2) because the database could not be reached, tried again
        self.stopping = False  # set by down(): nothing starts any more
        self._start_locks: dict[str, threading.RLock] = {}
        self.hosts = Hosts(tag, subnet)
        self.disks: dict[str, Path] = {}
        try:
            for name in self.services:
                self.hosts.add(name)
            if backend == "postgres" and not postgres_dsn:
                self.hosts.add(DATABASE)
            self.external_dsn = ExternalDatabase(postgres_dsn, self.hosts.gateway) if postgres_dsn else None
        except BaseException:
            self.hosts.teardown()
            raise
        history_names = [s for s in self.services if s.startswith("history")]
        per = shards // len(history_names)
        self.config = {
            "cluster_name": f"chaos-{tag}",
            "data_dir": str(self.workdir / "unused-data"),  # each storing process gets its own disk (FANFLOW_DATA_DIR)
            "history_shard_count": shards,
            "task_queue_partitions": partitions,
            "frontend_address": self.address("frontend"),
            "internal_secret": secrets.token_urlsafe(16),
            "poll_timeout": 5.0,
            "workflow_task_timeout": 5.0,
            "history_hosts": [
                {"name": h, "address": self.address(h),
                 "shards": list(range(i * per, shards if i == len(history_names) - 1 else (i + 1) * per))}
                for i, h in enumerate(history_names)
            ],
            "matching_hosts": [{"name": m, "address": self.address(m)} for m in self.services if m.startswith("matching")],
        }
        self.config_path = self.workdir / "cluster.json"
        self.config_path.write_text(json.dumps(self.config, indent=2))  # written again once the database is known

    # ------------------------------------------------------------ layout
    def address(self, name: str) -> str:
        return f"{self.hosts.hosts[name].address}:{PORT}"

    @property
    def frontend(self) -> str:
        return self.address("frontend")

    def storing(self) -> list[str]:
        return [s for s in self.services if s.startswith(("history", "matching"))]

    def shard_files(self) -> list[Path]:
        return sorted(p for name in self.services if name.startswith("history") for p in (self.disks[name] / "data").glob("history-shard-*.db"))

    @property
    def database_host(self) -> str | None:
        """The host name partitions use for the database, None on SQLite."""
        if self.backend != "postgres":
            return None
        return DATABASE

    @property
    def dsn(self) -> str:
        """The DSN the services (and the checker) use."""
        if self.external_dsn is not None:
            return self.external_dsn.dsn
        return self.database.dsn(DATABASE_NAME)

    # ------------------------------------------------------------ the database (backend postgres)
    def _start_database(self) -> None:
        if self.external_dsn is not None:
            self.hosts.alias(DATABASE, self.external_dsn.address)
        else:
            from bench.pgserver import PgServer

            # Not under the workdir: its folders are root's alone, and the server runs as postgres.
            owner = pwd.getpwnam("postgres")
            disk = self._mount_disk(DATABASE, self.database_disk_mb, at=Path(tempfile.mkdtemp(prefix="fanflow-chaos-pgdisk-")),
                                    extra=f",mode=0700,uid={owner.pw_uid},gid={owner.pw_gid}")
            host = self.hosts.hosts[DATABASE]
            # A small WAL (the tmpfs is small); its recycled segments let the server go on writing
            # WAL a while on a full disk. 10.213.N.0/24: every host of the run, and the harness.
            self.database = PgServer(durable=True, port=5432, wrap=["ip", "netns", "exec", host.namespace], listen=host.address,
                                     data_dir=disk / "data", allow=[f"{self.hosts.prefix}.0/24"],
                                     extra_options=("-c max_wal_size=128MB", "-c min_wal_size=64MB", "-c log_min_messages=warning")).start()
            self.database.create_database(DATABASE_NAME)
            self.database.create_schema(DATABASE_NAME)
        self.config.update(persistence="postgres", postgres_dsn=self.dsn)
        self.config_path.write_text(json.dumps(self.config, indent=2))

    def restart_database(self, down_for: float, mode: str = "fast") -> None:
        """Stop the server (mode "fast": clean, connections cut; "immediate": as a crash), wait, start it."""
        self.database.stop_server(mode)
        time.sleep(down_for)
        if not self.stopping:
            self.database.start_server()

    def ensure_database(self) -> bool:
        """Start the server again if it is down (a PANIC on a full disk can leave it stopped); True if it had to."""
        if self.database is None or self.stopping or self.database.running():
            return False
        self.database.start_server()
        return True

    # ------------------------------------------------------------ processes
    def _mount_disk(self, name: str, size_mb: int | None = None, at: Path | None = None, extra: str = "") -> Path:
        disk = self.disks.get(name) or at or self.workdir / "disks" / name
        disk.mkdir(parents=True, exist_ok=True)
        if not os.path.ismount(disk):
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb or self.disk_mb}m{extra}", "tmpfs", str(disk)], check=True, capture_output=True)
        self.disks[name] = disk
        return disk

    def _clock_file(self, name: str) -> Path:
        return self.workdir / f"clock-{name}"

    def _argv(self, name: str) -> list[str]:
        if name.startswith("worker"):
            argv = [sys.executable, "-m", "fanflow.cli", "worker", self.worker_module, "--address", self.frontend, "--task-queue", self.task_queue]
        else:
            role = name.split("-")[0]
            argv = [sys.executable, "-m", "fanflow.cli", role, "--config", str(self.config_path)]
            if role != "frontend":
                argv += ["--name", name]
        return self.hosts.argv(name, argv)

    def start(self, name: str, timeout: float = 60.0) -> None:
        """Start `name` and wait until it listens. On PostgreSQL a service refuses to start
        (exit 2) while the database cannot be reached (restarting, cut off, its disk full):
        it is started again every second until it serves or `timeout` passes, as a
        supervisor (systemd's Restart=on-failure, Kubernetes) would; for up to 5 minutes
        there, since the database's disk may stay full through several faults in a row."""
        deadline = time.monotonic() + (max(timeout, 300.0) if self.backend == "postgres" else timeout)
        with self._starting(name):
            self._start_until_serving(name, deadline)

    def _start_until_serving(self, name: str, deadline: float) -> None:
        while True:
            self._spawn(name)
            if name.startswith("worker"):
                return
            try:
                self._wait_port(name, max(1.0, deadline - time.monotonic()))
                return
            except RuntimeError:
                if self.backend != "postgres" or self.stopping or time.monotonic() + 1.0 >= deadline:
                    raise
                self.start_retries += 1
                time.sleep(1.0)

    def _spawn(self, name: str) -> None:
        if self.stopping:  # a fault's thread still starting something after the run ended
            raise RuntimeError(f"not starting {name}: the cluster is stopping")
        self.starts += 1
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "FANFLOW_CLOCK_OFFSET_FILE": str(self._clock_file(name))}
        for setting in ("FANFLOW_PERSISTENCE", "FANFLOW_POSTGRES_DSN"):  # the cluster config says where data goes
            env.pop(setting, None)
        if name in self.storing():
            env["FANFLOW_DATA_DIR"] = str(self._mount_disk(name) / "data")
        self._clock_file(name).write_text(str(self.clock_offsets.get(name, 0.0)))
        self.logs[name] = self.workdir / f"{name}-{self.starts}.log"
        log = open(self.logs[name], "wb")
        self.procs[name] = subprocess.Popen(self._argv(name), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
        self.paused.discard(name)

    def _wait_port(self, name: str, timeout: float) -> None:
        host, port = self.address(name).rsplit(":", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {self.procs[name].returncode}; see {self.workdir}")
            with socket.socket() as s:
                s.settimeout(0.5)
                # Listening is not serving yet: it binds its port before it opens its storage
                # (which it may then refuse, exit 2); it prints "serving:" once it serves.
                if s.connect_ex((host, int(port))) == 0 and b" serving: " in self.logs[name].read_bytes():
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{name} not listening after {timeout} s")

    def up(self) -> "ChaosCluster":
        if self.backend == "postgres":
            self._start_database()
        for name in self.services:
            self.start(name)
        return self

    def _signal(self, name: str, sig: int) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, sig)

    def kill(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        self.paused.discard(name)

    def _starting(self, name: str) -> threading.RLock:
        """Held while `name` is (re)started: a fault's restart still running when the schedule
        ends (its thread goes on) and heal_everything must not both start it."""
        return self._start_locks.setdefault(name, threading.RLock())

    def restart(self, name: str, down_for: float = 0.3) -> None:
        with self._starting(name):
            self.kill(name)
            time.sleep(down_for)
            self.start(name)

    def pause(self, name: str) -> None:
        self._signal(name, signal.SIGSTOP)
        self.paused.add(name)

    def resume(self, name: str) -> None:
        self._signal(name, signal.SIGCONT)
        self.paused.discard(name)

    def take_over(self, name: str) -> subprocess.Popen:
        """A second process for history host `name` takes its shards while the first one is
        paused: the address moves to a new host and the new process starts there on the same
        disk (each shard's range id goes up). The old process, returned, is still paused, on
        its old host with no address (on PostgreSQL a new one, so it still reaches the
        database): resumed, it can only try to write, and its writes must be refused
        (fencing). The caller resumes and later kills it."""
        with self._starting(name):
            return self._take_over(name)

    def _take_over(self, name: str) -> subprocess.Popen:
        old = self.procs[name]
        self.retired_procs.append(old)  # first: the teardown ends it even if the run stops during the start below
        # On PostgreSQL the old process must still reach the database for its writes to be
        # refused there (fanflow_fence) rather than only cut off: its host gets a new address.
        self.hosts.move(name, readdress_old=self.backend == "postgres")
        self.start(name)
        return old

    def fill_disk(self, name: str) -> int:
        """Write a ballast file until the process's disk is full; the bytes written."""
        ballast = self.disks[name] / "ballast"
        written = 0
        with open(ballast, "ab") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
                    written += 1 << 20
            except OSError:
                pass
        return written

    def free_disk(self, name: str) -> None:
        (self.disks[name] / "ballast").unlink(missing_ok=True)
        if name == DATABASE and self.ensure_database():
            self.database_restarts_after_full_disk += 1

    def set_clock(self, name: str, offset_seconds: float) -> None:
        self.clock_offsets[name] = offset_seconds
        self._clock_file(name).write_text(str(offset_seconds))

    def heal_everything(self) -> None:
        """End every fault in force: resume, heal, free, clocks back to true time, dead ones restarted."""
        for name in list(self.paused):
            self.resume(name)
        self.hosts.heal_all()
        for name in self.disks:
            self.free_disk(name)
        self.ensure_database()
        for name in list(self.clock_offsets):
            self.set_clock(name, 0.0)
        for name in self.services:
            with self._starting(name):  # after any restart still under way
                if self.procs.get(name) is None or self.procs[name].poll() is not None:
                    self.start(name)

    def down(self) -> None:
        self.stopping = True
        for proc in self.retired_procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGCONT)
                os.killpg(proc.pid, signal.SIGKILL)
        for name in list(self.procs):
            self._signal(name, signal.SIGCONT)
            try:
                self.kill(name)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.database is not None:
            self.database.stop_server("immediate")
            self.database.stop()
        self.hosts.teardown()
        for name, disk in self.disks.items():
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)
            if name == DATABASE:  # its mount point was made for the run
                shutil.rmtree(disk, ignore_errors=True)

    def __enter__(self) -> "ChaosCluster":
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(self, *exc) -> None:
        self.down()


class ExternalDatabase:
    """A database the harness does not run (`--postgres-dsn`). The run's hosts reach this
    machine only through the bridge's address (no route leads further), so the server must
    run on this machine and listen there too (`listen_addresses = '*'`, and pg_hba.conf
    letting 10.213.0.0/16 log in); a DSN to 127.0.0.1 or localhost is dialled at the
    bridge's address. Partitions from it drop packets to that address."""

    def __init__(self, dsn: str, gateway: str):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(dsn)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
            raise ValueError("--postgres-dsn must be a URL such as postgresql://user:password@127.0.0.1:5432/fanflow")
        if parts.hostname not in ("127.0.0.1", "localhost", gateway):
            raise ValueError(f"--postgres-dsn: the run's hosts reach only this machine (at {gateway}); "
                             f"give a server on this machine (127.0.0.1), not {parts.hostname}")
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        self.address = gateway
        self.dsn = urlunsplit((parts.scheme, f"{userinfo}{gateway}:{parts.port or 5432}", parts.path, parts.query, parts.fragment))
