"""What the cluster keeps about itself, as an interface: `MetadataStore`.

Namespaces and their API keys (and the workflow types workers registered), served by one history host (the config's
`metadata_host`, by default the owner of shard 0) from a store of their own.
`history.persistence.metadata_sqlite` implements it on a SQLite file; another
database can implement it without touching the services. Writes return once
committed; a namespace name is registered at most once.
"""
from __future__ import annotations

from typing import Protocol

from protos import admin_service_pb2, history_service_pb2


class MetadataStore(Protocol):
    @property
    def location(self) -> str:
        """Where the metadata lives, for operators."""
        ...

    async def open(self) -> None:
        """Get ready to serve; brings in namespaces and keys kept where earlier versions kept them."""

    async def close(self) -> None: ...

    async def namespace_exists(self, name: str) -> bool: ...

    async def create_namespace(self, info: admin_service_pb2.NamespaceInfo) -> None:
        """Raises fanflow.errors.AlreadyExists if the name is taken."""

    async def list_namespaces(self) -> list[admin_service_pb2.NamespaceInfo]:
        """By name."""

    async def add_api_key(self, key: history_service_pb2.ApiKeyEntry, description: str, created_ns: int) -> None: ...

    async def list_api_keys(self) -> list[history_service_pb2.ApiKeyEntry]:
        """Oldest first."""

    # ------------------------------------------------------------ registered workflow types (schedules)
    async def register_workflow_types(self, namespace: str, task_queue: str, workflow_types: list[str], identity: str, now_ns: int) -> None:
        """Record that a worker serves these types on this task queue (idempotent)."""

    async def workflow_types(self, namespace: str, names: list[str] | None = None) -> dict[str, tuple[list[str], int]]:
        """Registered types of a namespace (only `names` if given): type -> (task queues, last registered, unix ns)."""
