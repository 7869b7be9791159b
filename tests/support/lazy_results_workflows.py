"""Workflows whose executors hand their results over lazily (``ExecutorResults``), shared by
the service tests of lazy results and by the recorded history of the read-back they replace
(``executor_read_back_v1.json``, recorded with the code before them)."""
from __future__ import annotations

import asyncio
import json

from pydantic import BaseModel

import worker_sdk as workflows


class Scored(BaseModel):
    idx: int
    label: str


@workflows.activity()
async def lzr_score(n: int) -> Scored:
    return Scored(idx=n, label=f"n{n}")


CHAIN_LENGTH = 40


@workflows.activity()
async def lzr_next(prev: int | None) -> int | None:
    n = 0 if prev is None else prev + 1
    return None if n >= CHAIN_LENGTH else n


@workflows.activity()
async def lzr_fetch(params: workflows.GetItemFromIndexParams) -> int:
    return params.idx


@workflows.activity()
async def lzr_sum_indexes(results: list[Scored]) -> int:
    return sum(r.idx for r in results)


@workflows.activity()
async def lzr_plus_one(n: int) -> int:
    return n + 1


@workflows.activity()
async def lzr_padded(n: int) -> str:
    return f"{n:08d}" + "x" * 1500


@workflows.activity()
async def lzr_maybe_none(n: int) -> int | None:
    return None


def describe(r: list) -> dict:
    """What workflow code sees of an executor's results (every list operation the tests check)."""
    n = len(r)
    expected = [Scored(idx=i, label=f"n{i}") for i in range(n)]
    return {
        "type_is_list": isinstance(r, list),
        "len": n,
        "all_scored": all(isinstance(v, Scored) for v in r),
        "first": r[0].idx,
        "last": r[-1].idx,
        "minus_two": r[-2].idx,
        "slice": [v.idx for v in r[2:5]],
        "tail": [v.idx for v in r[-3:]],
        "step": [v.idx for v in r[::10]],
        "backwards": [v.idx for v in r[::-15]],
        "reversed3": [v.idx for v in reversed(r)][:3],
        "equal_to_list": r == expected and expected == r and not (r != expected),
        "unequal_to_other": r != expected[:-1] and r != [],
        "list_copy_equal": list(r) == expected and type(list(r)) is list,
        "contains": Scored(idx=3, label="n3") in r and Scored(idx=n, label="x") not in r,
        "index_of_5": r.index(Scored(idx=5, label="n5")),
        "count_of_7": r.count(Scored(idx=7, label="n7")),
        "json": json.loads(json.dumps([v.model_dump() for v in r]))[-1],
        "bool": bool(r),
        "plus": [v.idx for v in (r + [Scored(idx=-1, label="")])][-2:],
    }


@workflows.workflow.define(name="lzr_all_patterns")
class LazyAllPatterns:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> dict:
        by_list = await workflows.execute_activities_in_parallel(lzr_score, items=list(range(n)), max_concurrent_scheduled_tasks=10)
        by_chain = await workflows.execute_activities_in_parallel(lzr_score, get_item_from_prev_item_activity=lzr_next)
        by_offset = await workflows.execute_activities_in_parallel(
            lzr_score, get_item_from_index_activity=lzr_fetch, n_items=n, max_concurrent_executions_per_worker=7
        )
        try:
            by_list.append(Scored(idx=0, label=""))
            immutable = "changed"
        except TypeError as exc:
            immutable = str(exc)
        try:
            by_list[n]
            out_of_range = "no error"
        except IndexError:
            out_of_range = "IndexError"
        return {
            "checks": {"list": describe(by_list), "chain": describe(by_chain), "offset": describe(by_offset)},
            "immutable": immutable,
            "out_of_range": out_of_range,
            "via_activity": await lzr_sum_indexes(by_offset),  # encoded as an activity's argument
            "offset": by_offset,  # encoded as (part of) the workflow's result
        }


@workflows.workflow.define(name="lzr_empty")
class LazyEmpty:
    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        a = await workflows.execute_activities_in_parallel(lzr_plus_one, items=[])
        b = await workflows.execute_activities_in_parallel(lzr_plus_one, get_item_from_index_activity=lzr_fetch, n_items=0)
        return {"a": a, "b": b, "is_list": [isinstance(a, list), isinstance(b, list)], "lens": [len(a), len(b)],
                "eq": [a == [], b == []], "none": await workflows.execute_activities_in_parallel(lzr_maybe_none, items=[1, 2, 3])}


@workflows.workflow.define(name="lzr_iterate")
class LazyIterate:
    """Iterates every result of a large Offset executor, noting the pages held on the way."""

    @workflows.workflow.entrypoint
    async def run(self, n: int) -> dict:
        results = await workflows.execute_activities_in_parallel(
            lzr_plus_one, get_item_from_index_activity=lzr_fetch, n_items=n,
            max_concurrent_executions_per_worker=1000, max_concurrent_scheduled_tasks=20,
        )
        total, peak = 0, 0
        for i, v in enumerate(results):
            total += v
            if i % 500 == 0:
                peak = max(peak, results.cached_pages)
        for i in range(0, n, 7919):  # random access, backwards too
            total -= results[-1 - i] - results[-1 - i]
        return {"len": len(results), "sum": total, "peak_pages": peak, "last": results[-1], "is_list": isinstance(results, list)}


@workflows.workflow.define(name="lzr_padded")
class LazyPadded:
    """Results of 1.5 KB each: only a summary is returned (the results stay in the store)."""

    @workflows.workflow.entrypoint
    async def run(self, n: int) -> dict:
        results = await workflows.execute_activities_in_parallel(
            lzr_padded, get_item_from_index_activity=lzr_fetch, n_items=n, max_concurrent_executions_per_worker=100,
        )
        return {"len": len(results), "bytes": sum(len(r) for r in results), "first": results[0][:8], "last": results[-1][:8]}


@workflows.workflow.define(name="lzr_return_all")
class LazyReturnAll:
    """Returns the whole sequence: past 2 MiB of JSON the run is terminated, naming the size."""

    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[str]:
        return await workflows.execute_activities_in_parallel(
            lzr_padded, get_item_from_index_activity=lzr_fetch, n_items=n, max_concurrent_executions_per_worker=100,
        )


@workflows.workflow.define(name="lzr_wait_then_read")
class LazyWaitThenRead:
    """Finishes an executor, then waits for a signal before it reads the results."""

    def __init__(self) -> None:
        self.go = False

    @workflows.workflow.signal
    def go_ahead(self) -> None:
        self.go = True

    @workflows.workflow.entrypoint
    async def run(self, n: int) -> dict:
        results = await workflows.execute_activities_in_parallel(
            lzr_plus_one, get_item_from_index_activity=lzr_fetch, n_items=n, max_concurrent_executions_per_worker=50,
        )
        await workflows.workflow.wait_condition(lambda: self.go)
        await asyncio.sleep(0.1)
        return {"sum": sum(results), "last": results[-1], "len": len(results)}
