"""History's storage: the `HistoryStore` interface (store.py) and its SQLite
implementation (sqlite.py). `shard_store` picks the implementation for a cluster."""
from __future__ import annotations

from fanflow.config import ClusterConfig
from fanflow.sqlite import SqliteSettings
from history.persistence.store import HistoryStore


def shard_store(config: ClusterConfig, shard_id: int, owner: str) -> HistoryStore:
    """The store of one shard, for the history process `owner`."""
    from history.persistence.sqlite import SqliteHistoryStore

    return SqliteHistoryStore(config.data_dir / f"history-shard-{shard_id}.db", shard_id, owner, SqliteSettings(config.sqlite_synchronous))
