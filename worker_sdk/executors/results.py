"""Executor results stored beside history, and read back.

* Worker side, storing: a List / Chain item's result travels in its activity completion
  (the item was scheduled with a ``result_sink``) and history stores it; an Offset group
  stores its items' results itself with ``ResultWriter`` (``PutParallelResults``, batched)
  and, on a retry, skips the indexes ``stored_indexes`` finds.
* Reading, today: a finished executor hands the workflow an ``ExecutorResults``
  (``lazy_results``), paging from the store outside history.
* Reading, in runs recorded before that (no ``fanflow.executor-results-in-store`` patch
  marker; kept so they replay): the internal activity ``fanflow.read_results``
  (``read_results``) returns one page of stored results (at most ``PAGE_BYTES``, at least one
  result), ``read_back`` reads every result page by page into the run's history, decoding
  them with the activity's return type; ``result_list`` is what an executor call returns.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from pydantic import BaseModel

from protos import workflow_service_pb2 as ws

from .. import activity as activity_module
from .. import converter, offload
from .._executor_host import ExecutorHost
from ..activity import ActivityContext, ActivityDefinition
from ..exceptions import ApplicationError

__all__ = [
    "READ_RESULTS_ACTIVITY",
    "READ_RESULTS_DEFN",
    "PAGE_BYTES",
    "ReadSpec",
    "read_results",
    "read_back",
    "result_list",
    "ResultWriter",
    "stored_indexes",
]

#: Registered name of the internal activity that reads one page of stored results.
READ_RESULTS_ACTIVITY = "fanflow.read_results"
#: Maximum bytes of results in one page returned by ``fanflow.read_results``.
PAGE_BYTES = 500_000  # below the frontend's 512 KiB warning: our own read-back is not a "large payload"


class ReadSpec(BaseModel):
    """What ``fanflow.read_results`` reads: the results of items ``[start, end)``."""

    executor_id: str
    start: int
    end: int


# Unlimited attempts: reading stored results must not give up on a passing fault (the
# seed-default 3 attempts would fail a finished executor's workflow).
@activity_module.activity(name=READ_RESULTS_ACTIVITY, retry_policy=activity_module.RetryPolicy(maximum_attempts=0))
async def read_results(spec: ReadSpec) -> dict:
    """One page of stored results ``{"next": index after the page, "values": [JSON, ...]}``,
    at most ``PAGE_BYTES`` of results (at least one)."""
    ctx = ActivityContext.current()
    client = ctx.client if ctx is not None else None
    if client is None:
        raise ApplicationError(f"{READ_RESULTS_ACTIVITY} runs on a worker (it needs the worker's client)", non_retryable=True)
    values: list[Any] = []
    size = 0
    nxt = spec.start
    while nxt < spec.end:
        resp = await client.call(
            "GetParallelResults",
            ws.GetParallelResultsRequest(
                namespace=client.namespace, workflow_id=ctx.info.workflow_id, executor_id=spec.executor_id,
                start_index=nxt, limit=min(1000, spec.end - nxt),
            ),
        )
        if not resp.results or resp.results[0].index != nxt:
            raise ApplicationError(f"executor {spec.executor_id}: no stored result for item {nxt}", type="MissingResult", non_retryable=True)
        for r in resp.results:
            if r.index != nxt or nxt >= spec.end:
                break
            full_size = r.payload.blob_size or len(r.payload.data)  # a large result is stored beside history (offload.py)
            if values and size + full_size > PAGE_BYTES:
                return {"next": nxt, "values": values}
            await offload.resolve_payloads(client, r.payload)
            values.append(json.loads(r.payload.data or b"null"))
            size += full_size + 1
            nxt += 1
    return {"next": nxt, "values": values}


READ_RESULTS_DEFN: ActivityDefinition = read_results.__fanflow_activity__  # type: ignore[attr-defined]


async def read_back(host: ExecutorHost, executor_id: str, total: int, return_type: Any, task_queue: str | None) -> list[Any]:
    """In the workflow: the stored results of items ``0 .. total-1``, decoded with
    ``return_type``, read with ``fanflow.read_results`` one page at a time."""
    adapter = converter.type_adapter(return_type)
    values: list[Any] = []
    start = 0
    while start < total:
        page = await host.execute_activity(
            READ_RESULTS_DEFN, {"spec": ReadSpec(executor_id=executor_id, start=start, end=total)}, task_queue=task_queue
        )
        got = page.get("values") or []
        values.extend(adapter.validate_python(v) for v in got)
        start = max(int(page.get("next", start)), start + len(got))
        if not got:
            raise ApplicationError(f"executor {executor_id}: no stored result for item {start}", type="MissingResult", non_retryable=True)
    return values


def result_list(values: list[Any], return_type: Any) -> None | list:
    """What an executor call returns for its results (in item order): ``None`` when the
    activity returns ``None`` (declared so, or every result is ``None``), else the list."""
    if return_type is None or return_type is type(None):
        return None
    if values and all(v is None for v in values):
        return None
    return values


class ResultWriter:
    """Stores an Offset group's item results beside history in batches (one call in flight)."""

    def __init__(self, client: Any, workflow_id: str, executor_id: str) -> None:
        self.client, self.workflow_id, self.executor_id = client, workflow_id, executor_id
        self.pending: list[ws.IndexedPayload] = []
        self.failed = 0
        self.item_failures: list[ws.ExecutorItemFailure] = []  # executor item failures, sent with the next batch
        self._task: asyncio.Task | None = None

    def add(self, index: int, value: Any) -> None:
        self.pending.append(ws.IndexedPayload(index=index, payload=converter.to_payload(value)))
        self._kick()

    def add_failed(self, n: int, failures: list[ws.ExecutorItemFailure] = ()) -> None:
        self.failed += n
        self.item_failures.extend(failures)

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while self.pending or self.failed or self.item_failures:
            batch, self.pending = self.pending, []
            failed, self.failed = self.failed, 0
            item_failures, self.item_failures = self.item_failures, []
            await self.client.call(
                "PutParallelResults",
                ws.PutParallelResultsRequest(
                    namespace=self.client.namespace, workflow_id=self.workflow_id, executor_id=self.executor_id,
                    results=batch, failed_attempts=failed, item_failures=item_failures,
                ),
            )

    async def close(self) -> None:
        if self._task is not None:
            await self._task
        await self._drain()


async def stored_indexes(client: Any, workflow_id: str, executor_id: str, start: int, end: int) -> set[int]:
    """The indexes in ``[start, end)`` whose result is already stored (a reply may stop
    early on history's byte budget: read on from the last index it had)."""
    found: set[int] = set()
    nxt = start
    while nxt < end:
        resp = await client.call(
            "GetParallelResults",
            ws.GetParallelResultsRequest(namespace=client.namespace, workflow_id=workflow_id, executor_id=executor_id, start_index=nxt, limit=end - nxt),
        )
        indexes = [r.index for r in resp.results if nxt <= r.index < end]
        found.update(indexes)
        if len(resp.results) >= end - nxt or not indexes:
            break
        nxt = max(indexes) + 1
    return found
