"""The frontend's namespace rate limiter (frontend/ratelimit.py) and the token bucket behind it
(fanflow/tokenbucket.py), on a fake clock: a burst then the rate, namespaces apart, 0 turns it
off, the retry-after trailer never 0, bad settings refused."""
from __future__ import annotations

import grpc
import pytest

from fanflow.tokenbucket import RETRY_AFTER_METADATA, TokenBucket
from frontend.ratelimit import NamespaceRateLimiter, RateLimited
from frontend.settings import FrontendSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_admits_a_burst_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.1)  # one token takes 1/10 s
    clock.now += 0.05
    assert bucket.take() == pytest.approx(0.05)  # half a token so far; nothing taken
    clock.now += 0.05
    assert bucket.take() == 0.0
    clock.now += 60  # a long pause refills only up to the burst
    assert [bucket.take() for _ in range(4)][-1] > 0


def test_namespace_limiter_keeps_namespaces_apart_and_zero_is_off():
    clock = FakeClock()
    limiter = NamespaceRateLimiter(rate=2, burst=2, clock=clock)
    limiter.admit("a")
    limiter.admit("a")
    with pytest.raises(RateLimited) as refused:
        limiter.admit("a")
    assert refused.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "'a'" in refused.value.message and "namespace_rps" in refused.value.message
    assert refused.value.trailing_metadata == ((RETRY_AFTER_METADATA, "0.500"),)
    limiter.admit("b")  # another namespace has its own bucket
    assert limiter.refused == 1
    off = NamespaceRateLimiter(rate=0)
    for _ in range(10_000):
        off.admit("a")
    # A wait too short to print is still a wait: the trailer never says 0.
    assert RateLimited("x", retry_after=1e-7).trailing_metadata == ((RETRY_AFTER_METADATA, "0.001"),)
    with pytest.raises(ValueError):
        NamespaceRateLimiter(rate=-1)
    with pytest.raises(ValueError):
        FrontendSettings(namespace_rps=-5)
