"""``anvil.private.users.*``: what the browser's ``anvil.users`` calls. Reserved names an app cannot take.

Each answers ``{"user": row or None, "session": new session token (after a log-in), "remember": token or
None}``; the browser follows the session and keeps (or drops) the remembered-login token.

Example:
    >>> sorted(PRIVATE_FUNCTIONS)[:2]
    ['anvil.private.users.get_user', 'anvil.private.users.login_with_email']
"""

from __future__ import annotations

from typing import Any, Callable

from ..calls.context import require_call
from .api import users_of
from .service import Login, UsersService

PREFIX = "anvil.private.users."


def _service(what: str) -> tuple[Any, UsersService]:
    state = require_call(PREFIX + what)
    return state, users_of(state, "anvil.users." + what)


def _answer(login: Login) -> dict[str, Any]:
    return {"user": login.user, "session": login.session_token, "remember": login.remember_token}


async def signup_with_email(email: str, password: str, remember: bool = False) -> dict[str, Any]:
    state, users = _service("signup_with_email")
    return _answer(await users.signup(state, email, password, remember=bool(remember)))


async def login_with_email(email: str, password: str, remember: bool = False) -> dict[str, Any]:
    state, users = _service("login_with_email")
    return _answer(await users.login(state, email, password, remember=bool(remember)))


async def get_user(remember_token: str | None = None) -> dict[str, Any]:
    state, users = _service("get_user")
    user = await users.current_user(state.session)
    if user is not None or not remember_token:
        return {"user": user}
    login = await users.resume(state, remember_token)
    return _answer(login) if login is not None else {"user": None, "remember": None}


async def logout() -> dict[str, Any]:
    state, users = _service("logout")
    await users.logout(state)
    return {"user": None, "remember": None}


PRIVATE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    PREFIX + "signup_with_email": signup_with_email,
    PREFIX + "login_with_email": login_with_email,
    PREFIX + "get_user": get_user,
    PREFIX + "logout": logout,
}
