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
    >>> class Events:                                      # what the connection reports upwards
    ...     def on_register(self, connection, name): print("REGISTER", name)
    ...     def on_call(self, connection, message, media): print("CALL", message["command"])
    >>> async def demo():
    ...     connection = UplinkConnection(None, "uplink", Events())
    ...     connection.on_text('{"type": "REGISTER", "name": "train_model"}')
    ...     connection.on_text('{"type": "CALL", "id": "a1", "command": "anvil.private.echo", "args": ["hi"]}')
    ...     connection.on_text('not json')                # logged and dropped
    >>> asyncio.run(demo())
    REGISTER train_model
    CALL anvil.private.echo
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

import anvil.server
from anvil._errors import error_from_wire, error_to_wire
from anvil._wire import MediaAssembler, check_chunk_header, media_ids

from ..calls.context import CallState
from ..calls.outbox import Chunk, Outbox, pump_to_websocket
from ..sessions.store import Session, unsaved_session

log = logging.getLogger("anvil_pyodide.uplink")

SERVER_PRIVILEGE = "uplink"
CLIENT_PRIVILEGE = "client"

_numbers = itertools.count(1)


class UplinkEvents(Protocol):
    """Who handles what an uplink sends (the hub): registrations and calls."""

    def on_register(self, connection: "UplinkConnection", name: Any) -> None: ...

    def on_call(self, connection: "UplinkConnection", message: dict[str, Any], media: dict[str, bytes]) -> None: ...


class UplinkRefused(Exception):
    """The uplink did something its privilege does not allow: it is told why, then disconnected."""


class FrameError(Exception):
    """A frame that does not fit the protocol; it is logged and dropped."""


@dataclass
class OutstandingCall:
    """One of our calls to the uplink, waiting for its answer."""

    command: str
    state: CallState
    answer: "asyncio.Future[tuple[dict[str, Any], dict[str, bytes]]]"


@dataclass
class WaitingForMedia:
    """A received message whose media chunks are still arriving."""

    message: dict[str, Any]
    assembler: MediaAssembler
    is_call: bool


@dataclass(eq=False)  # identity: each connection is its own
class UplinkConnection:
    """An uplink after a successful handshake. ``privilege`` is ``"uplink"`` (server) or ``"client"``."""

    websocket: Any
    privilege: str
    events: UplinkEvents
    ip: str | None = None
    origin: str | None = None
    max_media_bytes: int | None = None
    name: str = field(default_factory=lambda: f"uplink-{next(_numbers)}")
    session: Session = field(default_factory=unsaved_session)
    #: Names this uplink registered, and the LiveObject backends it announced (recorded, not served).
    registered: list[str] = field(default_factory=list)
    live_object_backends: list[str] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        self.outbox = Outbox(asyncio.get_running_loop())
        self.outstanding: dict[str, OutstandingCall] = {}
        self.waiting_for_media: dict[Any, WaitingForMedia] = {}
        self.chunk_header: dict[str, Any] | None = None
        self.call_tasks: set[asyncio.Task[None]] = set()

    @property
    def is_server(self) -> bool:
        return self.privilege == SERVER_PRIVILEGE

    # ------------------------------------------------------------------ the socket

    async def run(self) -> None:
        """Read frames until the uplink goes away (or is refused); then fail what is still waiting."""
        writer = asyncio.create_task(self._write())
        refused: UplinkRefused | None = None
        try:
            while refused is None:
                frame = await self.websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                try:
                    if frame.get("text") is not None:
                        self.on_text(frame["text"])
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
            try:
                await self.websocket.close(code=1008)
            except Exception:  # noqa: BLE001 - already gone
                pass
        else:
            writer.cancel()

    def fail_outstanding(self) -> None:
        """Fail every call still waiting for this uplink (it has disconnected)."""
        for call_id, call in list(self.outstanding.items()):
            if not call.answer.done():
                call.answer.set_exception(anvil.server.UplinkDisconnectedError(
                    f'The uplink server for "{call.command}" disconnected before the call returned'))
        self.waiting_for_media.clear()

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
        """Send an encoded CALL and wait for the uplink's raw answer: ``(message, media contents)``."""
        if self.closed:
            raise anvil.server.UplinkDisconnectedError(f'The uplink server for "{command}" has been disconnected')
        answer: asyncio.Future[tuple[dict[str, Any], dict[str, bytes]]] = asyncio.get_running_loop().create_future()
        self.outstanding[call_id] = OutstandingCall(command, state, answer)
        try:
            self.send(message, chunks)
            return await answer
        finally:
            del self.outstanding[call_id]
            self.waiting_for_media.pop(call_id, None)

    def call_state(self, call_id: Any) -> CallState | None:
        """The state of our outstanding call ``call_id`` (an uplink call made while serving it carries its id)."""
        call = self.outstanding.get(call_id) if isinstance(call_id, str) else None
        return call.state if call is not None else None

    # ------------------------------------------------------------------ frames from the uplink

    def on_text(self, text: str) -> None:
        """Handle one text frame; raises UplinkRefused when the uplink must be disconnected."""
        try:
            self._on_message(text)
        except FrameError as e:
            log.warning("%s: dropped a message: %s", self.name, e)
        except UplinkRefused:
            raise
        except Exception:  # noqa: BLE001 - a bug or an odd message must never take the server down
            log.exception("%s: error handling a message (dropped)", self.name)

    def on_binary(self, data: bytes) -> None:
        try:
            self._on_chunk(data)
        except FrameError as e:
            log.warning("%s: dropped a media chunk: %s", self.name, e)
        except Exception:  # noqa: BLE001
            log.exception("%s: error handling a media chunk (dropped)", self.name)

    def _on_message(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            raise FrameError(f"not JSON: {text[:80]!r}") from None
        if not isinstance(message, dict):
            raise FrameError(f"not a JSON object: {text[:80]!r}")
        kind = message.get("type")
        if kind == "CALL":
            self._on_call(message)
        elif kind == "CHUNK_HEADER":
            self._on_chunk_header(message)
        elif kind == "REGISTER":
            if not self.is_server:
                self.send({"error": f"A client uplink cannot register server functions "
                                    f"(tried to register {message.get('name')!r}); connect with the server uplink key"})
                raise UplinkRefused(f"client uplink tried to register {message.get('name')!r}")
            self.events.on_register(self, message.get("name"))
        elif kind == "REGISTER_LIVE_OBJECT_BACKEND":
            backend = message.get("backend")
            log.info("%s: LiveObject backend %r announced (LiveObject calls are not served by this server)",
                     self.name, backend)
            if isinstance(backend, str) and backend not in self.live_object_backends:
                self.live_object_backends.append(backend)
        elif kind == "MEDIA_ERROR":
            self._on_media_error(message)
        elif kind is None and "id" in message and ("response" in message or "error" in message):
            self._on_answer(message)
        else:
            raise FrameError(f"unknown message type {kind!r}")

    def _on_call(self, message: dict[str, Any]) -> None:
        call_id = message.get("id")
        if not isinstance(call_id, str) or not call_id:
            raise FrameError("CALL without a string id")
        if call_id in self.waiting_for_media:
            raise FrameError(f"CALL id {call_id!r} reused while its media is arriving")
        try:
            expected = media_ids(message)
        except anvil.server.SerializationError:
            expected = []  # the handler decodes it and answers with the error
        if expected:
            self.waiting_for_media[call_id] = WaitingForMedia(
                message, MediaAssembler(call_id, expected, self.max_media_bytes), is_call=True)
        else:
            self.events.on_call(self, message, {})

    def _on_answer(self, message: dict[str, Any]) -> None:
        call_id = message.get("id")
        call = self.outstanding.get(call_id) if isinstance(call_id, str) else None
        if call is None or call.answer.done():
            log.info("%s: answer for unknown or abandoned call %r dropped", self.name, call_id)
            return
        try:
            expected = media_ids(message)
        except anvil.server.SerializationError:
            expected = []  # the caller decodes it and reports the error
        if expected:
            self.waiting_for_media[call_id] = WaitingForMedia(
                message, MediaAssembler(call_id, expected, self.max_media_bytes), is_call=False)
        else:
            call.answer.set_result((message, {}))

    def _on_chunk_header(self, header: dict[str, Any]) -> None:
        self.chunk_header = None
        try:
            check_chunk_header(header)
        except anvil.server.SerializationError as e:
            raise FrameError(str(e)) from None
        if header.get("requestId") not in self.waiting_for_media:
            raise FrameError(f"chunk header for unknown request {header.get('requestId')!r}")
        self.chunk_header = header

    def _on_chunk(self, data: bytes) -> None:
        header, self.chunk_header = self.chunk_header, None
        if header is None:
            raise FrameError("binary frame without a valid CHUNK_HEADER before it")
        request_id = header["requestId"]
        waiting = self.waiting_for_media.get(request_id)
        if waiting is None:
            raise FrameError(f"chunk for request {request_id!r}, which is no longer waiting")
        try:
            waiting.assembler.add_chunk(header, data)
        except anvil.server.SerializationError as e:
            del self.waiting_for_media[request_id]
            self._media_failed(waiting, e)
            return
        if waiting.assembler.complete:
            del self.waiting_for_media[request_id]
            self._media_complete(waiting)

    def _on_media_error(self, message: dict[str, Any]) -> None:
        waiting = self.waiting_for_media.pop(message.get("requestId"), None)
        if waiting is None:
            raise FrameError(f"MEDIA_ERROR for unknown request {message.get('requestId')!r}")
        cause = error_from_wire(message.get("cause"))
        self._media_failed(waiting, anvil.server.SerializationError(
            f"The uplink could not send a Media object: {type(cause).__name__}: {cause}"))

    def _media_complete(self, waiting: WaitingForMedia) -> None:
        if waiting.is_call:
            self.events.on_call(self, waiting.message, waiting.assembler.contents())
            return
        call = self.outstanding.get(waiting.message["id"])
        if call is not None and not call.answer.done():
            call.answer.set_result((waiting.message, waiting.assembler.contents()))

    def _media_failed(self, waiting: WaitingForMedia, error: BaseException) -> None:
        call_id = waiting.message["id"]
        log.warning("%s: media of message %r failed: %s", self.name, call_id, error)
        if waiting.is_call:
            self.send({"id": call_id, "error": error_to_wire(error), "objects": []})
            return
        call = self.outstanding.get(call_id)
        if call is not None and not call.answer.done():
            call.answer.set_exception(error)
