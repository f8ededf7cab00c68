"""anvil.users: sign-up, log-in and the logged-in user, in browser and server code (Anvil's names).

Both sides: ``signup_with_email(email, password)``, ``login_with_email(email, password, remember=False)``,
``get_user()``, ``logout()``, the exceptions and the :class:`User` rows. Server code also has
``force_login(user, remember=False)`` and ``get_user(allow_remembered=True)``. In the browser each call
goes to the server's private ``anvil.private.users.*`` functions; on the server the names come from the
server's implementation (see :mod:`anvil._backend`).

Example:
    >>> import anvil.users
    >>> issubclass(anvil.users.TooManyPasswordFailures, anvil.users.AuthenticationFailed)
    True
"""

from typing import Any

from ._backend import IN_BROWSER
from ._user_errors import (AccountIsNotEnabled, AuthenticationFailed, EmailNotConfirmed, PasswordNotAcceptable,
                           TooManyPasswordFailures, UserExists)
from ._user_row import UserRow as User

if IN_BROWSER:
    from ._browser.users import force_login, get_user, login_with_email, logout, signup_with_email  # noqa: F401
else:
    from . import _backend

    #: The names a server's implementation provides (its ``users`` attribute).
    SERVER_NAMES = ("force_login", "get_user", "login_with_email", "logout", "signup_with_email")

    def __getattr__(name: str) -> Any:
        """A server-side name, taken from the installed implementation's ``users`` on first use."""
        if name not in SERVER_NAMES:
            raise AttributeError(f"module 'anvil.users' has no attribute {name!r}")
        implementation = _backend.implementation().users
        globals().update({n: getattr(implementation, n) for n in SERVER_NAMES})
        return globals()[name]

__all__ = ["AccountIsNotEnabled", "AuthenticationFailed", "EmailNotConfirmed", "PasswordNotAcceptable",
           "TooManyPasswordFailures", "User", "UserExists", "force_login", "get_user", "login_with_email", "logout",
           "signup_with_email"]
