"""matching/rate_limiter.py's StartMeter on a real backlog, a SQLite file and a PostgreSQL database (issue 13): a full window refuses
and says when a slot frees, a start history refused gives its slot back, and a reopened file
holds the started ones (the window survives a restart)."""
from __future__ import annotations

from fanflow.timeutil import duration
from matching.keys import QueueKey
from matching.rate_limiter import StartMeter
from protos import common_pb2 as E
from support.store_backends import backlog_factory  # noqa: F401  (fixture)


async def test_start_meter_window_and_restore(backlog_factory):
    """The meter itself, on a real backlog file: a full window refuses (saying when a slot frees),
    a refused start gives its slot back, and a reopened file holds the started ones."""
    key = QueueKey("default", "q/rate-limited/k", E.TASK_TYPE_ACTIVITY)
    limit = E.ActivityRateLimit(key="k", max_execution=2, time_window=duration(30))
    backlog = backlog_factory()
    await backlog.open()
    meter = StartMeter(backlog)
    first, second = await meter.reserve(key, limit), await meter.reserve(key, limit)
    wait = await meter.reserve(key, limit)
    assert isinstance(wait, float) and 30 < wait <= 42  # full until the first start's window (+ history's margin) passed
    meter.not_started(second)  # history refused it: no start
    third = await meter.reserve(key, limit)
    assert not isinstance(third, float)
    meter.started(first)
    meter.started(third)
    assert meter.held(key) == 2
    await backlog.close()
    reopened = backlog_factory()
    await reopened.open()
    try:
        again = StartMeter(reopened)
        assert await again.restore() == 2 and again.held(key) == 2
        assert isinstance(await again.reserve(key, limit), float)
    finally:
        await reopened.close()
