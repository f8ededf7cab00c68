"""Method calls on LiveObjects sent by a browser or an uplink: today, the getters of a background Task.

Wire shape (the one anvil-uplink sends for a LiveObject method): a CALL with no ``command`` and
``"liveObjectCall": {"backend", "id", "mac", "permissions", "method"}`` plus ``args``/``kwargs``.
:func:`~anvil_pyodide.calls.handler.as_named_call` turns it into a call of the reserved function ``anvil.private.live_object_call``
(the spec goes in the kwarg ``_anvil_live_object``), so it runs like any other call: on the thread
pool, in the caller's session, with the call timeout. :func:`live_object_call` then checks it: an
untrusted caller (a browser, a client uplink) must present the MAC its session was given with the
Task, and may not ``kill``.

Example:
    >>> call = as_named_call({"type": "CALL", "id": "c1", "args": [], "kwargs": {},
    ...     "liveObjectCall": {"backend": BACKEND, "id": "t1", "mac": "m", "permissions": None, "method": "get_state"}})
    >>> call["command"], call["kwargs"]["_anvil_live_object"]["method"]
    ('anvil.private.live_object_call', 'get_state')
"""

from __future__ import annotations

from typing import Any

from anvil._errors import BackgroundTaskError, InvalidObjectError, NoServerFunctionError

from ..calls.capability_mac import verify_scope
from ..calls.context import require_call
from ..calls.handler import LIVE_OBJECT_CALL, as_named_call
from .manager import BACKEND, METHODS

__all__ = ["LIVE_OBJECT_CALL", "as_named_call", "live_object_call"]

def live_object_call(*args: Any, _anvil_live_object: Any = None, **kwargs: Any) -> Any:
    """Run one LiveObject method for the current caller (registered as :data:`LIVE_OBJECT_CALL`)."""
    state = require_call("A LiveObject call")
    spec = _anvil_live_object if isinstance(_anvil_live_object, dict) else {}
    backend, task_id, method = spec.get("backend"), spec.get("id"), spec.get("method")
    if backend != BACKEND:
        raise NoServerFunctionError(f"No such LiveObject backend: {backend!r}")
    trusted = state.context.remote_caller is not None and state.context.remote_caller.is_trusted
    if not isinstance(task_id, str) or (not trusted and not verify_scope(state.session.secret, [BACKEND, task_id],
                                                                         spec.get("mac"))):
        raise InvalidObjectError("Invalid BackgroundTask: it was not issued to this session")
    if method not in METHODS:
        raise NoServerFunctionError(f"A BackgroundTask has no method {method!r}")
    if method == "kill" and not trusted:
        raise BackgroundTaskError("A background task cannot be killed from browser code")
    task = state.dispatcher.tasks.get(task_id)
    return getattr(task, method)(*args, **kwargs)
