"""``/_/ws``: browsers' WebSocket. Text frames are JSON messages; binary frames carry media chunks.

The first message may be a SESSION message naming the page's session (see :mod:`..sessions.http`);
without one the socket uses the session cookie, or a new session. Pages of origins that are neither the
server's own nor allowed (``--allow-origin``) are refused before the socket opens (HTTP 403).

Calls on one socket run concurrently. A malformed frame closes the socket (1007), an unknown
message type too (1003); a bad CALL is answered with an error, and so is a call whose media breaks
the chunk rules or the size limit (the rest of its chunks are then dropped, the socket stays open).
Other sockets are never affected. A browser that does not read its replies gets back-pressure once they
are over ``--max-pending-reply-bytes`` (its socket is not read, its calls not yet started wait), and is
closed with 1008 when no reply has gone out for ``--reply-stall-timeout`` meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anvil.server
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..calls.browser_peer import BrowserPeer
from ..calls.handler import CallHandler, error_message
from ..calls.outbox import Outbox, pump_to_websocket
from ..calls.reply_budget import ReplyBudget
from ..calls.message_limits import MessageLimits
from ..calls.reader import (CLOSE_BAD_DATA, CLOSE_POLICY, CLOSE_UNSUPPORTED, PARSE_OFF_LOOP_CHARS, Assembled,
                            FrameError, MediaFailed, MessageReader, MessageRefused)
from ..config import ServerConfig
from ..origins import refused_origin
from ..sessions.http import SESSION_COOKIE, SESSION_MESSAGE, resolve_session, session_reply, session_request
from ..sessions.store import SessionStore
from .frame_sink import FRAME_SINK_EXTENSION, FrameSink

log = logging.getLogger("anvil_pyodide.ws")

#: A close frame's reason may hold at most 123 bytes of UTF-8 (RFC 6455 §5.5).
MAX_CLOSE_REASON_BYTES = 123
#: The state store is unreachable: the client reconnects later.
CLOSE_TRY_AGAIN_LATER = 1013


def close_reason(text: str) -> str:
    """``text`` cut to fit a close frame (longer reasons make the close itself fail).

    Example:
        >>> len(close_reason("é" * 200).encode())
        122
    """
    return text.encode("utf-8")[:MAX_CLOSE_REASON_BYTES].decode("utf-8", "ignore")


class BrowserSocket:
    """One accepted browser WebSocket: reads frames, runs calls, writes replies in order."""

    def __init__(self, websocket: WebSocket, handler: CallHandler, peer: BrowserPeer, reader: MessageReader,
                 sessions: SessionStore) -> None:
        self.websocket = websocket
        self.handler = handler
        self.peer = peer
        self.reader = reader
        reader.on_media_failed = self.media_failed
        self.sessions = sessions
        self.cookie_token = websocket.cookies.get(SESSION_COOKIE)
        #: False until the first message has chosen the socket's session.
        self.session_settled = False
        self.calls: set[asyncio.Task[None]] = set()
        self.budget = peer.outbox.budget
        self.budget.on_stalled = self.stalled
        self.closing: asyncio.Task[None] | None = None
        #: True while :meth:`run` waits for a message with nothing else in hand: messages may then be taken
        #: straight from the protocol (:meth:`take`), in order, without waking it.
        self.idle = False

    async def run(self) -> None:
        writer = asyncio.create_task(self.write_replies())
        sink: FrameSink | None = self.websocket.scope.get("extensions", {}).get(FRAME_SINK_EXTENSION)
        if sink is not None:
            sink.take = self.take
        try:
            while True:
                if self.budget.over:  # back-pressure: the browser is not reading its replies, read nothing more
                    await self.budget.room()
                if self.closing is not None:
                    break
                self.idle = True
                try:
                    frame = await self.websocket.receive()
                finally:
                    self.idle = False
                if frame["type"] == "websocket.disconnect":
                    break
                text = frame.get("text")
                if text is not None:
                    try:  # (a long frame is parsed in a worker thread: other sockets go on meanwhile)
                        message = (self.reader.text(text) if len(text) <= PARSE_OFF_LOOP_CHARS
                                   else await self.reader.read_text(text))
                    except MessageRefused as e:
                        self.on_refused(e)
                        continue
                    if message is not None:  # (None: a CHUNK_HEADER, kept by the reader for the binary frame)
                        await self.on_message(message)
                elif frame.get("bytes") is not None:
                    self.on_binary(frame["bytes"])
        except FrameError as e:
            log.warning("closing browser socket: %s", e)
            await self.close(e.code, str(e))
        except WebSocketDisconnect:
            pass
        finally:
            if sink is not None:
                sink.take = None
            self.peer.closed = True  # its calls still waiting for a thread will not start
            self.reader.clear()
            writer.cancel()
            self.peer.outbox.discard()  # nothing more is sent: what is queued is freed now

    def take(self, frame: str | bytes) -> bool:
        """A whole message straight from the protocol (transports/frame_sink.py), handled as :meth:`run` would,
        when that needs no ``await``: the session is settled, :meth:`run` is waiting with nothing in hand, the
        replies are within their budget and a text is short enough to parse on the loop. False: refused (it
        goes through ``receive``). A frame that breaks the rules closes the socket, as in :meth:`run`."""
        if not (self.idle and self.session_settled and self.closing is None and not self.budget.over):
            return False
        try:
            if type(frame) is str:
                if len(frame) > PARSE_OFF_LOOP_CHARS:
                    return False
                try:
                    message = self.reader.text(frame)
                except MessageRefused as e:
                    self.on_refused(e)
                    return True
                if message is not None:
                    self.on_settled_message(message)
            else:
                self.on_binary(frame)
        except FrameError as e:
            log.warning("closing browser socket: %s", e)
            self.peer.closed = True
            self.closing = asyncio.create_task(self.close(e.code, str(e)))  # run() ends on the disconnect
        return True

    def stalled(self, reason: str) -> None:
        """Over the reply budget and nothing sent for ``--reply-stall-timeout``: close (its replies are dropped)."""
        log.warning("closing browser socket from %s: %s", self.peer.ip, reason)
        self.peer.closed = True
        self.budget.close()  # wakes the reader and the calls waiting for room: they stop
        self.closing = asyncio.create_task(self.close(CLOSE_POLICY, reason))

    async def close(self, code: int, reason: str) -> None:
        try:
            await self.websocket.close(code=code, reason=close_reason(reason))
        except (RuntimeError, OSError, WebSocketDisconnect):  # the browser closed or left meanwhile: nothing to close
            pass

    def on_refused(self, refused: MessageRefused) -> None:
        """A message over a limit: its CALL is answered with the error; anything else closes the socket."""
        if refused.call_id is None:
            raise refused
        self.peer.outbox.put(error_message(refused.call_id, refused.error))

    async def on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if not self.session_settled:
            await self.settle_session(message if kind == SESSION_MESSAGE else None)
            if kind == SESSION_MESSAGE:
                return
        self.on_settled_message(message)

    def on_settled_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "CALL":
            self.on_call(message)
        elif kind == SESSION_MESSAGE:
            raise FrameError(CLOSE_POLICY, "a SESSION message must be the socket's first message")
        elif kind == "LOG":
            log.info("browser log: %s", str(message.get("text", message))[:2000])
        else:
            raise FrameError(CLOSE_UNSUPPORTED, f"unknown message type {kind!r}")

    async def settle_session(self, message: dict[str, Any] | None) -> None:
        """Choose the socket's session from its first message: a SESSION message's token (answered with
        the token in use), else the cookie's. An unreachable state store closes the socket with 1013
        (try again later): the runtime reconnects."""
        self.session_settled = True
        token, fresh = None, False
        if message is not None:
            try:
                token, fresh = session_request(message)
            except anvil.server.SerializationError as e:
                raise FrameError(CLOSE_BAD_DATA, str(e)) from None
        try:
            session, created = await resolve_session(self.sessions, token, self.cookie_token, fresh)
        except anvil.server.RuntimeUnavailableError as e:
            raise FrameError(CLOSE_TRY_AGAIN_LATER, str(e)) from None
        self.peer.settle(session, created)
        if message is not None:
            self.peer.outbox.put(session_reply(session))

    def on_call(self, message: dict[str, Any]) -> None:
        call_id = message.get("id")
        if not isinstance(call_id, str) or not call_id:
            raise FrameError(CLOSE_POLICY, "CALL without a string id")
        try:
            waiting = self.reader.expect(call_id, message)
        except anvil.server.SerializationError as e:
            self.peer.outbox.put(error_message(call_id, e))
            return
        if not waiting:
            self.start(message, {})

    def on_binary(self, data: bytes) -> None:
        done = self.reader.binary(data)
        if isinstance(done, Assembled):
            self.start(done.message, done.media)
        elif isinstance(done, MediaFailed):
            self.media_failed(done)

    def media_failed(self, failed: MediaFailed) -> None:
        """A call whose media broke the rules, went over the budget or stopped arriving: it gets the error."""
        self.peer.outbox.put(error_message(failed.message["id"], failed.error))

    def start(self, message: dict[str, Any], media: dict[str, bytes]) -> None:
        task = self.peer.outbox.loop.create_task(self.handler.handle(message, media, self.peer))
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)

    async def write_replies(self) -> None:
        try:
            await pump_to_websocket(self.peer.outbox, self.websocket)
        except (WebSocketDisconnect, RuntimeError):
            return  # the browser went away; its calls finish but their replies have nowhere to go


class BrowserWebSocketEndpoint:
    """The ASGI endpoint of ``/_/ws`` (``endpoint`` is the Starlette WebSocket handler)."""

    def __init__(self, handler: CallHandler, sessions: SessionStore, config: ServerConfig) -> None:
        self.handler, self.sessions, self.config = handler, sessions, config

    async def endpoint(self, websocket: WebSocket) -> None:
        if refused_origin(websocket, self.config.origins) is not None:
            await websocket.close(code=CLOSE_POLICY)  # before accept: the client sees HTTP 403
            return
        await websocket.accept()
        client_ip = websocket.client.host if websocket.client else None
        scheme = "https" if websocket.url.scheme == "wss" else "http"
        config = self.config
        peer = BrowserPeer(None, client_ip, Outbox(asyncio.get_running_loop(), ReplyBudget.of(config)),
                           f"{scheme}://{websocket.url.netloc}", sessions=self.sessions,
                           forward_output=config.forward_output)
        reader = MessageReader(config.max_message_bytes, config.max_media_bytes, MessageLimits.of(config),
                               media_timeout=config.media_timeout, max_held_bytes=config.max_connection_bytes)
        await BrowserSocket(websocket, self.handler, peer, reader, self.sessions).run()
