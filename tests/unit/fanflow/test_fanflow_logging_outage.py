"""While PostgreSQL is down, asyncpg's pool logs its failed reconnections: one line each with
the cause (fanflow.logging.OneLineOutage), not a traceback every few seconds."""
from __future__ import annotations

import io
import logging

from fanflow.logging import OneLineOutage, configure_logging


def test_asyncpg_pool_reconnection_failures_are_one_line_each():
    configure_logging("INFO")
    configure_logging("INFO")  # configured twice: still one filter
    pool_log = logging.getLogger("asyncpg.pool")
    assert sum(isinstance(f, OneLineOutage) for f in pool_log.filters) == 1
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    pool_log.addHandler(handler)
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed ('10.213.7.19', 5432)")
        except ConnectionRefusedError:
            pool_log.warning("Failed to restore the pool connection floor; retrying", exc_info=True)
    finally:
        pool_log.removeHandler(handler)
    text = out.getvalue()
    assert "Traceback" not in text and text.count("\n") == 1, text
    assert "Failed to restore the pool connection floor; retrying (ConnectionRefusedError: [Errno 111] Connect call failed" in text, text
