"""`execute_workflow` with nothing set up: an embedded cluster plus a worker.

With no address configured (`configure(address=...)` or FANFLOW_ADDRESS), the
first `execute_workflow` in a process starts the three services in this
process on loopback, with SQLite files under FANFLOW_DATA_DIR (default
`.fanflow/` in the working directory), and a worker for every workflow and
activity defined so far. The last call to finish stops them again. The data
stays: a workflow left running by a killed script resumes the next time one
runs on the same folder.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import structlog

from fanflow.extras import server_extra_missing

from worker_sdk.client import DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE, _NO_PARAMS, Client

log = structlog.get_logger("fanflow.sdk.embedded")

_settings: dict[str, Any] = {}


def configure(*, address: str | None = None, namespace: str | None = None, data_dir: str | os.PathLike | None = None, task_queue: str | None = None, api_key: str | None = None) -> None:
    """Where `execute_workflow` goes: a cluster at `address`, else an embedded one in `data_dir`."""
    for key, value in dict(address=address, namespace=namespace, data_dir=data_dir, task_queue=task_queue, api_key=api_key).items():
        if value is not None:
            _settings[key] = value


class _EmbeddedSession:
    """One embedded cluster + worker per event loop, shared by concurrent calls."""

    def __init__(self) -> None:
        self.users = 0
        self.lock = asyncio.Lock()
        self.cluster = None
        self.client: Client | None = None
        self.worker = None

    async def acquire(self, task_queue: str) -> Client:
        async with self.lock:
            if self.users == 0:
                await self._start(task_queue)
            self.users += 1
            return self.client

    async def release(self) -> None:
        async with self.lock:
            self.users -= 1
            if self.users == 0:
                await self._stop()

    async def _start(self, task_queue: str) -> None:
        try:
            from fanflow.cluster import embedded
            from fanflow.config import ClusterConfig
        except ModuleNotFoundError as exc:
            hint = server_extra_missing(exc)
            if hint is None:
                raise
            raise RuntimeError(f"execute_workflow without a cluster address starts an embedded cluster, but {hint}") from None
        from fanflow.logging import configure_logging
        from worker_sdk.worker import Worker

        # A script's output is its own, not the cluster's: warnings only unless asked.
        configure_logging(os.environ.get("FANFLOW_LOG_LEVEL") or "WARNING")
        data_dir = Path(_settings.get("data_dir") or os.environ.get("FANFLOW_DATA_DIR") or ".fanflow")
        self.cluster = await embedded(ClusterConfig.embedded(data_dir)).start()
        self.client = await Client.connect(self.cluster.frontend_address, namespace=_settings.get("namespace", DEFAULT_NAMESPACE))
        self.worker = await Worker(self.client, task_queue=task_queue).start()
        log.info("embedded cluster started", frontend=self.cluster.frontend_address, data_dir=str(data_dir))

    async def _stop(self) -> None:
        await self.worker.shutdown(grace=1.0)
        await self.client.close()
        await self.cluster.stop()
        self.cluster = self.client = self.worker = None


_sessions: dict[asyncio.AbstractEventLoop, _EmbeddedSession] = {}


async def execute_workflow(workflow: Any, params: Any = _NO_PARAMS, *, id: str | None = None, task_queue: str | None = None, **kwargs) -> Any:
    """Run `workflow` to completion and return its result (the seed's entry point)."""
    task_queue = task_queue or _settings.get("task_queue") or DEFAULT_TASK_QUEUE
    address = _settings.get("address") or os.environ.get("FANFLOW_ADDRESS")
    if address:
        client = await Client.connect(address, namespace=_settings.get("namespace") or os.environ.get("FANFLOW_NAMESPACE", DEFAULT_NAMESPACE), api_key=_settings.get("api_key"))
        try:
            return await client.execute_workflow(workflow, params, id=id, task_queue=task_queue, **kwargs)
        finally:
            await client.close()
    loop = asyncio.get_running_loop()
    session = _sessions.setdefault(loop, _EmbeddedSession())
    client = await session.acquire(task_queue)
    try:
        return await client.execute_workflow(workflow, params, id=id, task_queue=task_queue, **kwargs)
    finally:
        await session.release()
        if session.users == 0:
            _sessions.pop(loop, None)
