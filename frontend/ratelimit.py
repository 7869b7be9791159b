"""Per-namespace request rate limits of one frontend process (as Temporal's namespace RPS).

One runaway client, say a loop that starts workflows or polls as fast as it can, must not
take the cluster from everybody else: each namespace gets a token bucket of `rate`
requests per second with room for `burst` at once. A request over the limit is refused
with RESOURCE_EXHAUSTED before it reaches history or matching, with a `fanflow-retry-after`
trailer (seconds) that the SDK waits out before it retries. Operator (admin) calls are not
limited. Limits are per frontend process: N frontends admit up to N times the rate.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from fanflow import metrics
from fanflow.errors import ResourceExhausted
from fanflow.tokenbucket import RETRY_AFTER_METADATA, TokenBucket


class RateLimited(ResourceExhausted):
    """Over a rate limit; `retry_after` seconds until a request would be admitted."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = max(retry_after, 0.001)  # never "0.000": a wait too short to print is still a wait
        self.trailing_metadata = ((RETRY_AFTER_METADATA, f"{self.retry_after:.3f}"),)


class NamespaceRateLimiter:
    """A bucket per namespace (namespaces are checked to exist first, so the map stays small).
    rate 0 turns limiting off."""

    def __init__(self, rate: float, burst: float = 0, clock: Callable[[], float] = time.monotonic):
        if rate < 0 or burst < 0:
            raise ValueError("namespace_rps and namespace_burst must not be negative")
        self.rate = rate
        self.burst = burst or max(rate, 1.0)  # default: one second's worth
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self.refused = 0  # requests refused so far (observability)

    def admit(self, namespace: str) -> None:
        if not self.rate:
            return
        bucket = self._buckets.get(namespace)
        if bucket is None:
            bucket = self._buckets[namespace] = TokenBucket(self.rate, self.burst, self._clock)
        wait = bucket.take()
        if wait:
            wait = max(wait, 0.001)
            self.refused += 1
            metrics.RATE_LIMITED.labels(namespace).inc()
            raise RateLimited(
                f"namespace {namespace!r} is over this frontend's limit of {self.rate:g} requests/s "
                f"(burst {self.burst:g}; setting namespace_rps, FANFLOW_FRONTEND_NAMESPACE_RPS); retry in {wait:.3f} s",
                retry_after=wait,
            )
