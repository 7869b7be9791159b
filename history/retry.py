"""Activity retry decisions (Temporal's semantics, decided by history)."""
from __future__ import annotations

from protos import common_pb2

DEFAULT_INITIAL_INTERVAL = 1.0
DEFAULT_BACKOFF = 2.0
DEFAULT_MAX_INTERVAL_FACTOR = 100.0


def backoff_seconds(policy: common_pb2.RetryPolicy, attempt: int) -> float:
    """Delay before attempt `attempt + 1`, after `attempt` failed."""
    initial = policy.initial_interval.ToNanoseconds() / 1e9 if policy.HasField("initial_interval") else 0.0
    initial = initial or DEFAULT_INITIAL_INTERVAL
    coefficient = policy.backoff_coefficient or DEFAULT_BACKOFF
    maximum = policy.maximum_interval.ToNanoseconds() / 1e9 if policy.HasField("maximum_interval") else 0.0
    maximum = maximum or initial * DEFAULT_MAX_INTERVAL_FACTOR
    return min(initial * coefficient ** (attempt - 1), maximum)


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
