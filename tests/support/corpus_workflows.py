"""Workflows the bad-input corpus test keeps running while it sends garbage."""
import asyncio

import worker_sdk as workflows


@workflows.activity()
async def corpus_square(i: int) -> int:
    await asyncio.sleep(0.02)
    return i * i


@workflows.workflow.define(name="corpus_fan_out")
class CorpusFanOut:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return list(await asyncio.gather(*[corpus_square(i) for i in range(n)]))
