"""What server code sees about the call it is running in: ``anvil.server.context`` and the session.

Example:
    >>> ctx = CallContext(client=ClientInfo("browser", "127.0.0.1"), remote_caller=StackFrame("browser", False))
    >>> ctx.type, ctx.client.ip, ctx.remote_caller.is_trusted
    ('server_module', '127.0.0.1', False)
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from anvil._capability import Capability

    from ..sessions.store import Session


@dataclass(frozen=True)
class Location:
    """Where a client is, when known (this server does no IP geolocation, so it is always None)."""

    city: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    subdivision: str | None = None


@dataclass(frozen=True)
class ClientInfo:
    """Who started the session: ``type`` is "browser", "uplink", "http", "background_task" or "email"."""

    type: str
    ip: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class StackFrame:
    """Who called this function: ``type`` is "browser", "server_module", "uplink" or "client_uplink"."""

    type: str
    is_trusted: bool


@dataclass(frozen=True)
class CallContext:
    """``anvil.server.context`` on the server."""

    client: ClientInfo
    remote_caller: StackFrame | None
    type: str = "server_module"
    background_task_id: str | None = None


@dataclass
class CallState:
    """Everything about the call in progress that server-side ``anvil.server`` needs."""

    session: "Session"
    context: CallContext
    capabilities: list["Capability"] = field(default_factory=list)
    write_output: Callable[[str], None] | None = None
    #: Sends output still buffered when the call ends (before its reply).
    flush_output: Callable[[], None] | None = None
    #: The app's origin as this call's client reached it, e.g. "http://127.0.0.1:8000".
    origin: str | None = None
    #: The dispatcher and event loop serving this call (for server-to-server ``anvil.server.call``).
    dispatcher: Any = None
    loop: Any = None
    #: True when the caller has gone away (its connection closed); a call not yet started then never starts.
    caller_gone: Callable[[], bool] | None = None
    #: The caller's connection's :class:`~.reply_budget.ReplyBudget`: while its unsent replies are over it, a
    #: synchronous call waits (holding its session's slot) before it starts.
    reply_budget: Any = None
    #: Set when the call timeout passed: the caller has its TimeoutError.
    timed_out: bool = False

    def given_up(self) -> bool:
        """Whether nobody waits for this call's answer any more (timed out, or its caller went away)."""
        return self.timed_out or (self.caller_gone is not None and self.caller_gone())


current_call: contextvars.ContextVar[CallState | None] = contextvars.ContextVar("anvil_current_call", default=None)


def require_call(what: str) -> CallState:
    """The current call's state, or a RuntimeError saying ``what`` needs one."""
    state = current_call.get()
    if state is None:
        raise RuntimeError(f"{what} is only available while a server function is running")
    return state
