"""How many calls may be in the server at once (waiting or running, until their reply is sent): per
connection and in all. A call past either limit is answered at once with
``anvil.server.QuotaExceededError`` saying which limit (and its option), and never runs.

Example:
    >>> admission = Admission(per_connection=1, in_all=10)
    >>> admission.enter("socket-1") is None
    True
    >>> str(admission.enter("socket-1"))
    'Too many calls in progress on this connection (the limit is 1, --max-connection-calls); try again later'
    >>> admission.leave("socket-1"); admission.enter("socket-1") is None
    True
"""

from __future__ import annotations

from typing import Any

import anvil.server


class Admission:
    """Counts the calls in progress, by connection (any hashable key; call from the event loop only)."""

    def __init__(self, per_connection: int, in_all: int) -> None:
        self.per_connection = per_connection
        self.in_all = in_all
        self.in_progress = 0
        self._by_connection: dict[Any, int] = {}

    def enter(self, connection: Any) -> anvil.server.QuotaExceededError | None:
        """Count a new call of ``connection``; or, past a limit, the error to answer it with (not counted)."""
        mine = self._by_connection.get(connection, 0)
        if mine >= self.per_connection:
            return anvil.server.QuotaExceededError(
                f"Too many calls in progress on this connection (the limit is {self.per_connection:,}, "
                f"--max-connection-calls); try again later")
        if self.in_progress >= self.in_all:
            return anvil.server.QuotaExceededError(
                f"Too many calls in progress on this server (the limit is {self.in_all:,}, "
                f"--max-queued-calls); try again later")
        self._by_connection[connection] = mine + 1
        self.in_progress += 1
        return None

    def leave(self, connection: Any) -> None:
        """A counted call of ``connection`` has been answered."""
        self.in_progress -= 1
        left = self._by_connection[connection] - 1
        if left:
            self._by_connection[connection] = left
        else:
            del self._by_connection[connection]
