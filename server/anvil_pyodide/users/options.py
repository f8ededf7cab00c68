"""The ``anvil.users`` options of ``anvil-pyodide serve`` (limits of the log-in service).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_user_options(parser)
    >>> user_settings(parser.parse_args(["--max-password-failures", "3"]))["max_password_failures"]
    3
"""

from __future__ import annotations

import argparse
from typing import Any

from ..config import ServerConfig

DAY = 24 * 3600


class UserOptionError(ValueError):
    """A users option with a value that makes no sense; the message names the option."""


def add_user_options(parser: argparse.ArgumentParser) -> None:
    defaults = ServerConfig()
    group = parser.add_argument_group("anvil.users")
    group.add_argument("--max-password-failures", type=int, default=defaults.max_password_failures, metavar="N",
                       help=f"wrong passwords in a row that lock an account (default: {defaults.max_password_failures})")
    group.add_argument("--password-lockout", type=float, default=defaults.password_lockout, metavar="SECONDS",
                       help=f"how long a locked account stays locked (default: {defaults.password_lockout:g})")
    group.add_argument("--min-password-length", type=int, default=defaults.min_password_length, metavar="N",
                       help=f"shortest password sign-up accepts (default: {defaults.min_password_length})")
    group.add_argument("--remember-login-days", type=float, default=defaults.remember_login_seconds / DAY,
                       metavar="DAYS", help=f"how long login_with_email(..., remember=True) lasts "
                                            f"(default: {defaults.remember_login_seconds / DAY:g})")


def user_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ServerConfig fields these options set; UserOptionError for a value that makes no sense."""
    if args.max_password_failures < 1:
        raise UserOptionError("--max-password-failures must be at least 1")
    if args.password_lockout < 0 or args.remember_login_days <= 0 or args.min_password_length < 1:
        raise UserOptionError("--password-lockout must be >= 0, --remember-login-days > 0, --min-password-length >= 1")
    return {"max_password_failures": args.max_password_failures, "password_lockout": args.password_lockout,
            "min_password_length": args.min_password_length,
            "remember_login_seconds": args.remember_login_days * DAY}
