"""Cluster metadata (namespaces, API keys) has its own store, served by one history host (by
default the owner of shard 0), on an embedded cluster: a new cluster keeps none of it in the
shard files; files written before it had its own store (namespaces and keys in shard 0's file)
keep working: they are copied once. (The config's metadata_host naming another history process:
tests/cluster/services/test_cluster_metadata_host.py.)"""
from __future__ import annotations

import hashlib
import sqlite3

from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from fanflow.channels import insecure_channel
from protos import admin_service_pb2 as adm
from protos import admin_service_pb2_grpc
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from support.cluster_metadata import ADMIN, bearer, rows

OLD_KEY = "ffk_a-key-issued-by-an-earlier-version"


def write_old_shard_zero(data_dir) -> None:
    """Shard 0's file as earlier versions left it: namespaces and API keys in it."""
    data_dir.mkdir(parents=True)
    with sqlite3.connect(data_dir / "history-shard-0.db") as db:
        db.executescript(
            "CREATE TABLE namespaces (name TEXT PRIMARY KEY, description TEXT NOT NULL, created_ns INTEGER NOT NULL);"
            "CREATE TABLE api_keys (key_sha256 TEXT PRIMARY KEY, namespace TEXT NOT NULL, key_id TEXT NOT NULL,"
            " description TEXT NOT NULL, created_ns INTEGER NOT NULL);"
        )
        db.executemany("INSERT INTO namespaces VALUES (?, ?, ?)", [("default", "created at first start", 1), ("orders", "old", 2)])
        db.execute("INSERT INTO api_keys VALUES (?, 'orders', 'a-key-is', 'first key', 3)", (hashlib.sha256(OLD_KEY.encode()).hexdigest(),))


async def test_namespaces_and_keys_kept_in_shard_zero_by_earlier_versions_are_carried_over(tmp_path):
    data = tmp_path / "data"
    write_old_shard_zero(data)
    config = lambda: ClusterConfig.embedded(data, poll_timeout=2.0, auth_enabled=True, admin_api_keys=[ADMIN])  # noqa: E731
    for start in range(2):  # the first start copies; the second finds them in place, once
        process = await embedded(config()).start()
        channel = insecure_channel(process.frontend_address)
        try:
            admin = admin_service_pb2_grpc.AdminServiceStub(channel)
            names = [n.name for n in (await admin.ListNamespaces(adm.ListNamespacesRequest(), metadata=bearer(ADMIN))).namespaces]
            expected = ["default", "orders"] if start == 0 else ["default", "later", "orders"]
            assert names == expected
            # The key an earlier version issued still opens its namespace.
            listed = await workflow_service_pb2_grpc.WorkflowServiceStub(channel).ListWorkflowExecutions(
                ws.ListWorkflowExecutionsRequest(namespace="orders"), metadata=bearer(OLD_KEY))
            assert list(listed.executions) == []
            if start == 0:
                registered = await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="later"), metadata=bearer(ADMIN))
                assert registered.api_key
        finally:
            await channel.close()
            await process.stop()
    metadata = data / "cluster-metadata.db"
    assert rows(metadata, "SELECT name FROM namespaces ORDER BY name") == [("default",), ("later",), ("orders",)]
    assert rows(metadata, "SELECT namespace FROM api_keys ORDER BY namespace") == [("later",), ("orders",)]
    # Shard 0's old tables are left as they were: new registrations go to the metadata file only.
    assert rows(data / "history-shard-0.db", "SELECT name FROM namespaces ORDER BY name") == [("default",), ("orders",)]


async def test_a_new_cluster_keeps_no_metadata_in_shard_files(tmp_path):
    process = await embedded(ClusterConfig.embedded(tmp_path / "data", history_shard_count=2)).start()
    await process.stop()
    for shard in range(2):
        tables = {name for (name,) in rows(tmp_path / "data" / f"history-shard-{shard}.db", "SELECT name FROM sqlite_master WHERE type='table'")}
        assert "executions" in tables and not tables & {"namespaces", "api_keys"}
    assert rows(tmp_path / "data" / "cluster-metadata.db", "SELECT name FROM namespaces") == [("default",)]


