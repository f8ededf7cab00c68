"""The users part of the store interface: user records, password-failure counts and remembered logins.

Like every store value, a user's columns are JSON text made by the caller (the wire codec); the store
keeps the e-mail address (normalised by the caller, unique), the password hash (never a password), a
counter of password failures and remembered-login tokens (their hashes, never the tokens).

Example:
    >>> UserRecord("u1", "ada@example.com", "scrypt$...", {"name": '"Ada"'}).failures
    0
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterable, Mapping


def new_user_id() -> str:
    """A fresh, unguessable user id.

    Example:
        >>> len(new_user_id()), new_user_id() != new_user_id()
        (16, True)
    """
    return secrets.token_hex(8)


@dataclass
class UserRecord:
    """One user: ``columns`` maps column name -> JSON text; ``failures`` counts wrong passwords in a row."""

    id: str
    email: str
    password_hash: str | None
    columns: dict[str, str] = field(default_factory=dict)
    failures: int = 0
    #: Wall-clock time of the last wrong password (None if there was none since the last success).
    last_failure: float | None = None


class UserStore(ABC):
    """What a store keeps for ``anvil.users``. Every method raises StoreUnavailableError when unreachable."""

    @abstractmethod
    async def create_user(self, email: str, password_hash: str | None, columns: Mapping[str, str]) -> UserRecord | None:
        """A new user with a fresh id, or None when ``email`` is already taken (atomically, across processes)."""

    @abstractmethod
    async def get_user(self, user_id: str) -> UserRecord | None:
        """The user with this id, or None."""

    @abstractmethod
    async def find_user(self, email: str) -> UserRecord | None:
        """The user with this (normalised) e-mail address, or None."""

    @abstractmethod
    async def update_user(self, user_id: str, changed: Mapping[str, str], deleted: Iterable[str] = (),
                          password_hash: str | None = None) -> bool:
        """Write these columns, delete those (and set the password hash when given); False if the user is gone."""

    @abstractmethod
    async def count_password_failure(self, user_id: str, now: float) -> int:
        """Add one wrong password (atomically) at time ``now``; returns the count since the last success."""

    @abstractmethod
    async def clear_password_failures(self, user_id: str) -> None:
        """A successful log-in: the count starts again from zero."""

    @abstractmethod
    async def remember_login(self, token_hash: str, user_id: str, expires: float) -> None:
        """Keep a remembered login (by the hash of its token) until ``expires`` (wall-clock seconds)."""

    @abstractmethod
    async def remembered_user(self, token_hash: str) -> str | None:
        """The id of the user a remembered login belongs to, or None when unknown, revoked or expired."""

    @abstractmethod
    async def forget_logins(self, user_id: str) -> None:
        """Revoke every remembered login of this user."""
