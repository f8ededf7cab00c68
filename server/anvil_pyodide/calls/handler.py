"""The one incoming-call handler: a CALL from any peer (a browser, an uplink) in, its reply out.

What differs between peers is their :class:`Peer` policy: whether they are trusted (may call
``:`` names, send and receive trusted wire forms, skip capability MAC checks), how a call's session
is found, which private commands they get answered without a function, the call state server code
sees (its client and caller, where its output goes) and where the reply goes. Everything else is
here, once: the shape check, LiveObject calls (:func:`as_named_call`), decoding, the dispatcher
run, the reply with its capability updates, and an error reply whatever fails.

Example:
    >>> call_shape_error({"command": "f", "args": {}})
    "Malformed CALL: 'args' must be a list"
    >>> as_named_call({"id": "c1", "liveObjectCall": {"method": "get_state"}, "args": []})["command"]
    'anvil.private.live_object_call'
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any, Awaitable, Protocol

import anvil.server
from anvil._capability import Capability
from anvil._errors import error_to_wire
from anvil._wire import EncodedMessage, decode_message, encode_message
from anvil._wire.decode import ModuleImporter

from ..sessions.store import Session
from .admission import Admission
from .capability_mac import sign_scope, verify_scope
from .context import CallState
from .dispatcher import Dispatcher
from .outbox import Chunk, Outbox
from .start_gate import until_room
from .tracebacks import app_trace

log = logging.getLogger("anvil_pyodide.calls")

#: The keepalive every peer may send; answered with its first argument.
ECHO = "anvil.private.echo"
#: What a LiveObject method call (``liveObjectCall``) runs as; served by :mod:`anvil_pyodide.tasks.live`.
LIVE_OBJECT_CALL = "anvil.private.live_object_call"
#: The kwarg that carries a LiveObject call's spec to :data:`LIVE_OBJECT_CALL`.
LIVE_OBJECT_SPEC = "_anvil_live_object"


class Peer(Protocol):
    """One connection's policy for the CALLs it sends (see the module docstring)."""

    #: A server uplink: may call ``:`` names, sends trusted wire forms, its capabilities are not MAC-checked.
    trusted: bool
    #: For messages and logs, e.g. "the browser" or "a client uplink".
    description: str

    async def session_for(self, command: str, message: dict[str, Any]) -> Session:
        """The session the call runs in; raises an ``anvil.server`` error the caller gets instead
        (``RuntimeUnavailableError`` when the state store cannot be reached)."""
        ...

    def builtin(self, command: str, message: dict[str, Any], session: Session) -> tuple[bool, Any]:
        """``(True, value)`` for a private command answered without a function, else ``(False, None)``."""
        ...

    def call_state(self, message: dict[str, Any], session: Session, capabilities: list[Capability]) -> CallState:
        """What server code sees while the call runs: session, context, where output and progress go."""
        ...

    async def save(self, session: Session) -> None:
        """The function has run: store the session keys it changed; raises an ``anvil.server`` error if they
        cannot all be saved."""
        ...

    def send(self, message: dict[str, Any], chunks: list[Chunk]) -> None:
        """Send the reply (called on the event loop)."""
        ...

    @property
    def outbox(self) -> Outbox:
        """Where its replies wait to be sent (its budget holds back calls while the peer is not reading)."""
        ...


def as_named_call(message: dict[str, Any]) -> dict[str, Any]:
    """A ``liveObjectCall`` message as a call of :data:`LIVE_OBJECT_CALL`; any other message unchanged."""
    spec = message.get("liveObjectCall")
    if spec is None or "command" in message:
        return message
    kwargs = message.get("kwargs")
    kwargs = dict(kwargs) if isinstance(kwargs, dict) else {}
    kwargs[LIVE_OBJECT_SPEC] = spec
    return {**message, "command": LIVE_OBJECT_CALL, "kwargs": kwargs}


def call_shape_error(message: dict[str, Any]) -> str | None:
    """What is wrong with a CALL's fields, or None."""
    if not isinstance(message.get("command"), str) or not message["command"]:
        return "Malformed CALL: 'command' must be a non-empty string"
    if not isinstance(message.get("args", []), list):
        return "Malformed CALL: 'args' must be a list"
    if not isinstance(message.get("kwargs", {}), dict):
        return "Malformed CALL: 'kwargs' must be an object"
    return None


#: A message with at least this many ``objects`` entries (or any ``vt_global``) is decoded in a worker thread.
DECODE_OFF_LOOP_ENTRIES = 256


def decodes_off_loop(message: dict[str, Any]) -> bool:
    """Whether decoding ``message`` may cost enough (many entries, shared portable data) to keep it off the loop.

    Example:
        >>> decodes_off_loop({"objects": [], "vt_global": []}), decodes_off_loop({"vt_global": ["app.T", {}]})
        (False, True)
    """
    entries = message.get("objects")
    return bool(message.get("vt_global")) or (type(entries) is list and len(entries) >= DECODE_OFF_LOOP_ENTRIES)


def error_message(call_id: Any, exc: BaseException, trace: list[list[Any]] | None = None) -> dict[str, Any]:
    return {"id": call_id, "error": error_to_wire(exc, trace), "objects": []}


def echo_answer(args: list[Any]) -> str | None:
    """The keepalive's answer: its first argument when that is a str.

    Example:
        >>> echo_answer(["keep-alive"]), echo_answer([3]), echo_answer([])
        ('keep-alive', None, None)
    """
    return args[0] if args and type(args[0]) is str else None


def unsendable_value(exc: Exception) -> anvil.server.SerializationError:
    """The error a caller gets when the server function's return value cannot be sent.

    Example:
        >>> str(unsendable_value(OSError("the file vanished")))
        "The server function's return value could not be sent: OSError: the file vanished"
    """
    detail = str(exc) if isinstance(exc, anvil.server.SerializationError) else f"{type(exc).__name__}: {exc}"
    return anvil.server.SerializationError(f"The server function's return value could not be sent: {detail}")


def capability_updates(capabilities: list[Capability]) -> dict[str, Any]:
    """The pending update of each capability, keyed by the JSON of its scope."""
    updates = {}
    for cap in capabilities:
        update = cap._take_update()
        if update is not None:
            updates[json.dumps(cap.scope)] = update
    return updates


def capability_check(session: Session) -> Any:
    """A decode hook refusing any Capability whose MAC was not made with ``session``'s secret."""
    def check(cap: Capability) -> None:
        if not verify_scope(session.secret, cap._base_scope, cap._mac):
            raise anvil.server.InvalidObjectError(f"Invalid Capability: {cap.scope!r} was not issued to this session")
    return check


async def reply_or_error(make_reply: Awaitable[EncodedMessage], call_id: Any, app_dir: Any,
                         where: str) -> tuple[dict[str, Any], list[Chunk]]:
    """The reply's message and chunks; a server failure still gives the caller an error reply."""
    try:
        reply = await make_reply
    except Exception:  # a server bug: still answer, so the caller never waits forever
        log.exception("%s: call %r failed inside the server", where, call_id)
        reply = EncodedMessage(error_message(call_id, anvil.server.InternalError(
            "The server failed while handling this call (details are in the server log)")))
    try:
        chunks = list(reply.chunks())
    except Exception as e:  # a returned Media whose content cannot be read
        reply, chunks = EncodedMessage(error_message(call_id, unsendable_value(e), app_trace(e, app_dir))), []
    return reply.message, chunks


class CallHandler:
    """Runs CALLs: checks, decodes, dispatches, encodes the reply and gives it to the peer."""

    def __init__(self, dispatcher: Dispatcher, app_dir: Any = None, import_module: ModuleImporter | None = None) -> None:
        self.dispatcher = dispatcher
        self.app_dir = app_dir
        self.import_module = import_module
        config = dispatcher.config
        #: Calls in progress, per connection (the peer) and in all.
        self.admission = Admission(config.max_connection_calls, config.max_queued_calls)

    async def handle(self, message: dict[str, Any], media: dict[str, bytes], peer: Peer) -> None:
        """Run one CALL and send its reply; every call gets a reply, whatever fails (callers wait for it).
        A call past the per-connection or server-wide limit is answered with QuotaExceededError at once; a
        call of a peer whose unsent replies are over their budget waits, and never starts if the peer goes."""
        call_id = message.get("id")
        connection = id(peer)
        refusal = self.admission.enter(connection)
        if refusal is not None:
            peer.send(error_message(call_id, refusal), [])
            return
        try:
            budget = peer.outbox.budget
            await until_room(budget)  # the peer is not reading its replies: start nothing more for it until it does
            if budget.closed:  # it went away meanwhile (or was closed for not reading): not started
                return
            reply, chunks = await reply_or_error(self._reply(call_id, message, media, peer), call_id, self.app_dir,
                                                 f"call from {peer.description} to {message.get('command')!r}")
            peer.send(reply, chunks)
        finally:
            self.admission.leave(connection)

    async def _reply(self, call_id: Any, message: dict[str, Any], media: dict[str, bytes], peer: Peer) -> EncodedMessage:
        message = as_named_call(message)  # a LiveObject method call (a background Task's getters)
        problem = call_shape_error(message)
        if problem is not None:
            return EncodedMessage(error_message(call_id, anvil.server.SerializationError(problem)))
        command = message["command"]
        try:
            session = await peer.session_for(command, message)
            found, value = peer.builtin(command, message, session)
            if found:
                return encode_message({"id": call_id, "response": value})
            if ":" in command and not peer.trusted:
                raise anvil.server.PermissionDenied(f"Cannot call {command!r} from {peer.description}")
            decode = functools.partial(decode_message, message, media, remote_is_trusted=peer.trusted,
                                       import_module=self.import_module,
                                       check_capability=None if peer.trusted else capability_check(session))
            decoded = await asyncio.to_thread(decode) if decodes_off_loop(message) else decode()
            if decoded.capabilities:  # a capability is honoured only while its session still exists
                await session.load()
        except anvil.server.AnvilWrappedError as e:
            return EncodedMessage(error_message(call_id, e))
        state = peer.call_state(message, session, decoded.capabilities)
        state.reply_budget, state.loop = peer.outbox.budget, peer.outbox.loop  # (the loop this call runs on)
        try:
            value = await self.dispatcher.invoke(command, decoded.message.get("args", []),
                                                 decoded.message.get("kwargs", {}), state)
        except Exception as e:  # the function's own error, reported to its caller
            await self._save_after_failure(peer, state.session, command)
            if state.session is not session and hasattr(peer, "moved_to"):
                peer.moved_to(state.session)
            return EncodedMessage(error_message(call_id, e, app_trace(e, self.app_dir)))
        finally:
            if state.flush_output is not None:
                state.flush_output()
        moved, session = state.session is not session, state.session  # a log-in moves the call to a new session
        try:
            await peer.save(session)
        except anvil.server.AnvilWrappedError as e:  # not saved: the call fails rather than lose the write
            return EncodedMessage(error_message(call_id, e))
        if moved and hasattr(peer, "moved_to"):  # a browser's connection follows it
            peer.moved_to(session)
        return self._response(call_id, value, decoded.capabilities, session, peer.trusted)

    async def _save_after_failure(self, peer: Peer, session: Session, command: str) -> None:
        """What a failed function wrote is kept too; if that cannot be saved, its own error still goes back."""
        try:
            await peer.save(session)
        except anvil.server.AnvilWrappedError as e:
            log.warning("session changes of the failed call to %r were not saved: %s", command, e)

    def _response(self, call_id: Any, value: Any, capabilities: list[Capability], session: Session,
                  trusted: bool) -> EncodedMessage:
        response: dict[str, Any] = {"id": call_id, "response": value}
        updates = capability_updates(capabilities)
        if updates:
            response["capUpdates"] = updates
        try:
            return encode_message(response, remote_is_trusted=trusted,
                                  sign_capability=lambda cap: sign_scope(session.secret, cap._base_scope))
        except Exception as e:  # noqa: BLE001 - an unsendable value, or a portable class's __serialize__ failing
            return EncodedMessage(error_message(call_id, unsendable_value(e), app_trace(e, self.app_dir)))
