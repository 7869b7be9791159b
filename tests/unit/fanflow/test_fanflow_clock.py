"""fanflow.clock: the machine's time, plus the offset a harness writes to
FANFLOW_CLOCK_OFFSET_FILE (re-read while the process runs)."""
from __future__ import annotations

import time

from fanflow import clock


def test_without_an_offset_file_it_is_the_machine_clock(monkeypatch):
    monkeypatch.delenv("FANFLOW_CLOCK_OFFSET_FILE", raising=False)
    before = time.time_ns()
    assert before <= clock.now_ns() <= time.time_ns()


def test_an_offset_file_moves_it_and_is_read_again(tmp_path, monkeypatch):
    offset = tmp_path / "offset"
    offset.write_text("300")
    monkeypatch.setenv("FANFLOW_CLOCK_OFFSET_FILE", str(offset))
    monkeypatch.setattr(clock, "_next_read", 0.0)
    assert abs(clock.now() - (time.time() + 300)) < 1
    offset.write_text("-120.5")
    time.sleep(clock.OFFSET_REREAD + 0.05)
    assert abs(clock.now() - (time.time() - 120.5)) < 1
    offset.write_text("not a number")  # half-written: the last offset stays
    time.sleep(clock.OFFSET_REREAD + 0.05)
    assert abs(clock.now() - (time.time() - 120.5)) < 1
    monkeypatch.setattr(clock, "_offset_ns", 0)
