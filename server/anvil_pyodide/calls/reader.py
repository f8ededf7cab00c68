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

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from anvil._errors import SerializationError
from anvil._wire import MediaAssembler, check_chunk_header, media_ids

from . import json_text
from .message_limits import MessageLimits, decoded_size, leading_fields

CLOSE_UNSUPPORTED = 1003
CLOSE_BAD_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009

#: Text frames longer than this are parsed (and checked against the limits) in a worker thread, not on
#: the event loop. (JSON parsing holds the GIL, so the loop waits for the parse itself — see json_text.py and
#: docs/performance.md — but the checks after it do not stall other sockets.)
PARSE_OFF_LOOP_CHARS = 256 * 1024


class FrameError(Exception):
    """A frame that breaks the framing rules; ``code`` is the WebSocket close code that fits it."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class MessageRefused(FrameError):
    """A message over a :class:`~.message_limits.MessageLimits` limit, or nested too deeply to read.

    ``call_id`` is the id of the CALL it was, when that could be read: answer that call with ``error``
    and go on. Otherwise it is a bad frame (close code 1007).
    """

    def __init__(self, fields: dict[str, Any], reason: str) -> None:
        super().__init__(CLOSE_BAD_DATA, reason)
        call_id = fields.get("id")
        self.call_id = call_id if fields.get("type") == "CALL" and isinstance(call_id, str) and call_id else None
        #: The message's ``type`` and ``id`` when they could be read (an uplink's answer has only an ``id``).
        self.kind, self.id = fields.get("type"), call_id
        self.error = SerializationError(f"The message was refused: {reason}")


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
    #: What it holds against the connection's budget: the parsed message (estimated) and its chunks so far.
    held: int = 0
    #: When its last chunk (or the message itself) arrived, by ``time.monotonic()``.
    last_seen: float = field(default_factory=time.monotonic)


#: At most this many failed messages' media ids are remembered (to drop the chunks still coming quietly).
MAX_DISCARDING = 256


class MessageReader:
    """Frames in, whole messages out, for one connection (call from one thread: the event loop)."""

    def __init__(self, max_message_bytes: int | None = None, max_media_bytes: int | None = None,
                 limits: MessageLimits | None = None, *, media_timeout: float | None = None,
                 max_held_bytes: int | None = None) -> None:
        self.max_message_bytes = max_message_bytes
        self.max_media_bytes = max_media_bytes
        self.limits = limits or MessageLimits()
        #: Seconds a waiting message's media may go without a chunk; then it fails (needs a running loop).
        self.media_timeout = media_timeout
        #: The most the messages waiting for media (parsed, estimated) and their chunks may hold in all.
        self.max_held_bytes = max_held_bytes
        #: Told of each message whose media timed out (the transport answers it); set by the transport.
        self.on_media_failed: Callable[[MediaFailed], None] | None = None
        #: What the waiting messages hold now, in bytes (see ``max_held_bytes``).
        self.held_bytes = 0
        self._last_parsed: tuple[Any, int] = (None, 0)
        self._timer: asyncio.TimerHandle | None = None
        self._waiting: dict[Any, _Waiting] = {}
        #: Messages whose media failed: key → media ids whose chunks are still coming.
        self._discarding: dict[Any, set[str]] = {}
        self._header: dict[str, Any] | None = None

    def text(self, text: str) -> dict[str, Any] | None:
        """One text frame: the message it holds, or None for a ``CHUNK_HEADER`` (kept for the binary frame
        after it). Raises FrameError when it is too big, not JSON, not an object or a bad chunk header,
        and MessageRefused when it is over a limit."""
        return self._take(self.parse(text))

    async def read_text(self, text: str) -> dict[str, Any] | None:
        """:meth:`text`, with a long frame parsed and checked in a worker thread (other sockets go on)."""
        if len(text) <= PARSE_OFF_LOOP_CHARS:
            return self._take(self.parse(text))
        return self._take(await asyncio.to_thread(self.parse, text))

    def _take(self, message: dict[str, Any]) -> dict[str, Any] | None:
        if message.get("type") == "CHUNK_HEADER":
            self.chunk_header(message)
            return None
        return message

    def parse(self, text: str) -> dict[str, Any]:
        """One text frame as a JSON object within the limits; raises FrameError when it is too big, not JSON
        or not an object, MessageRefused when it is over a limit (or nested too deeply to read)."""
        if self.max_message_bytes is not None and len(text) > self.max_message_bytes:
            raise FrameError(CLOSE_TOO_BIG, f"message of {len(text)} bytes is over the limit")
        try:
            message = json_text.loads(text)
        except ValueError:
            raise FrameError(CLOSE_BAD_DATA, "text frame is not JSON") from None
        except RecursionError:
            raise MessageRefused(leading_fields(text), f"it is nested too deeply to read (the limit is "
                                 f"{self.limits.max_depth} levels, --max-message-depth)") from None
        if not isinstance(message, dict):
            raise FrameError(CLOSE_BAD_DATA, "message is not a JSON object")
        problem = self.limits.check(text, message)
        if problem is not None:
            raise MessageRefused(message, problem)
        if self.max_held_bytes is not None and message.get("objects"):
            self._last_parsed = (message, decoded_size(text))  # what it holds if it waits for media
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
        parsed, cost = self._last_parsed
        self._last_parsed = (None, 0)
        held = cost if parsed is message else 0
        if self.max_held_bytes is not None and self.held_bytes + held > self.max_held_bytes:
            raise SerializationError(self._over_budget())
        self._waiting[key] = _Waiting(message, MediaAssembler(key, expected, self.max_media_bytes), tag, held)
        self.held_bytes += held
        self._start_timer()
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
            if self.max_held_bytes is not None and self.held_bytes + len(data) > self.max_held_bytes:
                raise SerializationError(self._over_budget())
            waiting.assembler.add_chunk(header, data)
        except SerializationError as e:
            self._fail(key, waiting)
            self._skip(key, header)
            return MediaFailed(waiting.message, e, waiting.tag)
        waiting.held += len(data)
        self.held_bytes += len(data)
        waiting.last_seen = time.monotonic()
        if waiting.assembler.complete:
            self._forget(key)
            return Assembled(waiting.message, waiting.assembler.contents(), waiting.tag)
        return None

    def _over_budget(self) -> str:
        return (f"The media waiting on this connection would hold more than {self.max_held_bytes:,} bytes "
                f"(--max-connection-bytes)")

    def _forget(self, key: Any) -> _Waiting | None:
        waiting = self._waiting.pop(key, None)
        if waiting is not None:
            self.held_bytes -= waiting.held
        return waiting

    def _fail(self, key: Any, waiting: _Waiting) -> None:
        """Stop waiting for ``key``'s media and drop the chunks of it that are still coming."""
        self._forget(key)
        if len(self._discarding) >= MAX_DISCARDING:
            del self._discarding[next(iter(self._discarding))]
        self._discarding[key] = set(media_ids(waiting.message)) - set(waiting.assembler.contents())

    def _start_timer(self) -> None:
        if self.media_timeout is not None and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.media_timeout, self._expire)

    def _expire(self) -> None:
        """Fail the messages whose media has not moved for ``media_timeout`` seconds; look again later."""
        self._timer = None
        assert self.media_timeout is not None
        now = time.monotonic()
        for key, waiting in list(self._waiting.items()):
            if now - waiting.last_seen >= self.media_timeout:
                self._fail(key, waiting)
                error = SerializationError(f"The call's media stopped arriving: nothing came for "
                                           f"{self.media_timeout:g} s (--media-timeout)")
                if self.on_media_failed is not None:
                    self.on_media_failed(MediaFailed(waiting.message, error, waiting.tag))
        if self._waiting:
            oldest = min(w.last_seen for w in self._waiting.values())
            self._timer = asyncio.get_running_loop().call_later(max(0.0, oldest + self.media_timeout - now),
                                                                self._expire)

    def abandon(self, key: Any) -> tuple[dict[str, Any], str] | None:
        """Stop waiting for ``key``'s media (the sender gave up, or nobody wants it): its message and tag, or None."""
        waiting = self._forget(key)
        return (waiting.message, waiting.tag) if waiting is not None else None

    def clear(self) -> None:
        """Forget everything still waiting (the connection has ended)."""
        self._waiting.clear()
        self._discarding.clear()
        self._header = None
        self.held_bytes = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _skip(self, key: Any, header: dict[str, Any]) -> None:
        remaining = self._discarding[key]
        if header["lastChunk"]:
            remaining.discard(header["mediaId"])
        if not remaining:
            del self._discarding[key]
