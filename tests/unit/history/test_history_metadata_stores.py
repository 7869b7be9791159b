"""The cluster metadata store on both backends (SQLite file, PostgreSQL database;
`metadata_factory`): a namespace registered once (the second time AlreadyExists, also when two
stores race), namespaces by name, API keys oldest first, workflow types registered idempotently
and filtered by name, and all of it still there in a store opened afterwards."""
from __future__ import annotations

import asyncio

import pytest

from fanflow.errors import AlreadyExists
from protos import admin_service_pb2, history_service_pb2
from support.store_backends import metadata_factory  # noqa: F401  (fixture)


def _namespace(name: str, description: str = "d", created_ns: int = 5) -> admin_service_pb2.NamespaceInfo:
    info = admin_service_pb2.NamespaceInfo(name=name, description=description)
    info.created_time.FromNanoseconds(created_ns)
    return info


async def test_metadata_store_namespaces_keys_and_workflow_types(metadata_factory):
    store = metadata_factory()
    await store.open()
    try:
        await store.create_namespace(_namespace("orders", "the orders team", 7_000))
        await store.create_namespace(_namespace("billing"))
        with pytest.raises(AlreadyExists, match="orders"):
            await store.create_namespace(_namespace("orders"))
        assert await store.namespace_exists("orders") and not await store.namespace_exists("nope")
        await store.add_api_key(history_service_pb2.ApiKeyEntry(key_sha256="h2", namespace="orders", key_id="k2"), "second", 20)
        await store.add_api_key(history_service_pb2.ApiKeyEntry(key_sha256="h1", namespace="billing", key_id="k1"), "first", 10)
        await store.register_workflow_types("orders", "q1", ["Ship", "Bill", "Ship"], "worker-a", 100)
        await store.register_workflow_types("orders", "q2", ["Ship"], "worker-b", 200)
        await store.register_workflow_types("orders", "q1", ["Ship"], "worker-a", 300)  # again: only the time moves
    finally:
        await store.close()
    again = metadata_factory()
    await again.open()
    try:
        infos = await again.list_namespaces()
        assert [(i.name, i.description) for i in infos] == [("billing", "d"), ("orders", "the orders team")]
        assert infos[1].created_time.ToNanoseconds() == 7_000
        assert [(k.key_sha256, k.namespace, k.key_id) for k in await again.list_api_keys()] == [("h1", "billing", "k1"), ("h2", "orders", "k2")]
        assert await again.workflow_types("orders") == {"Bill": (["q1"], 100), "Ship": (["q1", "q2"], 300)}
        assert await again.workflow_types("orders", ["Bill"]) == {"Bill": (["q1"], 100)}
        assert await again.workflow_types("billing") == {}
    finally:
        await again.close()


async def test_two_stores_racing_for_one_name_register_it_once(metadata_factory):
    a, b = metadata_factory(), metadata_factory()
    await a.open()
    await b.open()
    try:
        outcomes = await asyncio.gather(*(s.create_namespace(_namespace("raced")) for s in (a, b, a, b)), return_exceptions=True)
        assert sum(o is None for o in outcomes) == 1
        assert all(isinstance(o, AlreadyExists) for o in outcomes if o is not None), outcomes
        assert [i.name for i in await b.list_namespaces()] == ["raced"]
    finally:
        await a.close()
        await b.close()
