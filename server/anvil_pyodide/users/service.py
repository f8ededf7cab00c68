"""The users service: sign-up, log-in (with lock-out), remembered logins, the session's user, rows.

All methods are coroutines on the server's event loop; password hashing runs in a thread.

Example:
    >>> import asyncio
    >>> from anvil_pyodide.config import ServerConfig
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> from anvil_pyodide.sessions.store import SessionStore
    >>> from anvil_pyodide.calls.context import CallState, CallContext, ClientInfo, StackFrame
    >>> async def demo():
    ...     store = MemoryStore()
    ...     sessions = SessionStore(store)
    ...     service = UsersService(store, sessions, ServerConfig())
    ...     state = CallState(await sessions.create(), CallContext(ClientInfo("browser"), StackFrame("browser", False)))
    ...     before = state.session.token
    ...     login = await service.signup(state, "Ada@Example.com", "correct horse")
    ...     return login.user["email"], state.session.token != before, await service.current_user(state.session) == login.user
    >>> asyncio.run(demo())
    ('ada@example.com', True, True)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable

from anvil._user_errors import (AccountIsNotEnabled, AuthenticationFailed, PasswordNotAcceptable,
                                TooManyPasswordFailures, UserExists)
from anvil._user_row import ColumnWriter, UserRow

from ..config import ServerConfig
from ..store import Store
from ..store.users import UserRecord
from .columns import column_from_text, column_text
from .passwords import DUMMY_HASH, hash_password, verify_password
from ..sessions.store import store_unavailable
from ..store import StoreUnavailableError
from .requirement import PredicateRunner, check_require_user
from .session_link import link_user, linked_user, rotate_session, unlink_user

#: Columns the service keeps itself; server code may not write them through a row.
READ_ONLY_COLUMNS = frozenset({"email", "n_password_failures", "password_hash"})
WRONG_CREDENTIALS = "Incorrect email address or password"


@dataclass
class Login:
    """The result of a log-in: the user, the caller's new session token and, with remember, its token."""

    user: UserRow
    session_token: str
    remember_token: str | None = None


def normalise_email(email: Any) -> str:
    """The address as accounts are keyed: stripped and lower-cased; ValueError when it is not one.

    Example:
        >>> normalise_email("  Ada@Example.COM ")
        'ada@example.com'
    """
    if not isinstance(email, str):
        raise TypeError(f"The e-mail address must be a str, not {type(email).__name__}")
    text = email.strip().lower()
    if "@" not in text.strip("@") or len(text) > 320 or any(c.isspace() for c in text):
        raise ValueError(f"{email!r} is not an e-mail address")
    return text


def token_hash(token: str) -> str:
    """How a remembered-login token is stored (its SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UsersService:
    """Accounts in ``store``; logged-in state on the caller's session (from ``sessions``)."""

    def __init__(self, store: Store, sessions: Any, config: ServerConfig, clock: Callable[[], float] = time.time,
                 writer_for: Callable[["UsersService"], ColumnWriter | None] | None = None) -> None:
        self.store: Any = OutagesAsRuntimeErrors(store)
        self.sessions = sessions
        self.config = config
        self.clock = clock
        #: Makes the write-through function put on rows handed to server code (see :mod:`.api`).
        self.writer = writer_for(self) if writer_for is not None else None

    async def check_require_user(self, requirement: Any, name: str, session: Any,
                                 run_predicate: PredicateRunner | None = None) -> None:
        """Raise unless ``require_user=requirement`` lets the session's user call ``name`` (see :mod:`.requirement`)."""
        await check_require_user(requirement, name, self, session, run_predicate)

    # Rows ------------------------------------------------------------------------------------
    def row(self, record: UserRecord) -> UserRow:
        columns = {name: column_from_text(text) for name, text in record.columns.items()}
        columns.update(email=record.email, n_password_failures=record.failures)
        return UserRow(record.id, columns, self.writer)

    async def write_columns(self, user_id: str, columns: dict[str, Any]) -> None:
        """Change columns of a user (ValueError for the columns the service keeps itself)."""
        refused = sorted(set(columns) & READ_ONLY_COLUMNS)
        if refused:
            raise ValueError(f"The users' {', '.join(refused)} cannot be changed through a row")
        if not await self.store.update_user(user_id, {k: column_text(v) for k, v in columns.items()}):
            raise KeyError(f"The user {user_id!r} no longer exists")

    # Sign-up and log-in ----------------------------------------------------------------------
    async def signup(self, state: Any, email: str, password: str, remember: bool = False) -> Login:
        address = normalise_email(email)
        self._check_new_password(password)
        hashed = await asyncio.to_thread(hash_password, password)
        now = _utc(self.clock())
        record = await self.store.create_user(address, hashed, {
            "enabled": column_text(True), "confirmed_email": column_text(False), "signed_up": column_text(now),
            "last_login": column_text(None)})
        if record is None:
            raise UserExists(f"This email address has already been registered for an account: {address}")
        return await self._log_in(state, record, remember=remember, remembered=False)

    async def login(self, state: Any, email: str, password: str, remember: bool = False) -> Login:
        record = await self.check_password(email, password)
        return await self._log_in(state, record, remember=remember, remembered=False)

    async def check_password(self, email: str, password: str) -> UserRecord:
        """The account for these credentials; AuthenticationFailed / TooManyPasswordFailures otherwise
        (each wrong password counts towards the lock-out)."""
        if not isinstance(password, str):
            raise TypeError(f"The password must be a str, not {type(password).__name__}")
        try:
            address = normalise_email(email)
        except ValueError:
            raise AuthenticationFailed(WRONG_CREDENTIALS) from None
        record = await self.store.find_user(address)
        if record is None:
            await asyncio.to_thread(verify_password, password, DUMMY_HASH)  # as slow as a wrong password
            raise AuthenticationFailed(WRONG_CREDENTIALS)
        self._check_not_locked(record)
        if not await asyncio.to_thread(verify_password, password, record.password_hash):
            failures = await self.store.count_password_failure(record.id, self.clock())
            if failures >= self.config.max_password_failures:
                raise TooManyPasswordFailures(self._locked_message())
            raise AuthenticationFailed(WRONG_CREDENTIALS)
        if record.failures:
            await self.store.clear_password_failures(record.id)
            record.failures, record.last_failure = 0, None
        return record

    async def force_login(self, state: Any, user_id: str, remember: bool = False) -> Login:
        record = await self.store.get_user(user_id)
        if record is None:
            raise AuthenticationFailed(f"There is no user with id {user_id!r}")
        return await self._log_in(state, record, remember=remember, remembered=False, check_enabled=False)

    async def resume(self, state: Any, remember_token: str) -> Login | None:
        """Log in with a remembered-login token; None when it is unknown, revoked or expired."""
        if not isinstance(remember_token, str) or not remember_token:
            return None
        user_id = await self.store.remembered_user(token_hash(remember_token))
        record = await self.store.get_user(user_id) if user_id is not None else None
        if record is None or not self._enabled(record):
            return None
        login = await self._log_in(state, record, remember=False, remembered=True)
        login.remember_token = remember_token
        return login

    async def logout(self, state: Any) -> None:
        """Log the caller's session out and revoke every remembered login of its user."""
        await state.session.load()
        linked = linked_user(state.session)
        unlink_user(state.session)
        if linked is not None:
            await self.store.forget_logins(linked[0])

    async def current_user(self, session: Any, allow_remembered: bool = True) -> UserRow | None:
        """The session's user (None when nobody is logged in, the account is gone or disabled)."""
        await session.load()
        linked = linked_user(session)
        if linked is None or (linked[1] and not allow_remembered):
            return None
        record = await self.store.get_user(linked[0])
        if record is None or not self._enabled(record):
            return None
        return self.row(record)

    # Helpers ---------------------------------------------------------------------------------
    async def _log_in(self, state: Any, record: UserRecord, *, remember: bool, remembered: bool,
                      check_enabled: bool = True) -> Login:
        if check_enabled and not self._enabled(record):
            raise AccountIsNotEnabled("This account is not enabled")
        now = self.clock()
        await self.store.update_user(record.id, {"last_login": column_text(_utc(now))})
        record.columns["last_login"] = column_text(_utc(now))
        await rotate_session(state, self.sessions)
        link_user(state.session, record.id, remembered)
        token = None
        if remember:
            token = secrets.token_urlsafe(32)
            await self.store.remember_login(token_hash(token), record.id, now + self.config.remember_login_seconds)
        return Login(self.row(record), state.session.token, token)

    def _check_new_password(self, password: Any) -> None:
        if not isinstance(password, str):
            raise PasswordNotAcceptable(f"The password must be a str, not {type(password).__name__}")
        if len(password) < self.config.min_password_length:
            raise PasswordNotAcceptable(
                f"The password is too short: use at least {self.config.min_password_length} characters")

    def _check_not_locked(self, record: UserRecord) -> None:
        if record.failures < self.config.max_password_failures or record.last_failure is None:
            return
        if self.clock() < record.last_failure + self.config.password_lockout:
            raise TooManyPasswordFailures(self._locked_message())

    def _locked_message(self) -> str:
        minutes = max(1, math.ceil(self.config.password_lockout / 60))
        return (f"The password was wrong {self.config.max_password_failures} times in a row: this account is "
                f"locked; try again in {minutes} minute{'s' if minutes != 1 else ''}")

    @staticmethod
    def _enabled(record: UserRecord) -> bool:
        text = record.columns.get("enabled")
        return True if text is None else bool(column_from_text(text))


class OutagesAsRuntimeErrors:
    """The store, raising ``anvil.server.RuntimeUnavailableError`` (what callers get) when it is unreachable."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except StoreUnavailableError as e:
                raise store_unavailable(e) from None
        return call


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
