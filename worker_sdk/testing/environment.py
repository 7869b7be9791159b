"""``WorkflowEnvironment`` (fanflow's embedded cluster for a test) and ``create_test_worker``."""
from __future__ import annotations

import asyncio
import contextlib
import datetime
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Generator, Iterable

from ..client import Client

#: The task queue ``create_test_worker`` serves (the seed's default).
DEFAULT_TEST_TASK_QUEUE = "test-task-queue"


class WorkflowEnvironment:
    """A fanflow cluster for tests and a client of it. Start one with ``start_local()``;
    ``shutdown()`` (or leaving ``async with``) stops the cluster and deletes its data."""

    def __init__(self, client: Client, *, _stop: Callable[[], Awaitable[None]] | None = None) -> None:
        self._client = client
        self._stop = _stop

    @property
    def client(self) -> Client:
        return self._client

    @property
    def supports_time_skipping(self) -> bool:
        return False

    @classmethod
    def start_local(cls, *, namespace: str = "default", data_dir: str | Path | None = None, **options: Any) -> "_Starting":
        """Start fanflow's embedded cluster (frontend, history, matching on loopback ports,
        SQLite in ``data_dir`` or a temporary folder removed at shutdown). Await it
        (``env = await WorkflowEnvironment.start_local()``, also ``async with await ...``)
        or use it in ``async with`` directly. A ``namespace`` other than ``"default"`` is
        registered first."""
        if options:
            raise TypeError(
                f"WorkflowEnvironment.start_local() got unsupported option(s) {sorted(options)}; fanflow's test "
                "environment takes namespace= and data_dir="
            )
        if not isinstance(namespace, str) or not namespace:
            raise TypeError(f"start_local(namespace=...) must be a non-empty string, got {namespace!r}")
        return _Starting(lambda: cls._start(namespace, data_dir))

    @classmethod
    def start_time_skipping(cls, **options: Any) -> "_Starting":
        """The same environment as ``start_local`` (fanflow cannot skip time: timers and
        timeouts take their real duration)."""
        return cls.start_local(**options)

    @classmethod
    def from_client(cls, client: Client) -> "WorkflowEnvironment":
        """An environment over a cluster that is already running (``shutdown`` leaves it)."""
        return cls(client)

    @classmethod
    async def _start(cls, namespace: str, data_dir: str | Path | None) -> "WorkflowEnvironment":
        from fanflow.cluster import embedded
        from fanflow.config import ClusterConfig

        temporary = data_dir is None
        folder = Path(tempfile.mkdtemp(prefix="fanflow-test-")) if temporary else Path(data_dir)
        cluster = None
        try:
            cluster = await embedded(ClusterConfig.embedded(folder, poll_timeout=5.0)).start()
            if namespace != "default":
                await _register_namespace(cluster.frontend_address, namespace)
            client = await Client.connect(cluster.frontend_address, namespace=namespace)
        except BaseException:
            if cluster is not None:
                await cluster.stop()
            if temporary:
                shutil.rmtree(folder, ignore_errors=True)
            raise

        async def stop() -> None:
            await client.close()
            await cluster.stop()
            if temporary:
                shutil.rmtree(folder, ignore_errors=True)

        return cls(client, _stop=stop)

    async def sleep(self, duration: float | datetime.timedelta) -> None:
        """Wait (in real time: fanflow does not skip time)."""
        seconds = duration.total_seconds() if isinstance(duration, datetime.timedelta) else float(duration)
        await asyncio.sleep(seconds)

    async def get_current_time(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(time.time(), datetime.timezone.utc)

    async def shutdown(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            await stop()

    async def __aenter__(self) -> "WorkflowEnvironment":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()


class _Starting:
    """What ``start_local()`` returns: awaitable (the started environment) and an async
    context manager (starts on enter, shuts down on exit), like temporalio's."""

    def __init__(self, start: Callable[[], Awaitable[WorkflowEnvironment]]) -> None:
        self._start = start
        self._env: WorkflowEnvironment | None = None

    def __await__(self) -> Generator[Any, None, WorkflowEnvironment]:
        return self._started().__await__()

    async def _started(self) -> WorkflowEnvironment:
        if self._env is None:
            self._env = await self._start()
        return self._env

    async def __aenter__(self) -> WorkflowEnvironment:
        return await self._started()

    async def __aexit__(self, *exc: Any) -> None:
        if self._env is not None:
            await self._env.shutdown()


async def _register_namespace(address: str, namespace: str) -> None:
    from fanflow.channels import insecure_channel
    from protos import admin_service_pb2 as adm, admin_service_pb2_grpc

    channel = insecure_channel(address)
    try:
        await admin_service_pb2_grpc.AdminServiceStub(channel).RegisterNamespace(adm.RegisterNamespaceRequest(name=namespace), timeout=30)
    finally:
        await channel.close()


@contextlib.asynccontextmanager
async def create_test_worker(
    env: WorkflowEnvironment,
    workflows: Iterable[Any],
    activities: Iterable[Any] | None = None,
    task_queue: str = DEFAULT_TEST_TASK_QUEUE,
    interceptors: list | None = None,
) -> AsyncIterator[Any]:
    """A fanflow ``Worker`` on ``env`` for ``workflows`` and ``activities``, started on enter
    and shut down on exit (yields the worker). ``activities=None`` serves every registered
    activity (the seed registers none then; fanflow's default avoids a workflow waiting for
    an activity nobody polls). ``interceptors`` (Temporal worker interceptors) are not
    supported: pass none."""
    from ..worker import Worker

    if not isinstance(env, WorkflowEnvironment):
        raise TypeError(f"create_test_worker needs a testing.WorkflowEnvironment, got {type(env).__name__}")
    if interceptors:
        raise ValueError("create_test_worker(interceptors=...): fanflow workers take no Temporal interceptors")
    if isinstance(workflows, (str, type)) or not isinstance(workflows, Iterable):
        raise TypeError(f"create_test_worker needs a list of workflow classes, got {workflows!r}")
    worker = Worker(env.client, task_queue=task_queue, workflows=list(workflows), activities=None if activities is None else list(activities))
    async with worker:
        yield worker


@contextlib.asynccontextmanager
async def create_test_worker_with_events(
    env: WorkflowEnvironment,
    workflows: Iterable[Any],
    activities: Iterable[Any] | None = None,
    task_queue: str = DEFAULT_TEST_TASK_QUEUE,
    interceptors: list | None = None,
) -> AsyncIterator[Any]:
    """``create_test_worker`` under the seed's name for a worker whose runs publish events.
    The seed's worker sends them itself (extra activities and an interceptor); fanflow derives
    a run's events from its history on the server (``/v1/workflows/events/stream``), so any
    worker's runs have them and this worker is the same as ``create_test_worker``'s."""
    async with create_test_worker(env, workflows, activities, task_queue, interceptors) as worker:
        yield worker
