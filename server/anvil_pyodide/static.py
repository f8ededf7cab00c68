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
import zipfile
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from .session_http import SESSION_COOKIE, resolve_session, session_cookie
from .sessions import Session

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
    wheel keeps its name from build to build, so its content counts), and the JavaScript of the bridge."""
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(directory.glob("*")):
            if path.name == "pyodide-lock.json" or path.suffix in (".mjs", ".js", ".css", ".whl"):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
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


async def runtime_description_endpoint(request: Request) -> Response:
    """The runtime description plus ``clientCode``: the immutable URL of the app's client code as it is now."""
    description = request.app.state.runtime_description
    if not description["runtimeWheel"]:
        return JSONResponse({"error": "The runtime is not built: run ./build.sh setup"}, status_code=503)
    digest = client_code_digest(client_code_zip(request.app.state.config.app_dir))
    return JSONResponse({**description, "clientCode": f"/_/app/client_code/{digest}.zip"},
                        headers={"Cache-Control": REVALIDATE})


def client_code_zip(app_dir: Path) -> bytes:
    """The app's ``client_code/`` folder as a zip Pyodide unpacks onto its import path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        folder = app_dir / "client_code"
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def client_code_digest(data: bytes) -> str:
    """The short content hash that names a client code zip."""
    return hashlib.sha256(data).hexdigest()[:20]


async def client_code_by_digest_endpoint(request: Request) -> Response:
    """``/_/app/client_code/<digest>.zip``: cached for a year while the digest is current (a change of the
    client code gives a new URL in build.json); an outdated digest gets today's code, revalidated."""
    data = client_code_zip(request.app.state.config.app_dir)
    current = request.path_params["digest"] == client_code_digest(data)
    return Response(data, media_type="application/zip", headers={"Cache-Control": IMMUTABLE if current else REVALIDATE})


async def client_code_endpoint(request: Request) -> Response:
    data = client_code_zip(request.app.state.config.app_dir)
    etag = '"' + client_code_digest(data) + '"'
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/zip", headers=headers)


async def app_page_endpoint(request: Request) -> Response:
    """The app's page (its index.html, or a default that loads ``main``), with a session cookie."""
    state = request.app.state
    session, _ = resolve_session(state.sessions, None, request.cookies.get(SESSION_COOKIE))
    if session is None:
        session = state.sessions.create()
    return app_page_response(request, session)


def with_head_html(html: str, extra: str) -> str:
    """``html`` with ``extra`` added at the end of its ``<head>`` (or first, when it has none).

    Example:
        >>> with_head_html("<html><head><title>t</title></head></html>", "<meta x>")
        '<html><head><title>t</title><meta x></head></html>'
    """
    at = html.lower().find("</head>")
    return html[:at] + extra + html[at:] if at >= 0 else extra + html


def app_page_response(request: Request, session: Session, extra_head: str = "") -> Response:
    """The app's page for ``session`` (its cookie set), with ``extra_head`` added to its ``<head>``."""
    state = request.app.state
    page_file = state.config.app_dir / "index.html"
    html = page_file.read_text(encoding="utf-8") if page_file.is_file() else DEFAULT_PAGE
    response = HTMLResponse(with_head_html(html, extra_head) if extra_head else html,
                            headers={"Cache-Control": REVALIDATE})
    response.headers["Set-Cookie"] = session_cookie(session, request.url.scheme == "https")
    return response
