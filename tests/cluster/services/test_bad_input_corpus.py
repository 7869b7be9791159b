"""A corpus of 200+ malformed, oversized, forged and unauthorised requests sent
to a real `fanflow dev --auth` process while a workflow runs: each gets the
right status code and a message; afterwards the cluster is healthy and the
workflow completes correctly."""
from __future__ import annotations

import asyncio
import os
from collections import Counter

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SUPPORT, free_port, wait_for_port
from protos import admin_service_pb2 as adm, common_pb2, internal_pb2, workflow_service_pb2 as ws

ADMIN = "corpus-admin-key"
OK = grpc.StatusCode.OK
CLEAN_REFUSALS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
}
WORKFLOW_METHODS = [m.name for m in ws.DESCRIPTOR.services_by_name["WorkflowService"].methods]
ADMIN_METHODS = [m.name for m in adm.DESCRIPTOR.services_by_name["AdminService"].methods]
BIG = b"x" * (2 * 1024 * 1024 + 1)


class Corpus:
    def __init__(self, address: str):
        self.channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 64 << 20)])
        self.outcomes: Counter = Counter()
        self.sent = 0

    def raw(self, service: str, method: str, body: bytes, key: str | None = ADMIN):
        call = self.channel.unary_unary(f"/fanflow.v1.{service}/{method}")  # bytes in, bytes out
        return self._send(lambda: call(body, timeout=10, metadata=_auth(key)))

    def call(self, method: str, request, key: str | None = ADMIN, service: str = "WorkflowService"):
        return self.raw(service, method, request.SerializeToString(), key)

    def _send(self, fn):
        self.sent += 1
        try:
            fn()
            code, details = OK, ""
        except grpc.RpcError as exc:
            code, details = exc.code(), exc.details() or ""
        self.outcomes[code] += 1
        return code, details

    def expect(self, expected: grpc.StatusCode | set, outcome, *words: str):
        code, details = outcome
        allowed = expected if isinstance(expected, set) else {expected}
        assert code in allowed, (code, details)
        if code != OK:
            assert details.strip(), f"{code} came without a message"
        for word in words:
            assert word.lower() in details.lower(), details


def _auth(key):
    return (("authorization", f"Bearer {key}"),) if key else None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import subprocess
    import sys

    tmp = tmp_path_factory.mktemp("corpus")
    port = free_port()
    env = {**os.environ, "FANFLOW_ADMIN_API_KEYS": ADMIN, "PYTHONUNBUFFERED": "1"}
    procs = []
    dev = subprocess.Popen([sys.executable, "-m", "fanflow.cli", "dev", "--auth", "--port", str(port), "--data-dir", str(tmp / "data")],
                           stdout=open(tmp / "dev.log", "wb"), stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    procs.append(dev)
    try:
        wait_for_port(port, proc=dev)
        worker = subprocess.Popen([sys.executable, "-m", "fanflow.cli", "worker", "corpus_workflows", "--address", f"127.0.0.1:{port}", "--task-queue", "corpus"],
                                  stdout=open(tmp / "worker.log", "wb"), stderr=subprocess.STDOUT, env={**env, "FANFLOW_API_KEY": ADMIN}, cwd=SUPPORT, start_new_session=True)
        procs.append(worker)
        corpus = Corpus(f"127.0.0.1:{port}")
        yield port, corpus
        corpus.channel.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait(10)


def start(workflow_id: str, namespace: str = "default", **fields) -> ws.StartWorkflowExecutionRequest:
    fields.setdefault("task_queue", common_pb2.TaskQueue(name="corpus"))
    return ws.StartWorkflowExecutionRequest(
        namespace=namespace, workflow_id=workflow_id, workflow_type=common_pb2.WorkflowType(name="corpus_fan_out"), **fields,
    )


def test_corpus(cluster):
    port, corpus = cluster
    # a workflow that must survive everything below
    code, _ = corpus.call("StartWorkflowExecution", start("survivor", input=common_pb2.Payload(data=b"300", encoding="json/plain")))
    assert code == OK
    # Its run id: the generated starts below may reuse the id "survivor" once this run has
    # finished (and terminate what they started); the check at the end reads this very run.
    described = ws.DescribeWorkflowExecutionResponse.FromString(corpus.channel.unary_unary("/fanflow.v1.WorkflowService/DescribeWorkflowExecution")(
        ws.DescribeWorkflowExecutionRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="survivor")).SerializeToString(),
        metadata=_auth(ADMIN), timeout=10))
    survivor_run = described.info.execution.run_id
    assert survivor_run

    # 1. bytes that are not protobuf, to every public method
    garbage = [b"\xff", b"\x0a\xff\xff\xff\xff\x0f", b"\x0a\x05ab", b"\x12\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", b"\x08" * 7]
    for method in WORKFLOW_METHODS:
        for body in garbage:
            corpus.expect(grpc.StatusCode.INVALID_ARGUMENT, corpus.raw("WorkflowService", method, body), "not a valid protobuf")
    for method in ADMIN_METHODS:
        for body in garbage[:3]:
            corpus.expect(grpc.StatusCode.INVALID_ARGUMENT, corpus.raw("AdminService", method, body), "not a valid protobuf")

    # 2. well-formed but wrong: empty / unknown / too long fields
    bad_starts = [
        (start(""), "workflow_id"), (start("w", namespace=""), "namespace"), (start("w" * 1001), "1,001"),
        (ws.StartWorkflowExecutionRequest(namespace="default", workflow_id="w", task_queue=common_pb2.TaskQueue(name="q")), "workflow_type"),
        (ws.StartWorkflowExecutionRequest(namespace="default", workflow_id="w", workflow_type=common_pb2.WorkflowType(name="t")), "task_queue"),
        (start("w", task_queue=common_pb2.TaskQueue(name="q", kind=7)), "kind"),
    ]
    for request, word in bad_starts:
        corpus.expect(grpc.StatusCode.INVALID_ARGUMENT, corpus.call("StartWorkflowExecution", request), word)
    corpus.expect(grpc.StatusCode.NOT_FOUND, corpus.call("StartWorkflowExecution", start("w", namespace="ghost")), "ghost")
    corpus.expect(grpc.StatusCode.ALREADY_EXISTS, corpus.call("StartWorkflowExecution", start("survivor")), "already running")
    unknown = common_pb2.WorkflowExecution(workflow_id="nobody")
    for method, request in [
        ("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace="default", execution=unknown)),
        ("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(namespace="default", execution=unknown)),
        ("TerminateWorkflowExecution", ws.TerminateWorkflowExecutionRequest(namespace="default", execution=unknown)),
        ("SignalWorkflowExecution", ws.SignalWorkflowExecutionRequest(namespace="default", execution=unknown, signal_name="s")),
        ("GetWorkflowResult", ws.GetWorkflowResultRequest(namespace="default", execution=unknown)),
    ]:
        corpus.expect(grpc.StatusCode.NOT_FOUND, corpus.call(method, request), "nobody")
    for size in (-1, 10_001):
        corpus.expect(grpc.StatusCode.INVALID_ARGUMENT, corpus.call("GetWorkflowExecutionHistory", ws.GetWorkflowExecutionHistoryRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="survivor"), maximum_page_size=size)), "page")
    corpus.expect(grpc.StatusCode.INVALID_ARGUMENT, corpus.call("ListWorkflowExecutions", ws.ListWorkflowExecutionsRequest(namespace="default", next_page_token=b"not a token")), "token")

    # 3. oversized payloads (with a well-formed token, so only the size is wrong)
    from fanflow.routing import shard_for

    right_shard = shard_for("default", "survivor", 16)
    well_formed = internal_pb2.TaskToken(namespace="default", workflow_id="survivor", run_id="r", scheduled_event_id=5, attempt=1,
                                         task_type=common_pb2.TASK_TYPE_ACTIVITY, shard_id=right_shard).SerializeToString()
    for method, request in [
        ("StartWorkflowExecution", start("big", input=common_pb2.Payload(data=BIG))),
        ("SignalWorkflowExecution", ws.SignalWorkflowExecutionRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="survivor"), signal_name="s", input=common_pb2.Payload(data=BIG))),
        ("RespondActivityTaskCompleted", ws.RespondActivityTaskCompletedRequest(namespace="default", task_token=well_formed, result=common_pb2.Payload(data=BIG))),
        ("RecordActivityTaskHeartbeat", ws.RecordActivityTaskHeartbeatRequest(namespace="default", task_token=well_formed, details=common_pb2.Payload(data=BIG))),
    ]:
        corpus.expect(grpc.StatusCode.INVALID_ARGUMENT, corpus.call(method, request), "2,097,152")

    # 4. forged and altered task tokens
    def token(**fields) -> bytes:
        base = dict(namespace="default", workflow_id="survivor", run_id="00000000-0000-0000-0000-000000000000", scheduled_event_id=5, attempt=1, task_type=common_pb2.TASK_TYPE_ACTIVITY, shard_id=0)
        base.update(fields)
        return internal_pb2.TaskToken(**base).SerializeToString()

    forged_tokens = [token(shard_id=right_shard, mac=bytes(32)), token(shard_id=right_shard), token(shard_id=right_shard, attempt=9, mac=b"x" * 32),
                     token(shard_id=(right_shard + 1) % 16), token(shard_id=99), token(namespace="other"), b"\x00garbage", b""]
    for tok in forged_tokens:
        for method, request in [
            ("RespondActivityTaskCompleted", ws.RespondActivityTaskCompletedRequest(namespace="default", task_token=tok)),
            ("RespondActivityTaskFailed", ws.RespondActivityTaskFailedRequest(namespace="default", task_token=tok)),
            ("RecordActivityTaskHeartbeat", ws.RecordActivityTaskHeartbeatRequest(namespace="default", task_token=tok)),
            ("RespondWorkflowTaskCompleted", ws.RespondWorkflowTaskCompletedRequest(namespace="default", task_token=tok)),
        ]:
            corpus.expect({grpc.StatusCode.INVALID_ARGUMENT}, corpus.call(method, request))

    # 5. unauthenticated and unauthorised
    team_key = adm.RegisterNamespaceResponse.FromString(
        corpus.channel.unary_unary("/fanflow.v1.AdminService/RegisterNamespace")(adm.RegisterNamespaceRequest(name="team").SerializeToString(), metadata=_auth(ADMIN))
    ).api_key
    for key, expected in [(None, grpc.StatusCode.UNAUTHENTICATED), ("wrong", grpc.StatusCode.UNAUTHENTICATED), (team_key, grpc.StatusCode.PERMISSION_DENIED)]:
        for method, request in [
            ("StartWorkflowExecution", start("intruder")),
            ("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="survivor"))),
            ("TerminateWorkflowExecution", ws.TerminateWorkflowExecutionRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="survivor"))),
            ("SignalWorkflowExecution", ws.SignalWorkflowExecutionRequest(namespace="default", execution=common_pb2.WorkflowExecution(workflow_id="survivor"), signal_name="s")),
            ("PollActivityTaskQueue", ws.PollActivityTaskQueueRequest(namespace="default", task_queue=common_pb2.TaskQueue(name="corpus"))),
            ("ListWorkflowExecutions", ws.ListWorkflowExecutionsRequest(namespace="default")),
        ]:
            corpus.expect(expected, corpus.call(method, request, key=key))
        for method, request in [("ListShards", adm.ListShardsRequest()), ("RegisterNamespace", adm.RegisterNamespaceRequest(name="x")), ("DescribeCluster", adm.DescribeClusterRequest())]:
            corpus.expect(expected, corpus.call(method, request, key=key, service="AdminService"))

    # 6. hypothesis-made messages
    run_generated(corpus)

    print(f"corpus: {corpus.sent} requests, outcomes {dict((c.name, n) for c, n in corpus.outcomes.items())}")
    assert corpus.sent >= 200, corpus.sent
    assert not {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNAVAILABLE} & set(corpus.outcomes), corpus.outcomes

    # the cluster is healthy and the survivor completes correctly
    health = health_pb2_grpc.HealthStub(corpus.channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert asyncio.run(_result(port, survivor_run)) == [i * i for i in range(300)]


async def _result(port: int, run_id: str):
    from worker_sdk import Client

    client = await Client.connect(f"127.0.0.1:{port}", api_key=ADMIN)
    try:
        return await client.get_workflow_handle("survivor", run_id=run_id).result(timeout=120)
    finally:
        await client.close()


texts = st.one_of(st.just(""), st.text(max_size=30), st.text(min_size=1001, max_size=1100), st.sampled_from(["default", "ghost", "survivor"]))


def run_generated(corpus: Corpus) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(namespace=texts, workflow_id=texts, workflow_type=texts, queue=texts, kind=st.integers(-3, 5), data=st.binary(max_size=64))
    def starts(namespace, workflow_id, workflow_type, queue, kind, data):
        request = ws.StartWorkflowExecutionRequest(
            namespace=namespace, workflow_id=workflow_id, workflow_type=common_pb2.WorkflowType(name=workflow_type),
            task_queue=common_pb2.TaskQueue(name=queue, kind=kind), input=common_pb2.Payload(data=data), request_id="gen",
        )
        code, details = corpus.call("StartWorkflowExecution", request)
        assert code in CLEAN_REFUSALS | {OK}, (code, details)
        if code == OK:  # it really started: clean it up so the survivor's queue stays sane
            corpus.call("TerminateWorkflowExecution", ws.TerminateWorkflowExecutionRequest(namespace=namespace, execution=common_pb2.WorkflowExecution(workflow_id=workflow_id)))

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(method=st.sampled_from(WORKFLOW_METHODS + ADMIN_METHODS), body=st.binary(max_size=80))
    def random_bodies(method, body):
        service = "AdminService" if method in ADMIN_METHODS else "WorkflowService"
        if method.startswith("Poll"):
            return  # a well-formed poll would long-poll; polls are covered above
        code, details = corpus.raw(service, method, body)
        assert code in CLEAN_REFUSALS | {OK}, (method, body, code, details)

    starts()
    random_bodies()
