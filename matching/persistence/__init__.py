"""Matching's storage: the `Backlog` interface (store.py) and its SQLite
implementation (sqlite.py). `backlog_store` picks the implementation for a cluster."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from fanflow.config import ClusterConfig
from fanflow.sqlite import SqliteSettings
from matching.keys import PartitionKey
from matching.persistence.store import Backlog


def backlog_store(config: ClusterConfig, host_name: str, on_committed: Callable[[Counter[PartitionKey]], None] | None = None) -> Backlog:
    """The backlog of the matching process `host_name`."""
    from matching.persistence.sqlite import SqliteBacklog

    return SqliteBacklog(config.data_dir / f"matching-{host_name}.db", SqliteSettings(config.sqlite_synchronous), on_committed=on_committed)
