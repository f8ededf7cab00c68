"""Media chunk framing: each media item follows its message as ``CHUNK_HEADER`` + binary frames.

Example:
    >>> frames = list(split_media("call-1", "media-0", b"x" * 70000))
    >>> [(h["chunkIndex"], h["lastChunk"], len(d)) for h, d in frames]
    [(0, False, 65536), (1, True, 4464)]
    >>> assembler = MediaAssembler("call-1", ["media-0"])
    >>> for header, data in frames: assembler.add_chunk(header, data)
    >>> assembler.complete, len(assembler.contents()["media-0"])
    (True, 70000)
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from .._errors import SerializationError

MAX_CHUNK_BYTES = 65536


def split_media(request_id: Any, media_id: str, data: bytes,
                chunk_size: int = MAX_CHUNK_BYTES) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Headers and frames for one media item; empty media is one empty, final chunk."""
    if not 0 < chunk_size <= MAX_CHUNK_BYTES:
        raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_BYTES}")
    view = memoryview(data)
    total = len(view)
    offset, index = 0, 0
    while True:
        end = min(offset + chunk_size, total)
        yield ({"type": "CHUNK_HEADER", "requestId": request_id, "mediaId": media_id,
                "chunkIndex": index, "lastChunk": end == total}, bytes(view[offset:end]))
        if end == total:
            return
        offset, index = end, index + 1


def check_chunk_header(header: Any) -> dict[str, Any]:
    """Validate a received ``CHUNK_HEADER``; returns it, or raises SerializationError saying what is wrong."""
    if not isinstance(header, dict) or header.get("type") != "CHUNK_HEADER":
        raise SerializationError("Malformed chunk header: not a CHUNK_HEADER object")
    if not isinstance(header.get("mediaId"), str):
        raise SerializationError("Malformed chunk header: mediaId must be a str")
    if type(header.get("chunkIndex")) is not int or header["chunkIndex"] < 0:
        raise SerializationError("Malformed chunk header: chunkIndex must be a non-negative int")
    if type(header.get("lastChunk")) is not bool:
        raise SerializationError("Malformed chunk header: lastChunk must be true or false")
    return header


class MediaAssembler:
    """Collects the chunks of every media item of one message until all are complete.

    Chunks must arrive in order, at most 64 KiB each; ``max_bytes`` bounds the total.
    """

    def __init__(self, request_id: Any, media_ids: Iterable[str], max_bytes: int | None = None) -> None:
        self.request_id = request_id
        self.max_bytes = max_bytes
        self._parts: dict[str, list[bytes]] = {media_id: [] for media_id in media_ids}
        self._finished: dict[str, bytes] = {}
        self._received_bytes = 0

    @property
    def complete(self) -> bool:
        """True once every expected media item has had its last chunk."""
        return len(self._finished) == len(self._parts)

    def add_chunk(self, header: dict[str, Any], data: bytes) -> None:
        """Add one chunk; raises SerializationError for a chunk that does not fit the stream."""
        check_chunk_header(header)
        media_id = header["mediaId"]
        if header.get("requestId") != self.request_id:
            raise SerializationError(f"Chunk for request {header.get('requestId')!r} sent to request {self.request_id!r}")
        if media_id not in self._parts:
            raise SerializationError(f"Chunk for unknown media {media_id!r}")
        if media_id in self._finished:
            raise SerializationError(f"Chunk after the last chunk of media {media_id!r}")
        parts = self._parts[media_id]
        if header["chunkIndex"] != len(parts):
            raise SerializationError(
                f"Media {media_id!r}: expected chunk {len(parts)}, got chunk {header['chunkIndex']}")
        if len(data) > MAX_CHUNK_BYTES:
            raise SerializationError(f"Media {media_id!r}: a chunk of {len(data)} bytes is over {MAX_CHUNK_BYTES}")
        self._received_bytes += len(data)
        if self.max_bytes is not None and self._received_bytes > self.max_bytes:
            raise SerializationError(f"Media in this message is over the limit of {self.max_bytes} bytes")
        parts.append(bytes(data))
        if header["lastChunk"]:
            self._finished[media_id] = b"".join(parts)
            parts.clear()

    def contents(self) -> dict[str, bytes]:
        """The bytes of each media item (complete ones only)."""
        return dict(self._finished)
