"""Activity retry decisions (Temporal's semantics, decided by history)."""
from __future__ import annotations

import math

from protos import common_pb2

DEFAULT_INITIAL_INTERVAL = 1.0
DEFAULT_BACKOFF = 2.0
DEFAULT_MAX_INTERVAL_FACTOR = 100.0


def backoff_seconds(policy: common_pb2.RetryPolicy, attempt: int) -> float:
    """Delay before attempt `attempt + 1`, after `attempt` failed: a finite, non-negative
    number of seconds for any stored policy and attempt (history refuses bad policies when
    an activity is scheduled; values outside the rules fall back to the defaults here).

    Found by fuzzing (fuzz/retry.py): with unlimited attempts (Temporal's default) the
    coefficient's power overflowed a float from attempt 1,025 on (2.0 ** 1024), so the
    attempt's failure raised instead of scheduling the next one; negative intervals gave a
    negative delay."""
    initial = policy.initial_interval.ToNanoseconds() / 1e9 if policy.HasField("initial_interval") else 0.0
    initial = initial if initial > 0 else DEFAULT_INITIAL_INTERVAL
    coefficient = policy.backoff_coefficient
    coefficient = coefficient if math.isfinite(coefficient) and coefficient >= 1.0 else DEFAULT_BACKOFF
    maximum = policy.maximum_interval.ToNanoseconds() / 1e9 if policy.HasField("maximum_interval") else 0.0
    maximum = maximum if maximum > 0 else initial * DEFAULT_MAX_INTERVAL_FACTOR
    exponent = max(attempt - 1, 0)
    if maximum <= initial:  # the coefficient is >= 1: every delay is capped
        return maximum
    # Compare in logarithms: initial * coefficient ** exponent overflows long before it is needed.
    if coefficient > 1.0 and exponent * math.log(coefficient) >= math.log(maximum / initial):
        return maximum
    return min(initial * coefficient ** exponent, maximum)


def retry_state_after_failure(
    policy: common_pb2.RetryPolicy, attempt: int, failure: common_pb2.Failure | None
) -> int:
    """RETRY_STATE_IN_PROGRESS if another attempt should run, else why not."""
    if failure is not None:
        if failure.non_retryable:
            return common_pb2.RETRY_STATE_NON_RETRYABLE_FAILURE
        if failure.type and failure.type in policy.non_retryable_error_types:
            return common_pb2.RETRY_STATE_NON_RETRYABLE_FAILURE
    if policy.maximum_attempts and attempt >= policy.maximum_attempts:
        return common_pb2.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
    return common_pb2.RETRY_STATE_IN_PROGRESS
