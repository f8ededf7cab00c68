"""uvicorn's WebSocket protocol (websockets, sans-I/O) without a traceback for a bad frame on a closing socket.

When a client's invalid UTF-8 text frame is read together with its close frame (or after the server began
closing), uvicorn tries to close the socket a second time, which raises ``InvalidState`` out of
``data_received``: the event loop logs "Fatal error on transport" with a traceback. The first close stands, so
the frame is simply dropped here. (The one-line report of the invalid frame itself is log_filters.py's.)

Example:
    >>> issubclass(QuietWebSocketsProtocol, WebSocketsSansIOProtocol)
    True
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState


class QuietWebSocketsProtocol(WebSocketsSansIOProtocol):
    """WebSocketsSansIOProtocol that drops a frame it cannot deliver because the socket is already closing."""

    def send_receive_event_to_app(self) -> None:
        try:
            super().send_receive_event_to_app()
        except InvalidState:  # uvicorn's second close of a closing socket (after an invalid UTF-8 frame)
            self.frames = []
