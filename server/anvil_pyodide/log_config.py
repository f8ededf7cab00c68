"""The server's log: uvicorn's own configuration, with the ``anvil_pyodide`` loggers (uplinks connecting, browser
logs, requests cut short, calls that failed) printed through the same handler at the chosen level.

Example:
    >>> config = log_config("warning")
    >>> config["loggers"]["anvil_pyodide"]["level"], config["loggers"]["uvicorn.error"]["level"]
    ('WARNING', 'WARNING')
    >>> log_config("loud")
    Traceback (most recent call last):
    ...
    ValueError: log level must be one of debug, info, warning, error, not 'loud'
"""

from __future__ import annotations

import copy
from typing import Any

LOG_LEVELS = ("debug", "info", "warning", "error")


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's ``LOGGING_CONFIG`` with the server's and uvicorn's loggers at ``level`` (access log too)."""
    from uvicorn.config import LOGGING_CONFIG

    if level not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
    config = copy.deepcopy(LOGGING_CONFIG)
    name = level.upper()
    for logger in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        config["loggers"].setdefault(logger, {})["level"] = name
    config["loggers"]["anvil_pyodide"] = {"handlers": ["default"], "level": name, "propagate": False}
    return config
