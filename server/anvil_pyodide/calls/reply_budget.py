"""How many bytes of replies one connection may have waiting to be sent (``--max-pending-reply-bytes``), and
how long it may stay over that without taking one off (``--reply-stall-timeout``).

A peer that never reads its socket would otherwise make the server hold every reply it asked for. While
its outbox is over the budget the connection gets back-pressure: its socket is not read and its calls
not yet started wait (:meth:`ReplyBudget.room`). When no reply has finished sending for
``stall_timeout`` seconds while it is over, ``on_stalled`` is told (the transport closes the socket with
the reason, which frees what was queued).

Example:
    >>> import asyncio
    >>> async def demo():
    ...     budget = ReplyBudget(max_bytes=100, stall_timeout=None)
    ...     budget.add(150)
    ...     over = budget.over
    ...     budget.remove(150)
    ...     await budget.room()
    ...     return over, budget.over, budget.pending
    >>> asyncio.run(demo())
    (True, False, 0)
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Callable

#: Every budget of a connection still open, for :func:`largest_pending` (diagnostics and tests).
_open_budgets: "weakref.WeakSet[ReplyBudget]" = weakref.WeakSet()
#: The most any one connection has had pending at once since the server started.
_peak = 0


class ReplyBudget:
    """The bytes of one connection's replies not yet sent (call from the event loop only)."""

    def __init__(self, max_bytes: int | None, stall_timeout: float | None) -> None:
        self.max_bytes = max_bytes
        self.stall_timeout = stall_timeout
        #: Encoded bytes queued and not yet written to the socket.
        self.pending = 0
        #: The most that was ever pending at once.
        self.peak = 0
        #: Told (once) why the connection must close: over budget and no reply sent for ``stall_timeout``.
        self.on_stalled: Callable[[str], None] | None = None
        self._room = asyncio.Event()
        self._room.set()
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        _open_budgets.add(self)

    @classmethod
    def of(cls, config: Any) -> "ReplyBudget":
        """The budget a :class:`~anvil_pyodide.config.ServerConfig` sets for each connection."""
        return cls(config.max_pending_reply_bytes, config.reply_stall_timeout)

    @property
    def closed(self) -> bool:
        """The connection has ended (see :meth:`close`)."""
        return self._closed

    @property
    def over(self) -> bool:
        return self.max_bytes is not None and self.pending > self.max_bytes

    def add(self, size: int) -> None:
        """A reply of ``size`` encoded bytes was queued."""
        global _peak
        self.pending += size
        if self.pending > self.peak:
            self.peak = self.pending
            _peak = max(_peak, self.pending)
        if self.over and self._room.is_set():
            self._room.clear()
            self._restart_timer()

    def remove(self, size: int) -> None:
        """A reply of ``size`` bytes has been written: progress (the stall clock starts again)."""
        self.pending -= size
        if not self.over:
            self._room.set()
            self._cancel_timer()
        elif not self._closed:
            self._restart_timer()

    async def room(self) -> None:
        """Return once the connection is under its budget again (or closed)."""
        await self._room.wait()

    def close(self) -> None:
        """The connection has ended: nothing waits for room any more."""
        self._closed = True
        self._room.set()
        self._cancel_timer()
        _open_budgets.discard(self)

    def _restart_timer(self) -> None:
        self._cancel_timer()
        if self.stall_timeout is not None and not self._closed:
            self._timer = asyncio.get_running_loop().call_later(self.stall_timeout, self._stalled)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _stalled(self) -> None:
        self._timer = None
        if self.over and not self._closed and self.on_stalled is not None:
            self.on_stalled(self.stall_reason())

    def stall_reason(self) -> str:
        """Why a stalled connection is closed (fits a WebSocket close frame's 123 bytes)."""
        return (f"{self.pending:,} bytes of replies unread for {self.stall_timeout:g} s "
                f"(--max-pending-reply-bytes)")


def largest_pending() -> tuple[int, int]:
    """``(now, ever)``: the most reply bytes one open connection has pending now, and the most one connection
    (open or not) has had pending at once since the server started (for diagnostics).

    Example:
        >>> largest_pending() >= (0, 0)
        True
    """
    return max((b.pending for b in list(_open_budgets)), default=0), _peak
