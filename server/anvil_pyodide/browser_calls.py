"""The browser side of the protocol, whatever the transport: one CALL in, its messages out.

A CALL becomes a server function run; the reply (``response`` or ``error``, plus any progress
``capUpdates`` and ``output`` messages before it) goes into the connection's :class:`Outbox`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable

import anvil.server
from anvil._capability import Capability
from anvil._errors import error_to_wire
from anvil._wire import EncodedMessage, decode_message, encode_message
from anvil._wire.decode import ModuleImporter

from .call_context import CallContext, CallState, ClientInfo, StackFrame
from .capability_mac import sign_scope, verify_scope
from .config import ServerConfig
from .dispatcher import Dispatcher
from .outbox import Chunk, Outbox
from .output import LineBuffer
from .session_http import touch_session
from .sessions import Session, SessionStore
from .task_live import as_named_call
from .tracebacks import app_trace

log = logging.getLogger("anvil_pyodide.calls")

ECHO = "anvil.private.echo"
RESET_SESSION = "anvil.private.reset_session"


@dataclass
class BrowserPeer:
    """One browser connection: its session (None when the token it gave has expired), ip and outbox."""

    session: Session | None
    ip: str | None
    outbox: Outbox
    origin: str | None = None


def call_shape_error(message: dict[str, Any]) -> str | None:
    """What is wrong with a CALL's fields, or None."""
    if not isinstance(message.get("command"), str) or not message["command"]:
        return "Malformed CALL: 'command' must be a non-empty string"
    if not isinstance(message.get("args", []), list):
        return "Malformed CALL: 'args' must be a list"
    if not isinstance(message.get("kwargs", {}), dict):
        return "Malformed CALL: 'kwargs' must be an object"
    return None


def error_message(call_id: Any, exc: BaseException, trace: list[list[Any]] | None = None) -> dict[str, Any]:
    return {"id": call_id, "error": error_to_wire(exc, trace), "objects": []}


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


class BrowserCallHandler:
    """Runs browser CALLs: checks, decodes, dispatches, encodes the reply into the peer's outbox."""

    def __init__(self, dispatcher: Dispatcher, sessions: SessionStore, config: ServerConfig,
                 import_module: ModuleImporter | None = None) -> None:
        self.dispatcher = dispatcher
        self.sessions = sessions
        self.config = config
        self.import_module = import_module

    async def handle(self, message: dict[str, Any], media: dict[str, bytes], peer: BrowserPeer) -> None:
        """Run one CALL and put its reply in the peer's outbox; every call gets a reply, whatever fails."""
        call_id = message.get("id")
        reply, chunks = await reply_or_error(self._reply(call_id, message, media, peer), call_id,
                                             self.config.app_dir, f"browser call to {message.get('command')!r}")
        peer.outbox.put(reply, chunks)

    async def _reply(self, call_id: Any, message: dict[str, Any], media: dict[str, bytes],
                     peer: BrowserPeer) -> EncodedMessage:
        message = as_named_call(message)  # a LiveObject method call (a background Task's getters)
        problem = call_shape_error(message)
        if problem is not None:
            return EncodedMessage(error_message(call_id, anvil.server.SerializationError(problem)))
        command = message["command"]
        if command == RESET_SESSION:
            peer.session = self.sessions.create()
            touch_session(self.sessions, peer.session.token)  # in use from now: not dropped as a page view's would be
            return encode_message({"id": call_id, "response": peer.session.token})
        if peer.session is not None:  # every call (keepalives too) counts as use; an idle one may have expired
            peer.session = self.sessions.get(peer.session.token)
        if peer.session is None:
            return EncodedMessage(error_message(call_id, anvil.server.SessionExpiredError("Session expired")))
        if command == ECHO:
            args = message.get("args") or [None]
            return EncodedMessage({"id": call_id, "response": args[0] if type(args[0]) is str else None, "objects": []})
        if ":" in command:
            return EncodedMessage(error_message(call_id, anvil.server.PermissionDenied(
                f"Cannot call {command!r} from the browser")))
        session = peer.session
        try:
            decoded = decode_message(message, media, import_module=self.import_module,
                                     check_capability=capability_check(session))
        except anvil.server.AnvilWrappedError as e:
            return EncodedMessage(error_message(call_id, e))
        state = self._call_state(call_id, session, peer, decoded.capabilities)
        try:
            value = await self.dispatcher.invoke(command, decoded.message.get("args", []),
                                                 decoded.message.get("kwargs", {}), state)
        except Exception as e:  # the function's own error, reported to its caller
            return EncodedMessage(error_message(call_id, e, app_trace(e, self.config.app_dir)))
        finally:
            if state.flush_output is not None:
                state.flush_output()
        return self._response(call_id, value, decoded.capabilities, session)

    def _response(self, call_id: Any, value: Any, capabilities: list[Capability], session: Session) -> EncodedMessage:
        response: dict[str, Any] = {"id": call_id, "response": value}
        updates = capability_updates(capabilities)
        if updates:
            response["capUpdates"] = updates
        try:
            return encode_message(response, sign_capability=lambda cap: sign_scope(session.secret, cap._base_scope))
        except Exception as e:  # an unsendable value, or a portable class's __serialize__ failing
            return EncodedMessage(error_message(call_id, unsendable_value(e), app_trace(e, self.config.app_dir)))

    def _call_state(self, call_id: Any, session: Session, peer: BrowserPeer,
                    capabilities: list[Capability]) -> CallState:
        outbox = peer.outbox

        def send_progress(cap: Capability) -> None:
            update = cap._take_update()
            if update is not None:
                encoded = encode_message({"id": call_id, "capUpdates": {json.dumps(cap.scope): update}})
                outbox.put_threadsafe(encoded.message, list(encoded.chunks()))

        for cap in capabilities:
            cap._listener = send_progress
        write_output = flush_output = None
        if self.config.forward_output:
            def output_message(text: str) -> dict[str, Any]:
                return {"id": call_id, "output": text, "objects": []}

            lines = LineBuffer(lambda text: outbox.put_threadsafe(output_message(text)))
            write_output = lines.write

            def flush_output() -> None:  # on the loop, after the function returned: ahead of the reply
                lines.flush(lambda text: outbox.put(output_message(text)))
        context = CallContext(client=ClientInfo("browser", peer.ip), remote_caller=StackFrame("browser", False))
        return CallState(session=session, context=context, capabilities=capabilities, write_output=write_output,
                         flush_output=flush_output, origin=peer.origin)
