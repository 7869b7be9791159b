"""structlog set-up: key=value lines on stderr, level from FANFLOW_LOG_LEVEL."""
from __future__ import annotations

import logging
import os
import sys

import structlog


class OneLineOutage(logging.Filter):
    """asyncpg's pool logs a whole traceback each time it cannot reopen a connection (every
    few seconds while PostgreSQL is down or cut off): one line with the cause instead. The
    services say what the outage means for their calls themselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(exc).__name__}: {exc})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def configure_logging(level: str | None = None) -> None:
    level_name = (level or os.environ.get("FANFLOW_LOG_LEVEL", "INFO")).upper()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level_name, logging.INFO), format="%(message)s")
    pool_log = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, OneLineOutage) for f in pool_log.filters):
        pool_log.addFilter(OneLineOutage())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level_name, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
