"""A token bucket: at most `rate` takes per second, up to `burst` at once. Used by the
frontend's per-namespace request limit and by the worker's activity start rate."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# Trailer on a RESOURCE_EXHAUSTED the frontend sends over a rate limit: seconds to wait
# before retrying (the SDK client honours it).
RETRY_AFTER_METADATA = "fanflow-retry-after"


class TokenBucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, got rate={rate}, burst={burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self) -> float:
        """Take a token: 0.0 if there was one, else how long until there will be (nothing taken)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1 - 1e-9:  # float refill: 0.1 s at 10/s must give a whole token
            self._tokens = max(self._tokens - 1, 0.0)
            return 0.0
        return (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait for a token and take it."""
        while wait := self.take():
            await asyncio.sleep(wait)

    def give_back(self) -> None:
        """A token taken but not used (up to the burst)."""
        self._tokens = min(self.burst, self._tokens + 1)
