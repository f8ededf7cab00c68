"""The binary-safe response framing of ``/_/server-call-http``.

The response is ``multipart/x-mixed-replace; boundary=...`` (Anvil's shape), and every part
carries a ``Content-Length``: a reader takes exactly that many bytes, so binary media parts
(``application/octet-stream``) arrive intact. JSON messages are ``application/json`` parts;
each media chunk is its CHUNK_HEADER JSON part followed by one binary part.

Example:
    >>> part = frame_part("b0und", "application/json", b'{"id":"x"}')
    >>> part.split(b"\\r\\n")[:3]
    [b'--b0und', b'Content-Type: application/json', b'Content-Length: 10']
    >>> [(t, body) for t, body in parse_parts(part + closing("b0und"), "b0und")]
    [('application/json', b'{"id":"x"}')]
"""

from __future__ import annotations

from typing import Iterator


def frame_part(boundary: str, content_type: str, body: bytes) -> bytes:
    head = f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode("ascii") + body + b"\r\n"


def closing(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode("ascii")


def parse_parts(data: bytes, boundary: str) -> Iterator[tuple[str, bytes]]:
    """Read a framed response back: ``(content_type, body)`` per part. Raises ValueError if malformed."""
    position = 0
    opening, final = f"--{boundary}\r\n".encode(), f"--{boundary}--".encode()
    while True:
        if data.startswith(final, position):
            return
        if not data.startswith(opening, position):
            raise ValueError(f"expected a boundary at byte {position}")
        header_end = data.index(b"\r\n\r\n", position)
        headers = dict(line.split(": ", 1) for line in
                       data[position + len(opening):header_end].decode("ascii").split("\r\n"))
        start = header_end + 4
        end = start + int(headers["Content-Length"])
        yield headers["Content-Type"], data[start:end]
        position = end + 2
