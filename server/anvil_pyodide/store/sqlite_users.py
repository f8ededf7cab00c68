"""The users part of :class:`~.sqlite.SqliteStore` (see :class:`~.users.UserStore`): three tables.

Example:
    >>> "CREATE TABLE IF NOT EXISTS users" in USERS_SCHEMA
    True
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Iterable, Mapping

from .users import UserRecord, UserStore, new_user_id

USERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT,
    failures INTEGER NOT NULL DEFAULT 0, last_failure REAL);
CREATE TABLE IF NOT EXISTS user_columns (id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS remembered_logins (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL,
    expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS remembered_logins_by_user ON remembered_logins (user_id);
"""

USER_COLUMNS = "id, email, password_hash, failures, last_failure"


class SqliteUsers(UserStore):
    """Users in the store's SQLite file, through its one thread (``_run``) and write transactions (``_write``)."""

    _clock: Callable[[], float]
    _run: Any
    _write: Any
    _connection: Any

    async def create_user(self, email: str, password_hash: str | None, columns: Mapping[str, str]) -> UserRecord | None:
        record = UserRecord(new_user_id(), email, password_hash, dict(columns))

        def create(db: sqlite3.Connection) -> bool:
            if db.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone() is not None:
                return False
            db.execute("INSERT INTO users (id, email, password_hash) VALUES (?, ?, ?)",
                       (record.id, email, password_hash))
            db.executemany("INSERT INTO user_columns VALUES (?, ?, ?)", [(record.id, k, v) for k, v in columns.items()])
            return True
        return record if await self._write(create) else None

    async def get_user(self, user_id: str) -> UserRecord | None:
        return await self._run(lambda: self._read_user("id = ?", user_id))

    async def find_user(self, email: str) -> UserRecord | None:
        return await self._run(lambda: self._read_user("email = ?", email))

    def _read_user(self, where: str, value: str) -> UserRecord | None:
        db = self._connection()
        row = db.execute(f"SELECT {USER_COLUMNS} FROM users WHERE {where}", (value,)).fetchone()
        if row is None:
            return None
        columns = dict(db.execute("SELECT key, value FROM user_columns WHERE id = ?", (row[0],)).fetchall())
        return UserRecord(row[0], row[1], row[2], columns, row[3], row[4])

    async def update_user(self, user_id: str, changed: Mapping[str, str], deleted: Iterable[str] = (),
                          password_hash: str | None = None) -> bool:
        changed, deleted = dict(changed), list(deleted)

        def update(db: sqlite3.Connection) -> bool:
            if db.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
                return False
            db.executemany("INSERT OR REPLACE INTO user_columns VALUES (?, ?, ?)",
                           [(user_id, k, v) for k, v in changed.items()])
            db.executemany("DELETE FROM user_columns WHERE id = ? AND key = ?", [(user_id, k) for k in deleted])
            if password_hash is not None:
                db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
            return True
        return await self._write(update)

    async def count_password_failure(self, user_id: str, now: float) -> int:
        def count(db: sqlite3.Connection) -> int:
            db.execute("UPDATE users SET failures = failures + 1, last_failure = ? WHERE id = ?", (now, user_id))
            row = db.execute("SELECT failures FROM users WHERE id = ?", (user_id,)).fetchone()
            return 0 if row is None else int(row[0])
        return await self._write(count)

    async def clear_password_failures(self, user_id: str) -> None:
        await self._write(lambda db: db.execute(
            "UPDATE users SET failures = 0, last_failure = NULL WHERE id = ?", (user_id,)))

    async def remember_login(self, token_hash: str, user_id: str, expires: float) -> None:
        def remember(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM remembered_logins WHERE expires <= ?", (self._clock(),))
            db.execute("INSERT OR REPLACE INTO remembered_logins VALUES (?, ?, ?)", (token_hash, user_id, expires))
        await self._write(remember)

    async def remembered_user(self, token_hash: str) -> str | None:
        row = await self._run(lambda: self._connection().execute(
            "SELECT user_id FROM remembered_logins WHERE token_hash = ? AND expires > ?",
            (token_hash, self._clock())).fetchone())
        return None if row is None else str(row[0])

    async def forget_logins(self, user_id: str) -> None:
        await self._write(lambda db: db.execute("DELETE FROM remembered_logins WHERE user_id = ?", (user_id,)))
