"""`MetadataStore` on PostgreSQL: namespaces, API keys and registered workflow types in the
cluster's database (fanflow/pg_schema/), next to the shards. Writes are single statements
(autocommit: committed when they return); a namespace name is unique by its primary key,
so two history hosts racing to register the same name end with one row and one AlreadyExists.
(The `cluster_members` table of the schema is for live membership, not used yet.)
"""
from __future__ import annotations

from typing import Any

import structlog

from fanflow.errors import AlreadyExists
from fanflow.postgres import Database
from protos import admin_service_pb2, history_service_pb2

log = structlog.get_logger("fanflow.history.metadata")


class PostgresMetadataStore:
    def __init__(self, db: Database):
        self.db = db
        self._opened = False

    @property
    def location(self) -> str:
        return self.db.location

    async def open(self) -> None:
        await self.db.open()
        self._opened = True

    async def close(self) -> None:
        if self._opened:
            self._opened = False
            await self.db.close()

    async def namespace_exists(self, name: str) -> bool:
        return await self.db.fetchval("cluster metadata: read a namespace", "SELECT EXISTS (SELECT 1 FROM namespaces WHERE name=$1)", name)

    async def create_namespace(self, info: admin_service_pb2.NamespaceInfo) -> None:
        status = await self._execute(
            "register a namespace",
            "INSERT INTO namespaces (name, description, created_ns) VALUES ($1,$2,$3) ON CONFLICT (name) DO NOTHING",
            info.name, info.description, info.created_time.ToNanoseconds(),
        )
        if status.endswith(" 0"):
            raise AlreadyExists(f"namespace {info.name!r} is already registered")

    async def list_namespaces(self) -> list[admin_service_pb2.NamespaceInfo]:
        infos = []
        for name, description, created_ns in await self.db.fetch(
            "cluster metadata: list namespaces", "SELECT name, description, created_ns FROM namespaces ORDER BY name"
        ):
            info = admin_service_pb2.NamespaceInfo(name=name, description=description)
            info.created_time.FromNanoseconds(created_ns)
            infos.append(info)
        return infos

    async def add_api_key(self, key: history_service_pb2.ApiKeyEntry, description: str, created_ns: int) -> None:
        await self._execute(
            "add an API key",
            "INSERT INTO api_keys (key_sha256, namespace, key_id, description, created_ns) VALUES ($1,$2,$3,$4,$5)",
            key.key_sha256, key.namespace, key.key_id, description, created_ns,
        )

    async def list_api_keys(self) -> list[history_service_pb2.ApiKeyEntry]:
        rows = await self.db.fetch("cluster metadata: list API keys", "SELECT key_sha256, namespace, key_id FROM api_keys ORDER BY created_ns")
        return [history_service_pb2.ApiKeyEntry(key_sha256=h, namespace=ns, key_id=kid) for h, ns, kid in rows]

    async def register_workflow_types(self, namespace: str, task_queue: str, workflow_types: list[str], identity: str, now_ns: int) -> None:
        names = sorted(set(workflow_types))
        if not names:
            return
        await self._execute(
            "register workflow types",
            "INSERT INTO workflow_types (namespace, workflow_type, task_queue, identity, first_registered_ns, last_registered_ns) "
            "SELECT $1, t, $3, $4, $5, $5 FROM unnest($2::text[]) AS t "
            "ON CONFLICT (namespace, workflow_type, task_queue) DO UPDATE SET identity=excluded.identity, last_registered_ns=excluded.last_registered_ns",
            namespace, names, task_queue, identity, now_ns,
        )

    async def workflow_types(self, namespace: str, names: list[str] | None = None) -> dict[str, tuple[list[str], int]]:
        sql = "SELECT workflow_type, task_queue, last_registered_ns FROM workflow_types WHERE namespace=$1"
        params: list[Any] = [namespace]
        if names:
            sql += " AND workflow_type = ANY($2::text[])"
            params.append(list(names))
        out: dict[str, tuple[list[str], int]] = {}
        for name, queue, last in await self.db.fetch("cluster metadata: read workflow types", sql + " ORDER BY workflow_type, task_queue", *params):
            queues, latest = out.get(name, ([], 0))
            out[name] = ([*queues, queue], max(latest, last))
        return out

    async def _execute(self, what: str, sql: str, *args) -> str:
        async with self.db.connection(f"cluster metadata: {what}") as conn:
            return await conn.execute(sql, *args)
