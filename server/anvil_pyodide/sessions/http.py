"""Finding a request's session: the ``_anvil_session`` URL token first, then the session cookie.

Example:
    >>> from anvil_pyodide.sessions.store import InMemorySessionStore
    >>> store = InMemorySessionStore()
    >>> session, created = resolve_session(store, None, None)
    >>> created, resolve_session(store, session.token, None) == (session, False)
    (True, True)
    >>> resolve_session(store, "stale-token", None)
    (None, False)
"""

from __future__ import annotations

from .store import Session, SessionStore

SESSION_COOKIE = "anvil-session"
SESSION_QUERY = "_anvil_session"


def resolve_session(store: SessionStore, url_token: str | None, cookie_token: str | None) -> tuple[Session | None, bool]:
    """``(session, created)``: a token that no longer matches a session gives ``(None, False)``."""
    token = url_token or cookie_token
    if token:
        return store.get(token), False
    return store.create(), True


def session_cookie(session: Session, secure: bool) -> str:
    """The ``Set-Cookie`` value for a session."""
    flags = "; Secure" if secure else ""
    return f"{SESSION_COOKIE}={session.token}; Path=/; HttpOnly; SameSite=Lax{flags}"
