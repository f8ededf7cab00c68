"""What the server serves besides calls: the app page, the app's client code, the runtime assets.

Runtime assets live under ``/_/runtime/<build id>/`` (cached for a year: a new build has a new id)
and ``/_/runtime/`` (revalidated on every use). Big text assets are gzip-compressed.

Example:
    >>> DEFAULT_PAGE.count('data-main="main"')
    1
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from pathlib import Path

import anvil.server
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..origins import OriginPolicy, refused_origin
from ..sessions.http import SESSION_COOKIE, resolve_session, session_cookie, touch_session
from ..sessions.store import Session, SessionStore
from .runtime_location import missing_runtime_hint

log = logging.getLogger("anvil_pyodide.assets")

DEFAULT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>anvil-pyodide app</title></head>
<body>
<script src="/_/runtime/anvil-pyodide.js" data-main="main"></script>
</body>
</html>
"""

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def build_id(directories: list[Path]) -> str:
    """A short id that changes whenever the runtime changes: the Pyodide lock, every wheel (the runtime
    wheel keeps its name from build to build, so its content counts), the JavaScript of the bridge and the
    Python of the Skulpt runtime (``skulpt_lib/``)."""
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(directory.glob("*")) + sorted(directory.glob("skulpt_lib/**/*.py")):
            if path.name == "pyodide-lock.json" or path.suffix in (".mjs", ".js", ".css", ".whl", ".py"):
                digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


class CacheControl:
    """Sets one Cache-Control value on every response of the wrapped app."""

    def __init__(self, app: ASGIApp, value: str) -> None:
        self.app = app
        self.value = value.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"cache-control", self.value)]
            await send(message)

        await self.app(scope, receive, send_with_header)


def mounted_path(scope: Scope) -> str:
    """The request path below the Mount that routed it (Starlette keeps the full path in ``path``)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def runtime_files(directories: list[Path], cache_control: str) -> ASGIApp:
    """Static files from the first directory that has them, compressed, with ``cache_control``."""
    apps = [StaticFiles(directory=str(d), check_dir=False) for d in directories]

    async def first_match(scope: Scope, receive: Receive, send: Send) -> None:
        relative = mounted_path(scope).lstrip("/")
        for app, directory in zip(apps, directories):
            if (directory / relative).is_file() or app is apps[-1]:
                await app(scope, receive, send)
                return

    return CacheControl(GZipMiddleware(first_match, minimum_size=1024), cache_control)


def runtime_description(directories: list[Path]) -> dict[str, str]:
    """What the page loader needs: the build id (the immutable asset path) and the runtime wheel's name."""
    wheels = sorted(directories[0].glob("anvil_pyodide_runtime-*.whl"))
    return {"buildId": build_id(directories), "runtimeWheel": wheels[-1].name if wheels else ""}


class RuntimeDescription:
    """``/_/runtime/build.json``: what the page loader needs (``endpoint`` is the Starlette handler). It is
    the first thing the loader fetches, so it also tells a page whose origin may not use the server why
    (readable by that page: the loader shows it), and a page that starts counts as a use of the session its
    view made (its cookie): that session then lasts ``--session-timeout``, not ``--session-first-use-timeout``."""

    def __init__(self, directories: list[Path], origins: OriginPolicy = OriginPolicy(),
                 sessions: SessionStore | None = None, app_dir: Path | None = None) -> None:
        self.description = runtime_description(directories)
        self.origins = origins
        self.sessions = sessions
        self.app_dir = app_dir

    async def endpoint(self, request: Request) -> Response:
        refused = refused_origin(request, self.origins)
        if refused is not None:
            return JSONResponse({"error": self.origins.refusal(refused)}, status_code=403,
                                headers={"Access-Control-Allow-Origin": refused, "Vary": "Origin",
                                         "Cache-Control": "no-store"})
        if self.sessions is not None:
            try:
                await touch_session(self.sessions, request.cookies.get(SESSION_COOKIE))
            except anvil.server.RuntimeUnavailableError as e:  # the page's calls will say so; loading goes on
                log.warning("%s", e)
        if self.app_dir is None:
            return description_response(self.description)
        # The client code as it is now, at an immutable URL named by its hash (ClientCode.by_digest).
        digest = client_code_digest(client_code_zip(self.app_dir))
        return description_response({**self.description, "clientCode": f"/_/app/client_code/{digest}.zip"})


def description_response(description: dict[str, str]) -> Response:
    """The build description, or a 503 saying how to build the runtime.

    Example:
        >>> description_response({"buildId": "b", "runtimeWheel": ""}).status_code
        503
    """
    if not description["runtimeWheel"]:
        return JSONResponse({"error": missing_runtime_hint()}, status_code=503)
    return JSONResponse(description, headers={"Cache-Control": REVALIDATE})


def client_code_zip(app_dir: Path) -> bytes:
    """The app's ``client_code/`` folder as a zip Pyodide unpacks onto its import path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        folder = app_dir / "client_code"
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


class ClientCode:
    """``/_/app/client_code.zip`` for the app in ``app_dir`` (``endpoint`` is the Starlette handler)."""

    def __init__(self, app_dir: Path) -> None:
        self.app_dir = app_dir

    async def endpoint(self, request: Request) -> Response:
        return zip_response(client_code_zip(self.app_dir), request)

    async def by_digest(self, request: Request) -> Response:
        """``/_/app/client_code/<digest>.zip``: cached for a year while the digest is current (a change of the
        client code gives a new URL in build.json); an outdated digest gets today's code, revalidated."""
        data = client_code_zip(self.app_dir)
        current = request.path_params["digest"] == client_code_digest(data)
        return Response(data, media_type="application/zip",
                        headers={"Cache-Control": IMMUTABLE if current else REVALIDATE})


def client_code_digest(data: bytes) -> str:
    """The short content hash that names a client code zip (and is its ETag)."""
    return hashlib.sha256(data).hexdigest()[:20]


def zip_response(data: bytes, request: Request) -> Response:
    """``data`` as a zip with an ETag (304 when the browser already has it)."""
    etag = '"' + client_code_digest(data) + '"'
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/zip", headers=headers)


class AppPage:
    """The app's page (its index.html, or a default that loads ``main``), with a session cookie."""

    def __init__(self, app_dir: Path, sessions: SessionStore) -> None:
        self.app_dir, self.sessions = app_dir, sessions

    async def endpoint(self, request: Request) -> Response:
        try:
            session, _ = await resolve_session(self.sessions, None, request.cookies.get(SESSION_COOKIE))
            if session is None:
                session = await self.sessions.create()
        except anvil.server.RuntimeUnavailableError as e:
            return PlainTextResponse(f"Service unavailable: {e}", status_code=503, headers={"Retry-After": "5"})
        return self.response(request, session)

    def response(self, request: Request, session: Session, extra_head: str = "") -> Response:
        """The page for ``session`` (its cookie set), with ``extra_head`` added to its ``<head>``."""
        return app_page_response(self.app_dir, request, session, extra_head)


def with_head_html(html: str, extra: str) -> str:
    """``html`` with ``extra`` added at the end of its ``<head>`` (or first, when it has none).

    Example:
        >>> with_head_html("<html><head><title>t</title></head></html>", "<meta x>")
        '<html><head><title>t</title><meta x></head></html>'
    """
    at = html.lower().find("</head>")
    return html[:at] + extra + html[at:] if at >= 0 else extra + html


def app_page_response(app_dir: Path, request: Request, session: Session, extra_head: str = "") -> Response:
    """The page of the app in ``app_dir`` for ``session`` (its cookie set), with ``extra_head`` added to its ``<head>``."""
    page_file = app_dir / "index.html"
    html = page_file.read_text(encoding="utf-8") if page_file.is_file() else DEFAULT_PAGE
    response = HTMLResponse(with_head_html(html, extra_head) if extra_head else html,
                            headers={"Cache-Control": REVALIDATE})
    response.headers["Set-Cookie"] = session_cookie(session, request.url.scheme == "https")
    return response
