-- Search keys (listing and counting runs by type, status, start time, id prefix, display name
-- and search keys). A database at version 1 was written by a development build only, before
-- runs carried a display name in a column: its runs list with an empty display name.
ALTER TABLE executions ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
CREATE INDEX executions_by_status ON executions (shard_id, namespace, status, start_time_ns DESC, workflow_id DESC, run_id DESC);
CREATE INDEX executions_by_type ON executions (shard_id, namespace, workflow_type, start_time_ns DESC, workflow_id DESC, run_id DESC);
CREATE INDEX executions_by_display_name ON executions (shard_id, namespace, display_name, start_time_ns DESC, workflow_id DESC, run_id DESC);

-- One row per key of a run (value NULL: present without a value), with the run's start time so
-- one key's matches come newest first straight from the index.
CREATE TABLE search_keys (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  key TEXT NOT NULL, value TEXT,
  start_time_ns BIGINT NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, run_id, key)
);
CREATE INDEX search_keys_by_value ON search_keys (shard_id, namespace, key, value, start_time_ns DESC, workflow_id DESC, run_id DESC);
