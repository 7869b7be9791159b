"""fanflow as separate processes, each on a host of its own (chaos/hosts.py): 2 history,
2 matching, 1 frontend, 3 workers by default. Each history and matching process keeps its
files on a small disk of its own (a tmpfs, so it can be filled) and reads its wall clock
through an offset file (fanflow.clock), so the harness can fill its disk or move its clock.

Faults it can apply: kill (SIGKILL) and restart on the same data, pause (SIGSTOP) and
resume (SIGCONT), partition and heal two hosts, fill and free a disk, jump a clock."""
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

from chaos.hosts import Hosts

ROOT = Path(__file__).resolve().parent.parent
PORT = 7233  # every service listens on it: each has an address of its own


def layout(histories: int = 2, matchings: int = 2, workers: int = 3) -> list[str]:
    return ([f"history-{chr(97 + i)}" for i in range(histories)] + [f"matching-{chr(97 + i)}" for i in range(matchings)]
            + ["frontend"] + [f"worker-{i + 1}" for i in range(workers)])


class ChaosCluster:
    def __init__(self, workdir: Path, tag: str, subnet: int, *, shards: int = 8, partitions: int = 4,
                 histories: int = 2, matchings: int = 2, workers: int = 3, disk_mb: int = 256,
                 worker_module: str = "chaos.workflows", task_queue: str = "chaos"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.services = layout(histories, matchings, workers)
        self.worker_module, self.task_queue, self.disk_mb = worker_module, task_queue, disk_mb
        self.procs: dict[str, subprocess.Popen] = {}
        self.paused: set[str] = set()
        self.retired_procs: list[subprocess.Popen] = []  # processes replaced by a takeover
        self.clock_offsets: dict[str, float] = {}
        self.starts = 0
        self.hosts = Hosts(tag, subnet)
        try:
            for name in self.services:
                self.hosts.add(name)
        except BaseException:
            self.hosts.teardown()
            raise
        self.disks: dict[str, Path] = {}
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
        self.config_path.write_text(json.dumps(self.config, indent=2))

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

    # ------------------------------------------------------------ processes
    def _mount_disk(self, name: str) -> Path:
        disk = self.workdir / "disks" / name
        disk.mkdir(parents=True, exist_ok=True)
        if not os.path.ismount(disk):
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.disk_mb}m", "tmpfs", str(disk)], check=True, capture_output=True)
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
        self.starts += 1
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "FANFLOW_CLOCK_OFFSET_FILE": str(self._clock_file(name))}
        if name in self.storing():
            env["FANFLOW_DATA_DIR"] = str(self._mount_disk(name) / "data")
        self._clock_file(name).write_text(str(self.clock_offsets.get(name, 0.0)))
        log = open(self.workdir / f"{name}-{self.starts}.log", "wb")
        self.procs[name] = subprocess.Popen(self._argv(name), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
        self.paused.discard(name)
        if not name.startswith("worker"):
            self._wait_port(name, timeout)

    def _wait_port(self, name: str, timeout: float) -> None:
        host, port = self.address(name).rsplit(":", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {self.procs[name].returncode}; see {self.workdir}")
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex((host, int(port))) == 0:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{name} not listening after {timeout} s")

    def up(self) -> "ChaosCluster":
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

    def restart(self, name: str, down_for: float = 0.3) -> None:
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
        its old host with no address: resumed, it can only try to write, and its writes must
        be refused (fencing). The caller resumes and later kills it."""
        old = self.procs[name]
        self.hosts.move(name)
        self.start(name)
        self.retired_procs.append(old)
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
        for name in list(self.clock_offsets):
            self.set_clock(name, 0.0)
        for name in self.services:
            if self.procs.get(name) is None or self.procs[name].poll() is not None:
                self.start(name)

    def down(self) -> None:
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
        self.hosts.teardown()
        for disk in self.disks.values():
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)

    def __enter__(self) -> "ChaosCluster":
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(self, *exc) -> None:
        self.down()
