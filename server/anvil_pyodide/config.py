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
    #: Nesting levels of a received message (and so the longest ``objects`` path).
    max_message_depth: int = 100
    #: Entries in a received message's ``objects``, and values in its ``vt_global``.
    max_message_objects: int = 100_000
    #: Seconds a call's declared media may go without a chunk arriving before the call fails (None: no limit).
    media_timeout: float | None = 60.0
    #: The most one connection's calls waiting for media may hold (their parsed messages, estimated, and the
    #: chunks so far), in bytes; a call that would go past it fails.
    max_connection_bytes: int = 512 * 1024 * 1024
    #: The most one connection's replies not yet sent may hold (encoded size), in bytes; over it the connection
    #: is not read and its calls not yet started wait.
    max_pending_reply_bytes: int = 128 * 1024 * 1024
    #: Seconds a connection over ``max_pending_reply_bytes`` may go without a reply sent before it is closed
    #: (None: never closed for it).
    reply_stall_timeout: float | None = 30.0
    #: Idle sessions expire after this many seconds.
    session_idle_timeout: float = 30 * 60
    #: A session not used within this many seconds of its creation (a page view whose page never started) is dropped.
    session_first_use_timeout: float = 2 * 60
    #: Seconds a connection's finding of its session in the store counts: its calls within them that do not use
    #: the session's data never ask the store (at most a tenth of ``session_idle_timeout``; 0: every call asks).
    session_check_interval: float = 5.0
    #: Worker threads for synchronous server functions.
    worker_threads: int = 64
    #: Worker threads one session's calls may use at once, the rest of its calls waiting their turn
    #: (None: a quarter of ``worker_threads``, at least 1).
    session_threads: int | None = None
    #: Calls one connection may have waiting or running at once; past it, QuotaExceededError.
    max_connection_calls: int = 1000
    #: Calls the whole server may have waiting or running at once; past it, QuotaExceededError.
    max_queued_calls: int = 20_480
    #: Key an anvil-uplink script presents for server privilege (None: uplinks refused).
    uplink_key: str | None = None
    #: Key for client-privileged uplinks (may call functions, may not register them).
    client_uplink_key: str | None = None
    #: Failed uplink handshakes (wrong key) allowed per client address per minute; past it, refused (0: no limit).
    uplink_failures_per_minute: int = 20
    #: Connections (sockets and HTTP requests) one server process holds at once; past it, new requests are answered
    #: 503 (0: no limit). Keeps a flood of connections from exhausting file descriptors.
    max_connections: int = 10_000
    #: Seconds a client has to send a request's line and headers (from connecting, or from the previous answer).
    header_timeout: float | None = 20.0
    #: Largest request line plus headers, in bytes.
    max_header_bytes: int = 64 * 1024
    #: Seconds a request body may send nothing before the request is answered 408.
    body_timeout: float | None = 30.0
    #: Where the built runtime (Pyodide, runtime wheel, JS) is served from.
    runtime_dir: Path | None = None
    #: Where sessions, task records and uplink registrations and users live: ``sqlite:///PATH``,
    #: ``redis://HOST:PORT/DB`` or ``memory`` (None: ``APP_DIR/.anvil-data/state.sqlite3``).
    store: str | None = None
    #: Seconds a finished background task's record (status, return value or error) is kept.
    task_retention: float = 24 * 3600
    #: Server processes serving one port (more than 1 needs a store they can share).
    workers: int = 1
    #: Seconds after its last heartbeat (sent every third of this) a server process counts as dead to the others
    #: sharing the store: its uplink registrations are dropped, and calls waiting on its uplinks (Redis) fail
    #: with UplinkDisconnectedError within this plus a third.
    process_timeout: float = 15.0
    #: Origins (besides the server's own) whose pages may embed the app (``--allow-origin``).
    origins: OriginPolicy = field(default_factory=OriginPolicy)
    # anvil.users ------------------------------------------------------------------------------
    #: Wrong passwords in a row after which an account is locked (anvil.users.TooManyPasswordFailures).
    max_password_failures: int = 10
    #: Seconds a locked account stays locked.
    password_lockout: float = 15 * 60
    #: Shortest password signup_with_email accepts.
    min_password_length: int = 8
    #: Seconds a remembered login (``login_with_email(..., remember=True)``) lasts.
    remember_login_seconds: float = 30 * 24 * 3600

    @property
    def session_threads_or_default(self) -> int:
        """``session_threads``, or a quarter of ``worker_threads`` (at least 1) when it is not set.

        Example:
            >>> ServerConfig().session_threads_or_default, ServerConfig(worker_threads=2).session_threads_or_default
            (16, 1)
        """
        return self.session_threads or max(1, self.worker_threads // 4)
