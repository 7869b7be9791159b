"""RateLimit's bad input, named (issue 13): a zero window or zero executions (the model's bounds,
the seed's), and a key that cannot name a queue (refused when the activity is decorated)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

import worker_sdk as workflows
from worker_sdk import RateLimit


@pytest.mark.parametrize(
    "fields, name",
    [(dict(time_window_in_sec=0, max_execution=5), "time_window_in_sec"), (dict(time_window_in_sec=1, max_execution=0), "max_execution")],
)
def test_bad_limits_name_the_field(fields, name):
    with pytest.raises(ValidationError) as err:
        RateLimit(**fields)
    assert name in str(err.value)


def test_a_key_that_cannot_name_a_queue_is_refused():
    with pytest.raises(ValueError, match="RateLimit.key"):
        workflows.activity(rate_limit=RateLimit(time_window_in_sec=1, max_execution=1, key="k" * 201))(lambda: None)
    with pytest.raises(ValueError, match="RateLimit.key"):
        workflows.activity(rate_limit=RateLimit(time_window_in_sec=1, max_execution=1, key="   "))(lambda: None)
