"""The Anvil wire codec (protocol v8), shared by the browser runtime and the server.

Example:
    >>> import datetime as dt
    >>> from anvil import BlobMedia
    >>> sent = encode_message({"id": "c1", "args": [BlobMedia("text/plain", b"hi"), dt.date(2024, 1, 2)]})
    >>> contents = reassemble(sent)          # what the receiving side collects from the chunk frames
    >>> decode_message(sent.message, contents).message["args"][1]
    datetime.date(2024, 1, 2)
"""

from __future__ import annotations

from .chunks import MAX_CHUNK_BYTES, MediaAssembler, check_chunk_header, split_media
from .decode import DecodedMessage, decode_message, media_ids
from .encode import EncodedMessage, encode_message, is_plain_json
from .paths import repr_path

__all__ = [
    "MAX_CHUNK_BYTES", "MediaAssembler", "check_chunk_header", "split_media",
    "DecodedMessage", "decode_message", "media_ids",
    "EncodedMessage", "encode_message", "is_plain_json", "repr_path", "reassemble",
]


def reassemble(encoded: EncodedMessage, max_bytes: int | None = None) -> dict[str, bytes]:
    """Run an encoded message's chunk frames through a MediaAssembler (what a receiver does)."""
    assembler = MediaAssembler(encoded.message.get("id"), media_ids(encoded.message), max_bytes)
    for header, data in encoded.chunks():
        assembler.add_chunk(header, data)
    return assembler.contents()
