"""Cluster metadata (namespaces, API keys) has its own store, served by one history host:
by default the owner of shard 0, or the config's metadata_host. Files written before it had
its own store (namespaces and keys in shard 0's file) keep working: they are copied once."""
from __future__ import annotations

import hashlib
import json
import sqlite3

import grpc
import pytest

from conftest import free_port, wait_for_port
from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from fanflow.channels import insecure_channel
from protos import admin_service_pb2 as adm
from protos import admin_service_pb2_grpc, history_service_pb2, history_service_pb2_grpc
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc

ADMIN = "admin-key-for-metadata-tests"
OLD_KEY = "ffk_a-key-issued-by-an-earlier-version"
SECRET = "internal-secret-for-metadata-tests"


def bearer(key: str):
    return (("authorization", f"Bearer {key}"),)


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


def rows(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


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


def test_metadata_host_must_be_a_history_host():
    hosts = [{"name": "history-a", "address": "a:1"}]
    assert ClusterConfig(history_hosts=hosts).metadata_owner().name == "history-a"
    with pytest.raises(ValueError, match="metadata_host 'history-z' is not one of the history hosts"):
        ClusterConfig(history_hosts=hosts, metadata_host="history-z")


async def test_metadata_served_by_the_configured_host_in_a_multi_process_cluster(tmp_path, processes):
    """Two history processes with their own data folders; metadata_host names the one that does
    not own shard 0. Namespaces registered through the frontend land in its file, its keys work
    for the frontend, and the other history process points callers to it."""
    ports = {name: free_port() for name in ("history-a", "history-b", "matching", "frontend")}
    config = {
        "history_shard_count": 4,
        "frontend_address": f"127.0.0.1:{ports['frontend']}",
        "internal_secret": SECRET,
        "auth_enabled": True,
        "admin_api_keys": [ADMIN],
        "metadata_host": "history-b",
        "history_hosts": [
            {"name": "history-a", "address": f"127.0.0.1:{ports['history-a']}", "shards": [0, 1]},
            {"name": "history-b", "address": f"127.0.0.1:{ports['history-b']}", "shards": [2, 3]},
        ],
        "matching_hosts": [{"name": "matching", "address": f"127.0.0.1:{ports['matching']}"}],
    }
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(config))
    for name, role in (("history-a", "history"), ("history-b", "history"), ("matching", "matching"), ("frontend", "frontend")):
        args = [role, "--config", str(path)] + ([] if role == "frontend" else ["--name", name])
        proc = processes.fanflow(*args, name=name, env={"FANFLOW_DATA_DIR": str(tmp_path / name)})
        wait_for_port(ports[name], proc=proc)

    frontend = insecure_channel(config["frontend_address"])
    history_a = grpc.aio.insecure_channel(f"127.0.0.1:{ports['history-a']}")
    try:
        admin = admin_service_pb2_grpc.AdminServiceStub(frontend)
        key = (await admin.RegisterNamespace(adm.RegisterNamespaceRequest(name="team"), metadata=bearer(ADMIN))).api_key
        names = [n.name for n in (await admin.ListNamespaces(adm.ListNamespacesRequest(), metadata=bearer(ADMIN))).namespaces]
        assert names == ["default", "team"]
        listed = await workflow_service_pb2_grpc.WorkflowServiceStub(frontend).ListWorkflowExecutions(
            ws.ListWorkflowExecutionsRequest(namespace="team"), metadata=bearer(key))
        assert list(listed.executions) == []

        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await history_service_pb2_grpc.HistoryServiceStub(history_a).ListApiKeys(
                history_service_pb2.ListApiKeysRequest(), metadata=(("x-fanflow-internal", SECRET),), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "served by history host 'history-b'" in refused.value.details()
    finally:
        await frontend.close()
        await history_a.close()
    assert rows(tmp_path / "history-b" / "cluster-metadata.db", "SELECT name FROM namespaces ORDER BY name") == [("default",), ("team",)]
    assert not (tmp_path / "history-a" / "cluster-metadata.db").exists()
