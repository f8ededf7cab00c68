"""The ordered queue of messages to one browser connection, fed from the loop and worker threads.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     outbox = Outbox(asyncio.get_running_loop())
    ...     outbox.put({"id": "a", "response": 1})
    ...     return await outbox.get()
    >>> asyncio.run(demo())
    ({'id': 'a', 'response': 1}, [])
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

log = logging.getLogger("anvil_pyodide.outbox")

Chunk = tuple[dict[str, Any], bytes]
Outgoing = tuple[dict[str, Any], list[Chunk]]


class Outbox:
    """Messages leave in the order they were put, whichever thread put them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queue: asyncio.Queue[Outgoing | None] = asyncio.Queue()

    def put(self, message: dict[str, Any], chunks: list[Chunk] | None = None) -> None:
        """Queue a message (call from the event loop's thread)."""
        self._queue.put_nowait((message, chunks or []))

    def put_threadsafe(self, message: dict[str, Any], chunks: list[Chunk] | None = None) -> None:
        """Queue a message from any thread; order with other puts is kept."""
        self.loop.call_soon_threadsafe(self.put, message, chunks)

    def close(self) -> None:
        """Let the reader finish: ``get`` returns None after what is already queued."""
        self._queue.put_nowait(None)

    async def get(self) -> Outgoing | None:
        return await self._queue.get()


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
        message, chunks = item
        try:
            text = json.dumps(message, allow_nan=False)
        except (TypeError, ValueError) as e:  # a hand-made reply that is not JSON: still answer the call
            log.error("could not encode a reply to %r: %s", message.get("id"), e)
            text, chunks = json.dumps(unencodable_reply(message.get("id"))), []
        await websocket.send_text(text)
        for header, data in chunks:
            await websocket.send_text(json.dumps(header))
            await websocket.send_bytes(data)
