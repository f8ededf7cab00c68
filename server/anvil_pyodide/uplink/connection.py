"""One authenticated uplink connection: its framing, media, and the calls outstanding on it.

Text frames are JSON; a binary frame carries the media chunk described by the ``CHUNK_HEADER``
text frame just before it. Messages are told apart as anvil-uplink does: by ``type`` (``CALL``,
``REGISTER``, ``REGISTER_LIVE_OBJECT_BACKEND``, ``CHUNK_HEADER``, ``MEDIA_ERROR``), or, with no
type, ``id`` plus ``response``/``error`` for the answer to one of our calls. A message waits until
all its media has arrived. A bad frame is logged and dropped: it never closes the connection, never
crashes the server, and never touches another connection. (The one message that ends a connection
is a REGISTER from a client uplink: it is answered ``{"error": ...}`` and the socket is closed.)

Our calls to the uplink (:meth:`UplinkConnection.request`) wait for their answer; if the uplink
disconnects first they fail with ``anvil.server.UplinkDisconnectedError``.

Example:
    >>> import asyncio
    >>> class Events:                                      # who hears of registrations (the hub)
    ...     def on_register(self, connection, name): print("REGISTER", name)
    >>> class Calls:                                       # who runs the calls (the call handler)
    ...     async def handle(self, message, media, peer): print("CALL", message["command"], peer.description)
    >>> async def demo():
    ...     connection = UplinkConnection(None, "uplink", Events(), Calls())
    ...     await connection.on_text('{"type": "REGISTER", "name": "train_model"}')
    ...     await connection.on_text('{"type": "CALL", "id": "a1", "command": "anvil.private.echo", "args": ["hi"]}')
    ...     await connection.on_text('not json')          # logged and dropped
    ...     await asyncio.gather(*connection.call_tasks)
    >>> asyncio.run(demo())
    REGISTER train_model
    CALL anvil.private.echo an uplink
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import anvil.server
from anvil._errors import error_from_wire, error_to_wire

from ..calls.context import CallState
from ..calls.outbox import Chunk, Outbox, pump_to_websocket
from ..calls.message_limits import MessageLimits
from ..calls.reader import Assembled, FrameError, MessageReader, MessageRefused
from ..calls.reply_budget import ReplyBudget
from ..calls.start_gate import before_start, until_room
from ..sessions.store import Session
from .incoming import UplinkPeer

log = logging.getLogger("anvil_pyodide.uplink")

SERVER_PRIVILEGE = "uplink"
CLIENT_PRIVILEGE = "client"

_numbers = itertools.count(1)


class UplinkEvents(Protocol):
    """Who hears of an uplink's registrations (the hub)."""

    def on_register(self, connection: "UplinkConnection", name: Any) -> None: ...


class CallRunner(Protocol):
    """Who runs the CALLs an uplink sends (:class:`anvil_pyodide.calls.handler.CallHandler`)."""

    async def handle(self, message: dict[str, Any], media: dict[str, bytes], peer: Any) -> None: ...


class UplinkRefused(Exception):
    """The uplink did something its privilege does not allow: it is told why, then disconnected."""


@dataclass
class OutstandingCall:
    """One of our calls to the uplink, waiting for its answer."""

    command: str
    state: CallState
    answer: "asyncio.Future[tuple[dict[str, Any], dict[str, bytes]]]"


@dataclass(eq=False)  # identity: each connection is its own
class UplinkConnection:
    """An uplink after a successful handshake. ``privilege`` is ``"uplink"`` (server) or ``"client"``."""

    websocket: Any
    privilege: str
    events: UplinkEvents
    calls: CallRunner
    #: The session of calls it makes outside any call we made to it (one per connection; from the session store).
    session: Session = field(default_factory=lambda: Session.detached())
    ip: str | None = None
    origin: str | None = None
    max_media_bytes: int | None = None
    limits: MessageLimits = field(default_factory=MessageLimits)
    media_timeout: float | None = None
    max_held_bytes: int | None = None
    forward_output: bool = False
    #: Its unsent messages' budget (``--max-pending-reply-bytes``); None: no limit.
    reply_budget: ReplyBudget | None = None
    name: str = field(default_factory=lambda: f"uplink-{next(_numbers)}")
    #: Names this uplink registered.
    registered: list[str] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        self.outbox = Outbox(asyncio.get_running_loop(), self.reply_budget)
        self.outbox.budget.on_stalled = self._stalled
        self._closing: asyncio.Task[None] | None = None
        self.outstanding: dict[str, OutstandingCall] = {}
        self.reader = MessageReader(max_media_bytes=self.max_media_bytes, limits=self.limits,
                                    media_timeout=self.media_timeout, max_held_bytes=self.max_held_bytes)
        self.reader.on_media_failed = lambda failed: self._media_failed(failed.message, failed.error, failed.tag)
        self.peer = UplinkPeer(self, self.forward_output)
        self.call_tasks: set[asyncio.Task[None]] = set()

    @property
    def is_server(self) -> bool:
        return self.privilege == SERVER_PRIVILEGE

    # ------------------------------------------------------------------ the socket

    async def run(self) -> None:
        """Read frames until the uplink goes away (or is refused); then fail what is still waiting."""
        writer = asyncio.create_task(self._write())
        refused: UplinkRefused | None = None
        budget = self.outbox.budget
        try:
            while refused is None:
                if budget.over:  # back-pressure: the uplink is not reading what we send it, read nothing more
                    await budget.room()
                if self._closing is not None:
                    break
                frame = await self.websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                try:
                    if frame.get("text") is not None:
                        await self.on_text(frame["text"])
                    elif frame.get("bytes") is not None:
                        self.on_binary(frame["bytes"])
                except UplinkRefused as e:
                    refused = e
        except Exception as e:  # noqa: BLE001 - a dead socket ends this connection, nothing else
            log.info("%s: connection ended: %r", self.name, e)
        finally:
            self.closed = True
            self.fail_outstanding()
            self.outbox.close()
        if refused is not None:
            log.warning("%s: disconnected: %s", self.name, refused)
            await writer  # flushes the error message first
            await self._close(1008, "")
        else:
            writer.cancel()
            self.outbox.discard()  # nothing more is sent: what is queued is freed now

    def _stalled(self, reason: str) -> None:
        """Over the reply budget and nothing sent for ``--reply-stall-timeout``: close the socket (the reader
        then sees the disconnect and fails what is outstanding)."""
        log.warning("%s: closing: %s", self.name, reason)
        self.closed = True
        self.outbox.budget.close()  # wakes the reader and the calls waiting for room: they stop
        self._closing = asyncio.get_running_loop().create_task(self._close(1008, reason))

    async def _close(self, code: int, reason: str) -> None:
        try:
            await self.websocket.close(code=code, reason=reason[:120])
        except Exception:  # noqa: BLE001 - already gone
            pass

    def fail_outstanding(self) -> None:
        """Fail every call still waiting for this uplink (it has disconnected)."""
        for call_id, call in list(self.outstanding.items()):
            if not call.answer.done():
                call.answer.set_exception(anvil.server.UplinkDisconnectedError(
                    f'The uplink server for "{call.command}" disconnected before the call returned'))
        self.reader.clear()

    async def _write(self) -> None:
        try:
            await pump_to_websocket(self.outbox, self.websocket)
        except Exception as e:  # noqa: BLE001 - the uplink went away; the reader sees it too
            log.info("%s: could not send: %r", self.name, e)

    def send(self, message: dict[str, Any], chunks: list[Chunk] | None = None) -> None:
        """Queue a message (and its media chunks) for the uplink; call from the event loop."""
        self.outbox.put(message, chunks)

    def send_threadsafe(self, message: dict[str, Any]) -> None:
        self.outbox.put_threadsafe(message)

    # ------------------------------------------------------------------ our calls to the uplink

    async def request(self, call_id: str, command: str, state: CallState, message: dict[str, Any],
                      chunks: list[Chunk]) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Send an encoded CALL and wait for the uplink's raw answer: ``(message, media contents)``.

        It is not sent while the uplink or the call's caller is not reading what it was sent, nor once the
        caller has given up (:class:`~anvil_pyodide.calls.start_gate.CallerGone`)."""
        await until_room(self.outbox.budget)  # the uplink is not reading what we sent it: send more once it does
        await before_start(state)
        if self.closed:
            raise anvil.server.UplinkDisconnectedError(f'The uplink server for "{command}" has been disconnected')
        answer: asyncio.Future[tuple[dict[str, Any], dict[str, bytes]]] = asyncio.get_running_loop().create_future()
        self.outstanding[call_id] = OutstandingCall(command, state, answer)
        try:
            self.send(message, chunks)
            return await answer
        finally:
            del self.outstanding[call_id]
            self.reader.abandon(call_id)

    def call_state(self, call_id: Any) -> CallState | None:
        """The state of our outstanding call ``call_id`` (an uplink call made while serving it carries its id)."""
        call = self.outstanding.get(call_id) if isinstance(call_id, str) else None
        return call.state if call is not None else None

    # ------------------------------------------------------------------ frames from the uplink

    async def on_text(self, text: str) -> None:
        """Handle one text frame; raises UplinkRefused when the uplink must be disconnected."""
        try:
            message = await self.reader.read_text(text)
            if message is not None:  # (None: a CHUNK_HEADER, kept by the reader for the binary frame after it)
                self._on_message(message)
        except MessageRefused as e:
            self._on_refused(e)
        except FrameError as e:
            log.warning("%s: dropped a message: %s", self.name, e)
        except UplinkRefused:
            raise
        except Exception:  # noqa: BLE001 - a bug or an odd message must never take the server down
            log.exception("%s: error handling a message (dropped)", self.name)

    def on_binary(self, data: bytes) -> None:
        try:
            done = self.reader.binary(data)
        except FrameError as e:
            log.warning("%s: dropped a media chunk: %s", self.name, e)
            return
        except Exception:  # noqa: BLE001
            log.exception("%s: error handling a media chunk (dropped)", self.name)
            return
        if isinstance(done, Assembled):
            self._media_complete(done.message, done.media, done.tag)
        elif done is not None:
            self._media_failed(done.message, done.error, done.tag)

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "CALL":
            self._on_call(message)
        elif kind == "REGISTER":
            if not self.is_server:
                self.send({"error": f"A client uplink cannot register server functions "
                                    f"(tried to register {message.get('name')!r}); connect with the server uplink key"})
                raise UplinkRefused(f"client uplink tried to register {message.get('name')!r}")
            self.events.on_register(self, message.get("name"))
        elif kind == "REGISTER_LIVE_OBJECT_BACKEND":
            log.info("%s: LiveObject backend %r announced (LiveObject calls are not served by this server)",
                     self.name, message.get("backend"))
        elif kind == "MEDIA_ERROR":
            self._on_media_error(message)
        elif kind is None and "id" in message and ("response" in message or "error" in message):
            self._on_answer(message)
        else:
            raise FrameError(0, f"unknown message type {kind!r}")

    def _on_call(self, message: dict[str, Any]) -> None:
        call_id = message.get("id")
        if not isinstance(call_id, str) or not call_id:
            raise FrameError(0, "CALL without a string id")
        if not self._expects_media(call_id, message, "call"):
            self._run(message, {})

    def _on_answer(self, message: dict[str, Any]) -> None:
        call_id = message.get("id")
        call = self.outstanding.get(call_id) if isinstance(call_id, str) else None
        if call is None or call.answer.done():
            log.info("%s: answer for unknown or abandoned call %r dropped", self.name, call_id)
            return
        if not self._expects_media(call_id, message, "answer"):
            call.answer.set_result((message, {}))

    def _on_refused(self, refused: MessageRefused) -> None:
        """A message over a limit: a CALL gets the error as its reply, an answer fails our call, else dropped."""
        log.warning("%s: refused a message: %s", self.name, refused)
        if refused.call_id is not None:
            self.send({"id": refused.call_id, "error": error_to_wire(refused.error), "objects": []})
            return
        call = self.outstanding.get(refused.id) if refused.kind is None and isinstance(refused.id, str) else None
        if call is not None and not call.answer.done():
            call.answer.set_exception(refused.error)

    def _expects_media(self, key: str, message: dict[str, Any], tag: str) -> bool:
        try:
            return self.reader.expect(key, message, tag)
        except anvil.server.SerializationError:
            return False  # whoever decodes it reports the error

    def _run(self, message: dict[str, Any], media: dict[str, bytes]) -> None:
        task = asyncio.get_running_loop().create_task(self.calls.handle(message, media, self.peer))
        self.call_tasks.add(task)
        task.add_done_callback(self.call_tasks.discard)

    def _on_media_error(self, message: dict[str, Any]) -> None:
        waiting = self.reader.abandon(message.get("requestId"))
        if waiting is None:
            raise FrameError(0, f"MEDIA_ERROR for unknown request {message.get('requestId')!r}")
        cause = error_from_wire(message.get("cause"))
        self._media_failed(*waiting[:1], anvil.server.SerializationError(
            f"The uplink could not send a Media object: {type(cause).__name__}: {cause}"), waiting[1])

    def _media_complete(self, message: dict[str, Any], media: dict[str, bytes], tag: str) -> None:
        if tag == "call":
            self._run(message, media)
            return
        call = self.outstanding.get(message["id"])
        if call is not None and not call.answer.done():
            call.answer.set_result((message, media))

    def _media_failed(self, message: dict[str, Any], error: BaseException, tag: str) -> None:
        call_id = message["id"]
        log.warning("%s: media of message %r failed: %s", self.name, call_id, error)
        if tag == "call":
            self.send({"id": call_id, "error": error_to_wire(error), "objects": []})
            return
        call = self.outstanding.get(call_id)
        if call is not None and not call.answer.done():
            call.answer.set_exception(error)
