"""Live membership's assignment (fanflow/membership.py), pure: every process computes the same
owners from the same members; shards are spread evenly; a join or a departure moves little more
than the share it must; partitions follow plain rendezvous hashing."""
from __future__ import annotations

from collections import Counter

import pytest

from fanflow.membership import Member, MembershipView, advertised_address
from fanflow.membership_store import ShardRow


def view(names: list[str], shards: int = 16, matching: list[str] = ()) -> MembershipView:
    history = tuple(Member(n, "history", f"{n}:7234") for n in names)
    return MembershipView(history=history, matching=tuple(Member(n, "matching", f"{n}:7235") for n in matching),
                          live={m.name: m for m in history}, shard_count=shards)


@pytest.mark.parametrize("members", [1, 2, 3, 5, 7])
@pytest.mark.parametrize("shards", [16, 100, 512])
def test_every_member_holds_an_even_share(members, shards):
    names = [f"history-{i}" for i in range(members)]
    counts = Counter(m.name for m in view(names, shards).shard_assignment.values())
    assert sum(counts.values()) == shards and set(counts) == set(names)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_the_same_members_give_the_same_owners_in_any_order():
    a = view(["h1", "h2", "h3"], 64).shard_assignment
    b = view(["h3", "h1", "h2"], 64).shard_assignment
    assert {s: m.name for s, m in a.items()} == {s: m.name for s, m in b.items()}


def test_a_join_or_a_departure_moves_close_to_the_share_it_must():
    shards = 512
    three = view(["h1", "h2", "h3"], shards).shard_assignment
    four = view(["h1", "h2", "h3", "h4"], shards).shard_assignment
    moved = sum(1 for s in range(shards) if three[s].name != four[s].name)
    assert shards // 4 <= moved <= shards // 4 * 1.2  # the newcomer's share, and a little reshuffle
    two = view(["h1", "h2"], shards).shard_assignment
    collateral = sum(1 for s in range(shards) if three[s].name != "h3" and three[s].name != two[s].name)
    assert collateral <= shards * 0.02  # the survivors keep what they had


def test_calls_go_to_the_recorded_live_owner_until_it_lets_go():
    v = view(["h1", "h2"], 4)
    desired = v.desired_shard_owner(0).name
    other = "h2" if desired == "h1" else "h1"
    held = MembershipView(history=v.history, live=v.live, shard_count=4, shards={0: ShardRow(0, other, 3)})
    assert held.shard_target(0).name == other  # the owner in the table, while it is live
    dead = MembershipView(history=v.history, live={desired: v.live[desired]}, shard_count=4, shards={0: ShardRow(0, other, 3)})
    assert dead.shard_target(0).name == desired  # its owner is gone: the one that will take it


def test_each_queue_spreads_its_partitions_over_the_matching_members():
    v = view(["h1"], matching=["m1", "m2"])
    for q in range(50):
        owners = Counter(v.partition_owner("default", f"queue-{q}", 1, p, 4).name for p in range(4))
        assert owners == {"m1": 2, "m2": 2}
        # partition 0 (a sticky queue's only one) has the same owner whatever the count
        assert v.partition_owner("default", f"queue-{q}", 1, 0, 1) == v.partition_owner("default", f"queue-{q}", 1, 0, 4)
    assert view(["h1"]).partition_owner("default", "q", 1, 0, 4) is None


def test_advertised_address():
    assert advertised_address("127.0.0.1:7234", None) == "127.0.0.1:7234"
    assert advertised_address("0.0.0.0:7234", "history-a:7234") == "history-a:7234"
    host, port = advertised_address("0.0.0.0:7234", None).rsplit(":", 1)
    assert port == "7234" and host != "0.0.0.0"
