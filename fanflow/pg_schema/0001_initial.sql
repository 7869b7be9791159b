-- fanflow on PostgreSQL, schema version 1.
-- Every history table is keyed by shard id first and matching's backlog by its partition
-- (namespace, task queue, task type, partition): one database holds the whole cluster, so
-- any process can serve any shard or partition. Blobs are serialized protobuf messages.

-- ---------------------------------------------------------------- shard ownership (fencing)
-- Taking a shard raises range_id; every write transaction of a shard checks, under a
-- FOR SHARE lock of this row, that range_id is still the one its owner took.
CREATE TABLE shards (
  shard_id INTEGER PRIMARY KEY,
  range_id BIGINT NOT NULL,
  owner TEXT NOT NULL,                    -- history host that took it last
  token_key BYTEA NOT NULL,               -- signs task tokens; stays with the shard
  lease_expires_at TIMESTAMPTZ,           -- for live membership (not used yet)
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE executions (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  workflow_type TEXT NOT NULL,
  status INTEGER NOT NULL,
  start_time_ns BIGINT NOT NULL,
  close_time_ns BIGINT NOT NULL DEFAULT 0,
  state BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, run_id)
);
CREATE INDEX executions_by_start ON executions (shard_id, namespace, start_time_ns DESC, workflow_id DESC, run_id DESC);
CREATE INDEX executions_by_close ON executions (shard_id, close_time_ns) WHERE close_time_ns > 0;
CREATE INDEX executions_running ON executions (shard_id) WHERE status = 1;

CREATE TABLE current_executions (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL,
  run_id TEXT NOT NULL, status INTEGER NOT NULL, request_id TEXT NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id)
);

CREATE TABLE history_events (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  event_id BIGINT NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, run_id, event_id)
);

CREATE TABLE activities (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  scheduled_event_id BIGINT NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, run_id, scheduled_event_id)
);

CREATE TABLE child_executions (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  initiated_event_id BIGINT NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, run_id, initiated_event_id)
);

-- Durable timers (user timers, timeouts, schedule steps); ids from one sequence.
CREATE TABLE timers (
  shard_id INTEGER NOT NULL,
  id BIGSERIAL NOT NULL,
  fire_at_ns BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, id)
);
CREATE INDEX timers_by_time ON timers (shard_id, fire_at_ns);

-- Transfer tasks for matching and other shards; ids given by the shard's owner, growing per commit.
CREATE TABLE outbox (
  shard_id INTEGER NOT NULL,
  id BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, id)
);

CREATE TABLE executor_results (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  item_index BIGINT NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, executor_id, item_index)
);

CREATE TABLE executor_progress (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  pattern TEXT NOT NULL, total BIGINT NOT NULL, failed BIGINT NOT NULL DEFAULT 0,
  started_ns BIGINT NOT NULL, updated_ns BIGINT NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, executor_id)
);

-- `fanflow.event` markers of a workflow (recorded events), in the order they were written.
CREATE TABLE recorded_events (
  shard_id INTEGER NOT NULL,
  id BIGSERIAL NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  name TEXT NOT NULL, details BYTEA NOT NULL, time_ns BIGINT NOT NULL,
  PRIMARY KEY (shard_id, id)
);
CREATE INDEX recorded_events_by_workflow ON recorded_events (shard_id, namespace, workflow_id, id);

CREATE TABLE shard_settings (
  shard_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (shard_id, name)
);

CREATE TABLE schedules (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, schedule_id TEXT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, schedule_id)
);

-- ---------------------------------------------------------------- matching
-- Ids come from a sequence that steps by 100: each nextval reserves a block of ids for one
-- matching process, which hands them out in enqueue order.
CREATE SEQUENCE matching_task_ids INCREMENT BY 100;
CREATE TABLE matching_tasks (
  namespace TEXT NOT NULL, task_queue TEXT NOT NULL, task_type INTEGER NOT NULL, partition INTEGER NOT NULL,
  id BIGINT NOT NULL,
  data BYTEA NOT NULL,
  expires_at BIGINT,                      -- unix ns after which the task is stale; NULL: never
  PRIMARY KEY (namespace, task_queue, task_type, partition, id)
);
CREATE UNIQUE INDEX matching_tasks_by_id ON matching_tasks (id);
CREATE INDEX matching_tasks_by_expiry ON matching_tasks (expires_at) WHERE expires_at IS NOT NULL;

CREATE SEQUENCE matching_start_ids INCREMENT BY 100;
CREATE TABLE matching_rate_limited_starts (
  id BIGINT PRIMARY KEY,
  namespace TEXT NOT NULL, task_queue TEXT NOT NULL, task_type INTEGER NOT NULL,
  until_ns BIGINT NOT NULL
);
CREATE INDEX matching_rate_limited_starts_by_end ON matching_rate_limited_starts (until_ns);

-- ---------------------------------------------------------------- cluster metadata
CREATE TABLE namespaces (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  created_ns BIGINT NOT NULL
);
CREATE TABLE api_keys (
  key_sha256 TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  key_id TEXT NOT NULL,
  description TEXT NOT NULL,
  created_ns BIGINT NOT NULL
);
CREATE TABLE workflow_types (
  namespace TEXT NOT NULL, workflow_type TEXT NOT NULL, task_queue TEXT NOT NULL,
  identity TEXT NOT NULL, first_registered_ns BIGINT NOT NULL, last_registered_ns BIGINT NOT NULL,
  PRIMARY KEY (namespace, workflow_type, task_queue)
);
-- Live membership (not used yet): the processes of the cluster and their heartbeats.
CREATE TABLE cluster_members (
  member_id TEXT PRIMARY KEY,             -- host name, unique per process
  role TEXT NOT NULL,                     -- frontend, history, matching
  address TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cluster_members_by_heartbeat ON cluster_members (role, heartbeat_at);

-- ---------------------------------------------------------------- fencing, in one call
-- Called first in every write transaction of a shard: holds the shard row FOR SHARE (a taker's
-- update waits for it) and refuses (SQLSTATE FF001) unless range_id is still the writer's.
CREATE FUNCTION fanflow_fence(p_shard INTEGER, p_range BIGINT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  stored BIGINT;
BEGIN
  SELECT range_id INTO stored FROM shards WHERE shard_id = p_shard FOR SHARE;
  IF stored IS DISTINCT FROM p_range THEN
    RAISE EXCEPTION 'shard % ownership lost: range id is now %, the writer holds %', p_shard, stored, p_range USING ERRCODE = 'FF001';
  END IF;
END $$;
