"""The client: start workflows and read their results, over the frontend's gRPC API.

Calls that fail because the cluster is restarting (UNAVAILABLE) are retried with
backoff, and calls a frontend refused over its rate limit (RESOURCE_EXHAUSTED with a
`fanflow-retry-after` trailer) after the wait it named; starts are safe to retry because
each carries a request id.
"""
from __future__ import annotations

import asyncio
import datetime
import os
import random
import socket
import uuid
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable

import grpc
import structlog

from fanflow import tls
from fanflow.channels import credentials_channel, insecure_channel
from fanflow.timeutil import duration
from fanflow.tokenbucket import RETRY_AFTER_METADATA
from protos import common_pb2, workflow_service_pb2 as ws, workflow_service_pb2_grpc
from worker_sdk import converter, offload
from worker_sdk.exceptions import WorkflowAlreadyStartedError, WorkflowFailureError, WorkflowNotFoundError
from worker_sdk.schedules_client import ScheduleClient
from worker_sdk.client_messages import MessagesMixin
from worker_sdk.listing import ListingClient
from worker_sdk.workflow import timeout_seconds

if TYPE_CHECKING:  # pragma: no cover
    from worker_sdk.replayer import WorkflowHistory

log = structlog.get_logger("fanflow.sdk.client")

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"
DEFAULT_TASK_QUEUE = "default"
# CANCELLED: a call this client cancels raises asyncio.CancelledError, so an AioRpcError with
# CANCELLED is one the server dropped (gRPC's overload protection drops requests no handler
# took yet, and a stopping server its calls in flight): sent again like UNAVAILABLE.
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
_NO_PARAMS = object()


def _retry_after(exc: grpc.aio.AioRpcError) -> float | None:
    """Seconds the frontend asked us to wait (a rate limit's RESOURCE_EXHAUSTED), else None.
    Other RESOURCE_EXHAUSTED errors (e.g. a message over gRPC's size limit) are not retried."""
    if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
        return None
    for key, value in exc.trailing_metadata() or ():
        if key == RETRY_AFTER_METADATA:
            try:
                return max(float(value), 0.001)
            except ValueError:
                return None
    return None


def default_identity() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def _definition(workflow: Any):
    """The definition of a workflow class or entrypoint method; None for a type name."""
    from worker_sdk import workflow as wf

    if isinstance(workflow, str):
        return None
    return wf.get_definition(workflow)


def _start_search_keys(definition, type_name: str, payload: common_pb2.Payload) -> list[common_pb2.SearchKey]:
    """Search keys: the values at the definition's ``search_keys`` paths (a type name looks for
    a workflow defined in this process; none found: the worker records them at the first task)."""
    from worker_sdk import search_keys, workflow as wf

    definition = definition or wf.all_workflows().get(type_name)
    if definition is None or not definition.search_keys:
        return []
    return search_keys.to_messages(search_keys.extract_from_payload(definition, payload))


class Client(ScheduleClient, ListingClient):
    """Start and follow workflows; schedules: see ``worker_sdk.schedules_client.ScheduleClient``;
    listing and counting workflows: ``worker_sdk.listing.ListingClient``."""

    def __init__(self, channel: grpc.aio.Channel, *, namespace: str = DEFAULT_NAMESPACE, identity: str | None = None, api_key: str | None = None, retry_timeout: float = 120.0,
                 payload_offload_bytes: int | bool | None = None):
        """payload_offload_bytes: payloads with more data than this are stored beside history
        and sent by reference (worker_sdk.offload); True: 512 KiB; default
        FANFLOW_PAYLOAD_OFFLOAD_BYTES, else off (as the seed's payload offloading). References
        are resolved either way."""
        self.payload_offload_bytes = offload.offload_threshold(payload_offload_bytes)
        self.blob_cache = offload.BlobCache()
        self.channel = channel
        self.namespace = namespace
        self.identity = identity or default_identity()
        self.service = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
        self.metadata = (("authorization", f"Bearer {api_key}"),) if api_key else None
        self.retry_timeout = retry_timeout
        self._tls: _ClientTlsChannels | None = None  # set by connect() when it dials TLS
        self._retired_channels: set[asyncio.Task] = set()

    @classmethod
    async def connect(
        cls,
        address: str = DEFAULT_ADDRESS,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        identity: str | None = None,
        api_key: str | None = None,
        tls_ca_file: str | None = None,
        tls_cert_file: str | None = None,
        tls_key_file: str | None = None,
        tls_server_name: str | None = None,
        retry_timeout: float = 120.0,
        payload_offload_bytes: int | bool | None = None,
    ) -> "Client":
        """api_key: sent as `authorization: Bearer KEY` (default FANFLOW_API_KEY).

        TLS (any of these set dials TLS; each defaults to its FANFLOW_TLS_* variable):
        tls_ca_file: PEM of the CA that signed the frontend's certificate (else the system's);
        tls_cert_file + tls_key_file: this client's certificate and key, for a frontend that
        requires client certificates (re-read when they change: new connections use the new
        ones); tls_server_name: check the frontend's certificate against this name instead of
        the dialled host. A file that cannot be used, or an expired certificate, raises
        ValueError naming the option."""
        channels = _ClientTlsChannels.from_env(tls_ca_file, tls_cert_file, tls_key_file, tls_server_name)
        channel = channels.channel(address) if channels is not None else insecure_channel(address)
        client = cls(channel, namespace=namespace, identity=identity, api_key=api_key or os.environ.get("FANFLOW_API_KEY"), retry_timeout=retry_timeout,
                     payload_offload_bytes=payload_offload_bytes)
        client._tls, client._address = channels, address
        return client

    def _follow_tls_rotation(self) -> None:
        """New connections use the client's certificate files once they changed on disk; calls
        in flight (long polls) finish on the old channel, closed after them."""
        if self._tls is None or not self._tls.client.changed():
            return
        old, self.channel = self.channel, self._tls.channel(self._address)
        self.service = workflow_service_pb2_grpc.WorkflowServiceStub(self.channel)
        log.info("TLS files changed: new connections use them", cert=self._tls.cert_file)
        task = asyncio.get_running_loop().create_task(old.close(grace=120.0))
        self._retired_channels.add(task)
        task.add_done_callback(self._retired_channels.discard)

    async def close(self) -> None:
        for task in list(self._retired_channels):
            task.cancel()
        await self.channel.close()

    async def call(self, method: str, request, *, timeout: float | None = 30.0, retry: bool = True):
        """Call a WorkflowService method, retrying while the cluster is unavailable. Large
        payloads go out as blob references and come back resolved (worker_sdk.offload)."""
        await offload.offload_request(self, method, request)
        response = await self._call(method, request, timeout=timeout, retry=retry)
        await offload.resolve_response(self, method, response)
        return response

    async def _call(self, method: str, request, *, timeout: float | None, retry: bool):
        self._follow_tls_rotation()
        rpc = getattr(self.service, method)
        delay = 0.1
        deadline = asyncio.get_running_loop().time() + self.retry_timeout
        while True:
            try:
                return await rpc(request, timeout=timeout, metadata=self.metadata)
            except grpc.aio.AioRpcError as exc:
                retry_after = _retry_after(exc)
                wait = delay * (0.5 + random.random()) if retry_after is None else retry_after * (1 + random.random() / 2)
                retryable = (exc.code() in RETRYABLE and not isinstance(exc, tls.TlsRefusedError)) or retry_after is not None
                if not retry or not retryable or asyncio.get_running_loop().time() + wait > deadline:
                    raise
                log.debug("frontend unavailable or over a rate limit, retrying", method=method, code=str(exc.code()), error=exc.details())
            await asyncio.sleep(wait)
            if retry_after is None:
                delay = min(delay * 2, 3.0)

    # ------------------------------------------------------------ workflows
    def start_workflow_request(
        self,
        workflow: Any,
        params: Any = _NO_PARAMS,
        *,
        args: tuple = (),
        id: str | None = None,
        execution_id: str | None = None,
        task_queue: str = DEFAULT_TASK_QUEUE,
        run_timeout: float | datetime.timedelta | None = None,
        execution_timeout: float | datetime.timedelta | None = None,
        id_reuse_policy: int = ws.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED,
    ) -> ws.StartWorkflowExecutionRequest:
        """The StartWorkflowExecution request `start_workflow` sends (same arguments); bad
        arguments raise here, before anything is sent."""
        definition = _definition(workflow)
        type_name = definition.name if definition else str(workflow)
        if id is not None and execution_id is not None and id != execution_id:
            raise ValueError(f"pass the workflow id once: id={id!r} and execution_id={execution_id!r} differ")
        workflow_id = id or execution_id or f"{type_name}-{uuid.uuid4()}"
        if definition is None:
            call_args = args if params is _NO_PARAMS else (params, *args)
            payload = converter.encode_args(None, call_args, {})
        elif args:
            payload = definition.encode_input(*(args if params is _NO_PARAMS else (params, *args)))
        else:
            payload = definition.encode_params(None if params is _NO_PARAMS else params)
        execution_seconds = timeout_seconds(execution_timeout, "execution_timeout")
        if execution_seconds is None and definition is not None and definition.execution_timeout is not None:
            execution_seconds = definition.execution_timeout.total_seconds()
        run_seconds = timeout_seconds(run_timeout, "run_timeout")
        request = ws.StartWorkflowExecutionRequest(
            namespace=self.namespace,
            workflow_id=workflow_id,
            workflow_type=common_pb2.WorkflowType(name=type_name),
            task_queue=common_pb2.TaskQueue(name=task_queue),
            input=payload,
            identity=self.identity,
            request_id=str(uuid.uuid4()),
            workflow_id_reuse_policy=id_reuse_policy,
        )
        if definition is not None:
            request.metadata.CopyFrom(definition.metadata())
        request.search_keys.extend(_start_search_keys(definition, type_name, payload))
        if run_seconds:
            request.workflow_run_timeout.CopyFrom(duration(run_seconds))
        if execution_seconds:
            request.workflow_execution_timeout.CopyFrom(duration(execution_seconds))
        return request

    async def start_workflow(self, workflow: Any, params: Any = _NO_PARAMS, **options: Any) -> "WorkflowHandle":
        """Start `workflow` and return its handle.

        `workflow`: a @workflow.define class, its entrypoint method (`MyWorkflow.run`, as in
        Temporal), or a workflow type name (then nothing is checked here and `params` is sent
        as it is). `params` follows the seed's rule (`converter.bind_params`): a single-model
        entrypoint gets it whole; otherwise a pydantic model's fields or a dict's keys are
        spread onto the parameters by name (`run(self, a: int, b: str)` takes
        `{"a": 1, "b": "x"}`); a value that fits the first parameter (the others having
        defaults) is that parameter. A mismatch raises TypeError naming the missing and
        unexpected names, before anything is sent. `args=(...)` passes positional arguments.

        Options: `id` / `execution_id` (the seed's name) — the workflow id (default: type name
        + uuid); `task_queue`; `execution_timeout` (timedelta or seconds) bounds the whole
        execution across continue-as-new, default the definition's
        (`@workflow.define(execution_timeout=...)`, 1 hour unless set; none for a type name);
        `run_timeout`; `id_reuse_policy`. The definition's display name, description and
        is_technical go along as the run's `WorkflowMetadata`, and the values at its
        `search_keys` paths as the run's search keys.
        """
        request = self.start_workflow_request(workflow, params, **options)
        try:
            response = await self.call("StartWorkflowExecution", request)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
                raise WorkflowAlreadyStartedError(exc.details()) from None
            raise
        return WorkflowHandle(self, request.workflow_id, response.run_id, _definition(workflow))

    async def execute_workflow(self, workflow: Any, params: Any = _NO_PARAMS, **kwargs) -> Any:
        """`start_workflow` (same arguments) and wait for the result."""
        handle = await self.start_workflow(workflow, params, **kwargs)
        return await handle.result()

    def get_workflow_handle(self, workflow_id: str, run_id: str = "", workflow: Any = None) -> "WorkflowHandle":
        return WorkflowHandle(self, workflow_id, run_id, _definition(workflow) if workflow else None)


class WorkflowHandle(MessagesMixin):
    """A workflow execution: its result, history, description, progress; signals, queries,
    updates and human input (``client_messages.MessagesMixin``); cancel and terminate."""

    def __init__(self, client: Client, workflow_id: str, run_id: str, definition=None):
        self.client = client
        self.workflow_id = workflow_id
        self.run_id = run_id  # the first run; result() follows continue-as-new
        self.definition = definition
        # Called once when result() has the outcome (a handle that holds an embedded
        # cluster or its own client open until then lets go of it).
        self._on_done: Callable[[], Awaitable[None]] | None = None

    async def _done(self) -> None:
        on_done, self._on_done = self._on_done, None
        if on_done is not None:
            await on_done()

    @property
    def execution(self) -> common_pb2.WorkflowExecution:
        return common_pb2.WorkflowExecution(workflow_id=self.workflow_id, run_id=self.run_id)

    async def result(self, timeout: float | None = None, *, poll_interval: float = 30.0) -> Any:
        """Wait for the workflow (following continue-as-new) and return its decoded result
        (`None` when the workflow returned `None`, whatever its return annotation)."""
        try:
            value = await self._result(timeout, poll_interval)
        except (TimeoutError, asyncio.CancelledError):
            raise  # still running (or the wait was cancelled): the caller may wait again
        except BaseException:
            await self._done()
            raise
        await self._done()
        return value

    async def _result(self, timeout: float | None, poll_interval: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            wait = poll_interval if deadline is None else max(0.0, min(poll_interval, deadline - loop.time()))
            request = ws.GetWorkflowResultRequest(namespace=self.client.namespace, execution=self.execution, wait_timeout=duration(wait), follow_runs=True)
            try:
                response = await self.client.call("GetWorkflowResult", request, timeout=wait + 30.0)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    raise WorkflowNotFoundError(exc.details()) from None
                if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise
                continue
            status = response.status
            if status == common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED:
                if self.definition is not None:
                    return self.definition.decode_result(response.result)
                return converter.from_payload(response.result)
            if status != common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING:
                raise WorkflowFailureError(
                    f"workflow {self.workflow_id} {common_pb2.WorkflowExecutionStatus.Name(status).removeprefix('WORKFLOW_EXECUTION_STATUS_').lower()}: "
                    f"{converter.describe_failure(response.failure)}",
                    failure=response.failure,
                )
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutError(f"workflow {self.workflow_id} still running after {timeout} s")

    async def describe(self) -> ws.DescribeWorkflowExecutionResponse:
        return await self.client.call("DescribeWorkflowExecution", ws.DescribeWorkflowExecutionRequest(namespace=self.client.namespace, execution=self._latest()))

    async def history(self, run_id: str | None = None, *, resolve: bool = False) -> list[common_pb2.HistoryEvent]:
        """Every event of one run (default: the first run of this handle), as stored: large
        payloads as blob references, unless ``resolve`` (then with their data)."""
        execution = common_pb2.WorkflowExecution(workflow_id=self.workflow_id, run_id=self.run_id if run_id is None else run_id)
        events, token = [], b""
        while True:
            response = await self.client.call(
                "GetWorkflowExecutionHistory",
                ws.GetWorkflowExecutionHistoryRequest(namespace=self.client.namespace, execution=execution, maximum_page_size=1000, next_page_token=token),
            )
            events.extend(response.history.events)
            token = response.next_page_token
            if not token:
                if resolve:
                    for event in events:
                        await offload.resolve_payloads(self.client, event)
                return events

    async def fetch_history(self, run_id: str | None = None) -> "WorkflowHistory":
        """Temporal's ``fetch_history``: one run's events with its ids, for the replayer
        (``workflows.Replayer``). Default: this handle's run, or the latest one when the
        handle names none."""
        from .replayer import WorkflowHistory

        run_id = self.run_id if run_id is None else run_id
        if not run_id:
            run_id = (await self.describe()).info.execution.run_id
        events = await self.history(run_id=run_id, resolve=True)  # payloads stored beside history come back for the replay
        return WorkflowHistory(self.workflow_id, events, run_id)

    async def progress(self, max_events: int = 100) -> ws.GetWorkflowProgressResponse:
        """Progress of this workflow's parallel executors (across continue-as-new
        runs) and the events it recorded with record_event, newest first."""
        return await self.client.call(
            "GetWorkflowProgress", ws.GetWorkflowProgressRequest(namespace=self.client.namespace, workflow_id=self.workflow_id, max_events=max_events)
        )

    async def watch(self, cursor: int = 0, *, progress: bool = True) -> AsyncIterator[ws.WatchWorkflowResponse]:
        """What happens to this workflow as it happens (WatchWorkflow): its tasks' state changes
        (``item`` ``task``), recorded events (``event``), each run's start and close
        (``status``) and, unless ``progress=False``, progress snapshots (``progress``: at the
        start and after each batch of changes), until the continue-as-new chain closes.
        ``cursor``: resume after a response's ``cursor`` (0: from the start). A dropped
        connection is resumed from the last cursor seen (within the client's retry_timeout)."""
        if cursor < 0:
            raise ValueError(f"cursor must be 0 or a cursor a watch response gave, got {cursor}")
        client = self.client
        loop = asyncio.get_running_loop()
        give_up = loop.time() + client.retry_timeout
        delay = 0.1
        while True:
            request = ws.WatchWorkflowRequest(namespace=client.namespace, workflow_id=self.workflow_id, cursor=cursor, no_progress=not progress)
            try:
                async for response in client.service.WatchWorkflow(request, metadata=client.metadata):
                    if not response.HasField("progress"):
                        cursor = response.cursor
                    give_up, delay = loop.time() + client.retry_timeout, 0.1
                    yield response
                return
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    raise WorkflowNotFoundError(exc.details()) from None
                if exc.code() not in RETRYABLE or loop.time() + delay > give_up:
                    raise
                log.debug("watch interrupted, resuming", workflow_id=self.workflow_id, cursor=cursor, error=exc.details())
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)

    async def terminate(self, reason: str = "") -> None:
        await self.client.call("TerminateWorkflowExecution", ws.TerminateWorkflowExecutionRequest(namespace=self.client.namespace, execution=self._latest(), reason=reason, identity=self.client.identity))

    async def cancel(self, reason: str = "") -> None:
        """Ask the workflow to cancel: its code gets ``asyncio.CancelledError`` (where it waits)
        and may clean up; if it lets the error through the run ends CANCELED and ``result()``
        raises ``WorkflowFailureError``. Unlike ``terminate``, the workflow has the last word."""
        await self.client.call(
            "RequestCancelWorkflowExecution",
            ws.RequestCancelWorkflowExecutionRequest(namespace=self.client.namespace, execution=self._latest(), reason=reason, identity=self.client.identity),
        )

    async def signal(self, name: Any, arg: Any = None) -> None:
        """Send signal `name` (or the `@workflow.signal` method itself) with one value: an
        object (dict or pydantic model) keyed by the handler's parameter names, or the bare
        value for a one-parameter handler."""
        mark = getattr(name, "__fanflow_handler__", None)
        if mark is not None:
            name = mark.name or name.__name__
        if not isinstance(name, str) or not name:
            raise TypeError(f"signal name must be a non-empty string or a @workflow.signal method, got {name!r}")
        await self.client.call(
            "SignalWorkflowExecution",
            ws.SignalWorkflowExecutionRequest(namespace=self.client.namespace, execution=self._latest(), signal_name=name, input=converter.to_payload(arg), identity=self.client.identity),
        )

    def _latest(self) -> common_pb2.WorkflowExecution:
        # An empty run id addresses the current run (after continue-as-new).
        return common_pb2.WorkflowExecution(workflow_id=self.workflow_id)


class _ClientTlsChannels:
    """The SDK's TLS material (Client.connect's tls_* options) and the channels made with it."""

    SETTINGS = tls.Settings("tls_cert_file", "tls_key_file", "tls_ca_file")

    def __init__(self, client: tls.ClientTls, cert_file: str, server_name: str):
        self.client, self.cert_file, self.server_name = client, cert_file, server_name

    @classmethod
    def from_env(cls, ca_file: str | None, cert_file: str | None, key_file: str | None, server_name: str | None) -> "_ClientTlsChannels | None":
        """from_options with each unset option taken from its FANFLOW_TLS_* variable."""
        env = os.environ.get
        return cls.from_options(ca_file or env("FANFLOW_TLS_CA_FILE"), cert_file or env("FANFLOW_TLS_CERT_FILE"),
                                key_file or env("FANFLOW_TLS_KEY_FILE"), server_name or env("FANFLOW_TLS_SERVER_NAME"))

    @classmethod
    def from_options(cls, ca_file: str | None, cert_file: str | None, key_file: str | None, server_name: str | None) -> "_ClientTlsChannels | None":
        if not (ca_file or cert_file or key_file):
            return None
        if bool(cert_file) != bool(key_file):
            given, missing = ("tls_cert_file", "tls_key_file") if cert_file else ("tls_key_file", "tls_cert_file")
            raise ValueError(f"{given} is set but {missing} is not: a client certificate needs its private key (FANFLOW_TLS_CERT_FILE / FANFLOW_TLS_KEY_FILE)")
        ca = tls.TlsCaFile(ca_file, "tls_ca_file") if ca_file else None
        files = None
        if cert_file:
            # The CA bundle checks the frontend; the client certificate may come from another
            # CA (the frontend's frontend_client_ca_file), so only its dates are checked here.
            files = tls.TlsFiles(cert_file, key_file, None, settings=cls.SETTINGS, role="client")
            tls.check_usable(files.current, cert_file, cls.SETTINGS)
        return cls(tls.ClientTls(files, ca=ca, server_name=server_name or ""), cert_file or "", server_name or "")

    def channel(self, address: str) -> grpc.aio.Channel:
        current = (lambda: self.client.files.current) if self.client.files is not None else (lambda: None)
        explain = tls.ExplainTlsRefusals(current, self.SETTINGS, cert_file=self.cert_file, target=address)
        return credentials_channel(address, self.client.credentials(), [explain], server_name=self.server_name)


def tls_channel(address: str, *, tls_ca_file: str | None = None, tls_cert_file: str | None = None, tls_key_file: str | None = None,
                tls_server_name: str | None = None) -> grpc.aio.Channel:
    """A channel as Client.connect dials it (the same options and FANFLOW_TLS_* defaults):
    for callers of services other than WorkflowService (health checks)."""
    channels = _ClientTlsChannels.from_env(tls_ca_file, tls_cert_file, tls_key_file, tls_server_name)
    return channels.channel(address) if channels is not None else insecure_channel(address)
