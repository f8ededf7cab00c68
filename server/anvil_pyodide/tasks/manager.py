"""Background tasks on the server: :class:`TaskManager` launches and tracks them, :class:`Task` is the handle.

A task named by ``@anvil.server.background_task`` in the app runs on the manager's runner (by
default one process per task, :mod:`.runner`); a name only an uplink registered (anvil-uplink
registers ``task:<name>``) runs on that uplink (:mod:`.uplink`). A Task is a LiveObject
(backend ``anvil.private.BackgroundTask``): returned to a browser it carries a MAC over its id made
with the session's secret, so a browser can only use Tasks its own session was given
(:mod:`.live`). With a state store (:mod:`.records`), every record is stored too, so
``get_background_task`` and ``list_background_tasks`` see the tasks of every process sharing the
store, and of earlier runs (kept ``--task-retention`` after they end).

Example:
    >>> manager = TaskManager(runner=None)              # a runner reports here what its tasks do
    >>> record = manager.add_record("t1", "crunch")
    >>> manager.report("t1", "state", pack({"progress": 50}))
    >>> manager.get("t1").get_state(), manager.get("t1").is_running()
    ({'progress': 50}, True)
    >>> manager.report("t1", "completed", pack(42))
    >>> task = manager.get("t1")
    >>> task.get_termination_status(), task.is_completed(), task.get_return_value()
    ('completed', True, 42)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from anvil._errors import (BackgroundTaskError, BackgroundTaskKilled, BackgroundTaskNotFound, NoServerFunctionError,
                           RuntimeUnavailableError, error_from_wire)
from anvil._live_object import LiveObjectProxy

from ..calls.capability_mac import sign_scope
from ..calls.context import CallState, current_call
from ..store import StoreUnavailableError, StoredTask
from .packing import Packed, pack, unpack
from .records import READ_TIMEOUT, StoredTaskRecords, packed_from_text
from .registry import default_task_registry
from .runner import FINAL_REPORTS, TaskLaunch, TaskRunner
from .side_loop import on_loop
from .uplink import launch_on_uplink

BACKEND = "anvil.private.BackgroundTask"
#: The methods a browser may call on a Task it was given (``kill`` is refused to browsers).
METHODS = ["get_id", "get_task_name", "get_start_time", "get_state", "is_running", "is_completed",
           "get_return_value", "get_termination_status", "kill"]


@dataclass
class TaskRecord:
    """What the server knows about one task. ``status`` is None while it runs."""

    id: str
    name: str
    start: float = field(default_factory=time.time)
    state: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    value: Packed | None = None
    error: dict[str, Any] | None = None
    #: Stops the task (the runner's or the uplink's way).
    kill: Callable[[], bool] | None = None
    #: Fetches fresh state from where the task runs (uplink tasks), else None.
    refresh: Callable[[], None] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    #: When it ended (None while running).
    ended: float | None = None
    #: The server process running it, for a record read from the store (None: this process).
    process: str | None = None


def task_mac(secret: bytes, task_id: str) -> str:
    """The MAC a Task sent to a session carries.

    Example:
        >>> task_mac(b"k" * 32, "t1") == task_mac(b"k" * 32, "t1") != task_mac(b"k" * 32, "t2")
        True
    """
    return sign_scope(secret, [BACKEND, task_id])


class Task(LiveObjectProxy):
    """``anvil.server.Task``: a handle on a background task (cheap: many handles may share one task)."""

    def __init__(self, manager: "TaskManager", record: TaskRecord) -> None:
        state = current_call.get()
        mac = task_mac(state.session.secret, record.id) if state is not None else None
        super().__init__({"backend": BACKEND, "id": record.id, "permissions": None, "mac": mac, "methods": METHODS})
        self._manager = manager
        self._record = record

    def get_id(self) -> str:
        return self._record.id

    def get_task_name(self) -> str:
        return self._record.name

    def get_start_time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._record.start, dt.timezone.utc)

    def get_state(self) -> dict[str, Any]:
        """A copy of the task's ``anvil.server.task_state`` as last reported."""
        if self._record.refresh is not None and self._record.status is None:
            self._record.refresh()
        return dict(self._record.state)

    def is_running(self) -> bool:
        return self._record.status is None

    def get_termination_status(self) -> str | None:
        """None while running, else "completed", "failed", "killed" or "missing"."""
        return self._record.status

    def is_completed(self) -> bool:
        """True once it returned; False while running; raises its error if it failed, was killed or is missing."""
        error = self.get_error()
        if error is not None:
            raise error
        return self._record.status == "completed"

    def get_return_value(self) -> Any:
        record = self._record
        return unpack(record.value) if record.status == "completed" and record.value is not None else None

    def get_error(self) -> BaseException | None:
        record = self._record
        if record.status == "failed":
            return error_from_wire(record.error)
        if record.status == "killed":
            return BackgroundTaskKilled(f'The background task "{record.name}" was killed')
        if record.status == "missing":
            why = (record.error or {}).get("message", "its process is gone")
            return BackgroundTaskError(f'The background task "{record.name}" is missing: {why}')
        return None

    def kill(self) -> None:
        """Stop the task (its status becomes "killed" once its process has ended)."""
        self._manager.kill(self._record.id)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the task has ended (not in Anvil; handy in tests and scripts); True if it did."""
        return self._record.done.wait(timeout)

    def __repr__(self) -> str:
        return f"<anvil.server.Task {self._record.name} {self._record.id} ({self._record.status or 'running'})>"


class TaskManager:
    """Every task this server launched; the ``tasks`` of the dispatcher."""

    def __init__(self, runner: TaskRunner | None, uplinks: Any = None, stored: StoredTaskRecords | None = None,
                 registry: Any = default_task_registry, retention: float | None = None) -> None:
        self.runner = runner
        self.uplinks = uplinks
        self.stored = stored
        #: Seconds a finished task's record is kept (None: for the life of the manager).
        self.retention = retention
        self.registry = registry
        self.records: dict[str, TaskRecord] = {}
        self.lock = threading.Lock()
        #: Kills tasks that other processes run (:class:`~.remote.RemoteTaskKiller`; only with a Redis store).
        self.elsewhere: Any = None

    def add_record(self, task_id: str, name: str) -> TaskRecord:
        record = TaskRecord(task_id, name)
        with self.lock:
            self.records[task_id] = record
        self._changed(record)
        return record

    def _changed(self, record: TaskRecord) -> None:
        if self.stored is not None:
            self.stored.changed(record)

    def launch(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], state: CallState | None) -> Task:
        """Start task ``name``: in a process if the app defines it, else on an uplink that registered it."""
        if not isinstance(name, str):
            raise TypeError(f"launch_background_task expects the task's name (a str) first, not {type(name).__name__}")
        task_id = secrets.token_urlsafe(18)
        if self.registry.lookup(name) is not None and self.runner is not None:
            call = pack([list(args), dict(kwargs)])
            session = _session_snapshot(state)
            record = self.add_record(task_id, name)
            runner = self.runner
            record.kill = lambda: runner.kill(task_id)
            runner.launch(TaskLaunch(task_id, name, call, session), lambda kind, body: self.report(task_id, kind, body))
            return Task(self, record)
        connection = self.uplinks.route(f"task:{name}") if self.uplinks is not None else None
        if connection is None and state is not None:
            connection = self._elsewhere(f"task:{name}", state)
        if connection is None or state is None:
            raise NoServerFunctionError(f'No background task matching "{name}" has been registered')
        record = self.add_record(task_id, name)
        launch_on_uplink(self, record, connection, list(args), dict(kwargs), state)
        return Task(self, record)

    def _elsewhere(self, command: str, state: CallState) -> Any:
        """A connection to an uplink of another process serving ``command`` (Redis store only), else None."""
        remote = getattr(self.uplinks, "remote", None)
        if remote is None or state.loop is None:
            return None
        if on_loop(state.loop):  # an async server function: the server's loop cannot look, the side loop can
            if self.stored is None:
                return None
            try:
                owners = self.stored.side.run(lambda store: store.uplink_owners(command), READ_TIMEOUT)
            except StoreUnavailableError as e:
                raise RuntimeUnavailableError(str(e)) from None
            return remote.connection_among(owners, command)
        return asyncio.run_coroutine_threadsafe(remote.connection_for(command), state.loop).result(READ_TIMEOUT)

    def report(self, task_id: str, kind: str, body: Any) -> None:
        """What a task's runner says about it (from any thread); nothing changes after the final report."""
        record = self.records.get(task_id)
        if record is None or record.status is not None:
            return
        if kind == "state":
            try:
                record.state = unpack(body) if isinstance(body, tuple) else dict(body)
            except Exception:  # noqa: BLE001 - keep the last good state
                return
            self._changed(record)
            return
        if kind not in FINAL_REPORTS:
            return
        if kind == "completed":
            record.value = body
        elif kind == "failed":
            record.error = body
        elif kind == "missing":
            record.error = {"message": str(body)}
        record.ended = time.time()
        record.status = kind
        record.done.set()
        self._changed(record)

    def get(self, task_id: Any) -> Task:
        """The Task with this id, run here or by another process sharing the store (or before a restart: one
        that was running then is "missing"); else BackgroundTaskNotFound."""
        return Task(self, self.record_of(task_id))

    def record_of(self, task_id: Any) -> TaskRecord:
        """This process's record of the task, else a snapshot of the stored one; else BackgroundTaskNotFound."""
        self._forget_expired()
        record = self.records.get(task_id) if isinstance(task_id, str) else None
        if record is None and isinstance(task_id, str) and self.stored is not None:
            stored = self.stored.read(task_id)
            record = from_stored(stored) if stored is not None else None
        if record is None:
            raise BackgroundTaskNotFound(f"No background task with id {task_id!r}")
        return record

    def list(self) -> list[Task]:
        """Every task whose record is kept (this process's and, with a shared store, every other's), oldest first."""
        self._forget_expired()
        with self.lock:
            records = dict(self.records)
        if self.stored is not None:
            for stored in self.stored.read_all():
                records.setdefault(stored.id, from_stored(stored))
        return [Task(self, record) for record in sorted(records.values(), key=lambda r: (r.start, r.id))]

    def _forget_expired(self) -> None:
        if self.retention is None:
            return
        cutoff = time.time() - self.retention
        with self.lock:
            for task_id in [i for i, r in self.records.items() if r.ended is not None and r.ended <= cutoff]:
                del self.records[task_id]

    def kill(self, task_id: str) -> None:
        """Stop the task, here or (with a Redis store) through the process running it."""
        record = self.records.get(task_id)
        if record is None:
            stored = self.record_of(task_id)  # raises BackgroundTaskNotFound if there is no such task
            if stored.status is not None:
                return
            state = current_call.get()
            if self.elsewhere is None or stored.process is None or state is None or state.loop is None:
                raise BackgroundTaskError(f"The background task {task_id!r} runs on another server process; "
                                          f"it can only be killed through that process")
            self.elsewhere.kill(stored.process, task_id, state.loop)
            return
        self.kill_here(task_id)

    def kill_here(self, task_id: str) -> None:
        """Stop a task this process runs (nothing happens for one it does not run, or that has ended)."""
        record = self.records.get(task_id)
        if record is not None and record.status is None and record.kill is not None:
            record.kill()

    def close(self) -> None:
        """Stop the runner; tasks still running here are recorded as "missing" (their processes end with it)."""
        if self.runner is not None:
            self.runner.close()
        with self.lock:
            running = [record.id for record in self.records.values() if record.status is None]
        for task_id in running:
            self.report(task_id, "missing", "the server stopped while it ran")


def from_stored(stored: StoredTask) -> TaskRecord:
    """A snapshot of a stored record (of a task run elsewhere or earlier): it cannot be killed from here."""
    record = TaskRecord(stored.id, stored.name, stored.start, status=stored.status, ended=stored.ended,
                        state=unpack(packed_from_text(stored.state)),
                        value=packed_from_text(stored.value) if stored.value is not None else None,
                        error=json.loads(stored.error) if stored.error is not None else None,
                        process=stored.process)
    if record.status is not None:
        record.done.set()
    return record


def _session_snapshot(state: CallState | None) -> Packed:
    """The launching call's session, packed for the task (a value that cannot be sent is left out)."""
    data = dict(state.session.data) if state is not None else {}
    try:
        return pack(data)
    except Exception:  # noqa: BLE001
        return pack({k: v for k, v in data.items() if _sendable(v)})


def _sendable(value: Any) -> bool:
    try:
        pack(value)
        return True
    except Exception:  # noqa: BLE001
        return False
