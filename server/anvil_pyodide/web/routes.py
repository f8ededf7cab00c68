"""``@anvil.server.route(path)`` and ``anvil.server.FormResponse``: deep links into an app.

A route function runs on the server (like an endpoint, with ``anvil.server.request``) when its path is
opened. Returning ``FormResponse(entry, *args, **kws)`` serves the app page so that it starts ``entry``
instead of its main module: a client module name (run as ``__main__`` with the globals ``entry_args`` and
``entry_kwargs``) or ``"module:function"`` (called with the arguments). The page carries the entry as
``<script type="application/json" id="anvil-pyodide-entry">`` holding our wire codec's JSON, which the
browser runtime decodes (``anvil._browser.entry``). Any other return value answers as an endpoint's would.

Example:
    >>> import datetime as dt
    >>> script = entry_script(FormResponse("report:show", dt.date(2024, 5, 1), title="<May>"))
    >>> script.startswith('<script type="application/json" id="anvil-pyodide-entry">'), "<May>" in script
    (True, False)
"""

from __future__ import annotations

import builtins
import json
import re
from typing import Any, Callable, Iterable

from anvil._errors import SerializationError
from anvil._wire import encode_message
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from ..assets.static import AppPage
from .endpoints import check_methods
from .paths import PathEntry, PathTable, check_template
from .reply import to_response
from .serve import BadRequest, ServerCode, raw_path, read_http_request, request_session, run_for_request, server_error

ENTRY_ELEMENT_ID = "anvil-pyodide-entry"
ENTRY = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*)?$")


class FormResponse:
    """What a route returns to open the app at ``entry`` (``"module"`` or ``"module:function"``) with
    ``args`` and ``kwargs`` (any values the wire codec carries, except Media).

    Example:
        >>> FormResponse("reports:show", 5, month="May")
        <FormResponse reports:show (5,) {'month': 'May'}>
    """

    def __init__(self, entry: str, *args: Any, **kwargs: Any) -> None:
        if not isinstance(entry, str) or not ENTRY.match(entry):
            raise ValueError(f"FormResponse needs a client module name or 'module:function', not {entry!r}")
        self.entry, self.args, self.kwargs = entry, args, kwargs

    def __repr__(self) -> str:
        return f"<FormResponse {self.entry} {self.args!r} {self.kwargs!r}>"


class RouteTable(PathTable):
    """Routes by path and method (never under ``/_/``, where the server's own paths live)."""

    def add(self, entry: PathEntry) -> None:
        if entry.path == "/_" or entry.path.startswith("/_/"):
            raise ValueError(f"A route cannot be under /_/ (the server's own paths): {entry.path!r}")
        super().add(entry)


class AppPathRoute(Route):
    """The Starlette route for every path outside ``/_/`` (so that server paths keep their own 404 and 405).

    Example:
        >>> from starlette.routing import Match
        >>> async def page(request): ...
        >>> r = AppPathRoute("/{path:path}", page)
        >>> [r.matches({"type": "http", "path": p, "method": "GET"})[0] is Match.FULL for p in ("/a/b", "/_/ws")]
        [True, False]
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("path", "").startswith("/_/"):
            return Match.NONE, {}
        return super().matches(scope)


#: The table ``@anvil.server.route`` writes to.
default_routes = RouteTable()


def route(path: str, methods: Iterable[str] = ("GET",), registry: PathTable | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated function when a browser opens ``path`` (``/report/:month``: parameters and query
    parameters are keyword arguments). HEAD is answered like GET."""
    checked = check_methods(methods, f"@anvil.server.route({path!r})")
    table = default_routes if registry is None else registry

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not builtins.callable(fn):
            raise TypeError(f"@anvil.server.route decorates a function, not {type(fn).__name__}")
        table.add(PathEntry(path, checked, fn))
        return fn

    if builtins.callable(path):
        raise TypeError("@anvil.server.route needs a path: @anvil.server.route('/report/:month')")
    check_template(path)
    return register


def entry_script(form: FormResponse) -> str:
    """The page element carrying a FormResponse (``<`` escaped so that nothing can close the script)."""
    encoded = encode_message({"entry": form.entry, "args": list(form.args), "kwargs": dict(form.kwargs)})
    if encoded.media:
        raise SerializationError(f"FormResponse({form.entry!r}) cannot carry Media")
    if encoded.capabilities:
        raise SerializationError(f"FormResponse({form.entry!r}) cannot carry a Capability")
    text = json.dumps(encoded.message, allow_nan=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="{ENTRY_ELEMENT_ID}">{text}</script>'


class PageRoutes:
    """Every path not under ``/_/``: a matching route in ``table``, else the app page at ``/``, else 404
    (``endpoint`` is the Starlette handler)."""

    def __init__(self, code: ServerCode, table: PathTable, page: AppPage) -> None:
        self.code, self.table, self.page = code, table, page

    async def endpoint(self, request: Request) -> Response:
        return await route_response(self.code, self.table, self.page, request)


async def route_response(code: ServerCode, table: PathTable, page: AppPage, request: Request) -> Response:
    """The answer to one request for an app path (see :class:`PageRoutes`)."""
    path = raw_path(request)
    method = "GET" if request.method == "HEAD" else request.method
    entry, params, allowed = table.match(path, method)
    if entry is None:
        if path == "/":
            if method == "GET":
                return await page.endpoint(request)
            allowed = ("GET", "HEAD")
        if allowed:
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": ", ".join(allowed)})
        return PlainTextResponse("Not Found", status_code=404)
    try:
        http_request = await read_http_request(request, request.url.path, code.config.max_media_bytes)
    except BadRequest as e:
        return e.response()
    session, _ = request_session(request, code.sessions, keep=True)
    name = getattr(entry.handler, "__qualname__", "route")
    try:
        value = await run_for_request(code.dispatcher, http_request, session, entry.handler,
                                      {**http_request.query_params, **params})
        if isinstance(value, FormResponse):
            return page.response(request, session, entry_script(value))
        return to_response(value)
    except Exception as e:  # noqa: BLE001 - any failure of server code is a 500, never a crash
        return server_error(f"Route {name} ({request.method} {path})", e)
