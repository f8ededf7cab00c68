"""Task records in the state store: written by the process running each task, read by any process.

The manager (called from worker threads and task-runner threads) marks a record changed; one
writer coroutine on the event loop stores the latest form of each changed record, in order, so a
burst of ``task_state`` updates costs one write. Reads from another process, or after a restart,
come back as :class:`~.manager.TaskRecord` snapshots; a record still "running" whose process no
longer sends heartbeats is reported as ``"missing"`` (and stored so).

Example:
    >>> import datetime as dt
    >>> from anvil_pyodide.tasks.packing import unpack
    >>> text = packed_to_text(pack({"when": dt.date(2024, 5, 1)}))
    >>> unpack(packed_from_text(text))
    {'when': datetime.date(2024, 5, 1)}
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Coroutine, TypeVar

import anvil.server

from ..store import ProcessId, Store, StoreUnavailableError, StoredTask
from .packing import Packed, pack
from .side_loop import SideLoop, on_loop

if TYPE_CHECKING:
    from .manager import TaskRecord

log = logging.getLogger("anvil_pyodide.tasks")
T = TypeVar("T")

#: Seconds a read from a worker thread waits for the store before giving up.
READ_TIMEOUT = 30.0
#: Why a task whose process is gone is "missing".
GONE = "the server process running it stopped (a restart, or a crash)"


def packed_to_text(packed: Packed) -> str:
    """A packed value as JSON text (Media bytes in base64)."""
    message, media = packed
    return json.dumps({"message": message, "media": {k: base64.b64encode(v).decode() for k, v in media.items()}})


def packed_from_text(text: str) -> Packed:
    data = json.loads(text)
    return data["message"], {k: base64.b64decode(v) for k, v in data["media"].items()}


def to_stored(record: "TaskRecord", process: ProcessId) -> StoredTask:
    try:
        state = packed_to_text(pack(dict(record.state)))
    except Exception:  # noqa: BLE001 - state values came through the codec; keep the record anyway
        state = packed_to_text(pack({}))
    return StoredTask(record.id, record.name, record.start, status=record.status, state=state,
                      value=packed_to_text(record.value) if record.value is not None else None,
                      error=json.dumps(record.error) if record.error is not None else None,
                      process=process, ended=record.ended)


class StoredTaskRecords:
    """The bridge between the manager (threads) and the store (coroutines on the server's event loop)."""

    def __init__(self, store: Store, process: ProcessId) -> None:
        self.store = store
        self.process = process
        self.loop: asyncio.AbstractEventLoop | None = None
        self._changed: dict[str, "TaskRecord"] = {}
        self._lock = threading.Lock()
        self._wake: asyncio.Event | None = None
        #: Reads asked for on the loop itself (from an async server function).
        self.side = SideLoop(store)

    async def run(self) -> None:
        """Store changed records until cancelled (start it on the server's loop)."""
        self.loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Store every record changed so far (a store outage is logged; the record is retried next change)."""
        with self._lock:
            changed, self._changed = self._changed, {}
        for record in changed.values():
            try:
                await self.store.put_task(to_stored(record, self.process))
            except StoreUnavailableError as e:
                log.warning("background task %s was not recorded: %s", record.id, e)

    def changed(self, record: "TaskRecord") -> None:
        """Mark a record for storing (from any thread)."""
        with self._lock:
            self._changed[record.id] = record
        loop, wake = self.loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def read(self, task_id: str) -> StoredTask | None:
        """The stored record (with "missing" for a running task whose process is gone); from a worker thread."""
        return self._wait(self._read, task_id) if self.loop is not None else None

    def read_all(self) -> list[StoredTask]:
        """Every stored record, oldest first (as :meth:`read`)."""
        return self._wait(self._read_all) if self.loop is not None else []

    async def _read(self, store: Store, task_id: str) -> StoredTask | None:
        task = await store.get_task(task_id)
        if task is None:
            return None
        return (await self._with_gone_marked(store, [task]))[0]

    async def _read_all(self, store: Store) -> list[StoredTask]:
        return await self._with_gone_marked(store, await store.list_tasks())

    async def _with_gone_marked(self, store: Store, tasks: list[StoredTask]) -> list[StoredTask]:
        running = [t for t in tasks if t.status is None and t.process != self.process]
        if not running:
            return tasks
        live = await store.live_processes()
        for task in running:
            if task.process not in live:
                error = json.dumps({"message": GONE})
                await store.update_task(task.id, status="missing", error=error)
                task.status, task.error = "missing", error
        return tasks

    def _wait(self, read: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run ``read(store, *args)`` and wait for it: on the server's loop from a worker thread, or, called on
        that loop itself (an async server function), on the side loop while the server's loop waits."""
        loop = self.loop
        assert loop is not None
        try:
            if on_loop(loop):
                return self.side.run(lambda store: read(store, *args), READ_TIMEOUT)
            return asyncio.run_coroutine_threadsafe(read(self.store, *args), loop).result(READ_TIMEOUT)
        except StoreUnavailableError as e:
            raise anvil.server.RuntimeUnavailableError(str(e)) from None

    def close(self) -> None:
        self.side.close()
