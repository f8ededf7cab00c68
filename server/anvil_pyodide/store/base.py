"""The store interface every implementation meets, and the records it holds.

Values are opaque to the store: session values, task state, return values and errors are JSON
text made by the caller (the wire codec), so a store only moves strings. Times are wall-clock
seconds (``time.time()``), so processes on several machines agree on expiries.

Example:
    >>> StoredTask("t1", "crunch", start=1.0).status is None      # None while running
    True
    >>> str(StoreUnavailableError("redis://127.0.0.1:6379/0", "Connection refused"))
    'the state store redis://127.0.0.1:6379/0 is unavailable: Connection refused'
"""

from __future__ import annotations

import os
import secrets
import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .users import UserStore

#: Identifies one server process among all that share a store: ``"host:pid:random"``.
ProcessId = str

#: Task statuses after which a record is kept only for ``task_retention`` seconds.
FINAL_STATUSES = frozenset({"completed", "failed", "killed", "missing"})


def new_process_id() -> ProcessId:
    """A fresh id for this process (unique across machines and restarts).

    Example:
        >>> new_process_id() != new_process_id()
        True
    """
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class StoreUnavailableError(RuntimeError):
    """The store could not be reached or did not answer; the message names the store."""

    def __init__(self, store: str, why: str) -> None:
        super().__init__(f"the state store {store} is unavailable: {why}")
        self.store = store


@dataclass(frozen=True)
class StoreSettings:
    """Expiries every store applies."""

    #: A session unused for this many seconds is gone.
    session_idle_timeout: float = 30 * 60
    #: A session never used since it was created (a page view whose page never started) is gone after this.
    session_first_use_timeout: float = 2 * 60
    #: A finished task's record is kept this many seconds after it ended.
    task_retention: float = 24 * 3600
    #: A process that has not sent a heartbeat for this many seconds counts as dead (``--process-timeout``):
    #: its uplink registrations are dropped and requests waiting on it fail.
    process_ttl: float = 15.0


@dataclass
class SessionRecord:
    """One session: its token, the secret its capabilities are signed with, and its data (key -> JSON text)."""

    token: str
    secret: bytes
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class StoredTask:
    """One background task's record. ``status`` is None while it runs; values are JSON text."""

    id: str
    name: str
    start: float
    status: str | None = None
    state: str = "{}"
    value: str | None = None
    error: str | None = None
    #: The process running (or that ran) the task.
    process: ProcessId | None = None
    #: When it ended (None while running).
    ended: float | None = None


class Store(UserStore, ABC):
    """Sessions, task records, uplink registrations and users (:class:`~.users.UserStore`), shared by every
    process using the same URL.

    All methods are coroutines; any of them raises :class:`StoreUnavailableError` when the store
    cannot be reached. ``description`` names the store in messages (no password).
    """

    description: str
    #: True when several processes can share this store (False for ``memory``).
    shared: bool

    def __init__(self, settings: StoreSettings | None = None) -> None:
        self.settings = settings or StoreSettings()

    async def open(self) -> None:
        """Connect / create what is missing. Called once before use."""

    async def close(self) -> None:
        """Release connections and threads."""

    def twin(self) -> "Store":
        """This store for use from another thread's event loop (open it there): itself unless its
        connections belong to one loop (Redis), then a new instance on the same data."""
        return self

    def bus(self, process: ProcessId) -> Any:
        """How ``process`` sends requests to the other processes sharing this store and serves theirs
        (:class:`~.redis_bus.RedisBus`), or None when this store carries none (memory, SQLite): then
        each process serves only its own uplinks and tasks."""
        return None

    async def __aenter__(self) -> "Store":
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # Sessions --------------------------------------------------------------------------------
    @abstractmethod
    async def create_session(self) -> SessionRecord:
        """A new, empty session with a fresh token and secret (gone after ``session_first_use_timeout``
        unless :meth:`get_session` finds it first)."""

    @abstractmethod
    async def get_session(self, token: str) -> SessionRecord | None:
        """The session (counting as use: its idle time restarts), or None if unknown or expired."""

    @abstractmethod
    async def save_session(self, token: str, changed: Mapping[str, str], deleted: Iterable[str]) -> bool:
        """Write these keys and delete those, leaving every other key as it is; False if the session is gone."""

    @abstractmethod
    async def delete_session(self, token: str) -> None:
        """Forget the session (nothing happens if it is unknown)."""

    # Background tasks ------------------------------------------------------------------------
    @abstractmethod
    async def put_task(self, task: StoredTask) -> None:
        """Record a task (replacing any record with its id)."""

    @abstractmethod
    async def get_task(self, task_id: str) -> StoredTask | None:
        """The task's record, or None if unknown or past its retention."""

    @abstractmethod
    async def list_tasks(self) -> list[StoredTask]:
        """Every task record still kept, oldest first."""

    @abstractmethod
    async def update_task(self, task_id: str, *, state: str | None = None, status: str | None = None,
                          value: str | None = None, error: str | None = None) -> bool:
        """Change a running task's state, or end it with ``status`` (kept ``task_retention`` seconds more).

        A task that has already ended is never changed again; returns whether anything changed.
        """

    # Processes and uplink registrations --------------------------------------------------------
    @abstractmethod
    async def heartbeat(self, process: ProcessId) -> None:
        """Say this process is alive for ``process_ttl`` seconds more."""

    @abstractmethod
    async def live_processes(self) -> set[ProcessId]:
        """Processes whose last heartbeat has not yet expired."""

    @abstractmethod
    async def register_uplink(self, name: str, process: ProcessId) -> None:
        """Record that an uplink connected to ``process`` serves function ``name``."""

    @abstractmethod
    async def unregister_uplink(self, name: str, process: ProcessId) -> None:
        """``process`` no longer serves ``name``."""

    @abstractmethod
    async def uplink_owners(self, name: str) -> list[ProcessId]:
        """Live processes that serve ``name``, sorted."""

    @abstractmethod
    async def drop_process(self, process: ProcessId) -> None:
        """Forget a process: its heartbeat and every registration it held."""

    @abstractmethod
    async def purge_expired(self) -> None:
        """Delete expired sessions, task records past retention and registrations of dead processes."""


def final_status(status: str | None) -> bool:
    """True for a status after which a task never changes.

    Example:
        >>> final_status("completed"), final_status(None)
        (True, False)
    """
    return status in FINAL_STATUSES
