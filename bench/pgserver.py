"""A throwaway PostgreSQL server for tests and the benchmark: initdb in a temp dir, a free
port on 127.0.0.1, password authentication over TCP, stopped (and its files removed) at
the end. Uses the installed server binaries (Debian's `postgresql` package puts them in
/usr/lib/postgresql/<version>/bin). initdb refuses to run as root, so as root the cluster
belongs to the `postgres` user and its commands run as that user.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
import tempfile
from pathlib import Path

from bench.procs import free_port

SUPERUSER = "postgres"
PASSWORD = "fanflow-test"


def find_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (or PG_BIN), None if there is none."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable_reason() -> str | None:
    """Why no throwaway server can run here, or None if it can."""
    if find_binaries() is None:
        return "no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to own the server's files"
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "asyncpg is not installed (pip install asyncpg)"
    return None


class PgServer:
    """start() / stop(); `dsn(database)` for clients. durable=False turns fsync off (tests:
    a clean restart still loses nothing; only a machine crash would).

    For the chaos harness (a server on a host of its own): `wrap` is put before every server
    command (e.g. `ip netns exec NS`), `listen` is the address it listens on and clients
    dial, `data_dir` where its files go (e.g. a small tmpfs), `allow` extra networks (CIDR)
    that may log in with the password."""

    def __init__(self, durable: bool = True, port: int | None = None, extra_options: tuple[str, ...] = (), *,
                 wrap: list[str] | None = None, listen: str = "127.0.0.1", data_dir: Path | None = None, allow: list[str] | None = None):
        self.bin = find_binaries()
        if self.bin is None:
            raise RuntimeError(unavailable_reason() or "no PostgreSQL binaries")
        self.durable = durable
        self.extra_options = tuple(extra_options)  # more server options, e.g. "-c shared_preload_libraries=pg_stat_statements"
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="fanflow-pg-"))
        self.data = Path(data_dir) if data_dir else self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0
        self.wrap, self.listen, self.allow = list(wrap or []), listen, list(allow or [])

    def dsn(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{SUPERUSER}:{password}@{self.listen}:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run([*self.wrap, *cmd], check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> "PgServer":
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_postgres:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(pwfile), "--auth-local=trust",
                  "--auth-host=scram-sha-256", "--no-instructions", "-E", "UTF8", "--locale=C")
        if self.allow:
            with open(self.data / "pg_hba.conf", "a") as hba:
                hba.writelines(f"host all all {network} scram-sha-256\n" for network in self.allow)
        for attempt in range(4):  # the free port may be taken by someone else before the server binds it
            options = [f"-p {self.port}", f"-c listen_addresses={self.listen}", f"-k {self.root}", "-c max_connections=300",
                       "-c shared_buffers=128MB"]
            if not self.durable:
                options += ["-c fsync=off", "-c full_page_writes=off"]
            options += list(self.extra_options)
            self._options = " ".join(options)
            started = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options, "-w", "-t", "60", "start", check=False)
            if started.returncode == 0:
                return self
            if attempt == 3 or "Address already in use" not in self.log.read_text(errors="replace"):
                raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} (log: {self.log})")
            self.log.unlink()
            self.port = free_port()
        return self

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def restart(self) -> None:
        """pg_ctl restart (fast shutdown: open connections are cut)."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options, "-m", "fast", "-w", "-t", "60", "restart")

    def stop_server(self, mode: str = "fast") -> None:
        """pg_ctl stop: "fast" cuts open connections and shuts down cleanly, "immediate" quits
        at once (the next start recovers from the WAL, as after a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def start_server(self, attempts: int = 5) -> None:
        """pg_ctl start on the same data (after stop_server). A start right after a stop can fail
        for a moment (the old server's port or shared memory not let go yet): it is tried again
        every second; the last failure says what the server's log says."""
        for attempt in range(attempts):
            started = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options, "-w", "-t", "60", "start", check=False)
            if started.returncode == 0 or self.running():
                return
            if attempt + 1 < attempts:
                time.sleep(1.0)
        tail = self.log.read_text(errors="replace").splitlines()[-8:] if self.log.exists() else []
        raise RuntimeError(f"PostgreSQL did not start again after {attempts} tries: {started.stderr.strip()[-300:]}; "
                           f"its log ends: {' | '.join(tail)}")

    def stop(self) -> None:
        if self.data.exists():
            self.stop_server()
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.data, ignore_errors=True)

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run("psql", "-h", str(self.root), "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-Atc", sql).stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (optionally a copy of `template`); its DSN."""
        self.psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.dsn(name)

    def create_schema(self, database: str) -> None:
        """`fanflow schema create` on `database` (works with or without a running event loop)."""
        import sys

        done = subprocess.run([sys.executable, "-m", "fanflow.cli", "schema", "create", "--dsn", self.dsn(database)],
                              capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
        if done.returncode != 0:
            raise RuntimeError(f"fanflow schema create failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
