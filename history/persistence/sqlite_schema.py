"""The tables of a history shard's SQLite file (created if missing; a file written by an
earlier version opens as it is). Files written before cluster metadata had its own store
also hold `namespaces` and `api_keys` tables: history.persistence.metadata_sqlite copies
them once, and nothing here reads them."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS shard (
  shard_id INTEGER PRIMARY KEY,
  range_id INTEGER NOT NULL,
  owner TEXT NOT NULL,
  acquired_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  workflow_type TEXT NOT NULL,
  status INTEGER NOT NULL,
  start_time_ns INTEGER NOT NULL,
  close_time_ns INTEGER NOT NULL DEFAULT 0,
  state BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS executions_by_start ON executions (namespace, start_time_ns DESC, workflow_id, run_id);
CREATE INDEX IF NOT EXISTS executions_by_close ON executions (close_time_ns) WHERE close_time_ns > 0;
CREATE TABLE IF NOT EXISTS current_executions (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL,
  run_id TEXT NOT NULL, status INTEGER NOT NULL, request_id TEXT NOT NULL,
  PRIMARY KEY (namespace, workflow_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  event_id INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  scheduled_event_id INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id, scheduled_event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  fire_at_ns INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_by_time ON timers (fire_at_ns);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS shard_secrets (
  shard_id INTEGER PRIMARY KEY,
  token_key BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS executor_results (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  item_index INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, executor_id, item_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS executor_progress (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  pattern TEXT NOT NULL, total INTEGER NOT NULL, failed INTEGER NOT NULL DEFAULT 0,
  started_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,
  PRIMARY KEY (namespace, workflow_id, executor_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workflow_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  name TEXT NOT NULL, details BLOB NOT NULL, time_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS workflow_events_by_workflow ON workflow_events (namespace, workflow_id, id);
CREATE TABLE IF NOT EXISTS shard_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- schedules: one row per schedule (its whole state, a ScheduleRecord)
CREATE TABLE IF NOT EXISTS schedules (
  namespace TEXT NOT NULL, schedule_id TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (namespace, schedule_id)
) WITHOUT ROWID;
-- executor item failures: the latest failed attempt of each executor item that failed
CREATE TABLE IF NOT EXISTS executor_failures (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, executor_id TEXT NOT NULL,
  item_index INTEGER NOT NULL, attempt INTEGER NOT NULL, final INTEGER NOT NULL,
  time_ns INTEGER NOT NULL, activity_type TEXT NOT NULL, failure BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, executor_id, item_index)
) WITHOUT ROWID;
-- child workflows: the open children of a run (persistence_pb2.ChildExecutionInfo)
CREATE TABLE IF NOT EXISTS child_executions (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  initiated_event_id INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id, initiated_event_id)
) WITHOUT ROWID;
-- streaming state and large data
-- the workflow's stream (WatchWorkflow): one row per entry (a WatchWorkflowResponse, cursor = id)
CREATE TABLE IF NOT EXISTS watch_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS watch_entries_by_workflow ON watch_entries (namespace, workflow_id, id);
CREATE INDEX IF NOT EXISTS watch_entries_by_run ON watch_entries (namespace, workflow_id, run_id);
-- each task's latest state (a TaskState; started_ns and changes kept here across its changes)
CREATE TABLE IF NOT EXISTS task_states (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, task_id TEXT NOT NULL,
  started_ns INTEGER NOT NULL, changes INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, task_id)
);
-- payloads over the offload threshold, by content id (sha256 hex)
CREATE TABLE IF NOT EXISTS payload_blobs (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, blob_id TEXT NOT NULL,
  size INTEGER NOT NULL, created_ns INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (namespace, workflow_id, blob_id)
) WITHOUT ROWID;
"""

# ---------------------------------------------------------------- search keys
# Listing and counting runs by their filters (ListWorkflowExecutions, CountWorkflowExecutions):
# an index per filter, every one ending with the list's order (start time, workflow id, run id),
# and the runs' search keys, one row per key (value NULL: present without a value), with the
# run's start time so that one key's matches come newest first straight from the index.
SEARCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_keys (
  namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
  key TEXT NOT NULL, value TEXT,
  start_time_ns INTEGER NOT NULL,
  PRIMARY KEY (namespace, workflow_id, run_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_keys_by_value ON search_keys (namespace, key, value, start_time_ns, workflow_id, run_id);
CREATE INDEX IF NOT EXISTS executions_by_start_time ON executions (namespace, start_time_ns, workflow_id, run_id);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (namespace, status, start_time_ns, workflow_id, run_id);
CREATE INDEX IF NOT EXISTS executions_by_type ON executions (namespace, workflow_type, start_time_ns, workflow_id, run_id);
CREATE INDEX IF NOT EXISTS executions_by_display_name ON executions (namespace, display_name, start_time_ns, workflow_id, run_id);
"""


async def add_search_tables(conn, display_name_of) -> None:
    """Create the search tables and indexes; a file from before them gets the executions'
    `display_name` column, filled in from each run's stored state (`display_name_of(state blob)`).
    One transaction, so two processes opening the file at once upgrade it once. `conn`: an
    aiosqlite connection held with `SqliteDatabase.writing()`."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in await conn.execute_fetchall("PRAGMA table_info(executions)")}
        if "display_name" not in columns:
            await conn.execute("ALTER TABLE executions ADD COLUMN display_name TEXT NOT NULL DEFAULT ''")
            rows = await conn.execute_fetchall("SELECT namespace, workflow_id, run_id, state FROM executions")
            named = [(name, ns, wf, run) for ns, wf, run, state in rows if (name := display_name_of(state))]
            await conn.executemany("UPDATE executions SET display_name=? WHERE namespace=? AND workflow_id=? AND run_id=?", named)
        for statement in SEARCH_SCHEMA.split(";"):
            if statement.strip():
                await conn.execute(statement)
        await conn.commit()
    except BaseException:
        await conn.rollback()
        raise
