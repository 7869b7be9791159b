-- Streaming state and large data (the seed's task()/Task state, the WatchWorkflow stream and
-- payloads stored beside history by reference), keyed by shard_id first like every history table.

-- The workflow's stream: one row per entry (a WatchWorkflowResponse; its cursor is id). A
-- workflow's entries are written by its shard's one writer, so their ids grow in commit order.
CREATE TABLE watch_entries (
  id BIGINT GENERATED ALWAYS AS IDENTITY,
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, id)
);
CREATE INDEX watch_entries_by_run ON watch_entries (shard_id, namespace, workflow_id, run_id);

-- Each task's latest state (a TaskState); started_ns and changes kept here across its changes,
-- seq (unchanged by an update) keeps the tasks in the order they first appeared.
CREATE TABLE task_states (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, task_id TEXT NOT NULL,
  seq BIGINT GENERATED ALWAYS AS IDENTITY,
  started_ns BIGINT NOT NULL, changes INTEGER NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, task_id)
);
CREATE INDEX task_states_in_order ON task_states (shard_id, namespace, workflow_id, seq);

-- Payloads over the offload threshold, by content id (sha256 hex).
CREATE TABLE payload_blobs (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, blob_id TEXT NOT NULL,
  size BIGINT NOT NULL, created_ns BIGINT NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, blob_id)
);
