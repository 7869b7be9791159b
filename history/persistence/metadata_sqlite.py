"""`MetadataStore` on its own SQLite file (`cluster-metadata.db` in the metadata host's data dir).

Upgrade: earlier versions kept namespaces and API keys in shard 0's file
(`history-shard-0.db`). When that file is in the same data dir and has those tables,
`open()` copies their rows here once (keeping any already here) and remembers it
did; the old tables are left as they are and no longer read.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from fanflow.errors import AlreadyExists
from fanflow.sqlite import GroupCommit, SqliteDatabase, SqliteSettings, Statement
from fanflow.sqlite_health import bad_storage, check_sqlite_file, is_disk_full, storage_error
from protos import admin_service_pb2, history_service_pb2

log = structlog.get_logger("fanflow.history.metadata")

SCHEMA = """
CREATE TABLE IF NOT EXISTS namespaces (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  created_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  key_sha256 TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  key_id TEXT NOT NULL,
  description TEXT NOT NULL,
  created_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS metadata_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- schedules: the workflow types workers said they serve, per task queue
CREATE TABLE IF NOT EXISTS workflow_types (
  namespace TEXT NOT NULL, workflow_type TEXT NOT NULL, task_queue TEXT NOT NULL,
  identity TEXT NOT NULL, first_registered_ns INTEGER NOT NULL, last_registered_ns INTEGER NOT NULL,
  PRIMARY KEY (namespace, workflow_type, task_queue)
) WITHOUT ROWID;
"""
IMPORTED = "imported_from_shard_file"  # metadata_settings: the legacy file whose rows were copied here

_ADD_NAMESPACE = "INSERT INTO namespaces (name, description, created_ns) VALUES (?,?,?)"
_ADD_API_KEY = "INSERT INTO api_keys (key_sha256, namespace, key_id, description, created_ns) VALUES (?,?,?,?,?)"
_REGISTER_TYPE = (
    "INSERT INTO workflow_types (namespace, workflow_type, task_queue, identity, first_registered_ns, last_registered_ns) VALUES (?,?,?,?,?,?) "
    "ON CONFLICT DO UPDATE SET identity=excluded.identity, last_registered_ns=excluded.last_registered_ns"
)


class SqliteMetadataStore:
    def __init__(self, path: Path, settings: SqliteSettings | None = None, legacy_shard_file: Path | None = None):
        """legacy_shard_file: shard 0's file, where earlier versions kept namespaces and keys."""
        self.path = Path(path)
        self.legacy_shard_file = Path(legacy_shard_file) if legacy_shard_file else None
        self._db = SqliteDatabase(self.path, settings or SqliteSettings(), name="cluster-metadata")
        self._writes: GroupCommit[list[Statement]] = GroupCommit(self._db, name="cluster-metadata", statement_order=(_ADD_NAMESPACE, _ADD_API_KEY, _REGISTER_TYPE))

    @property
    def location(self) -> str:
        return str(self.path)

    async def open(self) -> None:
        what = "cluster metadata (namespaces, API keys)"
        await asyncio.to_thread(check_sqlite_file, self.path, what)  # BadStorage: says which file and what to do
        try:
            await self._db.open()
            try:
                async with self._db.writing() as conn:
                    await conn.executescript(SCHEMA)
                    legacy = self.legacy_shard_file
                    if legacy is not None and legacy.exists() and legacy.resolve() != self.path.resolve():
                        try:
                            imported = await _import_legacy(conn, str(legacy))
                        except sqlite3.DatabaseError as exc:  # a damaged shard file: its shard refuses on its own; tried again next start
                            imported = None
                            log.warning(f"namespaces and API keys of earlier versions not copied from {legacy}: {exc}")
                        if imported is not None:
                            log.info("namespaces and API keys copied from the shard file earlier versions kept them in",
                                     source=str(legacy), namespaces=imported[0], api_keys=imported[1])
                await self._writes.start()
            except BaseException:
                await self._db.close()
                raise
        except sqlite3.DatabaseError as exc:  # closed above; what it means, in words
            if is_disk_full(exc):
                raise storage_error(exc, self.path, what) from exc
            raise bad_storage(exc, self.path, what) from exc

    async def close(self) -> None:
        await self._writes.close()
        await self._db.close()

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return await self._db.fetchall(sql, params)

    async def namespace_exists(self, name: str) -> bool:
        return bool(await self._fetchall("SELECT 1 FROM namespaces WHERE name=?", (name,)))

    async def create_namespace(self, info: admin_service_pb2.NamespaceInfo) -> None:
        if await self.namespace_exists(info.name):
            raise AlreadyExists(f"namespace {info.name!r} is already registered")
        try:
            await self._writes.write([(_ADD_NAMESPACE, [(info.name, info.description, info.created_time.ToNanoseconds())])])
        except sqlite3.IntegrityError:  # registered meanwhile
            raise AlreadyExists(f"namespace {info.name!r} is already registered") from None

    async def list_namespaces(self) -> list[admin_service_pb2.NamespaceInfo]:
        infos = []
        for name, description, created_ns in await self._fetchall("SELECT name, description, created_ns FROM namespaces ORDER BY name"):
            info = admin_service_pb2.NamespaceInfo(name=name, description=description)
            info.created_time.FromNanoseconds(created_ns)
            infos.append(info)
        return infos

    async def add_api_key(self, key: history_service_pb2.ApiKeyEntry, description: str, created_ns: int) -> None:
        await self._writes.write([(_ADD_API_KEY, [(key.key_sha256, key.namespace, key.key_id, description, created_ns)])])

    async def list_api_keys(self) -> list[history_service_pb2.ApiKeyEntry]:
        rows = await self._fetchall("SELECT key_sha256, namespace, key_id FROM api_keys ORDER BY created_ns")
        return [history_service_pb2.ApiKeyEntry(key_sha256=h, namespace=ns, key_id=kid) for h, ns, kid in rows]

    # ------------------------------------------------------------ registered workflow types (schedules)
    async def register_workflow_types(self, namespace: str, task_queue: str, workflow_types: list[str], identity: str, now_ns: int) -> None:
        names = sorted(set(workflow_types))
        if names:
            await self._writes.write([(_REGISTER_TYPE, [(namespace, name, task_queue, identity, now_ns, now_ns) for name in names])])

    async def workflow_types(self, namespace: str, names: list[str] | None = None) -> dict[str, tuple[list[str], int]]:
        sql = "SELECT workflow_type, task_queue, last_registered_ns FROM workflow_types WHERE namespace=?"
        params: list[Any] = [namespace]
        if names:
            sql += f" AND workflow_type IN ({','.join('?' for _ in names)})"
            params += list(names)
        out: dict[str, tuple[list[str], int]] = {}
        for name, queue, last in await self._fetchall(sql + " ORDER BY workflow_type, task_queue", params):
            queues, latest = out.get(name, ([], 0))
            out[name] = ([*queues, queue], max(latest, last))
        return out


async def _import_legacy(conn: aiosqlite.Connection, legacy: str) -> tuple[int, int] | None:
    """Copy the legacy file's namespaces and keys, once; (namespaces, keys) copied, or None if
    there was nothing to do."""
    if await conn.execute_fetchall("SELECT 1 FROM metadata_settings WHERE name=?", (IMPORTED,)):
        return None
    await conn.execute("ATTACH DATABASE ? AS legacy", (legacy,))
    try:
        tables = {row[0] for row in await conn.execute_fetchall(
            "SELECT name FROM legacy.sqlite_master WHERE type='table' AND name IN ('namespaces', 'api_keys')"
        )}
        await conn.execute("BEGIN IMMEDIATE")
        try:
            namespaces = keys = 0
            if "namespaces" in tables:
                namespaces = (await conn.execute(
                    "INSERT OR IGNORE INTO namespaces (name, description, created_ns) SELECT name, description, created_ns FROM legacy.namespaces"
                )).rowcount
            if "api_keys" in tables:
                keys = (await conn.execute(
                    "INSERT OR IGNORE INTO api_keys (key_sha256, namespace, key_id, description, created_ns) "
                    "SELECT key_sha256, namespace, key_id, description, created_ns FROM legacy.api_keys"
                )).rowcount
            await conn.execute("INSERT INTO metadata_settings (name, value) VALUES (?, ?)", (IMPORTED, legacy))
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
    finally:
        await conn.execute("DETACH DATABASE legacy")
    return (namespaces, keys) if tables else None
