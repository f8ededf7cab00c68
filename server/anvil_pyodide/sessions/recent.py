"""A connection's memory of when it last found its session in the store, so that calls soon after skip the look-up.

Finding a session in the store renews its idle expiry, so a session found less than ``interval`` seconds
ago (``interval`` is at most a tenth of the idle timeout) cannot have expired by idleness since. Only an
explicit expiry can have ended it meanwhile (a log-in moves the caller to a new session and expires the
old one): one made through this process makes every connection ask the store again at once
(``generation`` changes); one made through another process is noticed by the first call that uses the
session's data (which reads it from the store), else by the first call after ``interval``.

Example:
    >>> now = [100.0]
    >>> recent = RecentCheck(5.0, lambda: now[0], lambda: 0)
    >>> recent.found("t1", b"key")
    >>> recent.secret_for("t1"), recent.secret_for("t2")
    (b'key', None)
    >>> now[0] = 105.0; recent.secret_for("t1") is None           # too long ago: ask the store
    True
"""

from __future__ import annotations

from typing import Callable


class RecentCheck:
    """When one connection last found its session (and the session's secret, which never changes)."""

    def __init__(self, interval: float, clock: Callable[[], float], generation: Callable[[], int]) -> None:
        self.interval = interval
        self.clock = clock
        self.generation = generation
        self._token: str | None = None
        self._secret = b""
        self._at = 0.0
        self._seen_generation = 0

    def found(self, token: str, secret: bytes | None) -> None:
        """The store has just been asked for ``token``: ``secret`` is its secret, None if it has gone."""
        if secret is None:
            if token == self._token:
                self.forget()
            return
        self._token, self._secret, self._at, self._seen_generation = token, secret, self.clock(), self.generation()

    def forget(self) -> None:
        """Ask the store on the next call (the connection moved to a session it has not found yet)."""
        self._token = None

    def secret_for(self, token: str) -> bytes | None:
        """``token``'s secret if it was found less than ``interval`` seconds ago and no session has been
        expired through this process since; None: ask the store."""
        if token != self._token or self.generation() != self._seen_generation:
            return None
        if self.clock() - self._at >= self.interval:
            return None
        return self._secret
