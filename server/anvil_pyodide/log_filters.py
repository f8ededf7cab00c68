"""Client faults that uvicorn logs with a traceback, reduced to one line each.

Example:
    >>> import logging
    >>> record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1,
    ...                            "Invalid UTF-8 sequence received from client.", (), (ValueError, ValueError(), None))
    >>> OneLineClientFaults().filter(record), record.getMessage(), record.exc_info
    (True, 'closed a WebSocket with 1007: a text frame is not valid UTF-8', None)
"""

from __future__ import annotations

import logging

#: What uvicorn says (with a traceback) → the one line we log instead.
ONE_LINERS = {
    "Invalid UTF-8 sequence received from client.": "closed a WebSocket with 1007: a text frame is not valid UTF-8",
}


class OneLineClientFaults(logging.Filter):
    """Drops the traceback of records about a client's fault, and says what happened in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        replacement = ONE_LINERS.get(str(record.msg))
        if replacement is not None:
            record.msg, record.args = replacement, ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install_log_filters() -> None:
    """Add the filter to uvicorn's error logger (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, OneLineClientFaults) for f in logger.filters):
        logger.addFilter(OneLineClientFaults())
