"""The server-side names of ``anvil.users`` (what server code gets as ``anvil.users.get_user`` etc.).

They block until the store answers, so they are for synchronous server functions (which run in
worker threads); from an ``async`` server function they raise a RuntimeError saying so.

Example:
    >>> try:
    ...     get_user()
    ... except RuntimeError as e:
    ...     print(e)
    anvil.users.get_user is only available while a server function is running
"""

from __future__ import annotations

import asyncio
from typing import Any, Coroutine, TypeVar

from anvil._user_row import ColumnWriter, UserRow

from ..calls.context import CallState, require_call
from .service import UsersService

T = TypeVar("T")


def users_of(state: CallState, what: str) -> UsersService:
    """The users service of the server running this call."""
    users = getattr(state.dispatcher, "users", None)
    if users is None:
        raise RuntimeError(f"{what} is not available here (no users service: background tasks and uplinks "
                           f"cannot log users in)")
    return users


def wait(work: Coroutine[Any, Any, T], loop: Any, what: str) -> T:
    """Run ``work`` on the server's loop and wait for it (from a worker thread only)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run_coroutine_threadsafe(work, loop).result()
    work.close()
    raise RuntimeError(f"{what} blocks: call it from a synchronous server function (async ones run on the "
                       f"server's event loop)")


def _call(what: str) -> tuple[CallState, UsersService]:
    state = require_call(f"anvil.users.{what}")
    return state, users_of(state, f"anvil.users.{what}")


def column_writer(users: UsersService) -> ColumnWriter:
    """Write-through for rows handed to server code (``user["team"] = "blue"``)."""
    def write(user_id: str, columns: dict[str, Any]) -> None:
        state = require_call("Changing a user row")
        wait(users.write_columns(user_id, columns), state.loop, "Changing a user row")
    return write


def get_user(allow_remembered: bool = True) -> UserRow | None:
    """The logged-in user's row, or None. ``allow_remembered=False``: None for a remembered login."""
    state, users = _call("get_user")
    return wait(users.current_user(state.session, allow_remembered), state.loop, "anvil.users.get_user")


def login_with_email(email: str, password: str, remember: bool = False) -> UserRow:
    """Log the caller's session in (it gets a new session id). ``remember`` takes effect for browser callers
    of the browser's ``anvil.users.login_with_email``; here it is accepted and ignored."""
    state, users = _call("login_with_email")
    return wait(users.login(state, email, password), state.loop, "anvil.users.login_with_email").user


def signup_with_email(email: str, password: str, remember: bool = False) -> UserRow:
    """Create an account and log the caller's session in."""
    state, users = _call("signup_with_email")
    return wait(users.signup(state, email, password), state.loop, "anvil.users.signup_with_email").user


def force_login(user: UserRow, remember: bool = False) -> None:
    """Log the caller's session in as ``user`` without a password."""
    if not isinstance(user, UserRow):
        raise TypeError(f"anvil.users.force_login needs a user row, not {type(user).__name__}")
    state, users = _call("force_login")
    wait(users.force_login(state, user.get_id()), state.loop, "anvil.users.force_login")


def logout() -> None:
    """Log the caller's session out and revoke the user's remembered logins everywhere."""
    state, users = _call("logout")
    wait(users.logout(state), state.loop, "anvil.users.logout")
