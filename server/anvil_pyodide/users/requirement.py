"""``@anvil.server.callable(require_user=...)``: True needs a logged-in user; a function must also approve them.

Anvil's errors: ``anvil.users.AuthenticationFailed("You must be logged in to call this server function")``
without a user, ``anvil.server.PermissionDenied`` when the function returns something false.

Example:
    >>> import asyncio
    >>> try:
    ...     asyncio.run(check_require_user(True, "secret", None, None, None))
    ... except Exception as e:
    ...     print(type(e).__name__, e)
    AuthenticationFailed You must be logged in to call this server function
"""

from __future__ import annotations

import builtins
from typing import Any, Awaitable, Callable

from anvil._errors import PermissionDenied
from anvil._user_errors import not_logged_in

#: Runs a (synchronous, app-written) predicate off the event loop: ``await run(predicate, user)``.
PredicateRunner = Callable[[Callable[[Any], Any], Any], Awaitable[Any]]


async def check_require_user(requirement: Any, name: str, users: Any, session: Any,
                             run_predicate: PredicateRunner | None) -> None:
    """Raise unless ``requirement`` (a function's ``require_user``) lets the session's user call ``name``."""
    if not requirement:
        return
    user = await users.current_user(session) if users is not None and session is not None else None
    if user is None:
        raise not_logged_in()
    if not builtins.callable(requirement):
        return
    allowed = await run_predicate(requirement, user) if run_predicate is not None else requirement(user)
    if not allowed:
        raise PermissionDenied(f"You do not have permission to call server function {name!r}")
