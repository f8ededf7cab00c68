"""``/_/ws``: browsers' WebSocket. Text frames are JSON messages; binary frames carry media chunks.

The first message may be a SESSION message naming the page's session (see :mod:`session_http`);
without one the socket uses the session cookie, or a new session. Pages of origins that are neither the
server's own nor allowed (``--allow-origin``) are refused before the socket opens (HTTP 403).

Calls on one socket run concurrently. A malformed frame closes the socket (1007), an unknown
message type too (1003); a bad CALL is answered with an error, and so is a call whose media breaks
the chunk rules or the size limit (the rest of its chunks are then dropped, the socket stays open).
Other sockets are never affected.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import anvil.server
from anvil._wire import MediaAssembler, check_chunk_header, media_ids
from starlette.websockets import WebSocket, WebSocketDisconnect

from .browser_calls import BrowserCallHandler, BrowserPeer, error_message
from .outbox import Outbox, pump_to_websocket
from .origins import refused_origin
from .session_http import SESSION_COOKIE, SESSION_MESSAGE, resolve_session, session_reply, session_request
from .sessions import SessionStore

log = logging.getLogger("anvil_pyodide.ws")

CLOSE_UNSUPPORTED = 1003
CLOSE_BAD_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
#: A close frame's reason may hold at most 123 bytes of UTF-8 (RFC 6455 §5.5).
MAX_CLOSE_REASON_BYTES = 123


class ProtocolViolation(Exception):
    """The browser broke the framing rules; the socket is closed with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def close_reason(text: str) -> str:
    """``text`` cut to fit a close frame (longer reasons make the close itself fail).

    Example:
        >>> len(close_reason("é" * 200).encode())
        122
    """
    return text.encode("utf-8")[:MAX_CLOSE_REASON_BYTES].decode("utf-8", "ignore")


class BrowserSocket:
    """One accepted browser WebSocket: reads frames, runs calls, writes replies in order."""

    def __init__(self, websocket: WebSocket, handler: BrowserCallHandler, peer: BrowserPeer, max_message_bytes: int,
                 max_media_bytes: int, sessions: SessionStore) -> None:
        self.websocket = websocket
        self.sessions = sessions
        self.cookie_token = websocket.cookies.get(SESSION_COOKIE)
        #: False until the first message has chosen the socket's session.
        self.session_settled = False
        self.handler = handler
        self.peer = peer
        self.max_message_bytes = max_message_bytes
        self.max_media_bytes = max_media_bytes
        self.waiting_for_media: dict[Any, tuple[dict[str, Any], MediaAssembler]] = {}
        #: Calls whose media failed (answered with an error): call id → media ids whose chunks are still coming.
        self.discarding: dict[Any, set[str]] = {}
        self.chunk_header: dict[str, Any] | None = None
        self.calls: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        writer = asyncio.create_task(self.write_replies())
        try:
            while True:
                frame = await self.websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                if frame.get("text") is not None:
                    self.on_text(frame["text"])
                elif frame.get("bytes") is not None:
                    self.on_binary(frame["bytes"])
        except ProtocolViolation as e:
            log.warning("closing browser socket: %s", e)
            await self.websocket.close(code=e.code, reason=close_reason(str(e)))
        except WebSocketDisconnect:
            pass
        finally:
            self.peer.outbox.close()
            writer.cancel()

    def on_text(self, text: str) -> None:
        if len(text) > self.max_message_bytes:
            raise ProtocolViolation(CLOSE_TOO_BIG, f"message of {len(text)} bytes is over the limit")
        try:
            message = json.loads(text)
        except ValueError:
            raise ProtocolViolation(CLOSE_BAD_DATA, "text frame is not JSON") from None
        if not isinstance(message, dict):
            raise ProtocolViolation(CLOSE_BAD_DATA, "message is not a JSON object")
        kind = message.get("type")
        if not self.session_settled:
            self.settle_session(message if kind == SESSION_MESSAGE else None)
            if kind == SESSION_MESSAGE:
                return
        if kind == "CALL":
            self.on_call(message)
        elif kind == "CHUNK_HEADER":
            self.on_chunk_header(message)
        elif kind == SESSION_MESSAGE:
            raise ProtocolViolation(CLOSE_POLICY, "a SESSION message must be the socket's first message")
        elif kind == "LOG":
            log.info("browser log: %s", str(message.get("text", message))[:2000])
        else:
            raise ProtocolViolation(CLOSE_UNSUPPORTED, f"unknown message type {kind!r}")

    def settle_session(self, message: dict[str, Any] | None) -> None:
        """Choose the socket's session from its first message: a SESSION message's token (answered with
        the token in use), else the cookie's."""
        self.session_settled = True
        if message is None:
            self.peer.session, _ = resolve_session(self.sessions, None, self.cookie_token)
            return
        try:
            token, fresh = session_request(message)
        except anvil.server.SerializationError as e:
            raise ProtocolViolation(CLOSE_BAD_DATA, str(e)) from None
        self.peer.session, _ = resolve_session(self.sessions, token, self.cookie_token, fresh)
        self.peer.outbox.put(session_reply(self.peer.session))

    def on_call(self, message: dict[str, Any]) -> None:
        call_id = message.get("id")
        if not isinstance(call_id, str) or not call_id:
            raise ProtocolViolation(CLOSE_POLICY, "CALL without a string id")
        if call_id in self.waiting_for_media:
            raise ProtocolViolation(CLOSE_POLICY, f"CALL id {call_id!r} reused while its media is arriving")
        self.discarding.pop(call_id, None)
        try:
            expected = media_ids(message)
        except anvil.server.SerializationError as e:
            self.peer.outbox.put(error_message(call_id, e))
            return
        if expected:
            self.waiting_for_media[call_id] = (message, MediaAssembler(call_id, expected, self.max_media_bytes))
        else:
            self.start(message, {})

    def on_chunk_header(self, header: dict[str, Any]) -> None:
        try:
            check_chunk_header(header)
        except anvil.server.SerializationError as e:
            raise ProtocolViolation(CLOSE_BAD_DATA, str(e)) from None
        if header.get("requestId") not in self.waiting_for_media and header.get("requestId") not in self.discarding:
            raise ProtocolViolation(CLOSE_POLICY, f"chunk for unknown request {header.get('requestId')!r}")
        self.chunk_header = header

    def on_binary(self, data: bytes) -> None:
        header, self.chunk_header = self.chunk_header, None
        if header is None:
            raise ProtocolViolation(CLOSE_POLICY, "binary frame without a CHUNK_HEADER before it")
        call_id = header["requestId"]
        if call_id in self.discarding:
            self.drop_chunk(call_id, header)
            return
        message, assembler = self.waiting_for_media[call_id]
        try:
            assembler.add_chunk(header, data)
        except anvil.server.SerializationError as e:
            del self.waiting_for_media[call_id]
            self.peer.outbox.put(error_message(call_id, e))
            self.discarding[call_id] = set(media_ids(message)) - set(assembler.contents())
            self.drop_chunk(call_id, header)
            return
        if assembler.complete:
            del self.waiting_for_media[call_id]
            self.start(message, assembler.contents())

    def drop_chunk(self, call_id: Any, header: dict[str, Any]) -> None:
        """Skip a chunk of a call whose media already failed: its sender is still sending the rest
        (closing the socket would fail the other calls on it too)."""
        remaining = self.discarding[call_id]
        if header["lastChunk"]:
            remaining.discard(header["mediaId"])
        if not remaining:
            del self.discarding[call_id]

    def start(self, message: dict[str, Any], media: dict[str, bytes]) -> None:
        task = asyncio.create_task(self.handler.handle(message, media, self.peer))
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)

    async def write_replies(self) -> None:
        try:
            await pump_to_websocket(self.peer.outbox, self.websocket)
        except (WebSocketDisconnect, RuntimeError):
            return  # the browser went away; its calls finish but their replies have nowhere to go


async def browser_websocket_endpoint(websocket: WebSocket) -> None:
    """The ASGI endpoint; ``websocket.app.state`` holds the handler and config."""
    state = websocket.app.state
    if refused_origin(websocket, state.config.origins) is not None:
        await websocket.close(code=CLOSE_POLICY)  # before accept: the client sees HTTP 403
        return
    await websocket.accept()
    client_ip = websocket.client.host if websocket.client else None
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    peer = BrowserPeer(None, client_ip, Outbox(asyncio.get_running_loop()), f"{scheme}://{websocket.url.netloc}")
    config = state.config
    await BrowserSocket(websocket, state.call_handler, peer, config.max_message_bytes, config.max_media_bytes,
                        state.sessions).run()
