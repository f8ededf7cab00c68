"""Server settings, with the defaults a new app gets.

Example:
    >>> ServerConfig().call_timeout
    60.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .origins import OriginPolicy


@dataclass
class ServerConfig:
    """How one app is served. Every field but ``max_message_bytes`` (the protocol's frame limit) has a
    CLI option (``anvil-pyodide serve --help``)."""

    app_dir: Path | None = None
    #: Seconds a server function may run before the caller gets anvil.server.TimeoutError (None: no limit).
    call_timeout: float | None = 60.0
    #: Send what server functions print to the browser console.
    forward_output: bool = False
    #: Largest WebSocket text message or HTTP call body accepted, in bytes.
    max_message_bytes: int = 16 * 1024 * 1024 - 1
    #: Largest total of media in one call, in bytes.
    max_media_bytes: int = 256 * 1024 * 1024
    #: Idle sessions expire after this many seconds.
    session_idle_timeout: float = 30 * 60
    #: Worker threads for synchronous server functions.
    worker_threads: int = 64
    #: Key an anvil-uplink script presents for server privilege (None: uplinks refused).
    uplink_key: str | None = None
    #: Key for client-privileged uplinks (may call functions, may not register them).
    client_uplink_key: str | None = None
    #: Where the built runtime (Pyodide, runtime wheel, JS) is served from.
    runtime_dir: Path | None = None
    #: File recording launched background task ids, so old ids report "missing" after a restart
    #: (None: a per-app file in the system's temporary folder).
    task_journal: Path | None = None
    #: Origins (besides the server's own) whose pages may embed the app (``--allow-origin``).
    origins: OriginPolicy = field(default_factory=OriginPolicy)
