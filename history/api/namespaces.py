"""Namespaces and their API keys, served by the history host that holds cluster
metadata (history/persistence/metadata.py)."""
from __future__ import annotations

import secrets
import time

from fanflow.auth import key_hash
from fanflow.errors import NotFound
from history.persistence.metadata import MetadataStore
from protos import admin_service_pb2, history_service_pb2

KEY_PREFIX = "ffk_"


async def register_namespace(store: MetadataStore, name: str, description: str) -> admin_service_pb2.NamespaceInfo:
    """Raises AlreadyExists if the name is taken."""
    info = admin_service_pb2.NamespaceInfo(name=name, description=description)
    info.created_time.FromNanoseconds(time.time_ns())
    await store.create_namespace(info)
    return info


async def create_api_key(store: MetadataStore, namespace: str, description: str) -> tuple[str, str]:
    """A new random key for `namespace` and its id; only the key's SHA-256 is stored."""
    if not await store.namespace_exists(namespace):
        raise NotFound(f"namespace {namespace!r} is not registered; register it first")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = key[len(KEY_PREFIX):12]
    entry = history_service_pb2.ApiKeyEntry(key_sha256=key_hash(key), namespace=namespace, key_id=key_id)
    await store.add_api_key(entry, description, time.time_ns())
    return key, key_id
