"""``anvil.users``' exceptions; they cross the wire as ``anvil.users.<Name>``. The Skulpt runtime runs this same
file (the build copies it into its ``skulpt_lib/``), so it is written in the Python both run.

Example:
    >>> from ._errors import error_from_wire
    >>> err = error_from_wire({"type": "anvil.users.TooManyPasswordFailures", "message": "locked"})
    >>> type(err).__name__, isinstance(err, AuthenticationFailed)
    ('TooManyPasswordFailures', True)
"""

from anvil._errors import AnvilWrappedError, _register_exception_type


class AuthenticationFailed(AnvilWrappedError):
    """Logging in failed (wrong e-mail address or password), or a function needs a logged-in user."""


class UserExists(AuthenticationFailed):
    """``signup_with_email`` for an e-mail address that already has an account."""


class EmailNotConfirmed(AuthenticationFailed):
    """The account's e-mail address must be confirmed before it can log in."""


class TooManyPasswordFailures(AuthenticationFailed):
    """Too many wrong passwords in a row for one account: it is locked for a while."""


class AccountIsNotEnabled(AuthenticationFailed):
    """The account exists but its ``enabled`` column is false."""


class PasswordNotAcceptable(AuthenticationFailed):
    """``signup_with_email`` with a password that is too short (or not a str)."""


def not_logged_in() -> AuthenticationFailed:
    """What ``require_user`` raises when nobody is logged in (Anvil's message)."""
    return AuthenticationFailed("You must be logged in to call this server function")


USER_ERRORS = (AuthenticationFailed, UserExists, EmailNotConfirmed, TooManyPasswordFailures, AccountIsNotEnabled,
               PasswordNotAcceptable)

for _cls in USER_ERRORS:
    _cls.__module__ = "anvil.users"
    _register_exception_type("anvil.users." + _cls.__name__, _cls)
