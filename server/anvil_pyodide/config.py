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
    #: A session not used within this many seconds of its creation (a page view whose page never started) is dropped.
    session_first_use_timeout: float = 2 * 60
    #: Worker threads for synchronous server functions.
    worker_threads: int = 64
    #: Key an anvil-uplink script presents for server privilege (None: uplinks refused).
    uplink_key: str | None = None
    #: Key for client-privileged uplinks (may call functions, may not register them).
    client_uplink_key: str | None = None
    #: Failed uplink handshakes (wrong key) allowed per client address per minute; past it, refused (0: no limit).
    uplink_failures_per_minute: int = 20
    #: Seconds a client has to send a request's line and headers (from connecting, or from the previous answer).
    header_timeout: float | None = 20.0
    #: Largest request line plus headers, in bytes.
    max_header_bytes: int = 64 * 1024
    #: Seconds a request body may send nothing before the request is answered 408.
    body_timeout: float | None = 30.0
    #: Where the built runtime (Pyodide, runtime wheel, JS) is served from.
    runtime_dir: Path | None = None
    #: File recording launched background task ids, so old ids report "missing" after a restart
    #: (None: a per-app file in the system's temporary folder).
    task_journal: Path | None = None
    #: Origins (besides the server's own) whose pages may embed the app (``--allow-origin``).
    origins: OriginPolicy = field(default_factory=OriginPolicy)
