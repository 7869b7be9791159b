"""Workload 4: the no-durability ceiling, the same trivial function through asyncio.gather."""
from __future__ import annotations

import asyncio
import time


async def noop(i: int) -> int:
    return i


async def gather(n: int) -> dict:
    t0 = time.perf_counter()
    results = await asyncio.gather(*[noop(i) for i in range(n)])
    elapsed = time.perf_counter() - t0
    assert sum(results) == n * (n - 1) // 2
    return {"n": n, "seconds": elapsed, "calls_per_s": n / elapsed}
