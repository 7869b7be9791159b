"""Live membership: the processes of a PostgreSQL cluster find each other in the database.

Used when the config lists no hosts (`ClusterConfig.live_membership`). Every process (frontend,
history, matching) writes a heartbeat row every `membership_heartbeat_interval` seconds and
reads the live members (heartbeat within `membership_lease`, by the database's clock) and every
shard's owner back. From that view:

- shard s belongs to the live, not draining history member with the highest
  `stable_hash("shard", s, member)` that holds fewer than ceil(shards / members) shards already,
  taking shards in order (rendezvous hashing with bounded load: every member gets its even share,
  and a join or a departure moves little more than the share it must);
- a task queue's partitions are spread over the matching members the same way, per queue.

A history member takes a shard only when it is free (released) or its owner's heartbeat is older
than the lease (the conditional update in history/persistence/postgres.py); taking it raises the
shard's range id, which fences the previous owner's writes. A member that stops gracefully or is
drained releases its shards at once; one that dies or freezes loses them when its lease runs out.
Callers route by the view: a history call goes to the shard's recorded owner (or, while the shard
is between owners, the member that will take it) and is retried when the answer says the shard
moved (fanflow/clients.py).
"""
from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property

import structlog

from fanflow.errors import Unavailable
from fanflow.membership_store import MembershipStore, MemberRow, ShardRow
from fanflow.postgres import Database
from fanflow.routing import stable_hash

log = structlog.get_logger("fanflow.membership")

KEEP_DEAD_FOR = 3600.0  # seconds a dead member stays listed (DescribeCluster) before its row is deleted
MIN_TICK_GAP = 0.1  # seconds between two refreshes asked for by failing calls


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    address: str


def rendezvous(key: str, members: tuple[Member, ...]) -> Member | None:
    """The member with the highest hash of (key, member): every process computes the same one."""
    if not members:
        return None
    return max(members, key=lambda m: stable_hash(key, m.name))


def balanced(keys: list[str], members: tuple[Member, ...]) -> list[Member]:
    """An owner for each key: the member first in the key's rendezvous order that holds fewer
    than its even share (len(keys) // len(members), one more for len(keys) % len(members) of
    them), taking keys in order. Every process computes the same list from the same members."""
    if not members:
        return []
    base, extra = divmod(len(keys), len(members))
    load = dict.fromkeys((m.name for m in members), 0)
    full = 0  # members holding base + 1 already
    owners = []
    for key in keys:
        for member in sorted(members, key=lambda m: stable_hash(key, m.name), reverse=True):
            held = load[member.name]
            if held < base or (held == base and full < extra):
                full += held == base
                load[member.name] = held + 1
                owners.append(member)
                break
    return owners


def shard_key(shard_id: int) -> str:
    return f"shard/{shard_id}"


def partition_key(namespace: str, task_queue: str, task_type: int, partition: int) -> str:
    return f"partition/{namespace}/{task_queue}/{task_type}/{partition}"


def default_member_name(role: str) -> str:
    """host name and pid: unique per process; a container restarted keeps it (pid 1)."""
    return f"{role}-{socket.gethostname()}-{os.getpid()}"


def advertised_address(bound: str, advertise: str | None) -> str:
    """The address others dial: `advertise` if given ("auto": this host's IP address), else the
    bound one, with a wildcard host replaced by this host's IP address."""
    host, _, port = bound.rpartition(":")
    if advertise and advertise != "auto":
        return advertise
    if advertise == "auto" or host in ("0.0.0.0", "[::]", "::", ""):
        try:
            host = socket.gethostbyname(socket.gethostname())
        except OSError:
            host = "127.0.0.1"
    return f"{host}:{port}"


@dataclass(frozen=True)
class MembershipView:
    """One reading of the membership table: who is live, who owns which shard."""

    history: tuple[Member, ...] = ()  # live, not draining: the candidates for shards
    matching: tuple[Member, ...] = ()  # live, not draining: the candidates for partitions
    live: dict[str, Member] = field(default_factory=dict)  # every live member by name (draining ones too)
    rows: tuple[MemberRow, ...] = ()  # every member seen lately, live or not
    shards: dict[int, ShardRow] = field(default_factory=dict)
    read_at: float = 0.0  # monotonic time of the reading
    shard_count: int = 0
    _queue_owners: dict = field(default_factory=dict, compare=False, repr=False)  # per-queue partition owners, for this view

    @cached_property
    def shard_assignment(self) -> dict[int, Member]:
        """Each shard's owner-to-be (balanced rendezvous hashing over the history members)."""
        return dict(enumerate(balanced([shard_key(s) for s in range(self.shard_count)], self.history)))

    def desired_shard_owner(self, shard_id: int) -> Member | None:
        return self.shard_assignment.get(shard_id)

    def shard_target(self, shard_id: int) -> Member | None:
        """Where a call for the shard goes: its recorded owner while that one is live, else the
        member that will take it."""
        row = self.shards.get(shard_id)
        if row is not None and row.owner in self.live:
            return self.live[row.owner]
        return self.desired_shard_owner(shard_id)

    def partition_owner(self, namespace: str, task_queue: str, task_type: int, partition: int, partitions: int = 1) -> Member | None:
        """The matching member of one of a queue's `partitions` partitions: a queue's partitions
        are spread evenly over the members (balanced rendezvous hashing, per queue). Partition
        0's owner does not depend on `partitions` (the first key always gets its first choice)."""
        key = (namespace, task_queue, task_type, partitions)
        owners = self._queue_owners.get(key)
        if owners is None:
            owners = balanced([partition_key(namespace, task_queue, task_type, p) for p in range(partitions)], self.matching)
            if len(self._queue_owners) > 10_000:
                self._queue_owners.clear()
            self._queue_owners[key] = owners
        return owners[partition] if 0 <= partition < len(owners) else None

    def candidates_signature(self) -> tuple:
        return tuple(m.name for m in self.history), tuple(m.name for m in self.matching)


Listener = Callable[[MembershipView], Awaitable[None]]


class Membership:
    """This process's membership: its heartbeat (when it is a member) and its view of the others.

    Listeners run after every refresh, in order, in a task of their own (history takes and hands
    over shards there; matching reloads partitions it gained): however long they take, the
    heartbeat goes on (a stalled heartbeat would lose everything this member holds). A reading
    that arrives while they run is handed to them when they are done (only the latest)."""

    def __init__(self, config, role: str, name: str | None = None, address: str = "", register: bool = True):
        self.config = config
        self.me = Member(name or default_member_name(role), role, address)
        self.register = register
        self.interval = config.membership_heartbeat_interval
        self.lease = config.membership_lease
        self.store = MembershipStore(Database.shared(config.postgres_dsn, config.postgres_pool_size))
        self.view = MembershipView()
        self.draining = False  # asked to drain (AdminService/DrainMember): hold nothing
        self.heartbeat_ok_at = 0.0  # monotonic time of the last heartbeat that reached the database
        self.recovered_at = float("-inf")  # monotonic time the database answered again after failing
        self._listeners: list[Listener] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._tick_lock = asyncio.Lock()
        self._listening: asyncio.Task | None = None
        self._pending_view = False  # a reading arrived while the listeners ran
        self._last_tick = 0.0
        self._warned = False
        self._started = False

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def set_address(self, address: str) -> None:
        self.me = Member(self.me.name, self.me.role, address)

    async def start(self) -> None:
        await self.store.open()
        self._started = True
        if self.register:
            await self.store.register(self.me.name, self.me.role, self.me.address)
            self.heartbeat_ok_at = time.monotonic()
        await self.refresh()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"membership:{self.me.name}")
        log.info("joined the cluster" if self.register else "watching the cluster", member=self.me.name, role=self.me.role,
                 address=self.me.address, history=len(self.view.history), matching=len(self.view.matching))

    async def first_tick(self) -> None:
        """Run the listeners once now (a history host takes its shards before it serves)."""
        await self._notify(self.view)

    async def quiesce(self) -> None:
        """Stop reading the view and running the listeners (the heartbeat stops too; the row stays
        until stop()): a process shutting down hands its shards over without taking new ones."""
        for task in (self._task, self._listening):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        self._task = self._listening = None

    async def stop(self) -> None:
        await self.quiesce()
        if self._started:
            self._started = False
            if self.register:
                try:
                    await self.store.leave(self.me.name)
                    log.info("left the cluster", member=self.me.name)
                except Unavailable as exc:
                    log.warning("could not leave the cluster cleanly (its lease will run out)", member=self.me.name, error=str(exc))
            await self.store.close()

    def refresh_soon(self) -> None:
        """A call found the view stale (shard moved, host gone): read it again now."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass
            self._wake.clear()
            gap = MIN_TICK_GAP - (time.monotonic() - self._last_tick)
            if gap > 0:
                await asyncio.sleep(gap)
            await self.tick()

    async def tick(self) -> None:
        """Heartbeat, read the view, and hand it to the listeners (in their own task)."""
        async with self._tick_lock:
            self._last_tick = time.monotonic()
            try:
                if self.register:
                    draining = await self.store.heartbeat(self.me.name, self.me.role, self.me.address)
                    self.heartbeat_ok_at = time.monotonic()
                    if draining and not self.draining:
                        log.warning("asked to drain: handing over everything this member holds", member=self.me.name)
                    self.draining = draining
                await self.refresh()
                if self._warned:
                    log.warning("membership: the database answers again", member=self.me.name)
                    self._warned = False
                    self.recovered_at = time.monotonic()
            except Unavailable as exc:
                if not self._warned:
                    log.warning("membership: heartbeat or view failed, will retry", member=self.me.name, error=str(exc))
                    self._warned = True
                return
        if not self._listeners:
            return
        if self._listening is not None and not self._listening.done():
            self._pending_view = True
            return
        self._listening = asyncio.get_running_loop().create_task(self._listen(), name=f"membership-listeners:{self.me.name}")

    async def _listen(self) -> None:
        while True:
            self._pending_view = False
            await self._notify(self.view)
            if not self._pending_view:
                return

    async def _notify(self, view: MembershipView) -> None:
        for listener in self._listeners:
            try:
                await listener(view)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("membership listener failed", member=self.me.name)

    def just_recovered(self) -> bool:
        """The database came back less than a lease ago: the others' heartbeats may be old only
        because they could not write them either (not a reason to take their shards)."""
        return time.monotonic() - self.recovered_at < self.lease

    async def refresh(self) -> MembershipView:
        rows, shards = await self.store.snapshot(self.lease, KEEP_DEAD_FOR)
        live = {r.member_id: Member(r.member_id, r.role, r.address) for r in rows if r.live}
        candidates = sorted((live[r.member_id] for r in rows if r.live and not r.draining), key=lambda m: m.name)
        self.view = MembershipView(
            history=tuple(m for m in candidates if m.role == "history"),
            matching=tuple(m for m in candidates if m.role == "matching"),
            live=live,
            rows=tuple(sorted(rows, key=lambda r: (r.role, r.member_id))),
            shards={row.shard_id: row for row in shards},
            read_at=time.monotonic(),
            shard_count=self.config.history_shard_count,
        )
        return self.view

    async def drain(self, name: str) -> str:
        """Ask member `name` to hand over what it holds; its role."""
        role = await self.store.drain(name)
        if role is None:
            raise LookupError(name)
        self.refresh_soon()
        return role
