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

import asyncio
import functools
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import anvil.server
from anvil._errors import SerializationError
from anvil._wire.decode import ModuleImporter

from ..store import Store, StoreUnavailableError
from .recent import RecentCheck
from .values import value_from_fingerprint, wire_fingerprint

log = logging.getLogger("anvil_pyodide.sessions")


class Session:
    """One session as one call sees it; ``data`` is what server code sees as ``anvil.server.session``.

    A session a call gets through :meth:`SessionStore.open` may be *pending*: its connection found it in
    the store moments ago, so the call starts without asking the store again, and ``data`` is read from the
    store the first time something uses it (see :mod:`.recent`). In a worker thread that read happens on
    the first use of ``data``; code on the event loop awaits :meth:`load` first.

    Example:
        >>> session = Session("t1", b"secret", {"n": 1}, {})
        >>> session.loaded, session.data
        (True, {'n': 1})
    """

    def __init__(self, token: str, secret: bytes, data: dict[str, Any] | None = None,
                 saved: dict[str, str] | None = None, *, pending: "PendingLoad | None" = None) -> None:
        self.token = token
        self.secret = secret
        self._data: dict[str, Any] | None = data if data is not None or pending is not None else {}
        #: Each key's stored text as last loaded or saved; None for a session no store knows (an uplink
        #: connection's own, a task's, a cookieless HTTP request's), which is never saved.
        self.saved = saved
        #: Held while an uplink's returned session is merged into ``data``.
        self.lock = threading.RLock()
        self._pending = pending if data is None else None
        self._loading: "asyncio.Future[None] | None" = None

    def __repr__(self) -> str:
        return f"Session(token={self.token!r}, {'data=' + repr(self._data) if self.loaded else 'not loaded'})"

    @property
    def loaded(self) -> bool:
        """Whether ``data`` is here (False for a pending session nothing has used yet)."""
        return self._data is not None

    @property
    def data(self) -> dict[str, Any]:
        """The session's dict, read from the store on first use if the session is pending (in a worker
        thread; on the event loop, :meth:`load` must have been awaited). Raises SessionExpiredError when the
        session has gone meanwhile, RuntimeUnavailableError when the store cannot be reached."""
        if self._data is None:
            self._load_from_thread()
        assert self._data is not None
        return self._data

    async def load(self) -> None:
        """Make ``data`` available (on the event loop); nothing happens if it already is. Concurrent loads
        of one session share one store read."""
        while self._data is None and self._pending is not None:
            loading = self._loading
            if loading is None:  # the first to ask reads in its own task (no task, no loop turn of its own)
                await self._read(self._pending)
            else:  # another read is under way: wait for it (and read again if it was cancelled)
                try:
                    await asyncio.shield(loading)
                except asyncio.CancelledError:
                    if not loading.cancelled():
                        raise  # this waiter itself was cancelled

    async def _read(self, pending: "PendingLoad") -> None:
        """Read the data from the store, in the current task; other loads meanwhile wait on ``_loading``."""
        loading = self._loading = asyncio.get_running_loop().create_future()
        try:
            found = await pending.fetch()
        except BaseException as e:
            self._loading = None  # a failed read is tried again by the next use
            if isinstance(e, asyncio.CancelledError):
                loading.cancel()  # (its waiters read again themselves)
            else:
                loading.set_exception(e)
                loading.exception()  # retrieved: nobody need be waiting
            raise
        if self._data is None:
            self._data, self.saved = found._data, found.saved
        self._loading = None
        loading.set_result(None)

    def _load_from_thread(self) -> None:
        pending = self._pending
        assert pending is not None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is pending.loop:
            raise RuntimeError("A pending session's data was used on the event loop before `await session.load()`")
        asyncio.run_coroutine_threadsafe(self.load(), pending.loop).result()

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


@dataclass(frozen=True)
class PendingLoad:
    """Where a pending session's data comes from: ``fetch()`` (a coroutine run on ``loop``) gives the session
    as the store has it now, or raises SessionExpiredError / RuntimeUnavailableError."""

    loop: asyncio.AbstractEventLoop
    fetch: Callable[[], Awaitable[Session]]


def store_unavailable(error: StoreUnavailableError) -> anvil.server.RuntimeUnavailableError:
    """The error a caller gets when the state store cannot be reached.

    Example:
        >>> str(store_unavailable(StoreUnavailableError("redis://127.0.0.1:1/0", "Connection refused")))
        'the state store redis://127.0.0.1:1/0 is unavailable: Connection refused'
    """
    return anvil.server.RuntimeUnavailableError(str(error))


#: Seconds a connection's finding of its session counts (``--session-check-interval``): its calls within them
#: that do not use the session's data never ask the store (capped at a tenth of the idle timeout).
DEFAULT_CHECK_INTERVAL = 5.0


class SessionStore:
    """Sessions in a state store; every method raises anvil.server.RuntimeUnavailableError if it is unreachable.

    ``clock`` (monotonic seconds) times the connections' :class:`~.recent.RecentCheck`; tests pass their own.
    """

    def __init__(self, store: Store, import_module: ModuleImporter | None = None,
                 check_interval: float = DEFAULT_CHECK_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.import_module = import_module
        #: How long a connection trusts that its session still exists (see :mod:`.recent`).
        self.check_interval = max(0.0, min(check_interval, store.settings.session_idle_timeout / 10))
        self.clock = clock
        #: Sessions this process has expired: each one makes every connection ask the store again.
        self.expirations = 0

    def recent_check(self) -> RecentCheck:
        """A new connection's memory of its session (see :meth:`open`)."""
        return RecentCheck(self.check_interval, self.clock, lambda: self.expirations)

    async def open(self, token: str, recent: RecentCheck, loop: asyncio.AbstractEventLoop | None = None) -> Session | None:
        """The session ``token`` names, for one call of the connection whose memory is ``recent``; None if it
        expired or never existed.

        If the connection found the session within the check interval (and this process has expired no
        session since), the call starts without asking the store: the session is pending and its data is
        read, counting as use, when first used (see :class:`Session`). Otherwise it is read now. ``loop``: the
        running loop, when the caller has it at hand (asking for it costs a system call on Python 3.11).
        """
        secret = recent.secret_for(token)
        if secret is None:
            session = await self.get(token)
            recent.found(token, session.secret if session is not None else None)
            return session
        fetch = functools.partial(self._fetch, token, recent)
        return Session(token, secret, None, {}, pending=PendingLoad(loop or asyncio.get_running_loop(), fetch))

    async def _fetch(self, token: str, recent: RecentCheck) -> Session:
        session = await self.get(token)
        recent.found(token, session.secret if session is not None else None)
        if session is None:
            raise anvil.server.SessionExpiredError("Session expired")
        return session

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
        if session.saved is None or not session.loaded:  # detached, or pending and never used: nothing changed
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
        if session.saved is None or not session.loaded:  # a pending session reads the store when it is used
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
        """Forget the session now (every connection of this process asks the store again on its next call)."""
        self.expirations += 1
        try:
            await self.store.delete_session(token)
        except StoreUnavailableError as e:
            raise store_unavailable(e) from None
