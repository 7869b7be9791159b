"""History's storage: the `HistoryStore` interface of a shard (store.py) and the
`MetadataStore` of cluster metadata (metadata.py), with their SQLite implementations
(sqlite.py, metadata_sqlite.py) and PostgreSQL implementations (postgres.py,
metadata_postgres.py). The functions here pick the implementation for a cluster
(`persistence` in the cluster config)."""
from __future__ import annotations

from fanflow.config import ClusterConfig
from fanflow.sqlite import SqliteSettings
from history.persistence.metadata import MetadataStore
from history.persistence.store import HistoryStore


def shard_file(config: ClusterConfig, shard_id: int):
    return config.data_dir / f"history-shard-{shard_id}.db"


def shard_store(config: ClusterConfig, shard_id: int, owner: str) -> HistoryStore:
    """The store of one shard, for the history process `owner`."""
    if config.persistence == "postgres":
        from fanflow.postgres import Database, session_name
        from history.persistence.postgres import PostgresHistoryStore

        lease = config.membership_lease if config.live_membership else None  # live membership: take it only when free
        # The shards' sessions carry the host's name: a lapsed host's are ended by the next owner.
        db = Database.shared(config.postgres_dsn, config.postgres_pool_size, application_name=session_name(owner))
        return PostgresHistoryStore(db, shard_id, owner, lease_seconds=lease)
    from history.persistence.sqlite import SqliteHistoryStore

    return SqliteHistoryStore(shard_file(config, shard_id), shard_id, owner, SqliteSettings(config.sqlite_synchronous))


def metadata_store(config: ClusterConfig) -> MetadataStore:
    """The cluster metadata store, for the history host that serves it (config.metadata_owner())."""
    if config.persistence == "postgres":
        from fanflow.postgres import Database
        from history.persistence.metadata_postgres import PostgresMetadataStore

        return PostgresMetadataStore(Database.shared(config.postgres_dsn, config.postgres_pool_size))
    from history.persistence.metadata_sqlite import SqliteMetadataStore

    return SqliteMetadataStore(
        config.data_dir / "cluster-metadata.db", SqliteSettings(config.sqlite_synchronous), legacy_shard_file=shard_file(config, 0)
    )
