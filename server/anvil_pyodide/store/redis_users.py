"""The users part of :class:`~.redis_store.RedisStore` (see :class:`~.users.UserStore`).

Keys (after the store's ``anvil-pyodide:`` prefix): ``user:ID`` a hash (``email``, ``password_hash``,
``failures``, ``last_failure`` and one ``c:COLUMN`` field per column); ``user-email:EMAIL`` the id
(``SET NX``, so two processes signing up one address cannot both win); ``login:HASH`` a remembered
login's user id, expiring with it; ``user-logins:ID`` the set of that user's remembered-login hashes.

Example:
    >>> _key("user", "u1"), _key("user-email", "ada@example.com")
    ('anvil-pyodide:user:u1', 'anvil-pyodide:user-email:ada@example.com')
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .users import UserRecord, UserStore, new_user_id

PREFIX = "anvil-pyodide:"  # the store's one key prefix (as in redis_store)


class RedisUsers(UserStore):
    """Users in the store's Redis database (``_redis``), errors mapped by its ``_errors()``."""

    _redis: Any
    _errors: Any

    async def create_user(self, email: str, password_hash: str | None, columns: Mapping[str, str]) -> UserRecord | None:
        record = UserRecord(new_user_id(), email, password_hash, dict(columns))
        fields = {"email": email, "failures": "0", **{f"c:{k}": v for k, v in columns.items()}}
        if password_hash is not None:
            fields["password_hash"] = password_hash
        with self._errors():
            if not await self._redis.set(_key("user-email", email), record.id, nx=True):
                return None
            await self._redis.hset(_key("user", record.id), mapping=fields)
        return record

    async def get_user(self, user_id: str) -> UserRecord | None:
        with self._errors():
            fields = await self._redis.hgetall(_key("user", user_id))
        return _user_from(user_id, fields)

    async def find_user(self, email: str) -> UserRecord | None:
        with self._errors():
            user_id = await self._redis.get(_key("user-email", email))
        return None if user_id is None else await self.get_user(user_id.decode())

    async def update_user(self, user_id: str, changed: Mapping[str, str], deleted: Iterable[str] = (),
                          password_hash: str | None = None) -> bool:
        key = _key("user", user_id)
        fields = {f"c:{k}": v for k, v in changed.items()}
        if password_hash is not None:
            fields["password_hash"] = password_hash
        gone = [f"c:{k}" for k in deleted]
        with self._errors():
            if not await self._redis.exists(key):
                return False
            async with self._redis.pipeline(transaction=True) as pipe:
                if fields:
                    pipe.hset(key, mapping=fields)
                if gone:
                    pipe.hdel(key, *gone)
                await pipe.execute()
        return True

    async def count_password_failure(self, user_id: str, now: float) -> int:
        key = _key("user", user_id)
        with self._errors():
            if not await self._redis.exists(key):
                return 0
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(key, "failures", 1)
                pipe.hset(key, "last_failure", repr(now))
                count, _ = await pipe.execute()
        return int(count)

    async def clear_password_failures(self, user_id: str) -> None:
        key = _key("user", user_id)
        with self._errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, "failures", "0")
                pipe.hdel(key, "last_failure")
                await pipe.execute()

    async def remember_login(self, token_hash: str, user_id: str, expires: float) -> None:
        with self._errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(_key("login", token_hash), user_id, pxat=max(1, int(expires * 1000)))
                pipe.sadd(_key("user-logins", user_id), token_hash)
                await pipe.execute()

    async def remembered_user(self, token_hash: str) -> str | None:
        with self._errors():
            user_id = await self._redis.get(_key("login", token_hash))
        return None if user_id is None else user_id.decode()

    async def forget_logins(self, user_id: str) -> None:
        with self._errors():
            hashes = [h.decode() for h in await self._redis.smembers(_key("user-logins", user_id))]
            await self._redis.delete(_key("user-logins", user_id), *(_key("login", h) for h in hashes))


def _key(kind: str, name: str) -> str:
    """The key of one users-part record: ``anvil-pyodide:<kind>:<name>``."""
    return f"{PREFIX}{kind}:{name}"


def _user_from(user_id: str, fields: dict[bytes, bytes]) -> UserRecord | None:
    if not fields:
        return None
    text = {k.decode(): v.decode() for k, v in fields.items()}
    last_failure = text.get("last_failure")
    columns = {k[2:]: v for k, v in text.items() if k.startswith("c:")}
    return UserRecord(user_id, text["email"], text.get("password_hash"), columns, int(text.get("failures", "0")),
                      float(last_failure) if last_failure is not None else None)
