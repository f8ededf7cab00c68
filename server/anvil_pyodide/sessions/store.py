"""Sessions: a token, a dict of server-side state, and a secret for capability MACs.

The store is an interface (:class:`SessionStore`) so a shared store can back several server
processes; :class:`InMemorySessionStore` is the default.

Example:
    >>> store = InMemorySessionStore(idle_timeout=60)
    >>> session = store.create()
    >>> session.data["user"] = "ada"
    >>> store.get(session.token).data
    {'user': 'ada'}
    >>> store.get("no-such-token") is None
    True
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_IDLE_TIMEOUT = 30 * 60


@dataclass
class Session:
    """One browser session; ``data`` is what server code sees as ``anvil.server.session``."""

    token: str
    secret: bytes
    data: dict[str, Any] = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)


class SessionStore(Protocol):
    """Where sessions live. Implementations must be safe to call from several threads."""

    def create(self) -> Session: ...

    def get(self, token: str) -> Session | None: ...

    def delete(self, token: str) -> None: ...


class InMemorySessionStore:
    """Sessions in this process's memory, dropped after ``idle_timeout`` seconds unused."""

    def __init__(self, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        self.idle_timeout = idle_timeout
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self) -> Session:
        session = Session(token=secrets.token_urlsafe(24), secret=secrets.token_bytes(32))
        with self._lock:
            self._expire_idle()
            self._sessions[session.token] = session
        return session

    def get(self, token: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if time.monotonic() - session.last_used > self.idle_timeout:
                del self._sessions[token]
                return None
            session.last_used = time.monotonic()
            return session

    def delete(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def _expire_idle(self) -> None:
        now = time.monotonic()
        for token in [t for t, s in self._sessions.items() if now - s.last_used > self.idle_timeout]:
            del self._sessions[token]
