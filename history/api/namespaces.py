"""Namespaces and their API keys (served by the history process that holds them)."""
from __future__ import annotations

import secrets
import time

from fanflow.auth import key_hash
from fanflow.errors import NotFound
from history.shard import Shard
from protos import admin_service_pb2, history_service_pb2

KEY_PREFIX = "ffk_"


async def register_namespace(shard: Shard, name: str, description: str) -> admin_service_pb2.NamespaceInfo:
    """Raises AlreadyExists if the name is taken."""
    info = admin_service_pb2.NamespaceInfo(name=name, description=description)
    info.created_time.FromNanoseconds(time.time_ns())
    await shard.store.create_namespace(info)
    return info


async def create_api_key(shard: Shard, namespace: str, description: str) -> tuple[str, str]:
    """A new random key for `namespace` and its id; only the key's SHA-256 is stored."""
    if not await shard.store.namespace_exists(namespace):
        raise NotFound(f"namespace {namespace!r} is not registered; register it first")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = key[len(KEY_PREFIX):12]
    entry = history_service_pb2.ApiKeyEntry(key_sha256=key_hash(key), namespace=namespace, key_id=key_id)
    await shard.store.add_api_key(entry, description, time.time_ns())
    return key, key_id


async def list_api_keys(shard: Shard) -> list[history_service_pb2.ApiKeyEntry]:
    return await shard.store.list_api_keys()


async def list_namespaces(shard: Shard) -> list[admin_service_pb2.NamespaceInfo]:
    return await shard.store.list_namespaces()
