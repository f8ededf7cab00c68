"""A WebSocket peer that never reads what the server sends: for tests of the server's reply budget.

Example (against a live server):
    peer = NonReader(server.ws_url + "/_/ws", server.port)
    peer.send('{"type": "CALL", "id": "c1", "command": "large_text", "args": [1000000], "kwargs": {}}')
    ...  # the replies stay at the server: the peer's small receive buffer fills and nothing reads it
    peer.close()
"""

from __future__ import annotations

import socket

from websockets.client import ClientProtocol
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

    def _flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def close(self) -> None:
        self.sock.close()
