-- Executor item failures: the latest failed attempt of each executor item that failed (what the
-- web UI's failed-items page reads), written in the failing attempt's commit.
CREATE TABLE executor_failures (
  shard_id INTEGER NOT NULL,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  item_index BIGINT NOT NULL, attempt INTEGER NOT NULL, final BOOLEAN NOT NULL,
  time_ns BIGINT NOT NULL, activity_type TEXT NOT NULL, failure BYTEA NOT NULL,
  PRIMARY KEY (shard_id, namespace, workflow_id, executor_id, item_index)
);
