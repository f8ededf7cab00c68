"""The one message reader of every transport: JSON text frames, and media that arrives as
``CHUNK_HEADER`` + binary frames after the message that names it (docs/protocol.md, "Media").

A transport feeds it frames (a WebSocket's as they come; ``/_/server-call-http``'s form fields in
order) and gets back whole messages with their media. What to do with a broken frame is the
transport's choice: the reader raises :class:`FrameError` carrying the WebSocket close code that
fits (the browser socket closes with it, the uplink socket logs and drops the frame).

After a message's media fails (a chunk out of order, over the size limit), the rest of its chunks
are skipped quietly: the sender is still sending them, and the other calls on the connection go on.

Example:
    >>> reader = MessageReader(max_message_bytes=10_000, max_media_bytes=10_000)
    >>> call = reader.text('{"type": "CALL", "id": "c1", "objects": [{"type": ["DataMedia"], "id": "m0", '
    ...                     '"path": ["args", 0], "mime-type": "text/plain", "name": null}], "args": [null]}')
    >>> reader.expect("c1", call, tag="call")
    True
    >>> reader.text('{"type": "CHUNK_HEADER", "requestId": "c1", "mediaId": "m0", "chunkIndex": 0, "lastChunk": true}')
    >>> done = reader.binary(b"hi")
    >>> done.message["id"], done.media, done.tag
    ('c1', {'m0': b'hi'}, 'call')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from anvil._errors import SerializationError
from anvil._wire import MediaAssembler, check_chunk_header, media_ids

CLOSE_UNSUPPORTED = 1003
CLOSE_BAD_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009


class FrameError(Exception):
    """A frame that breaks the framing rules; ``code`` is the WebSocket close code that fits it."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass
class Assembled:
    """A message whose media has all arrived; ``tag`` is what the transport said it was when it came."""

    message: dict[str, Any]
    media: dict[str, bytes]
    tag: str


@dataclass
class MediaFailed:
    """A message whose media broke the chunk rules or the size limit: answer it with ``error``."""

    message: dict[str, Any]
    error: SerializationError
    tag: str


@dataclass
class _Waiting:
    message: dict[str, Any]
    assembler: MediaAssembler
    tag: str


class MessageReader:
    """Frames in, whole messages out, for one connection (call from one thread: the event loop)."""

    def __init__(self, max_message_bytes: int | None = None, max_media_bytes: int | None = None) -> None:
        self.max_message_bytes = max_message_bytes
        self.max_media_bytes = max_media_bytes
        self._waiting: dict[Any, _Waiting] = {}
        #: Messages whose media failed: key → media ids whose chunks are still coming.
        self._discarding: dict[Any, set[str]] = {}
        self._header: dict[str, Any] | None = None

    def text(self, text: str) -> dict[str, Any] | None:
        """One text frame: the message it holds, or None for a ``CHUNK_HEADER`` (kept for the binary frame
        after it). Raises FrameError when it is too big, not JSON, not an object or a bad chunk header."""
        message = self.parse(text)
        if message.get("type") == "CHUNK_HEADER":
            self.chunk_header(message)
            return None
        return message

    def parse(self, text: str) -> dict[str, Any]:
        """One text frame as a JSON object; raises FrameError when it is too big, not JSON or not an object."""
        if self.max_message_bytes is not None and len(text) > self.max_message_bytes:
            raise FrameError(CLOSE_TOO_BIG, f"message of {len(text)} bytes is over the limit")
        try:
            message = json.loads(text)
        except ValueError:
            raise FrameError(CLOSE_BAD_DATA, "text frame is not JSON") from None
        except RecursionError:
            raise FrameError(CLOSE_BAD_DATA, "message is nested too deeply") from None
        if not isinstance(message, dict):
            raise FrameError(CLOSE_BAD_DATA, "message is not a JSON object")
        return message

    def expect(self, key: Any, message: dict[str, Any], tag: str = "") -> bool:
        """Start waiting for ``message``'s media (chunks name it by ``key``, its id); False when it has none.

        Raises SerializationError when the message's media list is malformed, FrameError when ``key``
        is already waiting for media.
        """
        if key in self._waiting:
            raise FrameError(CLOSE_POLICY, f"id {key!r} reused while its media is arriving")
        self._discarding.pop(key, None)
        expected = media_ids(message)
        if not expected:
            return False
        self._waiting[key] = _Waiting(message, MediaAssembler(key, expected, self.max_media_bytes), tag)
        return True

    def chunk_header(self, header: dict[str, Any]) -> None:
        """A ``CHUNK_HEADER``: the next binary frame is the chunk it describes."""
        self._header = None
        try:
            check_chunk_header(header)
        except SerializationError as e:
            raise FrameError(CLOSE_BAD_DATA, str(e)) from None
        key = header.get("requestId")
        if key not in self._waiting and key not in self._discarding:
            raise FrameError(CLOSE_POLICY, f"chunk header for unknown request {key!r}")
        self._header = header

    def binary(self, data: bytes) -> Assembled | MediaFailed | None:
        """One binary frame: the message it completes, the message whose media it breaks, or None."""
        header, self._header = self._header, None
        if header is None:
            raise FrameError(CLOSE_POLICY, "binary frame without a valid CHUNK_HEADER before it")
        key = header["requestId"]
        if key in self._discarding:
            self._skip(key, header)
            return None
        waiting = self._waiting.get(key)
        if waiting is None:
            raise FrameError(CLOSE_POLICY, f"chunk for request {key!r}, which is no longer waiting")
        try:
            waiting.assembler.add_chunk(header, data)
        except SerializationError as e:
            del self._waiting[key]
            self._discarding[key] = set(media_ids(waiting.message)) - set(waiting.assembler.contents())
            self._skip(key, header)
            return MediaFailed(waiting.message, e, waiting.tag)
        if waiting.assembler.complete:
            del self._waiting[key]
            return Assembled(waiting.message, waiting.assembler.contents(), waiting.tag)
        return None

    def abandon(self, key: Any) -> tuple[dict[str, Any], str] | None:
        """Stop waiting for ``key``'s media (the sender gave up, or nobody wants it): its message and tag, or None."""
        waiting = self._waiting.pop(key, None)
        return (waiting.message, waiting.tag) if waiting is not None else None

    def clear(self) -> None:
        """Forget everything still waiting (the connection has ended)."""
        self._waiting.clear()
        self._discarding.clear()
        self._header = None

    def _skip(self, key: Any, header: dict[str, Any]) -> None:
        remaining = self._discarding[key]
        if header["lastChunk"]:
            remaining.discard(header["mediaId"])
        if not remaining:
            del self._discarding[key]
