"""The binary-safe response framing of ``/_/server-call-http``.

The response is ``multipart/x-mixed-replace; boundary=...`` (Anvil's shape), and every part
carries a ``Content-Length``: a reader takes exactly that many bytes, so binary media parts
(``application/octet-stream``) arrive intact. JSON messages are ``application/json`` parts;
each media chunk is its CHUNK_HEADER JSON part followed by one binary part.

Example:
    >>> part = frame_part("b0und", "application/json", b'{"id":"x"}')
    >>> part.split(b"\\r\\n")[:3]
    [b'--b0und', b'Content-Type: application/json', b'Content-Length: 10']
    >>> part.split(b"\\r\\n\\r\\n")[1]
    b'{"id":"x"}\\r\\n'
"""

from __future__ import annotations


def frame_part(boundary: str, content_type: str, body: bytes) -> bytes:
    head = f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode("ascii") + body + b"\r\n"


def closing(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode("ascii")
