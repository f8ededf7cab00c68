"""``/_/api/...``: answering HTTP requests with the app's endpoints (and running route functions).

An endpoint runs like any server function (sync ones in the dispatcher's threads, async ones on the loop,
with the call timeout) with ``anvil.server.request`` set and ``anvil.server.context.client.type == "http"``.
Its session is the browser's when the request carries the ``anvil-session`` cookie, else a fresh one
that lives for this request only. A failure answers 500 with a generic body; the trace goes to the log.

Example:
    >>> cors_headers(("GET", "POST"))["Access-Control-Allow-Methods"]
    'GET, POST, OPTIONS'
    >>> unauthorized("app").headers["www-authenticate"]
    'Basic realm="app", charset="UTF-8"'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from anvil._media import BlobMedia
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..calls.context import CallContext, CallState, ClientInfo
from ..calls.dispatcher import Dispatcher
from ..calls.registry import ServerFunction
from ..config import ServerConfig
from ..sessions.http import SESSION_COOKIE
from ..sessions.store import Session, SessionStore
from .endpoints import Endpoint
from .paths import PathTable
from .reply import InvalidResponse, to_response
from .request_limits import CLOSE, BodyTooLarge, read_limited_body, replay_body
from .request import HttpRequest, current_request, is_json_type

log = logging.getLogger("anvil_pyodide.http")

API_PREFIX = "/_/api"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadRequest(Exception):
    """The request cannot be handed to server code (answered with ``status`` and the message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def response(self) -> Response:
        """The answer; it closes the connection, since the body may not have been read."""
        return PlainTextResponse(str(self), status_code=self.status, headers=CLOSE)


@dataclass(frozen=True)
class ServerCode:
    """What HTTP endpoints and routes need to run server code for a request: the limits, the sessions
    (a browser's cookie), the dispatcher (threads, context, timeout)."""

    config: ServerConfig
    sessions: SessionStore
    dispatcher: Dispatcher


async def read_http_request(request: Request, path: str, limit: int) -> HttpRequest:
    """The HttpRequest server code sees (the body is read whole, up to ``limit``: ``--max-media-bytes``; counted
    as it streams in, so a bigger one is refused before the rest of it is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, "Request body too large")
    try:
        body = await read_limited_body(request.stream(), limit)
    except BodyTooLarge:
        raise BadRequest(413, "Request body too large") from None
    content_type = request.headers.get("content-type", "")
    form: dict[str, Any] = {}
    if body and content_type.split(";")[0].strip().lower() in FORM_TYPES:
        async with Request(request.scope, replay_body(body)).form() as parsed:
            for key, value in parsed.multi_items():
                form[key] = (BlobMedia(value.content_type or "application/octet-stream", await value.read(),
                                       name=value.filename) if isinstance(value, UploadFile) else value)
    try:
        return HttpRequest(request.method, path, dict(request.headers), dict(request.query_params), form, body,
                           remote_address=request.client.host if request.client else None,
                           origin=f"{request.url.scheme}://{request.url.netloc}")
    except (ValueError, RecursionError) as e:
        if is_json_type(content_type):
            deep = " (nested too deeply)" if isinstance(e, RecursionError) else ""
            raise BadRequest(400, f"The request body is not valid JSON{deep}") from None
        raise


def request_session(request: Request, sessions: SessionStore, keep: bool) -> tuple[Session, bool]:
    """``(session, is_new)``: the cookie's session when valid; else a new one, stored only when ``keep``."""
    token = request.cookies.get(SESSION_COOKIE)
    found = sessions.get(token) if token else None
    if found is not None:
        return found, False
    return sessions.create(keep=keep), True


async def run_for_request(dispatcher: Dispatcher, http_request: HttpRequest, session: Session, fn: Any,
                          kwargs: dict[str, Any]) -> Any:
    """Run ``fn(**kwargs)`` as server code answering ``http_request``; returns its value or raises."""
    state = CallState(session=session, context=CallContext(client=ClientInfo("http", http_request.remote_address),
                                                           remote_caller=None), origin=http_request.origin)
    token = current_request.set(http_request)
    try:
        name = getattr(fn, "__qualname__", "endpoint")
        return await dispatcher.run_function(ServerFunction(name, fn), [], kwargs, state)
    finally:
        current_request.reset(token)


def server_error(what: str, error: BaseException) -> Response:
    """A 500 that names nothing of the failure; the trace goes to the server log (for an answer that cannot be sent,
    one line saying why)."""
    if isinstance(error, InvalidResponse):
        log.error("%s failed: %s", what, error)
    else:
        log.error("%s failed", what, exc_info=(type(error), error, error.__traceback__))
    return PlainTextResponse("Internal server error", status_code=500)


def cors_headers(methods: tuple[str, ...], requested_headers: str | None = None) -> dict[str, str]:
    """Headers that let any origin call an endpoint (``enable_cors=True``)."""
    return {"Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": ", ".join([*methods, "OPTIONS"]),
            "Access-Control-Allow-Headers": requested_headers or "Content-Type, Authorization",
            "Access-Control-Max-Age": "600"}


def unauthorized(realm: str) -> Response:
    return PlainTextResponse("Unauthorized", status_code=401,
                             headers={"WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"'})


async def answer(code: ServerCode, request: Request, endpoint: Endpoint, params: dict[str, str]) -> Response:
    """Authenticate, run the endpoint, convert its value (or its failure) to a response."""
    try:
        http_request = await read_http_request(request, "/" + request.path_params.get("path", ""),  # decoded
                                               code.config.max_media_bytes)
    except BadRequest as e:
        return e.response()
    if endpoint.require_credentials or endpoint.authenticate_users:
        if http_request.username is None or endpoint.authenticate_users:
            return unauthorized(code.config.app_dir.name)
    session, _ = request_session(request, code.sessions, keep=False)
    try:
        value = await run_for_request(code.dispatcher, http_request, session, endpoint.fn,
                                      {**http_request.query_params, **params})
        return to_response(value)
    except Exception as e:  # noqa: BLE001 - any failure of server code is a 500, never a crash
        return server_error(f"HTTP endpoint {endpoint.name} ({request.method} {request.url.path})", e)


def raw_path(request: Request, prefix: str = "") -> str:
    """The request's path still percent-encoded (so that ``%2F`` stays inside one segment), minus ``prefix``."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


class ApiEndpoint:
    """``/_/api/{path:path}`` for the endpoints in ``table`` (``endpoint`` is the Starlette handler)."""

    def __init__(self, code: ServerCode, table: PathTable) -> None:
        self.code, self.table = code, table

    async def endpoint(self, request: Request) -> Response:
        """404 for an unknown path, 405 (with Allow) for a method the path does not take, HEAD answered
        like GET, CORS preflights for endpoints with ``enable_cors``."""
        return await api_response(self.code, self.table, request)


async def api_response(code: ServerCode, table: PathTable, request: Request) -> Response:
    """The answer to one ``/_/api/...`` request (see :class:`ApiEndpoint`)."""
    path = raw_path(request, API_PREFIX)
    entry, params, allowed = table.match(path, request.method)
    if entry is None and request.method == "HEAD":
        entry, params, allowed = table.match(path, "GET")
    if entry is None and request.method == "OPTIONS":
        wanted = request.headers.get("access-control-request-method", "GET").upper()
        preflight, _, _ = table.match(path, wanted)
        if preflight is not None and preflight.handler.enable_cors:
            return Response(status_code=204, headers=cors_headers(
                preflight.methods, request.headers.get("access-control-request-headers")))
    if entry is None:
        if allowed:
            return PlainTextResponse("Method not allowed", status_code=405, headers={"Allow": ", ".join(allowed)})
        return PlainTextResponse("Not found", status_code=404)
    response = await answer(code, request, entry.handler, params)
    if entry.handler.enable_cors:
        response.headers.update(cors_headers(entry.methods))
    return response
