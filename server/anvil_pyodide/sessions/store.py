"""Sessions: a token, a dict of server-side state, and a secret for capability MACs — kept in a state store.

:class:`SessionStore` puts sessions in an :class:`anvil_pyodide.store.Store` (SQLite by default,
Redis, or memory), so they outlive a restart and every process sharing the store sees them. Each
call gets its own :class:`Session` loaded from the store; after the call, :meth:`SessionStore.save`
writes only the keys that call changed, added or deleted (compared by their wire form), so two
calls — in one process or in two — writing different keys both keep their writes. Values must be
serialisable like any call argument; one that is not fails the call that wrote it.

Example:
    >>> import asyncio
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> sessions = SessionStore(MemoryStore())
    >>> async def demo():
    ...     one = await sessions.create()
    ...     two = await sessions.get(one.token)       # a second call of the same session
    ...     one.data["user"] = "ada"
    ...     two.data["cart"] = ["tea"]
    ...     await sessions.save(one)
    ...     await sessions.save(two)
    ...     return (await sessions.get(one.token)).data
    >>> asyncio.run(demo())
    {'user': 'ada', 'cart': ['tea']}
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import anvil.server
from anvil._errors import SerializationError
from anvil._wire.decode import ModuleImporter

from ..store import Store, StoreUnavailableError
from .values import value_from_fingerprint, wire_fingerprint

log = logging.getLogger("anvil_pyodide.sessions")


@dataclass
class Session:
    """One session as one call sees it; ``data`` is what server code sees as ``anvil.server.session``."""

    token: str
    secret: bytes
    data: dict[str, Any] = field(default_factory=dict)
    #: Each key's stored text as last loaded or saved; None for a session no store knows (an uplink
    #: connection's own, a task's, a cookieless HTTP request's), which is never saved.
    saved: dict[str, str] | None = None
    #: Held while an uplink's returned session is merged into ``data``.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def detached(cls, data: dict[str, Any] | None = None, token: str | None = None) -> "Session":
        """A session no store knows (a new token and secret unless ``token`` is given): never saved.

        Example:
            >>> Session.detached({"n": 1}, token="task-t1").data
            {'n': 1}
        """
        return cls(token=token or secrets.token_urlsafe(24), secret=secrets.token_bytes(32), data=dict(data or {}))

    def copy(self) -> "Session":
        """The same session (token and secret) with its own copy of ``data``: writes to it stay in it.

        Example:
            >>> original = Session.detached({"cart": 1})
            >>> twin = original.copy(); twin.data["cart"] = 2
            >>> original.data, twin.token == original.token, twin.saved
            ({'cart': 1}, True, None)
        """
        return Session(token=self.token, secret=self.secret, data=dict(self.data))


def store_unavailable(error: StoreUnavailableError) -> anvil.server.RuntimeUnavailableError:
    """The error a caller gets when the state store cannot be reached.

    Example:
        >>> str(store_unavailable(StoreUnavailableError("redis://127.0.0.1:1/0", "Connection refused")))
        'the state store redis://127.0.0.1:1/0 is unavailable: Connection refused'
    """
    return anvil.server.RuntimeUnavailableError(str(error))


class SessionStore:
    """Sessions in a state store; every method raises anvil.server.RuntimeUnavailableError if it is unreachable."""

    def __init__(self, store: Store, import_module: ModuleImporter | None = None) -> None:
        self.store = store
        self.import_module = import_module

    async def create(self, keep: bool = True) -> Session:
        """A new, empty session in the store; with ``keep=False`` one no store knows (``get`` never finds it):
        one HTTP request's, or an uplink connection's own."""
        if not keep:
            return Session.detached()
        try:
            record = await self.store.create_session()
        except StoreUnavailableError as e:
            raise store_unavailable(e) from None
        return Session(record.token, record.secret, {}, {})

    async def get(self, token: str) -> Session | None:
        """The session with this token as it is now (counting as use), or None if it expired or never existed."""
        try:
            record = await self.store.get_session(token)
        except StoreUnavailableError as e:
            raise store_unavailable(e) from None
        if record is None:
            return None
        session = Session(record.token, record.secret, {}, {})
        for key, text in record.data.items():
            try:
                session.data[key] = value_from_fingerprint(text, self.import_module)
            except Exception as e:  # noqa: BLE001 - e.g. a portable class the app no longer defines
                log.warning("anvil.server.session[%r] cannot be read back (%s: %s); it is left as stored",
                            key, type(e).__name__, e)
                continue
            session.saved[key] = text
        return session

    async def save(self, session: Session) -> None:
        """Store the keys this call changed, added or deleted; raise if they cannot all be saved.

        Raises SerializationError for a value that cannot be stored, SessionExpiredError when the
        session is gone, RuntimeUnavailableError when the store cannot be reached.
        """
        if session.saved is None:
            return
        changed: dict[str, str] = {}
        current = dict(session.data)  # one atomic copy, however other threads write
        for key, value in current.items():
            if type(key) is not str:
                raise SerializationError(f"anvil.server.session keys must be strings, not {key!r}")
            try:
                text = wire_fingerprint(value)
            except (SerializationError, RecursionError, TypeError, ValueError) as e:
                raise SerializationError(f"anvil.server.session[{key!r}] could not be saved: {e}") from None
            if session.saved.get(key) != text:
                changed[key] = text
        deleted = [key for key in session.saved if key not in current]
        if not changed and not deleted:
            return
        try:
            kept = await self.store.save_session(session.token, changed, deleted)
        except StoreUnavailableError as e:
            raise store_unavailable(e) from None
        if not kept:
            raise anvil.server.SessionExpiredError("Session expired before its changes could be saved")
        session.saved.update(changed)
        for key in deleted:
            session.saved.pop(key, None)

    async def refresh(self, session: Session) -> None:
        """Take into ``session`` what other calls saved to it since it was loaded or saved (call it right after
        :meth:`save`: a key this call changed and did not save would be overwritten). A session gone from the
        store is left as it is.

        Example:
            >>> import asyncio
            >>> from anvil_pyodide.store.memory import MemoryStore
            >>> sessions = SessionStore(MemoryStore())
            >>> async def demo():
            ...     mine = await sessions.create()
            ...     other = await sessions.get(mine.token)
            ...     other.data["seen"] = True
            ...     await sessions.save(other)
            ...     await sessions.refresh(mine)
            ...     return mine.data
            >>> asyncio.run(demo())
            {'seen': True}
        """
        if session.saved is None:
            return
        fresh = await self.get(session.token)
        if fresh is None or fresh.saved is None:
            return
        with session.lock:
            for key, text in fresh.saved.items():
                if session.saved.get(key) != text:
                    session.data[key], session.saved[key] = fresh.data[key], text
            for key in [k for k in session.saved if k not in fresh.data]:
                session.data.pop(key, None)
                del session.saved[key]

    async def expire(self, token: str) -> None:
        """Forget the session now."""
        try:
            await self.store.delete_session(token)
        except StoreUnavailableError as e:
            raise store_unavailable(e) from None
