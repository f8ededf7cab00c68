"""Whole WebSocket messages handed to the app as they are parsed, without the ASGI ``receive`` round.

Through ASGI every message costs a queue put, a pause and a resume of the socket's reading, and the wake-up
of the app's reading task through every layer of middleware it awaits in. Our uvicorn protocol
(``ws_protocol.py``) puts a :class:`FrameSink` in ``scope["extensions"][FRAME_SINK_EXTENSION]``; an app that
sets its :attr:`~FrameSink.take` gets each message (``str`` text, ``bytes`` binary) from the protocol's
``data_received`` instead. ``take`` returns False to refuse one (e.g. it needs an ``await``): that message, and
every one after it until the app has received them all, goes through ``receive`` as before, so the order of
messages is kept. Anything else (disconnect, close) always goes through ``receive``.

Example:
    >>> sink = FrameSink()
    >>> sink.offer("hi", queue_empty=True)       # nobody takes messages: through receive
    False
    >>> sink.take = lambda message: message == "hi"
    >>> sink.offer("hi", queue_empty=True), sink.offer("hi", queue_empty=False), sink.offer("no", queue_empty=True)
    (True, False, False)
"""

from __future__ import annotations

from typing import Callable

__all__ = ["FRAME_SINK_EXTENSION", "FrameSink"]

FRAME_SINK_EXTENSION = "anvil_pyodide.websocket.frame_sink"


class FrameSink:
    """One connection's hand-off point between the protocol (which offers) and the app (which takes)."""

    __slots__ = ("take",)

    def __init__(self) -> None:
        #: Set by the app: takes one whole message (True) or refuses it (False). None: every message is refused.
        self.take: Callable[[str | bytes], bool] | None = None

    def offer(self, message: str | bytes, queue_empty: bool) -> bool:
        """Whether the app took ``message``; never while earlier messages still wait in ``receive``'s queue."""
        take = self.take
        return take is not None and queue_empty and take(message)
