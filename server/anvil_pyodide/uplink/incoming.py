"""The uplink's peer policy for the calls it makes: to in-process functions, to other uplinks, the heartbeat.

The calls themselves run in the one call handler (:mod:`anvil_pyodide.calls.handler`); this says
what is particular to an uplink.

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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anvil.server
from anvil._capability import Capability

from ..calls.context import CallContext, CallState, ClientInfo, StackFrame
from ..calls.handler import ECHO, echo_answer
from ..calls.outbox import Chunk, Outbox
from ..sessions.store import Session

if TYPE_CHECKING:
    from .connection import UplinkConnection

GET_SESSION_ID = "anvil.private.get_session_id"
GET_APP_ORIGIN = "anvil.private.get_app_origin"
GET_API_ORIGIN = "anvil.private.get_api_origin"


def builtin_answer(command: str, args: list[Any], *, origin: str | None, session_id: str,
                   is_server: bool) -> tuple[bool, Any]:
    """``(True, value)`` for the private commands answered without a function, else ``(False, None)``.

    Raises PermissionDenied when a client uplink asks for its session id.
    """
    if command == ECHO:
        return True, echo_answer(args)
    if command == GET_SESSION_ID:
        if not is_server:
            raise anvil.server.PermissionDenied("A client uplink cannot get the session id")
        return True, session_id
    if command == GET_APP_ORIGIN:
        return True, origin
    if command == GET_API_ORIGIN:
        return True, None if origin is None else origin + "/_/api"
    return False, None


@dataclass
class UplinkPeer:
    """The policy for CALLs arriving on ``connection``; output is forwarded when ``forward_output``."""

    connection: "UplinkConnection"
    forward_output: bool = False

    @property
    def trusted(self) -> bool:
        return self.connection.is_server

    @property
    def description(self) -> str:
        return "an uplink" if self.trusted else "a client uplink"

    def _outer(self, message: dict[str, Any]) -> CallState | None:
        """Our call this one was made while serving (``originating-call``), if it is still outstanding."""
        return self.connection.call_state(message.get("originating-call"))

    def _origin(self, outer: CallState | None) -> str | None:
        return outer.origin if outer is not None and outer.origin else self.connection.origin

    async def session_for(self, command: str, message: dict[str, Any]) -> Session:
        outer = self._outer(message)
        return outer.session if outer is not None else self.connection.session

    def builtin(self, command: str, message: dict[str, Any], session: Session) -> tuple[bool, Any]:
        return builtin_answer(command, message.get("args") or [], origin=self._origin(self._outer(message)),
                              session_id=session.token, is_server=self.trusted)

    async def save(self, session: Session) -> None:
        return None  # a call's own session is saved by that call; the connection's own lives as long as it

    def send(self, message: dict[str, Any], chunks: list[Chunk]) -> None:
        self.connection.send(message, chunks)

    @property
    def outbox(self) -> Outbox:
        return self.connection.outbox

    def call_state(self, message: dict[str, Any], session: Session, capabilities: list[Capability]) -> CallState:
        outer = self._outer(message)
        client = outer.context.client if outer is not None else ClientInfo("uplink", self.connection.ip)
        caller = StackFrame("uplink", True) if self.trusted else StackFrame("client_uplink", False)
        write_output = None
        if self.forward_output:
            connection = self.connection

            def write_output(text: str) -> None:
                connection.send_threadsafe({"output": text})
        connection = self.connection
        return CallState(session=session, context=CallContext(client=client, remote_caller=caller),
                         capabilities=capabilities, write_output=write_output, origin=self._origin(outer),
                         caller_gone=lambda: connection.closed)
