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
import datetime
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


def _address() -> str | None:
    return _settings.get("address") or os.environ.get("FANFLOW_ADDRESS")


def _namespace() -> str:
    return _settings.get("namespace") or os.environ.get("FANFLOW_NAMESPACE") or DEFAULT_NAMESPACE


async def execute_workflow(
    workflow: Any,
    params: Any = _NO_PARAMS,
    execution_timeout: datetime.timedelta | float | None = None,
    execution_id: str | None = None,
    wait: bool = True,
    parent_close_policy: Any = None,
    *,
    id: str | None = None,
    task_queue: str | None = None,
    **kwargs: Any,
) -> Any:
    """Run `workflow` (a @workflow.define class) to completion and return its result — the
    seed's entry point, with the seed's arguments:

    - `params`: one pydantic model (or dict) for the entrypoint. A single-model entrypoint
      (`run(self, params: Input)`) gets it whole; otherwise its fields are spread onto the
      parameters by name (`run(self, a: int, b: str)`, `run(self, data: str)`); a mismatch
      raises TypeError naming the missing / unexpected names. Omitted: no arguments.
    - `execution_timeout` (timedelta or seconds): bounds the whole execution; default the
      workflow's `@workflow.define(execution_timeout=...)` (1 hour unless set there).
    - `execution_id`: the workflow id (`id=` is fanflow's name for it; give one or the
      other); default a new one.
    - `wait=False`: return a `WorkflowHandle` as soon as the workflow started (the seed
      allows this only inside a workflow, for child workflows; fanflow allows it at top
      level). With the embedded cluster, the cluster keeps running until the handle's
      `result()` returned (or the event loop ends); with an address, the handle's client
      stays open until then.
    - `parent_close_policy`: what happens to a child workflow when its parent closes; it only
      matters in workflow code.

    Called from workflow code, this starts a child workflow of the running one
    (`worker_sdk/child_workflows.py`): `wait=True` returns its result, `wait=False` a
    `ChildWorkflowHandle` once it started; `task_queue=` and `run_timeout=` apply there too.

    fanflow's extras: `task_queue=`, and `Client.start_workflow`'s keyword options.
    """
    from worker_sdk import workflow as workflow_module

    if workflow_module.in_workflow():
        return await _execute_child(workflow, params, execution_timeout, execution_id, wait, parent_close_policy, id=id, task_queue=task_queue, **kwargs)
    if not isinstance(wait, bool):
        raise TypeError(f"execute_workflow(wait=...) must be True or False, got {wait!r}")
    _check_parent_close_policy(parent_close_policy)
    task_queue = task_queue or _settings.get("task_queue") or DEFAULT_TASK_QUEUE
    start = dict(kwargs, id=id, execution_id=execution_id, execution_timeout=execution_timeout, task_queue=task_queue)
    address = _address()
    if address:
        client = await Client.connect(address, namespace=_namespace(), api_key=_settings.get("api_key"))
        try:
            handle = await client.start_workflow(workflow, params, **start)
        except BaseException:
            await client.close()
            raise
        handle._on_done = client.close
        return await _result_or_handle(handle, wait)
    loop = asyncio.get_running_loop()
    session = _sessions.setdefault(loop, _EmbeddedSession())
    client = await session.acquire(task_queue)

    async def release() -> None:
        await session.release()
        if session.users == 0:
            _sessions.pop(loop, None)

    try:
        handle = await client.start_workflow(workflow, params, **start)
    except BaseException:
        await release()
        raise
    handle._on_done = release
    return await _result_or_handle(handle, wait)


async def _execute_child(workflow: Any, params: Any, execution_timeout: Any, execution_id: Any, wait: Any, parent_close_policy: Any,
                         *, id: str | None, task_queue: str | None, **kwargs: Any) -> Any:
    """`execute_workflow` in workflow code: a child workflow of the running one."""
    from worker_sdk._loop import current_instance
    from worker_sdk.child_workflows import execute_child_workflow

    run_timeout = kwargs.pop("run_timeout", None)
    if kwargs:
        raise TypeError(f"execute_workflow in workflow code (a child workflow) takes no option {', '.join(sorted(kwargs))}")
    if id is not None and execution_id is not None and id != execution_id:
        raise ValueError(f"pass the child's workflow id once: id={id!r} and execution_id={execution_id!r} differ")
    return await execute_child_workflow(
        current_instance(), workflow, None if params is _NO_PARAMS else params,
        execution_timeout=execution_timeout, execution_id=execution_id if execution_id is not None else id, wait=wait,
        parent_close_policy=parent_close_policy, task_queue=task_queue, run_timeout=run_timeout,
    )


async def _result_or_handle(handle: Any, wait: bool) -> Any:
    if not wait:
        return handle
    try:
        return await handle.result()
    finally:
        await handle._done()  # also when the wait itself was cancelled


def _check_parent_close_policy(policy: Any) -> None:
    from worker_sdk.workflow import ParentClosePolicy

    if policy is not None and not isinstance(policy, ParentClosePolicy):
        raise TypeError(f"execute_workflow(parent_close_policy=...) must be a workflows.ParentClosePolicy, got {policy!r}")
