"""How values cross the boundary between the server process and a background task's process.

A value is packed with the app's wire codec (:func:`anvil._wire.encode_message`), not pickle: a task
receives and returns exactly what a server function could (JSON values, dates, Media, portable
classes, capabilities), and unsendable values fail with ``anvil.server.SerializationError`` naming
where they are, as they would for a server function. A packed value is ``(message, media)``: the
encoded JSON message and the bytes of each Media in it. multiprocessing sends it through a pipe
(pickling that plain tuple; the task's process runs the app's own server code, as trusted as the server).

Example:
    >>> import datetime as dt
    >>> packed = pack({"when": dt.date(2024, 5, 1), "n": 2**40})
    >>> unpack(packed)
    {'n': 1099511627776, 'when': datetime.date(2024, 5, 1)}
"""

from __future__ import annotations

from typing import Any

from anvil._wire import decode_message, encode_message, reassemble

#: ``(encoded message, {media id: bytes})``
Packed = tuple[dict[str, Any], dict[str, bytes]]


def pack(value: Any) -> Packed:
    """Encode ``value`` (raises SerializationError for a value that cannot be sent)."""
    encoded = encode_message({"id": "task", "value": value}, remote_is_trusted=True)
    return encoded.message, reassemble(encoded)


def unpack(packed: Packed) -> Any:
    """The value :func:`pack` encoded."""
    message, media = packed
    return decode_message(message, media, remote_is_trusted=True).message.get("value")
