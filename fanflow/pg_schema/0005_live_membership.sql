-- Live membership (fanflow/membership.py). A member's heartbeat is its lease on every shard it
-- owns: a shard whose owner has not heartbeaten within the lease may be taken by another.
-- A member asked to drain (AdminService/DrainMember) keeps running but is given no shards or
-- partitions; it hands over the ones it has.
ALTER TABLE cluster_members ADD COLUMN draining BOOLEAN NOT NULL DEFAULT false;

-- Every taking of a shard: who held which range id, from when (operators, and the checks that no
-- shard was ever written by two owners).
CREATE TABLE shard_acquisitions (
  shard_id INTEGER NOT NULL,
  range_id BIGINT NOT NULL,
  owner TEXT NOT NULL,
  acquired_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shard_id, range_id)
);

-- The range id of the owner that wrote each event: within a run, event ids and range ids grow
-- together unless a displaced owner wrote after its successor (which fencing forbids).
ALTER TABLE history_events ADD COLUMN range_id BIGINT;
