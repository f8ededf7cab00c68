"""``POST /_/session-cookie``: point this origin's session cookie at the page's current session.

A log-in moves the page to a new session; the page then posts the new token here so that requests
carrying the cookie (HTTP endpoints, routes, downloads) belong to the logged-in session too. Only
pages of this server's own origin may (another site's page gets 403), and only for a live session.

Example:
    >>> from starlette.testclient import TestClient
    >>> from starlette.applications import Starlette
    >>> from starlette.routing import Route
    >>> import asyncio
    >>> from anvil_pyodide.sessions.store import SessionStore
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> sessions = SessionStore(MemoryStore())
    >>> app = Starlette(routes=[Route("/_/session-cookie", SessionCookieEndpoint(sessions).endpoint, methods=["POST"])])
    >>> token = asyncio.run(sessions.create()).token
    >>> client = TestClient(app)
    >>> client.post("/_/session-cookie", content=token).cookies["anvil-session"] == token
    True
    >>> client.post("/_/session-cookie", content="stale").status_code
    404
    >>> client.post("/_/session-cookie", content=token, headers={"Origin": "https://evil.example"}).status_code
    403
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from anvil._errors import RuntimeUnavailableError

from ..sessions.http import session_cookie
from ..sessions.store import SessionStore


class SessionCookieEndpoint:
    """The endpoint, with the sessions it looks tokens up in."""

    def __init__(self, sessions: SessionStore) -> None:
        self.sessions = sessions

    async def endpoint(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
            return PlainTextResponse("Only pages of this server may set its session cookie", status_code=403)
        body = await request.body()
        token = body.decode("utf-8", "replace").strip() if len(body) <= 200 else ""
        try:
            session = await self.sessions.get(token) if token else None
        except RuntimeUnavailableError as e:
            return PlainTextResponse(f"Service unavailable: {e}", status_code=503)
        if session is None:
            return PlainTextResponse("No such session", status_code=404)
        return Response(status_code=204, headers={"Set-Cookie": session_cookie(session, request.url.scheme == "https"),
                                                  "Cache-Control": "no-store"})
