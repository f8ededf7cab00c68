"""The server-side half of ``anvil.server``: what server code uses while its functions run.

``anvil.server`` takes these names from here when it is not running in a browser: :func:`install`
puts this module behind it (``anvil._backend``, the one seam between the shared ``anvil`` package and
this server; the ``anvil.server_backend`` entry point does the same for code run outside the server).

Example:
    >>> from anvil_pyodide.calls.registry import default_registry
    >>> @callable
    ... def greet(name): return f"hi {name}"
    >>> default_registry.lookup("greet").fn("ada")
    'hi ada'
    >>> @callable("custom.name", require_user=True)
    ... def secret(): return 1
    >>> default_registry.lookup("custom.name").require_user
    True
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import MutableMapping
from typing import Any, Callable, Iterator

from anvil import _backend as anvil_backend
from anvil._errors import SerializationError
from anvil._media import Media

from .calls.context import CallContext, CallState, StackFrame, current_call, require_call
from .calls.registry import default_registry, registration_decorator
from .web.endpoints import http_endpoint  # noqa: F401 - anvil.server.http_endpoint
from .web.reply import HttpResponse  # noqa: F401 - anvil.server.HttpResponse
from .web.request import request  # noqa: F401 - anvil.server.request
from .web.routes import FormResponse, route  # noqa: F401 - anvil.server.route, anvil.server.FormResponse
from .tasks.api import (  # noqa: F401 - anvil.server background tasks
    Task, background_task, get_background_task, launch_background_task, list_background_tasks, task_state)


def install() -> None:
    """Make this module ``anvil.server``'s server-side implementation (before app code is imported)."""
    anvil_backend.install(sys.modules[__name__])


def callable(fn_or_name: Any = None, require_user: Any = False) -> Any:  # noqa: A001 - Anvil's name
    """Make a function callable from the browser (and from uplinks and other server code).

    Use as ``@anvil.server.callable``, ``@anvil.server.callable("name")`` or
    ``@anvil.server.callable(require_user=True)``.
    """
    return registration_decorator(
        "callable", lambda fn, name: default_registry.register(name, fn, require_user), fn_or_name)


def call(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call another server function (in this process or on an uplink) from server code, and wait for it."""
    if not isinstance(fn_name, str):
        raise TypeError(f"anvil.server.call expects a function name (str) first, not {type(fn_name).__name__}")
    state = require_call("anvil.server.call")
    inner = CallState(session=state.session, context=CallContext(
        client=state.context.client, remote_caller=_trusted_frame()), write_output=state.write_output,
        origin=state.origin)
    work = state.dispatcher.invoke(fn_name, list(args), dict(kwargs), inner)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread: run it on the server's loop and wait
        return asyncio.run_coroutine_threadsafe(work, state.loop).result()
    work.close()
    raise RuntimeError("anvil.server.call blocks; from an async server function use 'await anvil.server.call_async(...)'")


call_s = call


async def call_async(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """``await anvil.server.call_async(name, ...)`` from an async server function."""
    state = require_call("anvil.server.call_async")
    inner = CallState(session=state.session, context=CallContext(
        client=state.context.client, remote_caller=_trusted_frame()), write_output=state.write_output,
        origin=state.origin)
    return await state.dispatcher.invoke(fn_name, list(args), dict(kwargs), inner)


def _trusted_frame() -> StackFrame:
    return StackFrame("server_module", True)


def _find_media(value: Any, path: str) -> str | None:
    if isinstance(value, Media):
        return path
    if isinstance(value, dict):
        return next((p for k, v in value.items() if (p := _find_media(v, f"{path}[{k!r}]"))), None)
    if isinstance(value, (list, tuple)):
        return next((p for i, v in enumerate(value) if (p := _find_media(v, f"{path}[{i}]"))), None)
    return None


class _SessionProxy(MutableMapping):
    """``anvil.server.session``: the current session's dict, for whichever call is running."""

    def _data(self) -> dict[str, Any]:
        return require_call("anvil.server.session").session.data

    def __getitem__(self, key: Any) -> Any:
        return self._data()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        where = _find_media(value, f"anvil.server.session[{key!r}]")
        if where is not None:
            raise SerializationError(f"anvil.server.session cannot hold Media objects (found one at {where})")
        self._data()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._data()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._data()))

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return f"<anvil.server.session {self._data()!r}>" if current_call.get() else "<anvil.server.session (no call)>"


class _ContextProxy:
    """``anvil.server.context``: the CallContext of whichever call is running."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(require_call("anvil.server.context").context, name)

    def __repr__(self) -> str:
        state = current_call.get()
        return repr(state.context) if state else "<anvil.server.context (no call)>"


session = _SessionProxy()
context = _ContextProxy()


def get_session_id() -> str:
    """The current session's id."""
    return require_call("anvil.server.get_session_id").session.token


def get_app_origin(environment_type: str | None = None) -> str | None:
    """The URL this app is served at, as the caller reached it (e.g. ``http://127.0.0.1:8000``)."""
    return require_call("anvil.server.get_app_origin").origin


def get_api_origin(environment_type: str | None = None) -> str | None:
    """The root URL of the app's HTTP API (``<app origin>/_/api``)."""
    origin = get_app_origin(environment_type)
    return None if origin is None else origin + "/_/api"


def is_app_online() -> bool:
    """Server code is, by definition, running."""
    return True


def _browser_only(name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"anvil.server.{name} is only available in browser code")
    refuse.__name__ = name
    return refuse


reset_session = _browser_only("reset_session")
loading_indicator = _browser_only("loading_indicator")


class _NoLoadingIndicator:
    def __enter__(self) -> None:
        raise RuntimeError("anvil.server.no_loading_indicator is only available in browser code")

    def __exit__(self, *exc: object) -> None:
        return None


no_loading_indicator = _NoLoadingIndicator()
