"""Matching's storage: the `Backlog` interface (store.py) and its SQLite
implementation (sqlite.py), and on PostgreSQL (postgres.py). `backlog_store` picks the
implementation for a cluster (`persistence` in the cluster config)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from fanflow.config import ClusterConfig
from fanflow.sqlite import SqliteSettings
from matching.keys import PartitionKey
from matching.persistence.store import Backlog


def backlog_store(config: ClusterConfig, host_name: str, on_committed: Callable[[Counter[PartitionKey]], None] | None = None) -> Backlog:
    """The backlog of the matching process `host_name`."""
    if config.persistence == "postgres":
        from fanflow.postgres import Database
        from matching.persistence.postgres import PostgresBacklog

        return PostgresBacklog(Database.shared(config.postgres_dsn, config.postgres_pool_size), host_name, on_committed=on_committed)
    from matching.persistence.sqlite import SqliteBacklog

    return SqliteBacklog(config.data_dir / f"matching-{host_name}.db", SqliteSettings(config.sqlite_synchronous), on_committed=on_committed)
