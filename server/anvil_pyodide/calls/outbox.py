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
from typing import Any

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

    def put(self, message: dict[str, Any], chunks: list[Chunk] | None = None) -> None:
        """Queue a message (call from the event loop's thread)."""
        item = encoded(message, chunks or [])
        self.budget.add(item.size)
        self._queue.put_nowait(item)

    def put_threadsafe(self, message: dict[str, Any], chunks: list[Chunk] | None = None) -> None:
        """Queue a message from any thread; order with other puts is kept."""
        self.loop.call_soon_threadsafe(self.put, message, chunks)

    def close(self) -> None:
        """Let the reader finish: ``get`` returns None after what is already queued."""
        self.budget.close()
        self._queue.put_nowait(None)

    def discard(self) -> None:
        """The connection has ended and nothing more will be sent: drop what is queued now (frees it at once)."""
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


async def pump_to_websocket(outbox: Outbox, websocket: Any) -> None:
    """Send what is put in ``outbox`` over ``websocket`` (JSON text, then each chunk's header and bytes)
    until the outbox is closed; raises what a failed send raises (the peer went away)."""
    while True:
        item = await outbox.get()
        if item is None:
            return
        await websocket.send_text(item.text)
        for header, data in item.chunks:
            await websocket.send_text(header)
            await websocket.send_bytes(data)
        outbox.sent(item)
