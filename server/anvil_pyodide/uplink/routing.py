"""Uplink functions registered on another server process that shares the store: calls relayed through Redis.

With a Redis store, every process records the names its uplinks registered (with its process id,
:mod:`anvil_pyodide.store.registrations`) and reads requests from its own Redis Stream
(:mod:`anvil_pyodide.store.redis_bus`). When a call on process A names a function that no uplink of
A serves, :meth:`RemoteUplinks.connection_for` asks the store which live process does (B) and gives
back a :class:`RemoteConnection`, which :func:`~.outgoing.call_uplink` uses exactly like a local
uplink connection:

- A encodes the CALL as for a local uplink (capabilities signed with the session's secret, media
  as chunks) and sends that JSON and the chunk bytes to B; B hands them to its uplink unchanged and
  sends the uplink's answer (JSON and media bytes) back unchanged. Neither process decodes what the
  other encoded on the way: only A decodes the answer, as it would from its own uplink.
- Session: A saves the call's session changes so far first; B runs the call (and the in-process
  functions the uplink calls while serving it) in the session as stored, saves what those changed,
  and A takes those changes back into the call's session (:meth:`SessionStore.refresh`) before
  merging what the uplink returned. A session no store knows (an uplink connection's own, a
  task's) reaches B empty.
- If B stops sending heartbeats before it answers, the call fails with
  ``anvil.server.UplinkDisconnectedError`` within ``--process-timeout`` and a third (20 s by
  default); a dead process's registrations are not counted, so later calls go to another process
  serving the name, or fail the same way. If B's uplink disconnects mid-call, B answers with the
  same error at once.

Example:
    >>> caller_of({"caller": ["browser", False], "client": ["browser", "10.0.0.7"], "task": None})
    CallContext(client=ClientInfo(type='browser', ip='10.0.0.7', location=None), remote_caller=StackFrame(type='browser', is_trusted=False), type='server_module', background_task_id=None)
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Protocol

import anvil.server
from anvil._errors import error_from_wire, error_to_wire

from ..calls.context import CallContext, CallState, ClientInfo, StackFrame
from ..calls.outbox import Chunk
from ..calls.start_gate import before_start
from ..sessions.store import Session, SessionStore, store_unavailable
from ..store import StoreUnavailableError
from ..store.redis_bus import Envelope, HandlerFailedError, ProcessGoneError

log = logging.getLogger("anvil_pyodide.uplink")

#: The request kinds this module sends and serves.
CALL, SEND = "uplink-call", "uplink-send"
#: Seconds the process serving a name is remembered before the store is asked again.
OWNER_MEMORY = 1.0


class Bus(Protocol):
    """Requests to other processes and the handlers for theirs (:class:`~anvil_pyodide.store.redis_bus.RedisBus`)."""

    process: str

    def on(self, kind: str, handler: Any) -> None: ...

    async def request(self, process: str, kind: str, envelope: Envelope) -> Envelope: ...


class Owners(Protocol):
    """Which live processes serve a name (:meth:`anvil_pyodide.store.Store.uplink_owners`)."""

    async def uplink_owners(self, name: str) -> list[str]: ...


class LocalUplinks(Protocol):
    """This process's own uplinks (:class:`~.hub.UplinkHub`)."""

    def route(self, command: str) -> Any: ...


def caller_of(body: dict[str, Any]) -> CallContext:
    """The context of a relayed call, from the plain fields its caller sent."""
    caller_type, trusted = body["caller"]
    client_type, ip = body["client"]
    return CallContext(client=ClientInfo(str(client_type), ip if isinstance(ip, str) else None),
                       remote_caller=StackFrame(str(caller_type), bool(trusted)),
                       background_task_id=body.get("task") if isinstance(body.get("task"), str) else None)


class NotServedThere(Exception):
    """The process a call was sent to has no uplink serving it (any more): the call did not run there."""


class RemoteConnection:
    """An uplink connected to another process, as :func:`~.outgoing.call_uplink` sees a connection."""

    closed = False

    def __init__(self, remote: "RemoteUplinks", process: str, command: str) -> None:
        self.remote, self.process, self.command = remote, process, command
        self.name = f"the uplink of server process {process}"

    async def request(self, call_id: str, command: str, state: CallState, message: dict[str, Any],
                      chunks: list[Chunk]) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Send an encoded CALL to the process holding the uplink; its uplink's raw answer ``(message, media)``.

        If that process no longer serves it (its uplink left, perhaps for another process), the call goes
        to the process the store names now, once. Like every call, it is not sent while its caller is not
        reading its replies, nor once its caller has given up (:mod:`~anvil_pyodide.calls.start_gate`)."""
        await before_start(state)
        try:
            return await self.remote.relay(self.process, command, state, message, chunks)
        except NotServedThere:
            self.remote.forget(self.command)
            again = await self.remote.connection_for(self.command)
            if again is None or again.process == self.process:
                raise anvil.server.UplinkDisconnectedError(
                    f'The uplink server for "{command}" has been disconnected') from None
            try:
                return await self.remote.relay(again.process, command, state, message, chunks)
            except NotServedThere:
                raise anvil.server.UplinkDisconnectedError(
                    f'The uplink server for "{command}" has been disconnected') from None

    def send_threadsafe(self, message: dict[str, Any]) -> None:
        """Pass a message to the uplink without waiting for an answer (``KILL_TASK``); from any thread."""
        self.remote.send_soon(self.process, self.command, message)


class RemoteUplinks:
    """Calls to uplinks of other processes (on the caller's side), and other processes' calls to ours.

    Which process serves a name is remembered for :data:`OWNER_MEMORY` seconds (a call sent to a process
    that has lost its uplink meanwhile is sent on once, to the process the store names then)."""

    def __init__(self, bus: Bus, owners: Owners, local: LocalUplinks, sessions: SessionStore,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bus, self.owners, self.local, self.sessions = bus, owners, local, sessions
        self.loop: asyncio.AbstractEventLoop | None = None
        self._clock = clock
        self._known: dict[str, tuple[str, float]] = {}
        bus.on(CALL, self.serve_call)
        bus.on(SEND, self.serve_send)

    # ------------------------------------------------------------------ the calling process

    async def connection_for(self, command: str) -> RemoteConnection | None:
        """A connection to a live process (not this one) whose uplink serves ``command``, or None."""
        known = self._known.get(command)
        if known is not None and known[1] > self._clock():
            return RemoteConnection(self, known[0], command)
        try:
            return self.connection_among(await self.owners.uplink_owners(command), command)
        except StoreUnavailableError as e:
            raise store_unavailable(e) from None

    def connection_among(self, owners: list[str], command: str) -> RemoteConnection | None:
        """A connection to the last of ``owners`` (live processes serving ``command``) that is not this one."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        others = [p for p in owners if p != self.bus.process]
        if not others:
            self.forget(command)
            return None
        self._known[command] = (others[-1], self._clock() + OWNER_MEMORY)
        return RemoteConnection(self, others[-1], command)

    def forget(self, command: str) -> None:
        """Ask the store which process serves ``command`` next time."""
        self._known.pop(command, None)

    async def relay(self, process: str, command: str, state: CallState, message: dict[str, Any],
                    chunks: list[Chunk]) -> tuple[dict[str, Any], dict[str, bytes]]:
        session = state.session
        await self.sessions.save(session)  # what this call wrote so far is what the other process sees
        context = state.context
        caller = context.remote_caller
        body = {"command": command, "message": message, "chunks": [header for header, _ in chunks],
                "origin": state.origin, "caller": [caller.type, caller.is_trusted] if caller else ["server_module", True],
                "client": [context.client.type, context.client.ip], "task": context.background_task_id}
        try:
            reply = await self.bus.request(process, CALL, Envelope(body, [data for _, data in chunks]))
        except ProcessGoneError:
            self.forget(command)
            raise anvil.server.UplinkDisconnectedError(
                f'The uplink server for "{command}" disconnected before the call returned (its server process '
                f'{process} stopped)') from None
        except HandlerFailedError as e:
            raise anvil.server.InternalError(f'Server process {process} failed to relay "{command}": {e}') from None
        except StoreUnavailableError as e:
            raise store_unavailable(e) from None
        answer = reply.body
        if answer.get("not_here"):
            raise NotServedThere(process)
        if "error" in answer:
            raise error_from_wire(answer["error"])
        if answer.get("session_changed") and session.saved is not None:
            await self.sessions.refresh(session)
        return answer["answer"], dict(zip(answer["media"], reply.parts))

    def send_soon(self, process: str, command: str, message: dict[str, Any]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return

        async def send() -> None:
            try:
                await self.bus.request(process, SEND, Envelope({"command": command, "message": message}))
            except Exception as e:  # noqa: BLE001 - nobody waits for it: log it
                log.warning("could not pass %s to the uplink of server process %s: %s", message.get("type"), process, e)
        asyncio.run_coroutine_threadsafe(send(), loop)

    # ------------------------------------------------------------------ the process holding the uplink

    async def serve_call(self, request: Envelope) -> Envelope:
        """Run another process's call on our uplink: its CALL as it came, our uplink's answer as it came."""
        body = request.body
        command = body["command"]
        connection = self.local.route(command)
        if connection is None:
            return Envelope({"not_here": True})  # not run: the caller may send it on
        message = body["message"]
        token = message.get("session-id")
        try:
            session = (await self.sessions.get(token) if isinstance(token, str) else None) or Session.detached(token=token)
        except anvil.server.AnvilWrappedError as e:
            return Envelope({"error": error_to_wire(e)})
        saved_before = dict(session.saved) if session.saved is not None else None
        state = CallState(session=session, context=caller_of(body), origin=body.get("origin"))
        chunks = list(zip(body["chunks"], request.parts))
        try:
            answer, media = await connection.request(message["id"], command, state, message, chunks)
            await self.sessions.save(session)  # what the in-process functions it called wrote
        except anvil.server.AnvilWrappedError as e:
            return Envelope({"error": error_to_wire(e)})
        return Envelope({"answer": answer, "media": list(media), "session_changed": session.saved != saved_before},
                        list(media.values()))

    async def serve_send(self, request: Envelope) -> Envelope:
        connection = self.local.route(request.body["command"])
        if connection is not None:
            connection.send(request.body["message"])
        return Envelope(None)
