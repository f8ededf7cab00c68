"""``/_/server-call-http``: the same CALL semantics as the WebSocket, over one HTTP POST.

Request: multipart form with ``json-data`` (the CALL) and, per media chunk, ``chunk-json-<m>-<n>``
(its CHUNK_HEADER) and ``chunk-data-<m>-<n>`` (its bytes), optionally ``session`` (a SESSION message, see
:mod:`..sessions.http`; else the session cookie counts), with a Content-Length (411 without one, 413 over
the size limits). A page of an origin that is neither the server's own nor allowed (``--allow-origin``)
gets 403 and reaches no function. Response: see :mod:`http_framing` (the SESSION reply first, when asked).

Example:
    >>> import asyncio
    >>> asyncio.run(_field_bytes("{}"))
    b'{}'
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any, AsyncIterator

import anvil.server
from anvil._wire import check_chunk_header
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from ..calls.browser_peer import BrowserPeer
from ..calls.handler import CallHandler, error_message
from ..calls.outbox import Outbox
from ..calls.message_limits import MessageLimits
from ..calls.reader import Assembled, FrameError, MediaFailed, MessageReader, MessageRefused
from ..config import ServerConfig
from ..origins import refused_origin
from ..sessions.http import (SESSION_COOKIE, SESSION_FIELD, resolve_session, session_cookie, session_reply,
                             session_request)
from ..sessions.store import SessionStore
from .http_framing import closing, frame_part


async def _field_bytes(value: Any) -> bytes:
    if isinstance(value, UploadFile):
        return await value.read()
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


async def read_media(form: Any, message: dict[str, Any], max_bytes: int) -> dict[str, bytes]:
    """Reassemble the chunk fields of a form into media contents (SerializationError if they don't fit).

    The chunks go through the same :class:`MessageReader` as a WebSocket's frames, in stream order.
    """
    reader = MessageReader(max_media_bytes=max_bytes)
    key = message.get("id")
    if not reader.expect(key, message):
        return {}
    chunks = []
    for name in form.keys():
        if name.startswith("chunk-json-"):
            try:
                header = check_chunk_header(json.loads(await _field_bytes(form[name])))
            except ValueError:
                raise anvil.server.SerializationError(f"Malformed chunk header in field {name!r}") from None
            data_field = "chunk-data-" + name[len("chunk-json-"):]
            if data_field not in form:
                raise anvil.server.SerializationError(f"Field {data_field!r} is missing")
            chunks.append((header, await _field_bytes(form[data_field])))
    for header, data in sorted(chunks, key=lambda c: (c[0]["mediaId"], c[0]["chunkIndex"])):
        if header["requestId"] != key:  # one call per POST: a chunk naming another request is an error in this one
            raise anvil.server.SerializationError(f"Chunk for request {header['requestId']!r} sent to request {key!r}")
        try:
            reader.chunk_header(header)
            done = reader.binary(data)
        except FrameError as e:
            raise anvil.server.SerializationError(f"Malformed media chunk: {e}") from None
        if isinstance(done, MediaFailed):
            raise done.error
        if isinstance(done, Assembled):
            return done.media
    raise anvil.server.SerializationError("The call's media did not all arrive")


class HttpCallEndpoint:
    """The endpoint of ``/_/server-call-http`` (``endpoint`` is the Starlette request handler)."""

    def __init__(self, handler: CallHandler, sessions: SessionStore, config: ServerConfig) -> None:
        self.handler, self.sessions, self.config = handler, sessions, config
        #: Calls still running (kept referenced until they finish).
        self.running: set[asyncio.Task[None]] = set()

    def _keep(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        """``task``, referenced until it finishes."""
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return task

    async def endpoint(self, request: Request) -> Response:
        config = self.config
        refused = refused_origin(request, config.origins)
        if refused is not None:
            return PlainTextResponse(config.origins.refusal(refused), status_code=403)
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():  # a chunked body could otherwise be of any size; browsers always send a length
            return PlainTextResponse("Content-Length required", status_code=411)
        if int(declared) > config.max_message_bytes + config.max_media_bytes:
            return PlainTextResponse("Request too large", status_code=413)
        refused: MessageRefused | None = None
        try:
            form = await request.form(max_files=100_000, max_fields=100_000, max_part_size=config.max_message_bytes)
            text = (await _field_bytes(form["json-data"])).decode("utf-8")
            message = await MessageReader(limits=MessageLimits.of(config)).read_text(text)
        except MessageRefused as e:
            if e.call_id is None:
                return PlainTextResponse(f"'json-data' was refused: {e}", status_code=400)
            message, refused = {"type": "CALL", "id": e.call_id}, e
        except (KeyError, ValueError, FrameError):
            return PlainTextResponse("Expected a multipart form with a JSON 'json-data' field", status_code=400)
        if not isinstance(message, dict) or message.get("type") != "CALL":
            return PlainTextResponse("'json-data' must be a CALL message", status_code=400)

        asked = SESSION_FIELD in form  # the runtime names its session (else the cookie's counts)
        try:
            token, fresh = session_request(json.loads(await _field_bytes(form[SESSION_FIELD]))) if asked else (None, False)
        except (ValueError, anvil.server.SerializationError) as e:
            return PlainTextResponse(f"The 'session' field must hold a SESSION message: {e}", status_code=400)

        peer = BrowserPeer(None, request.client.host if request.client else None,
                           Outbox(asyncio.get_running_loop()), f"{request.url.scheme}://{request.url.netloc}",
                           sessions=self.sessions, forward_output=config.forward_output)
        session = created = None
        watcher: asyncio.Task[None] | None = None
        try:
            session, is_new = await resolve_session(self.sessions, token, request.cookies.get(SESSION_COOKIE), fresh)
            peer.settle(session, is_new)
            created = session if is_new else None
            if asked:
                peer.outbox.put(session_reply(session))
            if refused is not None:
                raise refused.error
            media = await read_media(form, message, config.max_media_bytes)
        except (anvil.server.SerializationError, anvil.server.RuntimeUnavailableError) as e:
            peer.outbox.put(error_message(message.get("id"), e))
        else:
            self._keep(asyncio.create_task(self.handler.handle(message, media, peer)))
            watcher = self._keep(asyncio.create_task(_watch_disconnect(request, peer)))

        boundary = secrets.token_hex(16)
        headers = {"Cache-Control": "no-store"}
        if created is not None:
            headers["Set-Cookie"] = session_cookie(created, request.url.scheme == "https")
        return StreamingResponse(_stream_replies(peer.outbox, boundary, watcher), headers=headers,
                                 media_type=f"multipart/x-mixed-replace; boundary={boundary}")


async def _watch_disconnect(request: Request, peer: BrowserPeer) -> None:
    """Mark ``peer`` closed once its client has gone (the body has been read: the next ASGI message is the
    disconnect): its call, if it has not started by then, never starts."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    peer.closed = True
    peer.outbox.budget.close()


async def _stream_replies(outbox: Outbox, boundary: str, watcher: asyncio.Task[None] | None = None
                          ) -> AsyncIterator[bytes]:
    """Progress messages as they come, then the final response or error, then the closing boundary (then
    ``watcher``, the client's disconnect watch, is stopped)."""
    try:
        async for part in _reply_parts(outbox, boundary):
            yield part
    finally:
        if watcher is not None:
            watcher.cancel()


async def _reply_parts(outbox: Outbox, boundary: str) -> AsyncIterator[bytes]:
    while True:
        item = await outbox.get()
        if item is None:
            break
        parts = [frame_part(boundary, "application/json", item.text.encode())]
        for header, data in item.chunks:
            parts.append(frame_part(boundary, "application/json", header.encode()))
            parts.append(frame_part(boundary, "application/octet-stream", data))
        yield b"".join(parts)
        outbox.sent(item)
        if item.final:
            break
    yield closing(boundary)
