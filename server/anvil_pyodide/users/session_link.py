"""Which user a session is logged in as: one reserved session key that server code cannot see or write.

A log-in also moves the caller to a new session (new token, same data), so a token learnt before the
log-in (session fixation) never becomes a logged-in session.

Example:
    >>> from anvil_pyodide.sessions.store import Session
    >>> session = Session.detached()
    >>> link_user(session, "u1", remembered=False)
    >>> linked_user(session), is_reserved(USER_KEY)
    (('u1', False), True)
"""

from __future__ import annotations

from typing import Any

#: The session key holding ``{"id": user id, "remembered": bool}`` (hidden from ``anvil.server.session``).
USER_KEY = "anvil.private.users.user"


def is_reserved(key: Any) -> bool:
    return key == USER_KEY


def linked_user(session: Any) -> tuple[str, bool] | None:
    """``(user id, logged in by a remembered login)`` or None."""
    link = session.data.get(USER_KEY)
    if not isinstance(link, dict) or not isinstance(link.get("id"), str):
        return None
    return link["id"], bool(link.get("remembered"))


def link_user(session: Any, user_id: str, remembered: bool) -> None:
    session.data[USER_KEY] = {"id": user_id, "remembered": remembered}


def unlink_user(session: Any) -> None:
    session.data.pop(USER_KEY, None)


async def rotate_session(state: Any, sessions: Any) -> None:
    """Move the running call to a new session holding the old one's data; the old token stops working.

    The caller saves ``state.session`` after the call (as for any call). Sessions that live only for one
    request or connection (an HTTP endpoint's, an uplink's) stay as they are: nobody else holds their token.
    """
    old = state.session
    if sessions is None or getattr(old, "saved", None) is None:
        return
    await old.load()
    new = await sessions.create()
    new.data.update(old.data)
    await sessions.expire(old.token)
    state.session = new
