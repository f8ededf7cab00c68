"""The browser half of ``anvil.users``: each call runs one of the server's ``anvil.private.users.*`` functions.

A log-in moves the page to a new server session (the server answers with its token). With
``remember=True`` the server also issues a remembered-login token; the page keeps it in
``localStorage`` (per server origin) and ``get_user()`` presents it, so the log-in outlives the
browser's session. A same-origin page also points its session cookie at the new session (for HTTP
endpoints, which see the user as ``anvil.server.request.user``). ``logout()`` revokes every remembered login of the user, here and elsewhere.

Example:
    >>> remember_key("http://127.0.0.1:8000")
    'anvil-pyodide-remember http://127.0.0.1:8000'
"""

from __future__ import annotations

from typing import Any

from . import calls

REMEMBER_PREFIX = "anvil-pyodide-remember "
PRIVATE = "anvil.private.users."


def remember_key(origin: str) -> str:
    return REMEMBER_PREFIX + origin


def _storage() -> Any:
    try:
        from js import localStorage  # blocked in some sandboxed frames
        return localStorage
    except Exception:  # noqa: BLE001 - no storage: logins are simply not remembered
        return None


def _key() -> str:
    return remember_key(str(calls._bridge().origin))


def _remembered_token() -> str | None:
    storage = _storage()
    token = storage.getItem(_key()) if storage is not None else None
    return str(token) if token else None


def _keep_token(token: str | None) -> None:
    storage = _storage()
    if storage is None:
        return
    try:
        if token:
            storage.setItem(_key(), token)
        else:
            storage.removeItem(_key())
    except Exception:  # noqa: BLE001 - full or blocked storage: the login is kept for this page only
        pass


def _point_cookie_at(token: str) -> None:
    """Same-origin pages: requests carrying the session cookie (HTTP endpoints) follow the new session too."""
    try:
        from js import XMLHttpRequest, location
        origin = str(calls._bridge().origin)
        if str(location.origin) != origin:
            return  # another site's page: it gets no cookie of ours anyway
        xhr = XMLHttpRequest.new()
        xhr.open("POST", origin + "/_/session-cookie", False)
        xhr.send(token)
    except Exception:  # noqa: BLE001 - calls keep working without the cookie
        pass


def _adopt(reply: dict[str, Any]) -> Any:
    """Follow the session the server moved this page to; keep or drop the remembered-login token."""
    if reply.get("session"):
        calls._bridge().setSessionToken(reply["session"])
        _point_cookie_at(reply["session"])
    if "remember" in reply:
        _keep_token(reply["remember"])
    return reply.get("user")


def signup_with_email(email: str, password: str, remember: bool = False) -> Any:
    """Create an account and log it in; raises UserExists or PasswordNotAcceptable."""
    return _adopt(calls.call(PRIVATE + "signup_with_email", email, password, remember=bool(remember)))


def login_with_email(email: str, password: str, remember: bool = False) -> Any:
    """Log in; raises AuthenticationFailed (wrong address or password) or TooManyPasswordFailures."""
    return _adopt(calls.call(PRIVATE + "login_with_email", email, password, remember=bool(remember)))


def get_user(allow_remembered: bool = True) -> Any:
    """The logged-in user (a row), or None; a remembered login of this browser logs in again."""
    token = _remembered_token() if allow_remembered else None
    return _adopt(calls.call(PRIVATE + "get_user", token))


def logout() -> None:
    """Log out, and revoke this user's remembered logins everywhere."""
    _adopt(calls.call(PRIVATE + "logout"))
    _keep_token(None)


def force_login(user: Any, remember: bool = False) -> None:
    raise RuntimeError("anvil.users.force_login is only available in server code")
