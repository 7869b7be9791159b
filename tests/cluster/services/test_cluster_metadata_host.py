"""Cluster metadata (namespaces, API keys) served by the history process the config's
metadata_host names, in a cluster of separate processes: namespaces registered through the
frontend land in its file, its keys work for the frontend, and the other history process
answers metadata calls UNAVAILABLE, naming the right one."""
from __future__ import annotations

import json

import grpc
import pytest

from conftest import free_port, wait_for_port
from fanflow.channels import insecure_channel
from protos import admin_service_pb2 as adm
from protos import admin_service_pb2_grpc, history_service_pb2, history_service_pb2_grpc
from protos import workflow_service_pb2 as ws
from protos import workflow_service_pb2_grpc
from support.cluster_metadata import ADMIN, SECRET, bearer, rows


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
