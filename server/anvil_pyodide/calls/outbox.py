"""The ordered queue of messages to one connection, fed from the loop and worker threads.

Each message is encoded to JSON as it is queued, so what waits is counted by its encoded size against the
connection's :class:`~.reply_budget.ReplyBudget` (``--max-pending-reply-bytes``) until it has been sent.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     outbox = Outbox(asyncio.get_running_loop())
    ...     outbox.put({"id": "a", "response": 1})
    ...     queued = outbox.budget.pending
    ...     item = await outbox.get()
    ...     outbox.sent(item)
    ...     return item.text, queued, outbox.budget.pending
    >>> asyncio.run(demo())
    ('{"id": "a", "response": 1}', 26, 0)
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

from .reply_budget import ReplyBudget

log = logging.getLogger("anvil_pyodide.outbox")

Chunk = tuple[dict[str, Any], bytes]


@dataclass
class Pending:
    """One queued message as JSON text (the message itself is not kept: only what is sent is held), its chunks
    (header JSON and bytes), its encoded size, and whether it is a call's final reply (a response or error)."""

    text: str
    chunks: list[tuple[str, bytes]]
    size: int
    final: bool


#: JSON without NaN or the infinities (the wire sends those as ``objects`` entries): made once, not per message.
_STRICT_JSON = json.JSONEncoder(allow_nan=False)


def encoded(message: dict[str, Any], chunks: list[Chunk]) -> Pending:
    """``message`` and its chunks as JSON text; a reply that is not JSON becomes the error that says so."""
    try:
        text = _STRICT_JSON.encode(message)
    except (TypeError, ValueError) as e:  # a hand-made reply that is not JSON: still answer the call
        log.error("could not encode a reply to %r: %s", message.get("id"), e)
        message, chunks = unencodable_reply(message.get("id")), []
        text = json.dumps(message)
    parts = [(json.dumps(header), data) for header, data in chunks]
    return Pending(text, parts, len(text) + sum(len(h) + len(d) for h, d in parts),
                   "response" in message or "error" in message)


class Outbox:
    """Messages leave in the order they were put, whichever thread put them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, budget: ReplyBudget | None = None) -> None:
        self.loop = loop
        #: What is queued and not yet sent, against the connection's limit (none by default).
        self.budget = budget or ReplyBudget(None, None)
        self._queue: asyncio.Queue[Pending | None] = asyncio.Queue()
        #: Set by the writer (:func:`pump_to_websocket`) while it waits with nothing queued: a message without
        #: chunks put then is written at once (no queue, no wake-up of the writer) when the socket can take it.
        self.write_now: Callable[[list[Frame]], bool] | None = None

    def put(self, message: dict[str, Any], chunks: list[Chunk] | None = None) -> None:
        """Queue a message (call from the event loop's thread)."""
        item = encoded(message, chunks or [])
        write_now = self.write_now
        if write_now is not None:
            if not item.chunks and write_now([item.text]):
                return
            self.write_now = None  # queued from here on, until the writer has caught up: the order is kept
        self.budget.add(item.size)
        self._queue.put_nowait(item)

    def put_threadsafe(self, message: dict[str, Any], chunks: list[Chunk] | None = None) -> None:
        """Queue a message from any thread; order with other puts is kept."""
        self.loop.call_soon_threadsafe(self.put, message, chunks)

    def close(self) -> None:
        """Let the reader finish: ``get`` returns None after what is already queued."""
        self.write_now = None
        self.budget.close()
        self._queue.put_nowait(None)

    def discard(self) -> None:
        """The connection has ended and nothing more will be sent: drop what is queued now (frees it at once)."""
        self.write_now = None
        self.budget.close()
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                self.budget.remove(item.size)
        self._queue.put_nowait(None)

    async def get(self) -> Pending | None:
        return await self._queue.get()

    def sent(self, item: Pending) -> None:
        """``item`` (from :meth:`get`) has been written: it no longer counts against the budget."""
        self.budget.remove(item.size)


def unencodable_reply(call_id: Any) -> dict[str, Any]:
    """The error sent instead of a reply that cannot be turned into JSON."""
    return {"id": call_id if isinstance(call_id, (str, int)) else None, "objects": [],
            "error": {"type": "anvil.server.InternalError", "message": "The server could not encode its reply",
                      "trace": []}}


#: The ASGI extension in a WebSocket's scope (``scope["extensions"]``; ws_protocol.py adds it): a
#: :class:`BatchWriter` that writes several messages in one go (no ASGI send per message).
BATCH_WRITER_EXTENSION = "anvil_pyodide.websocket.batch_writer"
#: A message's frames are written in batches of about this many bytes (a media chunk is 64 KiB), each after the
#: socket has drained below its high-water mark: the reply budget still counts what the peer has not taken.
BATCH_BYTES = 256 * 1024

#: A message to write: a str is a text message, bytes (or a memoryview) a binary one.
Frame = str | bytes | memoryview


class BatchWriter(Protocol):
    """Writes messages to one WebSocket, several in one transport write."""

    async def send(self, messages: list[Frame]) -> None:
        """Write ``messages`` once the socket can take more; raises what a failed send raises (the peer went)."""
        ...

    def send_now(self, messages: list[Frame]) -> bool:
        """Write ``messages`` now if the socket can take them at once (open, below its high-water mark); False
        when it cannot (nothing is written)."""
        ...


@dataclass
class OneByOne:
    """A :class:`BatchWriter` for a WebSocket without the extension: ``send_text``/``send_bytes`` one after the other."""

    websocket: Any

    async def send(self, messages: list[Frame]) -> None:
        for message in messages:
            await (self.websocket.send_text(message) if type(message) is str else self.websocket.send_bytes(message))

    def send_now(self, messages: list[Frame]) -> bool:
        return False


def batch_writer(websocket: Any) -> BatchWriter:
    """How to write to ``websocket`` (a Starlette WebSocket): the server's extension when it has one."""
    extension = getattr(websocket, "scope", {}).get("extensions", {}).get(BATCH_WRITER_EXTENSION)
    return extension if extension is not None else OneByOne(websocket)


def frame_batches(item: Pending) -> Iterator[list[Frame]]:
    """``item``'s frames (its JSON text, then each chunk's header and bytes) in batches of about BATCH_BYTES.

    Example:
        >>> chunk = ("{}", bytes(BATCH_BYTES // 2))
        >>> [len(batch) for batch in frame_batches(Pending("{}", [chunk] * 3, 0, True))]
        [5, 2]
    """
    batch: list[Frame] = [item.text]
    size = len(item.text)
    for header, data in item.chunks:
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch += (header, data)
        size += len(header) + len(data)
    yield batch


async def pump_to_websocket(outbox: Outbox, websocket: Any) -> None:
    """Send what is put in ``outbox`` over ``websocket`` (JSON text, then each chunk's header and bytes)
    until the outbox is closed; raises what a failed send raises (the peer went away)."""
    writer = batch_writer(websocket)
    queue = outbox._queue
    while True:
        if queue.empty():  # caught up: what is put meanwhile is written by ``put`` itself while it can be
            outbox.write_now = writer.send_now
        item = await outbox.get()
        outbox.write_now = None
        if item is None:
            return
        if not item.chunks:
            await writer.send([item.text])
        else:
            for batch in frame_batches(item):
                await writer.send(batch)
        outbox.sent(item)
