"""Finding a connection's session: the token the page's runtime sends in its SESSION message, else the
session cookie (pages served by this server), else a new session.

Session tokens never travel in URLs (they would land in access logs) and never depend on cookies (an
embedding page on another site gets none): the runtime keeps its token per page and sends
``{"type": "SESSION", "token": <token or null>, "fresh": <bool>}`` as the first message on a WebSocket, or
as the ``session`` field of a ``/_/server-call-http`` form. The server answers with
``{"type": "SESSION", "token": <token of the session in use, or null when it expired>}``. ``fresh`` says
that nothing in the page depends on the token yet (a new page load): an unknown token then gets a new
session instead of ``SessionExpiredError``.

Example:
    >>> from anvil_pyodide.sessions.store import InMemorySessionStore
    >>> store = InMemorySessionStore()
    >>> session, created = resolve_session(store, None, None)
    >>> created, resolve_session(store, session.token, None) == (session, False)
    (True, True)
    >>> resolve_session(store, "stale-token", None)
    (None, False)
    >>> resolve_session(store, "stale-token", None, fresh=True)[1]
    True
    >>> session_request({"type": "SESSION", "token": None, "fresh": True})
    (None, True)
"""

from __future__ import annotations

from typing import Any

from anvil._errors import SerializationError

from .store import Session, SessionStore

SESSION_COOKIE = "anvil-session"
#: The type of the message that carries a session token (both ways).
SESSION_MESSAGE = "SESSION"
#: The ``/_/server-call-http`` form field holding the SESSION message.
SESSION_FIELD = "session"


def resolve_session(store: SessionStore, token: str | None, cookie_token: str | None,
                    fresh: bool = False) -> tuple[Session | None, bool]:
    """``(session, created)``: a token that no longer matches a session gives ``(None, False)``, unless
    ``fresh`` (then a new session)."""
    given = token or cookie_token
    if given:
        found = store.get(given)
        if found is not None or not fresh:
            return found, False
    return store.create(), True


def touch_session(store: SessionStore, token: str | None) -> None:
    """Count a use of the session ``token`` names, if any (a page that starts keeps the session its view made)."""
    if token:
        store.get(token)


def session_request(message: Any) -> tuple[str | None, bool]:
    """``(token, fresh)`` of a SESSION message; SerializationError when it is malformed."""
    if not isinstance(message, dict):
        message = {}
    token, fresh = message.get("token"), message.get("fresh", False)
    if message.get("type") != SESSION_MESSAGE or not (token is None or isinstance(token, str)) \
            or not isinstance(fresh, bool):
        raise SerializationError(
            'Malformed SESSION message: expected {"type": "SESSION", "token": string or null, "fresh": boolean}')
    return token, fresh


def session_reply(session: Session | None) -> dict[str, Any]:
    """What the server tells the runtime about the session it uses (``token`` null: expired)."""
    return {"type": SESSION_MESSAGE, "token": session.token if session is not None else None}


def session_cookie(session: Session, secure: bool) -> str:
    """The ``Set-Cookie`` value for a session."""
    flags = "; Secure" if secure else ""
    return f"{SESSION_COOKIE}={session.token}; Path=/; HttpOnly; SameSite=Lax{flags}"
