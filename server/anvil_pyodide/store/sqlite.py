"""``sqlite:///PATH``: one SQLite file, the default (``APP_DIR/.anvil-data/state.sqlite3``).

Nothing to install or run, and state survives restarts. The database is in WAL mode with a busy
timeout, so several processes on one machine (``--workers N``) can share it; every write is one
``BEGIN IMMEDIATE`` transaction. Calls run on one thread of this store's own, off the event loop, except
a session's look-up: a point read on a read-only connection of its own, on the loop (about 6x cheaper
than a hop to the thread and back, measured: 17 µs against 100 µs), which goes to the thread only when
the file is busy or the session's expiry needs renewing (at most once a second).
Session values are rows (session, key), so a save touches only the keys it changed.

Example:
    >>> import asyncio, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "state.sqlite3"
    >>> async def demo():
    ...     store = SqliteStore(path)
    ...     await store.open()
    ...     session = await store.create_session()
    ...     await store.save_session(session.token, {"n": "1"}, [])
    ...     await store.close()
    ...     again = SqliteStore(path)                   # a restart: a new store on the same file
    ...     await again.open()
    ...     data = (await again.get_session(session.token)).data
    ...     await again.close()
    ...     return data
    >>> asyncio.run(demo())
    {'n': '1'}
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Mapping, TypeVar

from .base import ProcessId, SessionRecord, Store, StoreSettings, StoreUnavailableError, StoredTask, final_status
from .sqlite_users import USERS_SCHEMA, SqliteUsers
from .task_update import apply_task_update

T = TypeVar("T")

#: Seconds a write waits for another process's write to finish before failing.
BUSY_TIMEOUT = 10.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, secret BLOB NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS session_data (token TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (token, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, name TEXT NOT NULL, start REAL NOT NULL, status TEXT,
    state TEXT NOT NULL, value TEXT, error TEXT, process TEXT, ended REAL, expires REAL);
CREATE INDEX IF NOT EXISTS tasks_by_start ON tasks (start);
CREATE TABLE IF NOT EXISTS processes (id TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS uplink_names (name TEXT NOT NULL, process TEXT NOT NULL,
    PRIMARY KEY (name, process)) WITHOUT ROWID;
""" + USERS_SCHEMA

TASK_COLUMNS = "id, name, start, status, state, value, error, process, ended"


class SqliteStore(SqliteUsers, Store):
    """The store in one SQLite database file (created, with its folder, on first use)."""

    shared = True

    def __init__(self, path: Path, settings: StoreSettings | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(settings)
        self.path = Path(path)
        self.description = f"sqlite:///{self.path}"
        self._clock = clock
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anvil-sqlite-store")
        self._db: sqlite3.Connection | None = None
        #: Read-only, used on the event loop for session look-ups (never waits: busy -> the thread reads).
        self._reader: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._run(self._connect)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._thread.shutdown(wait=True)

    # Sessions --------------------------------------------------------------------------------
    async def create_session(self) -> SessionRecord:
        record = SessionRecord(secrets.token_urlsafe(24), secrets.token_bytes(32))
        expires = self._clock() + self.settings.session_first_use_timeout
        await self._write(lambda db: db.execute("INSERT INTO sessions VALUES (?, ?, ?)",
                                                (record.token, record.secret, expires)))
        return record

    async def get_session(self, token: str) -> SessionRecord | None:
        if self._reader is None:
            raise StoreUnavailableError(self.description, "it is not open")
        try:
            found = self._read_session(self._reader, token)
        except sqlite3.OperationalError:  # busy (a checkpoint, a recovery): read in the store's thread instead
            found = await self._run(lambda: self._read_session(self._connection(), token))
        except sqlite3.Error as e:
            raise StoreUnavailableError(self.description, f"{type(e).__name__}: {e}") from e
        if found is None:
            return None
        record, expires = found
        fresh = self._clock() + self.settings.session_idle_timeout
        if abs(fresh - expires) > min(1.0, self.settings.session_idle_timeout / 100):  # skip a write per call
            await self._write(lambda db: db.execute("UPDATE sessions SET expires = ? WHERE token = ?", (fresh, token)))
        return record

    def _read_session(self, db: sqlite3.Connection, token: str) -> tuple[SessionRecord, float] | None:
        """The session and its expiry, or None if it is unknown or has expired."""
        row = db.execute("SELECT secret, expires FROM sessions WHERE token = ?", (token,)).fetchone()
        if row is None or row[1] <= self._clock():
            return None
        data = dict(db.execute("SELECT key, value FROM session_data WHERE token = ?", (token,)).fetchall())
        return SessionRecord(token, bytes(row[0]), data), row[1]

    async def save_session(self, token: str, changed: Mapping[str, str], deleted: Iterable[str]) -> bool:
        changed, deleted = dict(changed), list(deleted)

        def save(db: sqlite3.Connection) -> bool:
            if db.execute("SELECT 1 FROM sessions WHERE token = ? AND expires > ?",
                          (token, self._clock())).fetchone() is None:
                return False
            db.executemany("INSERT OR REPLACE INTO session_data VALUES (?, ?, ?)",
                           [(token, k, v) for k, v in changed.items()])
            db.executemany("DELETE FROM session_data WHERE token = ? AND key = ?", [(token, k) for k in deleted])
            return True
        return await self._write(save)

    async def delete_session(self, token: str) -> None:
        def delete(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM session_data WHERE token = ?", (token,))
            db.execute("DELETE FROM sessions WHERE token = ?", (token,))
        await self._write(delete)

    # Background tasks ------------------------------------------------------------------------
    async def put_task(self, task: StoredTask) -> None:
        await self._write(lambda db: self._put_task(db, task))

    def _put_task(self, db: sqlite3.Connection, task: StoredTask) -> None:
        expires = None if task.ended is None else task.ended + self.settings.task_retention
        db.execute(f"INSERT OR REPLACE INTO tasks ({TASK_COLUMNS}, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (task.id, task.name, task.start, task.status, task.state, task.value, task.error, task.process,
                    task.ended, expires))

    async def get_task(self, task_id: str) -> StoredTask | None:
        rows = await self._run(lambda: self._connection().execute(
            f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ? AND (expires IS NULL OR expires > ?)",
            (task_id, self._clock())).fetchall())
        return StoredTask(*rows[0]) if rows else None

    async def list_tasks(self) -> list[StoredTask]:
        rows = await self._run(lambda: self._connection().execute(
            f"SELECT {TASK_COLUMNS} FROM tasks WHERE expires IS NULL OR expires > ? ORDER BY start, id",
            (self._clock(),)).fetchall())
        return [StoredTask(*row) for row in rows]

    async def update_task(self, task_id: str, *, state: str | None = None, status: str | None = None,
                          value: str | None = None, error: str | None = None) -> bool:
        def update(db: sqlite3.Connection) -> bool:
            row = db.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None or final_status(row[3]):
                return False
            self._put_task(db, apply_task_update(StoredTask(*row), self._clock(), state=state, status=status,
                                                 value=value, error=error))
            return True
        return await self._write(update)

    # Processes and uplink registrations --------------------------------------------------------
    async def heartbeat(self, process: ProcessId) -> None:
        expires = self._clock() + self.settings.process_ttl
        await self._write(lambda db: db.execute("INSERT OR REPLACE INTO processes VALUES (?, ?)", (process, expires)))

    async def live_processes(self) -> set[ProcessId]:
        rows = await self._run(lambda: self._connection().execute(
            "SELECT id FROM processes WHERE expires > ?", (self._clock(),)).fetchall())
        return {row[0] for row in rows}

    async def register_uplink(self, name: str, process: ProcessId) -> None:
        await self._write(lambda db: db.execute("INSERT OR IGNORE INTO uplink_names VALUES (?, ?)", (name, process)))

    async def unregister_uplink(self, name: str, process: ProcessId) -> None:
        await self._write(lambda db: db.execute("DELETE FROM uplink_names WHERE name = ? AND process = ?",
                                                (name, process)))

    async def uplink_owners(self, name: str) -> list[ProcessId]:
        rows = await self._run(lambda: self._connection().execute(
            "SELECT u.process FROM uplink_names u JOIN processes p ON p.id = u.process "
            "WHERE u.name = ? AND p.expires > ? ORDER BY u.process", (name, self._clock())).fetchall())
        return [row[0] for row in rows]

    async def drop_process(self, process: ProcessId) -> None:
        def drop(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM uplink_names WHERE process = ?", (process,))
            db.execute("DELETE FROM processes WHERE id = ?", (process,))
        await self._write(drop)

    async def purge_expired(self) -> None:
        def purge(db: sqlite3.Connection) -> None:
            now = self._clock()
            db.execute("DELETE FROM session_data WHERE token IN (SELECT token FROM sessions WHERE expires <= ?)",
                       (now,))
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute("DELETE FROM tasks WHERE expires <= ?", (now,))
            db.execute("DELETE FROM uplink_names WHERE process IN (SELECT id FROM processes WHERE expires <= ?)",
                       (now,))
            db.execute("DELETE FROM processes WHERE expires <= ?", (now,))
        await self._write(purge)

    # Plumbing ----------------------------------------------------------------------------------
    def _connect(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreUnavailableError(self.description, f"cannot create {self.path.parent}: {e}") from e
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        self._db = db
        self._transaction(_create_schema)
        reader = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        reader.execute("PRAGMA query_only=1")
        self._reader = reader

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreUnavailableError(self.description, "it is not open")
        return self._db

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(lambda: self._transaction(work))

    async def _run(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._thread, work)
        except sqlite3.Error as e:
            raise StoreUnavailableError(self.description, f"{type(e).__name__}: {e}") from e
        except RuntimeError as e:
            if "shutdown" in str(e):
                raise StoreUnavailableError(self.description, "it is closed") from e
            raise


def _create_schema(db: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


