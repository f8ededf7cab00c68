"""Sessions: a token, a dict of server-side state, and a secret for capability MACs.

The store is an interface (:class:`SessionStore`: ``create``, ``get``, ``save``, ``expire``) so that a
shared store (SQLite, Redis) can back several server processes; :class:`InMemorySessionStore` is
the default. Every Session is made here: by a store's ``create``, or, where no store is reachable
(a background task's own process), by :meth:`Session.detached`.

Example:
    >>> store = InMemorySessionStore(idle_timeout=60)
    >>> session = store.create()
    >>> session.data["user"] = "ada"
    >>> store.save(session)
    >>> store.get(session.token).data
    {'user': 'ada'}
    >>> store.get("no-such-token") is None
    True
    >>> store.expire(session.token); store.get(session.token) is None
    True
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

DEFAULT_IDLE_TIMEOUT = 30 * 60
#: Seconds a session may wait for its first use (a page view whose page never starts).
DEFAULT_FIRST_USE_TIMEOUT = 2 * 60


@dataclass
class Session:
    """One session; ``data`` is what server code sees as ``anvil.server.session``."""

    token: str
    secret: bytes
    data: dict[str, Any] = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def detached(cls, data: dict[str, Any] | None = None, token: str | None = None) -> "Session":
        """A session no store knows (a new token and secret unless ``token`` is given).

        Example:
            >>> Session.detached({"n": 1}, token="task-t1").data
            {'n': 1}
        """
        return cls(token=token or secrets.token_urlsafe(24), secret=secrets.token_bytes(32), data=dict(data or {}))

    def copy(self) -> "Session":
        """The same session (token and secret) with its own copy of ``data``: writes to it stay in it.

        Example:
            >>> original = Session.detached({"cart": 1})
            >>> twin = original.copy(); twin.data["cart"] = 2
            >>> original.data, twin.token == original.token
            ({'cart': 1}, True)
        """
        return Session(token=self.token, secret=self.secret, data=dict(self.data))


class SessionStore(Protocol):
    """Where sessions live. Implementations must be safe to call from several threads."""

    def create(self, keep: bool = True) -> Session:
        """A new session; with ``keep=False`` it is not stored (``get`` never finds it): one HTTP request's,
        or an uplink connection's own."""
        ...

    def get(self, token: str) -> Session | None:
        """The live session with this token (its use counts: it stays alive), or None when unknown or expired."""
        ...

    def save(self, session: Session) -> None:
        """Write back ``session.data`` after a call changed it (a shared store persists it; in memory, nothing to do)."""
        ...

    def expire(self, token: str) -> None:
        """Forget the session now."""
        ...


class InMemorySessionStore:
    """Sessions in this process's memory, dropped after ``idle_timeout`` seconds unused.

    A session nobody has asked for since it was created (a page view whose page never started) is dropped
    after ``first_use_timeout`` instead. Sessions wait in two queues, least recently used first, so creating
    one drops the expired ones from the fronts: O(1) amortised per call, however many sessions there are.

    Example:
        >>> now = [0.0]
        >>> store = InMemorySessionStore(idle_timeout=600, first_use_timeout=60, clock=lambda: now[0])
        >>> unused, used = store.create(), store.create()
        >>> store.get(used.token) is used      # first use: from now on it lasts idle_timeout
        True
        >>> now[0] = 61.0
        >>> store.get(unused.token), store.get(used.token) is used, len(store)
        (None, True, 1)
    """

    def __init__(self, idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 first_use_timeout: float = DEFAULT_FIRST_USE_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_timeout = idle_timeout
        self.first_use_timeout = first_use_timeout
        self.clock = clock
        #: Never used yet, oldest first; and used, least recently used first.
        self._unused: OrderedDict[str, Session] = OrderedDict()
        self._used: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._unused) + len(self._used)

    def create(self, keep: bool = True) -> Session:
        session = Session.detached()
        if keep:
            now = self.clock()
            session.last_used = now
            with self._lock:
                self._expire(now)
                self._unused[session.token] = session
        return session

    def get(self, token: str) -> Session | None:
        with self._lock:
            now = self.clock()
            self._expire(now)
            session = self._unused.pop(token, None) or self._used.get(token)
            if session is None:
                return None
            session.last_used = now
            self._used[token] = session
            self._used.move_to_end(token)
            return session

    def save(self, session: Session) -> None:
        return None  # the Session object is the stored one

    def expire(self, token: str) -> None:
        with self._lock:
            self._unused.pop(token, None)
            self._used.pop(token, None)

    def _expire(self, now: float) -> None:
        """Drop expired sessions from the front of each queue: each session is dropped once, so O(1) amortised."""
        for queue, timeout in ((self._unused, self.first_use_timeout), (self._used, self.idle_timeout)):
            while queue:
                token, oldest = next(iter(queue.items()))
                if now - oldest.last_used <= timeout:
                    break
                del queue[token]
