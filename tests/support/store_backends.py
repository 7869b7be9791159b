"""The stores of each backend, for tests that run the same checks on SQLite and PostgreSQL:
`history_backend` / `backlog_backend` / `metadata_backend` fixtures (parametrized by
backend) hand a test a factory of stores and a way to look at the raw rows, so a test
checks what was really written, not what the store says it wrote."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

BACKENDS = ["sqlite", "postgres"]

# The same tables under each backend's names.
_PG_TABLES = {"events": "history_events", "workflow_events": "recorded_events", "shard": "shards"}


def is_integrity_error(exc: BaseException) -> bool:
    """A write refused by a key or constraint (each backend has its own exception)."""
    import asyncpg

    return isinstance(exc, (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError))


class SqliteHistoryBackend:
    name = "sqlite"

    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "shard.db"

    def store(self, shard_id: int, owner: str):
        from history.persistence.sqlite import SqliteHistoryStore

        return SqliteHistoryStore(self.path, shard_id, owner)

    async def rows(self, sql: str, *args) -> list[tuple]:
        """Raw rows (SQL with ? placeholders, SQLite's table names)."""
        with sqlite3.connect(self.path) as conn:
            return [tuple(r) for r in conn.execute(sql, args).fetchall()]


class PostgresHistoryBackend:
    name = "postgres"

    def __init__(self, dsn: str):
        self.dsn = dsn

    def store(self, shard_id: int, owner: str):
        from fanflow.postgres import Database
        from history.persistence.postgres import PostgresHistoryStore

        return PostgresHistoryStore(Database(self.dsn), shard_id, owner)

    async def rows(self, sql: str, *args) -> list[tuple]:
        """The same query on PostgreSQL: SQLite's table names and ? placeholders translated."""
        import re

        import asyncpg

        for old, new in _PG_TABLES.items():
            sql = re.sub(rf"\b{old}\b", new, sql)
        counter = iter(range(1, 100))
        sql = re.sub(r"\?", lambda _: f"${next(counter)}", sql)
        conn = await asyncpg.connect(self.dsn)
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()


@pytest.fixture(params=BACKENDS)
def history_backend(request, tmp_path):
    if request.param == "sqlite":
        return SqliteHistoryBackend(tmp_path)
    return PostgresHistoryBackend(request.getfixturevalue("postgres_dsn"))


@pytest.fixture(params=BACKENDS)
def backlog_factory(request, tmp_path):
    """backlog_factory(**kwargs) -> a new (unopened) Backlog on the test's storage; every
    call reaches the same stored data (a reopened file, the same database)."""
    if request.param == "sqlite":
        from matching.persistence.sqlite import SqliteBacklog

        return lambda **kwargs: SqliteBacklog(tmp_path / "m.db", "NORMAL", **kwargs)
    dsn = request.getfixturevalue("postgres_dsn")
    from fanflow.postgres import Database
    from matching.persistence.postgres import PostgresBacklog

    return lambda **kwargs: PostgresBacklog(Database(dsn), "matching-0", **kwargs)


@pytest.fixture(params=BACKENDS)
def metadata_factory(request, tmp_path):
    """metadata_factory() -> a new (unopened) MetadataStore on the test's storage."""
    if request.param == "sqlite":
        from history.persistence.metadata_sqlite import SqliteMetadataStore

        return lambda: SqliteMetadataStore(tmp_path / "cluster-metadata.db")
    dsn = request.getfixturevalue("postgres_dsn")
    from fanflow.postgres import Database
    from history.persistence.metadata_postgres import PostgresMetadataStore

    return lambda: PostgresMetadataStore(Database(dsn))
