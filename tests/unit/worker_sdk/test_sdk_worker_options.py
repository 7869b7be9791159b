"""A Worker's options are checked when the worker is made, before it connects: a bad
max_activities_per_second is a ValueError naming the option."""
from __future__ import annotations

import pytest

from support.paced_activity import paced
from worker_sdk import Worker


def test_a_bad_rate_is_refused():
    from worker_sdk import Client

    with pytest.raises(ValueError, match="max_activities_per_second"):
        Worker(Client.__new__(Client), task_queue="x", workflows=[], activities=[paced], max_activities_per_second=0)
