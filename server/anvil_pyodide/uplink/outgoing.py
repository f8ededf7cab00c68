"""Our calls to an uplink's functions: the CALL we send, and what we do with the answer.

The CALL carries who is calling (``call-stack``: the caller's frame type decides whether the uplink
trusts it), the client (with its real ip), a snapshot of the caller's session (``sessionData``),
the app's info, and the arguments; media follow as chunks. The answer is decoded with its own
media; an ``error`` is raised as its own exception class (its trace kept); on success the uplink's
``sessionData`` is merged into the caller's session (:mod:`.session_merge`) and its ``capUpdates``
are delivered to the capabilities the call passed (``send_update``, so they reach the browser).

Example:
    >>> from anvil_pyodide.calls.context import CallContext, CallState, ClientInfo, StackFrame
    >>> from anvil_pyodide.sessions.store import InMemorySessionStore
    >>> session = InMemorySessionStore().create()
    >>> session.data["user"] = "ada"
    >>> state = CallState(session, CallContext(ClientInfo("browser", "10.0.0.7"), StackFrame("browser", False)))
    >>> message = call_message("server-abcdefghij", "train", [1], {}, state, take_snapshot(session.data),
    ...                        {"id": "demo", "branch": "master", "environment": {"description": "demo", "tags": []}})
    >>> message["call-stack"], message["client"], message["sessionData"]
    ([{'type': 'browser', 'protocol-version': 8}], {'type': 'browser', 'ip': '10.0.0.7', 'location': None}, {'session': {'user': 'ada'}, 'objects': []})
"""

from __future__ import annotations

import secrets
import string
from typing import Any, Callable

import anvil.server
from anvil._capability import Capability, updates_for
from anvil._errors import error_from_wire
from anvil._wire import decode_message, encode_message
from anvil._wire.decode import ModuleImporter

from ..calls.capability_mac import sign_scope
from ..calls.context import CallState
from .connection import UplinkConnection
from .session_merge import SessionSnapshot, merge_returned, take_snapshot

PROTOCOL_VERSION = 8
_ID_CHARS = string.ascii_letters + string.digits


def random_id(length: int = 10) -> str:
    """``length`` random letters and digits (the form of anvil-uplink's own ids)."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(length))


def call_message(call_id: str, command: str, args: list[Any], kwargs: dict[str, Any], state: CallState,
                 snapshot: SessionSnapshot, app_info: dict[str, Any]) -> dict[str, Any]:
    """The server→uplink CALL (not yet encoded) for a call made in ``state``."""
    caller = state.context.remote_caller
    client = state.context.client
    return {
        "type": "CALL",
        "id": call_id,
        "call-stack-id": f"stack-{random_id()}",
        "call-stack": [{"type": caller.type if caller is not None else "server_module",
                        "protocol-version": PROTOCOL_VERSION}],
        "client": {"type": client.type, "ip": client.ip, "location": None,
                   **({"background-task-id": state.context.background_task_id}
                      if state.context.background_task_id else {})},
        "sessionData": snapshot.wire,
        "session-id": state.session.token,
        "app-id": app_info.get("id"),
        "app-info": app_info,
        "command": command,
        "args": list(args),
        "kwargs": dict(kwargs),
        "vt_global": [],
    }


def apply_capability_updates(updates: Any, capabilities: list[Capability]) -> None:
    """Pass each update on to the capabilities the call passed (``send_update``: it reaches their caller).

    Example:
        >>> cap = Capability(["doc", 7])
        >>> cap.set_update_handler(print)
        >>> apply_capability_updates({'["doc",7]': {"saved": True}}, [cap])
        {'saved': True}
    """
    for cap, update in updates_for(updates, capabilities):
        cap.send_update(update)


def _unique(capabilities: list[Capability]) -> list[Capability]:
    """Each capability object once (Capability's ``==`` compares scopes; these are distinct objects)."""
    return list({id(cap): cap for cap in capabilities}.values())


async def call_uplink(connection: UplinkConnection, command: str, args: list[Any], kwargs: dict[str, Any],
                      state: CallState, app_info: dict[str, Any], import_module: ModuleImporter | None = None, *,
                      call_id: str | None = None, message_type: str = "CALL",
                      on_answer: Callable[[dict[str, Any]], None] | None = None) -> Any:
    """Run ``command`` on ``connection``'s uplink for the call ``state``; returns its value or raises its error.

    A background task is the same exchange with ``message_type="LAUNCH_BACKGROUND"`` and the task id as
    ``call_id``; ``on_answer`` sees the decoded answer first (its ``taskState``).
    """
    call_id = call_id or f"server-{random_id()}"
    snapshot = take_snapshot(state.session.data)
    secret = state.session.secret
    message = {**call_message(call_id, command, args, kwargs, state, snapshot, app_info), "type": message_type}
    encoded = encode_message(message, remote_is_trusted=True,
                             sign_capability=lambda cap: sign_scope(secret, cap._base_scope))
    chunks = list(encoded.chunks())  # before sending: a Media that cannot be read fails here, not mid-stream
    message, media = await connection.request(call_id, command, state, encoded.message, chunks)
    try:
        answer = decode_message(message, media, remote_is_trusted=True, import_module=import_module).message
    except anvil.server.AnvilWrappedError as e:
        raise anvil.server.SerializationError(f'The uplink\'s answer to "{command}" could not be read: {e}') from None
    if on_answer is not None:
        on_answer(answer)
    if "error" in answer:
        raise error_from_wire(answer["error"])
    if "response" not in answer:
        raise anvil.server.InvalidResponseError(f'The uplink\'s answer to "{command}" has no response')
    if "sessionData" in answer:
        returned = _returned_session(answer["sessionData"], command, import_module)
        if returned is not None:
            with state.session.lock:
                merge_returned(state.session.data, snapshot, returned)
    apply_capability_updates(answer.get("capUpdates"), _unique(encoded.capabilities + list(state.capabilities)))
    return answer["response"]


def _returned_session(session_data: Any, command: str, import_module: ModuleImporter | None) -> dict[str, Any] | None:
    """The session dict an answer's ``sessionData`` holds; None when it holds none (nothing to apply)."""
    try:
        returned = decode_message(session_data, remote_is_trusted=True, import_module=import_module).message
    except anvil.server.AnvilWrappedError as e:
        raise anvil.server.SerializationError(
            f'The session "{command}" returned could not be read (no session change was applied): {e}') from None
    session = returned.get("session")
    if session is None:
        return None
    if not isinstance(session, dict):
        raise anvil.server.SerializationError(
            f'The session "{command}" returned is not a dict (no session change was applied)')
    return session
