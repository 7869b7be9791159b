"""The workflow the secure-cluster tests run (tests/support/secure_cluster.py): a fan-out of
activities, so history, matching and the worker all talk to each other."""
from __future__ import annotations

import asyncio

import worker_sdk as workflows


@workflows.activity(name="secure_cluster_square")
async def secure_cluster_square(n: int) -> int:
    return n * n


@workflows.workflow.define(name="secure_cluster_sum_of_squares")
class SecureClusterSumOfSquares:
    @workflows.workflow.entrypoint
    async def run(self, count: int) -> int:
        return sum(await asyncio.gather(*(secure_cluster_square(i) for i in range(count))))
