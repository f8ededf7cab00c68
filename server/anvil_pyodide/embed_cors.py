"""CORS for pages of other sites that embed the app (``--allow-origin``), on exactly what such a page
loads from the server: the runtime (``/_/runtime/…``: Pyodide, the runtime wheel, the module scripts),
the app's client code (``/_/app/…``), ``/_/server-call-http`` and ``/_/check-app-online``. Starlette's
:class:`~starlette.middleware.cors.CORSMiddleware` does the work (preflights included); cookies are never
sent cross-site (sessions travel in the SESSION message instead). ``/_/ws`` checks origins itself
(WebSockets have no CORS), and ``/_/api/…`` endpoints keep their own ``enable_cors``.

Example:
    >>> from anvil_pyodide.origins import OriginPolicy
    >>> async def app(scope, receive, send): ...
    >>> cors = EmbeddingCors(app, OriginPolicy.of(["http://localhost:3000"]))
    >>> cors.covers({"type": "http", "path": "/_/runtime/anvil-pyodide.js"}), cors.covers({"type": "http", "path": "/_/api/x"})
    (True, False)
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .origins import OriginPolicy

#: Paths (prefixes) an embedding page needs from the server over HTTP.
EMBEDDED_PATHS = ("/_/runtime/", "/_/app/", "/_/server-call-http", "/_/check-app-online")


class EmbeddingCors:
    """CORS headers for the allowed origins on :data:`EMBEDDED_PATHS`; every other request passes untouched."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=policy.allowed, allow_methods=("GET", "HEAD", "POST"),
                                   allow_private_network=True, max_age=3600) if policy.allowed else None

    def covers(self, scope: Scope) -> bool:
        return scope["type"] == "http" and scope["path"].startswith(EMBEDDED_PATHS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None and self.covers(scope):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
