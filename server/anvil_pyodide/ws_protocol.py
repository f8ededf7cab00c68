"""uvicorn's WebSocket protocol (websockets, sans-I/O) without a traceback for a bad frame on a closing socket,
with permessage-deflate for text messages only (ws_deflate.py: media chunks go out uncompressed), and with a
batch writer for the app: ``scope["extensions"][BATCH_WRITER_EXTENSION]`` (calls/outbox.py) writes several messages
in one transport write — a reply and its media chunks without one ASGI ``send`` (and its awaits, checks and
copies) per frame — and a frame sink: ``scope["extensions"][FRAME_SINK_EXTENSION]`` (transports/frame_sink.py)
hands the app each whole message from ``data_received`` without the ASGI ``receive`` round.

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

from starlette.websockets import WebSocketDisconnect
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request
from websockets.server import ServerProtocol

from .calls.outbox import BATCH_WRITER_EXTENSION, Frame
from .transports.frame_sink import FRAME_SINK_EXTENSION, FrameSink
from .ws_deflate import TextOnlyDeflateFactory

#: The close code a lost connection reports (what Starlette's ``send`` raises when the transport is gone).
CLOSE_ABNORMAL = 1006


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
        self.sink = FrameSink()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # (none when the handshake was refused)
        if scope is not None:
            scope["extensions"][BATCH_WRITER_EXTENSION] = ProtocolBatchWriter(self)
            scope["extensions"][FRAME_SINK_EXTENSION] = self.sink

    def send_receive_event_to_app(self) -> None:
        if self.sink.take is not None and len(self.frames) == 1 and not self.close_sent:
            data = self.frames[0]
            try:
                message = data.decode() if self.curr_msg_data_type == "text" else data
            except UnicodeDecodeError:  # uvicorn's own path reports it and closes the socket
                message = None
            if message is not None and self.sink.offer(message, self.queue.empty()):
                self.frames = []
                return
        try:
            super().send_receive_event_to_app()
        except InvalidState:  # uvicorn's second close of a closing socket (after an invalid UTF-8 frame)
            self.frames = []


class ProtocolBatchWriter:
    """The app's :class:`~.calls.outbox.BatchWriter` of one connection: frames written straight through the
    protocol's websockets connection to its transport, several in one ``writelines``."""

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self.protocol = protocol

    async def send(self, messages: list[Frame]) -> None:
        """Write ``messages`` once the transport is below its high-water mark. Raises ``WebSocketDisconnect`` (1006)
        when the connection is gone, like Starlette's ``send``, and RuntimeError once the socket is closing."""
        protocol = self.protocol
        await protocol.writable.wait()
        if protocol.disconnected:
            raise WebSocketDisconnect(CLOSE_ABNORMAL)
        if protocol.close_sent or not protocol.handshake_complete:
            raise RuntimeError("Cannot send on a WebSocket that is not open")
        if not self._write(messages):
            raise WebSocketDisconnect(CLOSE_ABNORMAL)

    def send_now(self, messages: list[Frame]) -> bool:
        protocol = self.protocol
        if (not protocol.writable.is_set() or protocol.disconnected or protocol.close_sent
                or not protocol.handshake_complete):
            return False
        return self._write(messages)

    def _write(self, messages: list[Frame]) -> bool:
        conn = self.protocol.conn
        try:
            for message in messages:
                if type(message) is str:
                    conn.send_text(message.encode())
                else:
                    conn.send_binary(message)
        except InvalidState:  # the client's close frame came in meanwhile: nothing more can be sent
            return False
        self.protocol.transport.writelines(conn.data_to_send())
        return True
