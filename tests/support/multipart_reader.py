"""A reader of ``/_/server-call-http`` replies that shares no code with the server: python-multipart's standard
streaming parser splits the body at its boundaries (RFC 2046), and each part's ``Content-Length`` header must
match what it found. A framing bug the server's own ``parse_parts`` would share cannot pass here.

Example:
    >>> body = b"--b\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\n\\r\\n{}\\r\\n--b--\\r\\n"
    >>> read_parts(body, "b")
    [('application/json', b'{}')]
"""

from __future__ import annotations

from python_multipart import MultipartParser


def read_parts(body: bytes, boundary: str) -> list[tuple[str, bytes]]:
    """``(content_type, bytes)`` per part; ValueError when a part's Content-Length disagrees or the body is cut."""
    parts: list[tuple[str, bytes]] = []
    headers: dict[str, str] = {}
    name, value, data = bytearray(), bytearray(), bytearray()
    ended = []

    def on_part_begin() -> None:
        headers.clear()
        data.clear()

    def on_header_field(chunk: bytes, start: int, end: int) -> None:
        name.extend(chunk[start:end])

    def on_header_value(chunk: bytes, start: int, end: int) -> None:
        value.extend(chunk[start:end])

    def on_header_end() -> None:
        headers[name.decode("ascii").lower()] = value.decode("ascii")
        name.clear()
        value.clear()

    def on_part_data(chunk: bytes, start: int, end: int) -> None:
        data.extend(chunk[start:end])

    def on_part_end() -> None:
        declared = int(headers["content-length"])
        if declared != len(data):
            raise ValueError(f"part {len(parts)}: Content-Length {declared} but {len(data)} bytes before the boundary")
        parts.append((headers["content-type"], bytes(data)))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_end": lambda: ended.append(True)})
    parser.write(body)
    parser.finalize()
    if not ended:
        raise ValueError("the body ends before its closing boundary")
    return parts
