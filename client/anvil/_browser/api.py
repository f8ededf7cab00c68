"""The browser-side names of ``anvil.server`` beyond ``call``: online state, session reset, origins,
the browser's call context, and clear errors for server-only names.

Example:
    >>> context.type, context.client.type, context.remote_caller
    ('browser', 'browser', None)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .._capability import invalidate_capabilities
from . import calls


@dataclass(frozen=True)
class ClientInfo:
    type: str = "browser"
    ip: str | None = None
    location: Any = None


@dataclass(frozen=True)
class BrowserCallContext:
    """``anvil.server.context`` in the browser."""

    type: str = "browser"
    client: ClientInfo = ClientInfo()
    remote_caller: Any = None
    background_task_id: Any = None


context = BrowserCallContext()

_ONLINE_CACHE_SECONDS = 5.0
_online_checked: tuple[float, bool] | None = None


def is_app_online() -> bool:
    """True when the server answers ``/_/check-app-online`` (the answer is cached for 5 s)."""
    global _online_checked
    from pyodide.ffi import can_run_sync, run_sync

    now = time.monotonic()
    if _online_checked is not None and now - _online_checked[0] < _ONLINE_CACHE_SECONDS:
        return _online_checked[1]
    bridge = calls._bridge()
    online = bool(run_sync(bridge.checkOnline()) if can_run_sync() else bridge.checkOnlineSync())
    _online_checked = (now, online)
    return online


def reset_session() -> None:
    """Start a new server session (after ``SessionExpiredError``); capabilities of the old one stop being valid."""
    token = calls.call("anvil.private.reset_session")
    calls._bridge().setSessionToken(token)
    invalidate_capabilities()


def get_app_origin(environment_type: str | None = None) -> str:
    """The origin of the server this page talks to, e.g. ``http://127.0.0.1:8000``."""
    return str(calls._bridge().origin)


def get_api_origin(environment_type: str | None = None) -> str:
    """The root URL of the app's HTTP API."""
    return get_app_origin(environment_type) + "/_/api"


def _server_only(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"anvil.server.{name} is only available in server code")
    refuse.__name__ = name
    return refuse


class _ServerOnlySession:
    """``anvil.server.session`` (and ``task_state``) exist only in server code."""

    def __init__(self, name: str = "session") -> None:
        self._name = name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_name":
            raise AttributeError(name)
        raise RuntimeError(f"anvil.server.{self._name} is only available in server code")

    def _refuse(self, *args: Any) -> Any:
        raise RuntimeError(f"anvil.server.{self._name} is only available in server code")

    __getitem__ = __setitem__ = __delitem__ = __contains__ = __iter__ = __len__ = _refuse


session = _ServerOnlySession()
get_session_id = _server_only("get_session_id")
callable = _server_only("callable")  # noqa: A001 - Anvil's name
launch_background_task = _server_only("launch_background_task")
background_task = _server_only("background_task")
get_background_task = _server_only("get_background_task")
list_background_tasks = _server_only("list_background_tasks")
task_state = _ServerOnlySession("task_state")
request = _ServerOnlySession("request")
http_endpoint = _server_only("http_endpoint")
route = _server_only("route")
HttpResponse = _server_only("HttpResponse")
FormResponse = _server_only("FormResponse")
