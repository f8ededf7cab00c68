"""anvil.server: the public API for calling between browser and server code.

This module is the same on both sides, as in Anvil: the exception types and their registry,
portable classes and capabilities everywhere; on the server also ``callable``, ``session``,
``context``, ``call`` and the rest, which the server installs through :mod:`anvil._backend`
(browser-only names raise there).

Example:
    >>> import anvil.server
    >>> @anvil.server.portable_class
    ... class Money:
    ...     def __init__(self, cents): self.cents = cents
    >>> isinstance(anvil.server.SerializationError("x"), anvil.server.AnvilWrappedError)
    True
"""

from typing import Any

from ._capability import Capability, unwrap_capability
from ._errors import (
    AnvilWrappedError,
    AppOfflineError,
    BackgroundTaskError,
    BackgroundTaskKilled,
    BackgroundTaskNotFound,
    ExecutionTerminatedError,
    InternalError,
    InvalidObjectError,
    InvalidResponseError,
    NoServerFunctionError,
    PermissionDenied,
    QuotaExceededError,
    RuntimeUnavailableError,
    SerializationError,
    ServiceNotAdded,
    SessionExpiredError,
    TimeoutError,
    UplinkDisconnectedError,
    _register_exception_type,
)
from ._backend import IN_BROWSER
from ._portable import SerializationInfo, portable_class

if IN_BROWSER:  # browser code: calls go through the page's JavaScript bridge
    from ._browser.api import (  # noqa: F401
        callable,
        context,
        get_api_origin,
        get_app_origin,
        get_session_id,
        is_app_online,
        launch_background_task,
        reset_session,
        session,
    )
    from ._browser.api import (  # noqa: F401 - server-only names: each raises a clear RuntimeError here
        FormResponse,
        HttpResponse,
        background_task,
        get_background_task,
        http_endpoint,
        list_background_tasks,
        request,
        route,
        task_state,
    )
    from ._browser.calls import call, call_async, call_s, last_call_path  # noqa: F401
    from ._browser.indicator import LoadingIndicator, loading_indicator, no_loading_indicator  # noqa: F401
else:  # server code: the names come from the server's implementation, installed through anvil._backend
    from . import _backend

    #: The names a server's implementation provides (see :mod:`anvil._backend`).
    SERVER_NAMES = (
        "Task", "background_task", "get_background_task", "launch_background_task", "list_background_tasks",
        "task_state", "FormResponse", "HttpResponse", "http_endpoint", "request", "route", "call", "call_async",
        "call_s", "callable", "context", "get_api_origin", "get_app_origin", "get_session_id", "is_app_online",
        "loading_indicator", "no_loading_indicator", "reset_session", "session",
    )

    def __getattr__(name: str) -> Any:
        """A server-side name, taken from the installed implementation on first use."""
        if name not in SERVER_NAMES:
            raise AttributeError(f"module 'anvil.server' has no attribute {name!r}")
        implementation = _backend.implementation()
        globals().update({n: getattr(implementation, n) for n in SERVER_NAMES})
        return globals()[name]

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(SERVER_NAMES))

__all__ = [
    "Capability", "unwrap_capability", "portable_class", "SerializationInfo",
    "AnvilWrappedError", "AppOfflineError", "BackgroundTaskError", "BackgroundTaskKilled",
    "BackgroundTaskNotFound", "ExecutionTerminatedError", "InternalError", "InvalidObjectError",
    "InvalidResponseError", "NoServerFunctionError", "PermissionDenied", "QuotaExceededError",
    "RuntimeUnavailableError", "SerializationError", "ServiceNotAdded", "SessionExpiredError",
    "TimeoutError", "UplinkDisconnectedError",
]
