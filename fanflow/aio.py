"""asyncio helpers for the services' hot paths."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def gather(*aws: Awaitable[Any]) -> list[Any]:
    """`asyncio.gather(*aws)`, but a lone awaitable is awaited in the caller's task: most batches
    of completions hold one item per shard, and a task per item was a tenth of the loop's work."""
    if len(aws) == 1:
        return [await aws[0]]
    return list(await asyncio.gather(*aws))
