"""Which shards this history host holds, under live membership (fanflow/membership.py).

After every reading of the membership table: shards whose row names another owner or another
range id were taken from us (we were frozen or cut off past our lease): close them at once, their
writes are fenced anyway. Shards the view gives to another live member are handed over (closed,
then marked free so it takes them at once). Shards the view gives to us are taken when free or
when their owner's lease ran out; one whose owner is still live is left to it until it lets go.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import structlog

from fanflow.errors import ShardHeld, Unavailable
from fanflow.membership import Membership, MembershipView

if TYPE_CHECKING:
    from history.service import HistoryServicer

log = structlog.get_logger("fanflow.history.ownership")

PARALLEL_OPENS = 4  # shards opened at once when many move to this host


class ShardOwnership:
    def __init__(self, servicer: "HistoryServicer", membership: Membership):
        self.servicer = servicer
        self.membership = membership
        self._taken_at: dict[int, float] = {}  # monotonic time each held shard was taken
        self.taken = 0  # shards taken since start (observability)
        self.handed_over = 0
        self.lost = 0

    @property
    def me(self) -> str:
        return self.membership.me.name

    def desired(self, view: MembershipView) -> set[int]:
        if self.membership.draining:
            return set()
        count = self.servicer.config.history_shard_count
        return {s for s in range(count) if (owner := view.desired_shard_owner(s)) is not None and owner.name == self.me}

    async def on_view(self, view: MembershipView) -> None:
        servicer = self.servicer
        for shard_id, shard in list(servicer.shards.items()):
            row = view.shards.get(shard_id)
            if view.read_at <= self._taken_at.get(shard_id, float("-inf")):
                continue  # read before we took it: the row it shows is the one we replaced
            if row is not None and (row.owner != self.me or row.range_id != shard.store.range_id):
                log.warning("shard taken by another host: closing it", shard=shard_id, owner=row.owner or "(released)",
                            range_id=row.range_id, ours=shard.store.range_id)
                shard.store.lost = True
                servicer._close_lost(shard_id, shard)
                self.lost += 1
        desired = self.desired(view)
        give = [s for s in servicer.shards if s not in desired]
        if give:
            await asyncio.gather(*(servicer.release_shard(s) for s in give))
            self.handed_over += len(give)
        take = []
        patient = self.membership.just_recovered()
        for shard_id in sorted(desired - set(servicer.shards)):
            row = view.shards.get(shard_id)
            if row is not None and row.owner and row.owner != self.me and (row.owner in view.live or patient):
                # Its owner is live: it hands the shard over when it sees the same view. Or the database
                # was down for everyone: give its owner a lease to heartbeat again before taking it.
                continue
            take.append(shard_id)
        if take:
            started = time.monotonic()
            gate = asyncio.Semaphore(PARALLEL_OPENS)

            async def take_one(shard_id: int) -> bool:
                async with gate:
                    try:
                        await servicer.acquire_shard(shard_id)
                        self._taken_at[shard_id] = time.monotonic()
                        return True
                    except ShardHeld as exc:
                        log.debug("shard not taken yet", shard=shard_id, reason=str(exc))
                    except Unavailable as exc:
                        log.warning("shard not taken (will retry)", shard=shard_id, error=str(exc))
                    return False

            results = await asyncio.gather(*(take_one(s) for s in take))
            got = [s for s, ok in zip(take, results) if ok]
            self.taken += len(got)
            if got:
                log.info("shards taken", shards=got, seconds=round(time.monotonic() - started, 3), holding=len(servicer.shards))
