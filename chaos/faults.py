"""A generated schedule of faults, reproducible from its seed, and the injector that plays it.

Kinds (each ends by itself; several overlap at random moments):
- kill: SIGKILL a service, restart it on the same data after a moment;
- partition: drop every packet between two services (both stay up), heal later;
- pause: SIGSTOP a service longer than any timeout (5 s) or poll, then SIGCONT;
- takeover: pause a history process, start a second one for its shards on its address
  (the shards' range ids go up), resume the first: its writes must be refused (fenced);
- disk_full: fill the disk of a history or matching process, free it later;
- clock_jump: move a history or matching process's clock by minutes, back or forward,
  and back to true time later;
- db_restart (PostgreSQL): stop the database server ("fast": a clean shutdown that cuts
  every connection, or "immediate": as a crash, recovered from the WAL at the next start),
  start it again after a while.
On PostgreSQL (`database` given) partitions also cut a history or matching process from the
database, and disk_full fills the database's disk (the services keep no data of their own).
A fault whose target is still under an earlier one waits for it (so each target has one
fault at a time); the schedule itself only depends on the seed."""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

KINDS = ("kill", "partition", "pause", "takeover", "disk_full", "clock_jump")
POSTGRES_KINDS = KINDS + ("db_restart",)
DATABASE_KINDS = ("db_restart",)  # need a database the harness runs (not one given by DSN)


@dataclass(frozen=True)
class Fault:
    at: float  # seconds from the start of the run
    kind: str
    targets: tuple[str, ...]
    hold: float  # seconds until it ends
    amount: float = 0.0  # clock_jump: seconds the clock moves
    mode: str = ""  # db_restart: "fast" or "immediate"

    def describe(self) -> str:
        extra = f" by {self.amount:+.0f} s" if self.kind == "clock_jump" else f" ({self.mode})" if self.mode else ""
        return f"{self.kind} {' <-> '.join(self.targets)}{extra} for {self.hold:.1f} s"


def schedule(seed: int, duration: float, services: list[str], *, mean_gap: float = 6.0, kinds: tuple[str, ...] = KINDS,
             max_jump: float = 240.0, database: str | None = None) -> list[Fault]:
    """The faults of a run of `duration` seconds, from `seed` alone. max_jump: the largest clock
    jump, in seconds (a timer set while a clock is ahead fires up to that much late).
    database: the database's host name on PostgreSQL (None on SQLite)."""
    rng = random.Random(seed)
    history = [s for s in services if s.startswith("history")]
    matching = [s for s in services if s.startswith("matching")]
    workers = [s for s in services if s.startswith("worker")]
    storing = history + matching
    pairs = ([("frontend", s) for s in history + matching] + [(h, m) for h in history for m in matching]
             + [(w, "frontend") for w in workers] + [(a, b) for i, a in enumerate(history) for b in history[i + 1:]])
    disks = storing
    if database is not None:
        pairs += [(s, database) for s in storing]
        disks = [database]
    faults: list[Fault] = []
    at = rng.uniform(1.0, mean_gap)
    while at < duration:
        kind = rng.choice(kinds)
        if kind == "kill":
            fault = Fault(at, kind, (rng.choice(services),), rng.uniform(0.1, 3.0))
        elif kind == "partition":
            fault = Fault(at, kind, rng.choice(pairs), rng.uniform(5.0, 25.0))
        elif kind == "pause":
            fault = Fault(at, kind, (rng.choice(services),), rng.uniform(6.0, 20.0))
        elif kind == "takeover":
            fault = Fault(at, kind, (rng.choice(history),), rng.uniform(6.0, 15.0))
        elif kind == "disk_full":
            fault = Fault(at, kind, (rng.choice(disks),), rng.uniform(5.0, 20.0))
        elif kind == "db_restart":
            if database is None:
                raise ValueError("db_restart needs a database (backend postgres)")
            fault = Fault(at, kind, (database,), rng.uniform(1.0, 8.0), mode=rng.choice(("fast", "immediate")))
        else:
            fault = Fault(at, kind, (rng.choice(storing),), rng.uniform(10.0, 40.0), rng.choice((-1, 1)) * rng.uniform(max_jump / 4, max_jump))
        faults.append(fault)
        at += rng.expovariate(1.0 / mean_gap)
    return faults


@dataclass
class Injector:
    cluster: object  # chaos.cluster.ChaosCluster
    log: object = print
    injected: Counter = field(default_factory=Counter)
    fenced_processes: int = 0
    _busy: dict[str, asyncio.Lock] = field(default_factory=dict)

    def _lock(self, name: str) -> asyncio.Lock:
        return self._busy.setdefault(name, asyncio.Lock())

    async def play(self, faults: list[Fault], started: float) -> None:
        await asyncio.gather(*(self._one(f, started) for f in faults))

    async def _one(self, fault: Fault, started: float) -> None:
        await asyncio.sleep(max(0.0, started + fault.at - time.monotonic()))
        locks = [self._lock(t) for t in sorted(fault.targets)]
        for lock in locks:
            await lock.acquire()
        try:
            self.log(f"[{time.monotonic() - started:7.1f}s] {fault.describe()}")
            self.injected[fault.kind] += 1  # counted as it starts: the run's end may cut its hold short
            await getattr(self, f"_{fault.kind}")(fault)
        except Exception as exc:  # a fault that could not be applied is reported, the run goes on
            self.log(f"[{time.monotonic() - started:7.1f}s] {fault.kind} on {fault.targets} failed: {exc!r}")
            self.injected[fault.kind] -= 1
            self.injected[f"{fault.kind} (failed)"] += 1
        finally:
            for lock in locks:
                lock.release()

    async def _kill(self, fault: Fault) -> None:
        await asyncio.to_thread(self.cluster.restart, fault.targets[0], fault.hold)

    async def _partition(self, fault: Fault) -> None:
        a, b = fault.targets
        await asyncio.to_thread(self.cluster.hosts.partition, a, b)
        try:
            await asyncio.sleep(fault.hold)
        finally:
            await asyncio.to_thread(self.cluster.hosts.heal, a, b)

    async def _pause(self, fault: Fault) -> None:
        name = fault.targets[0]
        self.cluster.pause(name)
        try:
            await asyncio.sleep(fault.hold)
        finally:
            self.cluster.resume(name)

    async def _takeover(self, fault: Fault) -> None:
        import os
        import signal

        name = fault.targets[0]
        self.cluster.pause(name)
        await asyncio.sleep(fault.hold / 2)
        old = await asyncio.to_thread(self.cluster.take_over, name)
        await asyncio.sleep(fault.hold / 2)
        if old.poll() is not None:  # it had exited meanwhile (e.g. refused to start while the database was down)
            self.log(f"takeover of {name}: the old process had exited ({old.returncode}); the new one simply started")
            return
        os.killpg(old.pid, signal.SIGCONT)  # wakes up with its shards taken: may only try to write
        await asyncio.sleep(5.0)
        os.killpg(old.pid, signal.SIGKILL)
        await asyncio.to_thread(old.wait, 10)
        self.fenced_processes += 1

    async def _disk_full(self, fault: Fault) -> None:
        name = fault.targets[0]
        await asyncio.to_thread(self.cluster.fill_disk, name)
        try:
            await asyncio.sleep(fault.hold)
        finally:
            await asyncio.to_thread(self.cluster.free_disk, name)  # on the database: starts it again if it stopped

    async def _db_restart(self, fault: Fault) -> None:
        # The restart runs in a thread that a cancellation (the schedule ending) cannot stop: wait
        # for it, or healing would start the server while the restart is still starting it.
        restart = asyncio.ensure_future(asyncio.to_thread(self.cluster.restart_database, fault.hold, fault.mode))
        try:
            await asyncio.shield(restart)
        except asyncio.CancelledError:
            await restart
            raise

    async def _clock_jump(self, fault: Fault) -> None:
        name = fault.targets[0]
        self.cluster.set_clock(name, fault.amount)
        try:
            await asyncio.sleep(fault.hold)
        finally:
            self.cluster.set_clock(name, 0.0)
