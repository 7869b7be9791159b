"""``run_worker``: the seed's way to serve workflows — a fanflow ``Worker`` for the given
workflow classes and every registered activity, against the cluster the process is
configured for, until cancelled.

    async def main():
        await workflows.run_worker([MyWorkflow])      # FANFLOW_ADDRESS, default 127.0.0.1:7233
"""
from __future__ import annotations

import asyncio
from typing import Any, Iterable

import structlog

from . import workflow as workflow_module
from . import embedded
from .client import DEFAULT_ADDRESS, DEFAULT_TASK_QUEUE, Client

log = structlog.get_logger("fanflow.sdk.workers")

__all__ = ["run_worker", "get_registered_workflow_names"]

# Workflow names served by run_worker workers running in this process (one entry per worker).
_running: dict[int, list[str]] = {}


def get_registered_workflow_names() -> list[str]:
    """The workflow names the ``run_worker`` workers of this process serve, sorted; empty
    when none runs (as the seed: it lists what the running worker registered)."""
    return sorted({name for names in _running.values() for name in names})


async def run_worker(
    workflows: Iterable[Any],
    detach: bool = False,
    api_key: str | None = None,
    namespace: str | None = None,
    enable_config_discovery: bool | None = None,
) -> asyncio.Task | None:
    """Serve ``workflows`` (``@workflow.define`` classes) and every activity registered in
    this process, on the cluster at ``configure(address=...)`` / ``FANFLOW_ADDRESS`` (default
    ``127.0.0.1:7233``, where ``fanflow dev`` listens), task queue ``configure(task_queue=...)``
    or ``"default"`` (the queue ``execute_workflow`` starts workflows on).

    Runs until cancelled, then stops polling and lets running tasks finish (5 s grace).
    ``detach=True`` starts the worker and returns the ``asyncio.Task`` running it (cancel it
    to stop). ``api_key`` / ``namespace``: default ``configure(...)``, then ``FANFLOW_API_KEY``
    / ``FANFLOW_NAMESPACE``, then none / ``"default"``. ``enable_config_discovery`` (the seed
    fetching worker settings from its platform) is accepted and has no effect in fanflow.
    """
    if isinstance(workflows, (str, type)) or not isinstance(workflows, Iterable):
        raise TypeError(f"run_worker needs a list of workflow classes, got {workflows!r}")
    workflows = list(workflows)
    definitions = []
    for w in workflows:
        try:
            definitions.append(workflow_module.get_definition(w))
        except (ValueError, workflow_module.UnknownWorkflowTypeError) as exc:
            raise ValueError(f"run_worker: {exc}") from None
    if not isinstance(detach, bool):
        raise TypeError(f"run_worker(detach=...) must be True or False, got {detach!r}")
    if enable_config_discovery is not None and not isinstance(enable_config_discovery, bool):
        raise TypeError(f"run_worker(enable_config_discovery=...) must be True, False or None, got {enable_config_discovery!r}")
    for option, value in (("api_key", api_key), ("namespace", namespace)):
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(f"run_worker({option}=...) must be a non-empty string, got {value!r}")

    from .worker import Worker

    settings = embedded._settings
    address = embedded._address() or DEFAULT_ADDRESS
    task_queue = settings.get("task_queue") or DEFAULT_TASK_QUEUE
    client = await Client.connect(address, namespace=namespace or embedded._namespace(), api_key=api_key or settings.get("api_key"))
    worker = Worker(client, task_queue=task_queue, workflows=definitions, activities=None)  # None: every registered activity
    try:
        await worker.start()
    except BaseException:
        await client.close()
        raise
    key = id(worker)
    _running[key] = [d.name for d in definitions]
    log.info("worker running", address=address, task_queue=task_queue, namespace=client.namespace, workflows=_running[key])

    async def serve() -> None:
        try:
            await asyncio.Future()  # until cancelled
        finally:
            _running.pop(key, None)
            await worker.shutdown()
            await client.close()

    if detach:
        return asyncio.create_task(serve(), name="fanflow-worker")
    await serve()
    return None
