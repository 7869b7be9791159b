"""The wall clock of fanflow's services: `now_ns()` in place of `time.time_ns()`.

One place to read it from, so that a test or the chaos harness can make one process's
clock jump (`FANFLOW_CLOCK_OFFSET_FILE`: a file holding a number of seconds, added to
the machine's time; re-read at most every OFFSET_REREAD seconds, so a harness moves the
clock of a running process by rewriting it). Unset, it is `time.time_ns()` itself.

What the services make of a jump: a history shard stamps its timers and fires them by
this clock alone, so a jump of J seconds moves a timer by at most J (forward: up to J
early; back: up to J late) and never loses one. Matching does not compare history's
timestamps with its own clock: it keeps a task's lifetime (`expire_time - created_time`,
both history's) and counts it from when the task reached it (matching/matcher.py).
"""
from __future__ import annotations

import os
import time

OFFSET_REREAD = 0.2  # seconds between looks at the offset file

_offset_ns = 0
_next_read = 0.0
_path = ""


def now_ns() -> int:
    path = os.environ.get("FANFLOW_CLOCK_OFFSET_FILE")
    if path:
        _reread(path)
        return time.time_ns() + _offset_ns
    return time.time_ns()


def now() -> float:
    """Unix seconds, as `time.time()`."""
    return now_ns() / 1e9


def _reread(path: str) -> None:
    global _offset_ns, _next_read, _path
    mono = time.monotonic()
    if mono < _next_read and path == _path:
        return
    if path != _path:  # another file (a test's): nothing of the last one carries over
        _path, _offset_ns = path, 0
    _next_read = mono + OFFSET_REREAD
    try:
        text = open(path).read().strip()
        _offset_ns = int(float(text) * 1e9) if text else 0
    except (OSError, ValueError):  # missing or half-written: keep the last offset
        pass
