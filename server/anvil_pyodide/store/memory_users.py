"""The users part of :class:`~.memory.MemoryStore` (see :class:`~.users.UserStore`).

Example:
    >>> import asyncio
    >>> from .memory import MemoryStore
    >>> async def demo():
    ...     store = MemoryStore()
    ...     user = await store.create_user("ada@example.com", "hash", {})
    ...     return (await store.find_user("ada@example.com")).id == user.id, await store.create_user("ada@example.com", "h", {})
    >>> asyncio.run(demo())
    (True, None)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping

from .users import UserRecord, UserStore, new_user_id


class MemoryUsers(UserStore):
    """Users in dicts; the store's ``_clock`` decides expiries."""

    _clock: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._users: dict[str, UserRecord] = {}
        self._user_ids_by_email: dict[str, str] = {}
        self._remembered: dict[str, tuple[str, float]] = {}

    async def create_user(self, email: str, password_hash: str | None, columns: Mapping[str, str]) -> UserRecord | None:
        if email in self._user_ids_by_email:
            return None
        record = UserRecord(new_user_id(), email, password_hash, dict(columns))
        self._users[record.id] = record
        self._user_ids_by_email[email] = record.id
        return _copy(record)

    async def get_user(self, user_id: str) -> UserRecord | None:
        record = self._users.get(user_id)
        return None if record is None else _copy(record)

    async def find_user(self, email: str) -> UserRecord | None:
        user_id = self._user_ids_by_email.get(email)
        return None if user_id is None else await self.get_user(user_id)

    async def update_user(self, user_id: str, changed: Mapping[str, str], deleted: Iterable[str] = (),
                          password_hash: str | None = None) -> bool:
        record = self._users.get(user_id)
        if record is None:
            return False
        record.columns.update(changed)
        for key in deleted:
            record.columns.pop(key, None)
        if password_hash is not None:
            record.password_hash = password_hash
        return True

    async def count_password_failure(self, user_id: str, now: float) -> int:
        record = self._users.get(user_id)
        if record is None:
            return 0
        record.failures += 1
        record.last_failure = now
        return record.failures

    async def clear_password_failures(self, user_id: str) -> None:
        record = self._users.get(user_id)
        if record is not None:
            record.failures, record.last_failure = 0, None

    async def remember_login(self, token_hash: str, user_id: str, expires: float) -> None:
        self._remembered[token_hash] = (user_id, expires)

    async def remembered_user(self, token_hash: str) -> str | None:
        entry = self._remembered.get(token_hash)
        if entry is None or entry[1] <= self._clock():
            self._remembered.pop(token_hash, None)
            return None
        return entry[0]

    async def forget_logins(self, user_id: str) -> None:
        for token_hash in [h for h, (owner, _) in self._remembered.items() if owner == user_id]:
            del self._remembered[token_hash]


def _copy(record: UserRecord) -> UserRecord:
    return replace(record, columns=dict(record.columns))
