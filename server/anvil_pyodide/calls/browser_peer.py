"""The browser's peer policy, whatever its transport (``/_/ws`` or ``/_/server-call-http``).

A browser is untrusted: it may not call ``:`` names, its capabilities must carry MACs made with its
session's secret. Its session comes from the session store (:meth:`SessionStore.open`): a call soon
after the connection last found it there starts without asking the store, and the session's data is
read from the store when the call first uses it (so a write made through another server process is
seen); otherwise the store is asked at the start of the call (counting as use; an idle session may have
expired: ``SessionExpiredError``). The keys the call changed are saved after it;
``anvil.private.reset_session`` gives it a new one. Output and capability progress go to its outbox
as messages carrying the call's id, ahead of the reply.

Example:
    >>> import asyncio
    >>> from anvil_pyodide.sessions.store import SessionStore
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> async def demo():
    ...     store = SessionStore(MemoryStore())
    ...     peer = BrowserPeer((await store.create()).token, "127.0.0.1", Outbox(asyncio.get_running_loop()),
    ...                        sessions=store)
    ...     return peer.builtin(ECHO, {"args": ["hi"]}, await peer.session_for(ECHO, {}))
    >>> asyncio.run(demo())
    (True, 'hi')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import anvil.server
from anvil._capability import Capability
from anvil._wire import encode_message

from ..sessions.http import touch_session
from ..sessions.recent import RecentCheck
from ..sessions.store import Session, SessionStore
from .context import CallContext, CallState, ClientInfo, StackFrame
from .handler import ECHO, echo_answer
from .outbox import Chunk, Outbox
from .output import LineBuffer

RESET_SESSION = "anvil.private.reset_session"


@dataclass
class BrowserPeer:
    """One browser connection: its session's token (None once it has expired), ip and outbox."""

    token: str | None
    ip: str | None
    outbox: Outbox
    origin: str | None = None
    #: Where its session is looked up again on every call (and where ``reset_session`` gets a new one).
    sessions: SessionStore = field(kw_only=True)
    forward_output: bool = False
    #: Set when the connection has ended: its calls that have not started by then never start.
    closed: bool = False
    #: When the connection last found its session in the store (calls soon after do not ask it again).
    recent: RecentCheck = field(init=False)
    #: What its calls see as ``anvil.server.context`` (immutable: one for all its calls).
    context: CallContext = field(init=False)

    trusted = False
    description = "the browser"

    def __post_init__(self) -> None:
        self.recent = self.sessions.recent_check()
        self.context = CallContext(client=ClientInfo("browser", self.ip), remote_caller=StackFrame("browser", False))

    def settle(self, session: Session | None, created: bool) -> None:
        """The connection's session, as its transport found it in the store (or ``created`` it) before any call."""
        self.token = session.token if session is not None else None
        if session is not None and not created:  # found: its calls soon after need not ask again
            self.recent.found(session.token, session.secret)

    async def session_for(self, command: str, message: dict[str, Any]) -> Session:
        if command == RESET_SESSION:
            session: Session | None = await self.sessions.create()
            self.outbox.put({"type": "SESSION", "token": session.token})  # the connection moves to it
            await touch_session(self.sessions, session.token)  # in use from now: not dropped as a page view's would be
            self.recent.forget()
        else:  # every call (keepalives too) counts as use, at least every check interval; an idle one may have expired
            session = await self.sessions.open(self.token, self.recent, self.outbox.loop) if self.token is not None else None
        self.token = session.token if session is not None else None
        if session is None:
            raise anvil.server.SessionExpiredError("Session expired")
        return session

    def builtin(self, command: str, message: dict[str, Any], session: Session) -> tuple[bool, Any]:
        if command == RESET_SESSION:
            return True, session.token
        if command == ECHO:
            return True, echo_answer(message.get("args") or [])
        return False, None

    async def save(self, session: Session) -> None:
        await self.sessions.save(session)

    def moved_to(self, session: Session) -> None:
        """The call moved to a new session (a log-in): this connection follows it, and the browser is told the
        new token ahead of the call's reply."""
        self.token = session.token
        self.recent.forget()
        self.outbox.put({"type": "SESSION", "token": session.token})

    def send(self, message: dict[str, Any], chunks: list[Chunk]) -> None:
        self.outbox.put(message, chunks)

    def call_state(self, message: dict[str, Any], session: Session, capabilities: list[Capability]) -> CallState:
        call_id, outbox = message.get("id"), self.outbox

        def send_progress(cap: Capability) -> None:
            update = cap._take_update()
            if update is not None:
                encoded = encode_message({"id": call_id, "capUpdates": {json.dumps(cap.scope): update}})
                outbox.put_threadsafe(encoded.message, list(encoded.chunks()))

        for cap in capabilities:
            cap._listener = send_progress
        write_output = flush_output = None
        if self.forward_output:
            def output_message(text: str) -> dict[str, Any]:
                return {"id": call_id, "output": text, "objects": []}

            lines = LineBuffer(lambda text: outbox.put_threadsafe(output_message(text)))
            write_output = lines.write

            def flush_output() -> None:  # on the loop, after the function returned: ahead of the reply
                lines.flush(lambda text: outbox.put(output_message(text)))
        return CallState(session=session, context=self.context, capabilities=capabilities, write_output=write_output,
                         flush_output=flush_output, origin=self.origin, caller_gone=lambda: self.closed)
