"""uvicorn's WebSocket protocol (websockets, sans-I/O) without a traceback for a bad frame on a closing socket,
and with permessage-deflate for text messages only (ws_deflate.py: media chunks go out uncompressed).

When a client's invalid UTF-8 text frame is read together with its close frame (or after the server began
closing), uvicorn tries to close the socket a second time, which raises ``InvalidState`` out of
``data_received``: the event loop logs "Fatal error on transport" with a traceback. The first close stands, so
the frame is simply dropped here. (The one-line report of the invalid frame itself is log_filters.py's.)

Example:
    >>> issubclass(QuietWebSocketsProtocol, WebSocketsSansIOProtocol)
    True
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.server import ServerProtocol

from .ws_deflate import TextOnlyDeflateFactory


class QuietWebSocketsProtocol(WebSocketsSansIOProtocol):
    """WebSocketsSansIOProtocol that drops a frame it cannot deliver because the socket is already closing, and
    compresses (when the client offers permessage-deflate and ``ws_per_message_deflate`` is on) text only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:  # uvicorn's own settings, with the text-only extension
            self.conn = ServerProtocol(
                extensions=[TextOnlyDeflateFactory(server_max_window_bits=12, client_max_window_bits=12,
                                                   compress_settings={"memLevel": 5})],
                max_size=self.config.ws_max_size, logger=logging.getLogger("uvicorn.error"))

    def send_receive_event_to_app(self) -> None:
        try:
            super().send_receive_event_to_app()
        except InvalidState:  # uvicorn's second close of a closing socket (after an invalid UTF-8 frame)
            self.frames = []
