"""The ASGI lifespan handshake for the small test apps served by a bare uvicorn server.

Example:
    >>> import asyncio
    >>> events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    >>> sent = []
    >>> async def receive(): return next(events)
    >>> async def send(message): sent.append(message["type"])
    >>> asyncio.run(answer_lifespan(receive, send)); sent
    ['lifespan.startup.complete', 'lifespan.shutdown.complete']
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable


async def answer_lifespan(receive: Callable[[], Awaitable[dict[str, Any]]],
                          send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """Say the app has started, then wait for the shutdown and say it is done."""
    while (await receive())["type"] != "lifespan.shutdown":
        await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.shutdown.complete"})
