"""Live membership's rows in PostgreSQL (fanflow/membership.py says what they mean).

Every time is the database's (`now()`), never a process's clock: a heartbeat and the check of
its age are made by the same clock, so a process whose clock is off neither loses its shards
nor keeps a dead member's.
"""
from __future__ import annotations

from dataclasses import dataclass

from fanflow.postgres import Database

_REGISTER = (
    "INSERT INTO cluster_members (member_id, role, address, started_at, heartbeat_at, draining) "
    "VALUES ($1, $2, $3, now(), now(), false) "
    "ON CONFLICT (member_id) DO UPDATE SET role = excluded.role, address = excluded.address, "
    "started_at = now(), heartbeat_at = now(), draining = false"
)
# A heartbeat of a member whose row was removed (e.g. a clean-up of the dead) registers it again.
_HEARTBEAT = (
    "INSERT INTO cluster_members (member_id, role, address) VALUES ($1, $2, $3) "
    "ON CONFLICT (member_id) DO UPDATE SET heartbeat_at = now(), address = excluded.address "
    "RETURNING draining"
)
_LEAVE = "DELETE FROM cluster_members WHERE member_id = $1"
_DRAIN = "UPDATE cluster_members SET draining = true WHERE member_id = $1 RETURNING role"
_MEMBERS = (
    "SELECT member_id, role, address, draining, heartbeat_at > now() - make_interval(secs => $1) AS live, "
    "EXTRACT(EPOCH FROM now() - heartbeat_at)::float8 AS heartbeat_age, "
    "EXTRACT(EPOCH FROM started_at)::float8 AS started_at "
    "FROM cluster_members WHERE heartbeat_at > now() - make_interval(secs => $2)"
)
_SHARDS = "SELECT shard_id, owner, range_id FROM shards"
_FORGET_DEAD = "DELETE FROM cluster_members WHERE heartbeat_at < now() - make_interval(secs => $1)"


@dataclass(frozen=True)
class MemberRow:
    member_id: str
    role: str
    address: str
    draining: bool
    live: bool  # heartbeat within the lease
    heartbeat_age: float  # seconds since its last heartbeat
    started_at: float  # epoch seconds


@dataclass(frozen=True)
class ShardRow:
    shard_id: int
    owner: str  # '' when released
    range_id: int


class MembershipStore:
    def __init__(self, db: Database):
        self.db = db

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()

    async def register(self, member_id: str, role: str, address: str) -> None:
        await self.db.fetchval(f"membership: register {member_id}", _REGISTER, member_id, role, address)

    async def heartbeat(self, member_id: str, role: str, address: str) -> bool:
        """Renew the member's lease; True if it was asked to drain."""
        return bool(await self.db.fetchval(f"membership: heartbeat of {member_id}", _HEARTBEAT, member_id, role, address))

    async def leave(self, member_id: str) -> None:
        await self.db.fetchval(f"membership: {member_id} leaving", _LEAVE, member_id)

    async def drain(self, member_id: str) -> str | None:
        """Ask a member to give up its shards and partitions; its role, None if no such member."""
        return await self.db.fetchval(f"membership: drain {member_id}", _DRAIN, member_id)

    async def snapshot(self, lease: float, keep_dead_for: float) -> tuple[list[MemberRow], list[ShardRow]]:
        """Members seen within keep_dead_for seconds (live: within the lease), and every shard's owner."""
        async with self.db.connection("membership: read members and shard owners") as conn:
            members = await conn.fetch(_MEMBERS, float(lease), float(keep_dead_for))
            shards = await conn.fetch(_SHARDS)
        return (
            [MemberRow(r["member_id"], r["role"], r["address"], r["draining"], r["live"], r["heartbeat_age"], r["started_at"]) for r in members],
            [ShardRow(int(r["shard_id"]), r["owner"], int(r["range_id"])) for r in shards],
        )

    async def forget_dead(self, older_than: float) -> None:
        await self.db.fetchval("membership: forget long-dead members", _FORGET_DEAD, float(older_than))
