"""Limits on reading HTTP request bodies: a size counted while streaming, a time limit on stalls, and
quiet handling of clients that leave mid-request.

:func:`read_limited_body` stops at the limit (nothing past it is buffered) and answers 413 with
``Connection: close``, so the rest of a huge upload is never read. :class:`RequestGuard` (ASGI
middleware) fails a body that sends nothing for ``body_timeout`` seconds with 408, and turns a client
that left (an aborted upload) into one log line instead of a traceback.

Example:
    >>> import asyncio
    >>> async def stream():
    ...     for part in (b"ab", b"cd", b"ef"):
    ...         yield part
    >>> asyncio.run(read_limited_body(stream(), limit=6))
    b'abcdef'
    >>> try:
    ...     asyncio.run(read_limited_body(stream(), limit=5))
    ... except BodyTooLarge as e:
    ...     print(e)
    Request body too large: over 5 bytes
"""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("anvil_pyodide.http")

#: Headers for an answer sent before the request body was read: the connection closes, so the rest of
#: the body is never read.
CLOSE = {"Connection": "close"}


class BodyTooLarge(Exception):
    """The request body is over its limit (answered 413)."""


class BodyTimeout(Exception):
    """The client sent no part of the request body for ``body_timeout`` seconds (answered 408)."""


async def read_limited_body(stream: AsyncIterator[bytes], limit: int) -> bytes:
    """The whole body of ``stream`` (``request.stream()``), or BodyTooLarge as soon as it passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    async for part in stream:
        size += len(part)
        if size > limit:
            raise BodyTooLarge(f"Request body too large: over {limit} bytes")
        parts.append(part)
    return b"".join(parts)


def replay_body(body: bytes) -> Receive:
    """An ASGI ``receive`` that hands out ``body`` (already read) once, for parsing it again as a form."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class RequestGuard:
    """ASGI middleware: a request body that stalls for ``body_timeout`` seconds is answered 408; a client that
    disconnects mid-request costs one log line. Once the body is complete, ``receive`` is left untimed (it then
    only waits for the client to disconnect)."""

    def __init__(self, app: ASGIApp, body_timeout: float | None) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done or not self.body_timeout:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:
                raise BodyTimeout(f"no part of the request body arrived for {self.body_timeout:g} s") from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        what = f"{scope.get('method')} {scope.get('path')} from {(scope.get('client') or ('?',))[0]}"
        try:
            await self.app(scope, timed_receive, tracking_send)
        except BodyTimeout as e:
            log.warning("%s: %s; answered 408", what, e)
            if not started:
                await _plain(send, 408, b"Request body timed out")
        except ClientDisconnect:
            log.warning("%s: the client left before its request was read", what)


async def _plain(send: Send, status: int, text: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text, "more_body": False})
