"""A WebSocket peer that never reads what the server sends (until told to): for tests of the server's reply budget.

Example (against a live server):
    peer = NonReader(server.ws_url + "/_/ws", server.port)
    peer.send('{"type": "CALL", "id": "c1", "command": "large_text", "args": [1000000], "kwargs": {}}')
    ...  # the replies stay at the server: the peer's small receive buffer fills and nothing reads it
    peer.close()
"""

from __future__ import annotations

import json
import socket
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri


def small_receive_buffer(port: int) -> socket.socket:
    """A connected TCP socket whose kernel receive buffer is small: what is not read stays at the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.connect(("127.0.0.1", port))
    return sock


class NonReader:
    """A WebSocket client that reads the handshake's answer and nothing after it (websockets' sans-I/O protocol
    over a blocking socket: an asyncio client would keep reading into its own buffers)."""

    def __init__(self, url: str, port: int) -> None:
        self.sock = small_receive_buffer(port)
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.state is State.CONNECTING:
            self.protocol.receive_data(self.sock.recv(1))  # byte by byte: not one byte past the 101 answer
        assert self.protocol.state is State.OPEN, self.protocol.handshake_exc

    def send(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        self._flush()

    def read_until(self, call_id: str, timeout: float = 120) -> dict[str, Any]:
        """Read (at last) until the final message of ``call_id`` has come; returns it. Blocking: run it in a
        thread from asyncio code."""
        self.sock.settimeout(timeout)
        while True:
            for event in self.protocol.events_received():
                if getattr(event, "opcode", None) is Opcode.TEXT:
                    message = json.loads(event.data)
                    if message.get("id") == call_id and ("response" in message or "error" in message):
                        return message
            data = self.sock.recv(1 << 20)
            if not data:
                raise AssertionError(f"the server closed the socket before {call_id!r} was answered")
            self.protocol.receive_data(data)
            self._flush()  # (pongs)

    def _flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def close(self) -> None:
        self.sock.close()
