"""Calls an uplink makes: to in-process functions, to functions on other uplinks, and the heartbeat.

Which session a call runs in: anvil-uplink sends ``originating-call``, the id of the call it was
serving when its code called out. If that is one of our calls outstanding on this connection, the
call runs in that call's session (and with its client), so the uplink's function and the in-process
functions it calls see one session. Otherwise (the uplink's main program, its heartbeat thread)
the call runs in the connection's own session.

The caller frame is ``StackFrame("uplink", True)`` for a server uplink and
``StackFrame("client_uplink", False)`` for a client uplink; a client uplink is treated like a
browser (its capabilities' MACs are checked, ``:`` names are refused, it gets no session id).

Answered here without a function: ``anvil.private.echo`` (anvil-uplink's heartbeat, every 10 s),
``anvil.private.get_session_id``, ``anvil.private.get_app_origin``, ``anvil.private.get_api_origin``.

Example:
    >>> builtin_answer("anvil.private.echo", ["keep-alive"], origin=None, session_id="s1", is_server=True)
    (True, 'keep-alive')
    >>> builtin_answer("anvil.private.get_session_id", [], origin=None, session_id="s1", is_server=True)
    (True, 's1')
    >>> builtin_answer("train_model", [], origin=None, session_id="s1", is_server=True)
    (False, None)
"""

from __future__ import annotations

import logging
from typing import Any

import anvil.server
from anvil._capability import Capability
from anvil._wire import EncodedMessage, decode_message, encode_message
from anvil._wire.decode import ModuleImporter

from ..calls.handler import (call_shape_error, capability_check, capability_updates, error_message, reply_or_error,
                            unsendable_value)
from ..calls.context import CallContext, CallState, ClientInfo, StackFrame
from ..calls.capability_mac import sign_scope
from ..config import ServerConfig
from ..sessions.store import Session
from ..tasks.live import as_named_call
from ..calls.tracebacks import app_trace
from .connection import UplinkConnection

ECHO = "anvil.private.echo"
GET_SESSION_ID = "anvil.private.get_session_id"
GET_APP_ORIGIN = "anvil.private.get_app_origin"
GET_API_ORIGIN = "anvil.private.get_api_origin"

log = logging.getLogger("anvil_pyodide.uplink")


def builtin_answer(command: str, args: list[Any], *, origin: str | None, session_id: str,
                   is_server: bool) -> tuple[bool, Any]:
    """``(True, value)`` for the private commands answered without a function, else ``(False, None)``.

    Raises PermissionDenied when a client uplink asks for its session id.
    """
    if command == ECHO:
        return True, args[0] if args and type(args[0]) is str else None
    if command == GET_SESSION_ID:
        if not is_server:
            raise anvil.server.PermissionDenied("A client uplink cannot get the session id")
        return True, session_id
    if command == GET_APP_ORIGIN:
        return True, origin
    if command == GET_API_ORIGIN:
        return True, None if origin is None else origin + "/_/api"
    return False, None


class UplinkCallHandler:
    """Runs the CALLs an uplink sends and queues each answer on its connection."""

    def __init__(self, dispatcher: Any, config: ServerConfig, import_module: ModuleImporter | None = None) -> None:
        self.dispatcher = dispatcher
        self.config = config
        self.import_module = import_module

    async def handle(self, message: dict[str, Any], media: dict[str, bytes], connection: UplinkConnection) -> None:
        """Run one CALL and queue its answer; every call is answered, whatever fails (anvil-uplink waits forever)."""
        call_id = message.get("id")
        reply, chunks = await reply_or_error(self._reply(call_id, message, media, connection), call_id,
                                             self.config.app_dir, connection.name)
        connection.send(reply, chunks)

    async def _reply(self, call_id: Any, message: dict[str, Any], media: dict[str, bytes],
                     connection: UplinkConnection) -> EncodedMessage:
        message = as_named_call(message)  # a LiveObject method call (a background Task's getters)
        problem = call_shape_error(message)
        if problem is not None:
            return EncodedMessage(error_message(call_id, anvil.server.SerializationError(problem)))
        command = message["command"]
        outer = connection.call_state(message.get("originating-call"))
        session = outer.session if outer is not None else connection.session
        origin = outer.origin if outer is not None and outer.origin else connection.origin
        try:
            found, value = builtin_answer(command, message.get("args") or [], origin=origin,
                                          session_id=session.token, is_server=connection.is_server)
            if found:
                return encode_message({"id": call_id, "response": value})
            if ":" in command and not connection.is_server:
                raise anvil.server.PermissionDenied(f"Cannot call {command!r} from a client uplink")
            decoded = decode_message(message, media, remote_is_trusted=connection.is_server,
                                     import_module=self.import_module,
                                     check_capability=None if connection.is_server else capability_check(session))
        except anvil.server.AnvilWrappedError as e:
            return EncodedMessage(error_message(call_id, e))
        state = self._call_state(connection, outer, session, origin, decoded.capabilities)
        try:
            value = await self.dispatcher.invoke(command, decoded.message.get("args", []),
                                                 decoded.message.get("kwargs", {}), state)
        except Exception as e:  # the function's own error, reported to the uplink
            return EncodedMessage(error_message(call_id, e, app_trace(e, self.config.app_dir)))
        return self._response(call_id, value, decoded.capabilities, session, connection.is_server)

    def _call_state(self, connection: UplinkConnection, outer: CallState | None, session: Session,
                    origin: str | None, capabilities: list[Capability]) -> CallState:
        client = outer.context.client if outer is not None else ClientInfo("uplink", connection.ip)
        caller = StackFrame("uplink", True) if connection.is_server else StackFrame("client_uplink", False)
        write_output = None
        if self.config.forward_output:
            def write_output(text: str) -> None:
                connection.send_threadsafe({"output": text})
        return CallState(session=session, context=CallContext(client=client, remote_caller=caller),
                         capabilities=capabilities, write_output=write_output, origin=origin)

    def _response(self, call_id: Any, value: Any, capabilities: list[Capability], session: Session,
                  is_server: bool) -> EncodedMessage:
        response: dict[str, Any] = {"id": call_id, "response": value}
        updates = capability_updates(capabilities)
        if updates:
            response["capUpdates"] = updates
        try:
            return encode_message(response, remote_is_trusted=is_server,
                                  sign_capability=lambda cap: sign_scope(session.secret, cap._base_scope))
        except Exception as e:  # noqa: BLE001 - an unsendable value, or a portable class's __serialize__ failing
            return EncodedMessage(error_message(call_id, unsendable_value(e), app_trace(e, self.config.app_dir)))

