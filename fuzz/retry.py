"""Fuzz target: activity retry decisions (history/retry.py) for any stored policy and any
attempt number. They run when an attempt fails, on policies the run already holds, so
they must never raise: the backoff is a finite delay, never negative, never above the
policy's maximum interval when it has one."""
from __future__ import annotations

import math

import atheris

from history import retry
from protos import common_pb2 as C

INSTRUMENT = ["history.retry"]
COVERED = ["history/retry.py"]


class Finding(AssertionError):
    pass


def _duration(fdp, target) -> None:
    if fdp.ConsumeBool():
        target.seconds = fdp.ConsumeIntInRange(-(10**12), 10**12)
        target.nanos = fdp.ConsumeIntInRange(-999_999_999, 999_999_999) if fdp.ConsumeBool() else 0
        if (target.seconds < 0 < target.nanos) or (target.seconds > 0 > target.nanos):
            target.nanos = -target.nanos  # protobuf requires the signs to agree


def test_one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    policy = C.RetryPolicy()
    _duration(fdp, policy.initial_interval)
    _duration(fdp, policy.maximum_interval)
    policy.backoff_coefficient = fdp.PickValueInList([0.0, 1.0, 1.5, 2.0, 10.0, 0.5, -2.0, 1e308, float("inf"), float("nan"), fdp.ConsumeRegularFloat()])
    policy.maximum_attempts = fdp.ConsumeIntInRange(-(2**31), 2**31 - 1)
    attempt = fdp.PickValueInList([1, 2, 100, 1024, 1025, 5000, 2**31 - 1, fdp.ConsumeIntInRange(1, 2**31 - 1)])
    failure = C.Failure(type=fdp.PickValueInList(["ValueError", ""]), non_retryable=fdp.ConsumeBool()) if fdp.ConsumeBool() else None
    if failure is not None and fdp.ConsumeBool():
        policy.non_retryable_error_types.append("ValueError")
    state = retry.retry_state_after_failure(policy, attempt, failure)
    if state not in C.RetryState.values():
        raise Finding(f"retry state {state}")
    delay = retry.backoff_seconds(policy, attempt)
    if not (math.isfinite(delay) and delay >= 0):
        raise Finding(f"backoff {delay!r} for attempt {attempt} under {policy}")
    maximum = policy.maximum_interval.ToNanoseconds() / 1e9
    if maximum > 0 and delay > maximum:
        raise Finding(f"backoff {delay} above the maximum interval {maximum}")


SEEDS = [bytes(64), bytes(range(64)), b"\x01" * 64]
