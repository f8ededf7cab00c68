"""``memory``: the store in this process's memory — for throwaway runs and single-process tests.

Nothing survives a restart and no other process sees it, so the server refuses it with ``--workers``
above 1.

Example:
    >>> import asyncio
    >>> store = MemoryStore()
    >>> async def demo():
    ...     await store.put_task(StoredTask("t1", "crunch", start=1.0))
    ...     await store.update_task("t1", status="completed", value="42")
    ...     return (await store.get_task("t1")).status
    >>> asyncio.run(demo())
    'completed'
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from typing import Callable, Iterable, Mapping

from .base import ProcessId, SessionRecord, Store, StoreSettings, StoredTask, final_status
from .task_update import apply_task_update


class MemoryStore(Store):
    """Dicts guarded by the event loop (every method runs on it without awaiting in between)."""

    shared = False

    def __init__(self, settings: StoreSettings | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(settings)
        self.description = "memory"
        self._clock = clock
        self._sessions: dict[str, tuple[SessionRecord, float]] = {}
        self._tasks: dict[str, tuple[StoredTask, float | None]] = {}
        self._heartbeats: dict[ProcessId, float] = {}
        self._uplinks: dict[str, set[ProcessId]] = {}

    async def create_session(self) -> SessionRecord:
        record = SessionRecord(secrets.token_urlsafe(24), secrets.token_bytes(32))
        self._sessions[record.token] = (record, self._clock() + self.settings.session_first_use_timeout)
        return SessionRecord(record.token, record.secret, {})

    async def get_session(self, token: str) -> SessionRecord | None:
        entry = self._sessions.get(token)
        if entry is None or entry[1] <= self._clock():
            self._sessions.pop(token, None)
            return None
        record = entry[0]
        self._sessions[token] = (record, self._clock() + self.settings.session_idle_timeout)
        return SessionRecord(record.token, record.secret, dict(record.data))

    async def save_session(self, token: str, changed: Mapping[str, str], deleted: Iterable[str]) -> bool:
        entry = self._sessions.get(token)
        if entry is None or entry[1] <= self._clock():
            return False
        data = entry[0].data
        data.update(changed)
        for key in deleted:
            data.pop(key, None)
        return True

    async def delete_session(self, token: str) -> None:
        self._sessions.pop(token, None)

    async def put_task(self, task: StoredTask) -> None:
        self._tasks[task.id] = (replace(task), self._task_expiry(task))

    async def get_task(self, task_id: str) -> StoredTask | None:
        entry = self._tasks.get(task_id)
        if entry is None or not self._kept(entry[1]):
            return None
        return replace(entry[0])

    async def list_tasks(self) -> list[StoredTask]:
        kept = [replace(task) for task, expires in self._tasks.values() if self._kept(expires)]
        return sorted(kept, key=lambda t: (t.start, t.id))

    async def update_task(self, task_id: str, *, state: str | None = None, status: str | None = None,
                          value: str | None = None, error: str | None = None) -> bool:
        entry = self._tasks.get(task_id)
        if entry is None or final_status(entry[0].status):
            return False
        task = apply_task_update(entry[0], self._clock(), state=state, status=status, value=value, error=error)
        self._tasks[task_id] = (task, self._task_expiry(task))
        return True

    async def heartbeat(self, process: ProcessId) -> None:
        self._heartbeats[process] = self._clock() + self.settings.process_ttl

    async def live_processes(self) -> set[ProcessId]:
        now = self._clock()
        return {p for p, expires in self._heartbeats.items() if expires > now}

    async def register_uplink(self, name: str, process: ProcessId) -> None:
        self._uplinks.setdefault(name, set()).add(process)

    async def unregister_uplink(self, name: str, process: ProcessId) -> None:
        owners = self._uplinks.get(name)
        if owners is not None:
            owners.discard(process)
            if not owners:
                del self._uplinks[name]

    async def uplink_owners(self, name: str) -> list[ProcessId]:
        live = await self.live_processes()
        return sorted(p for p in self._uplinks.get(name, ()) if p in live)

    async def drop_process(self, process: ProcessId) -> None:
        self._heartbeats.pop(process, None)
        for name in list(self._uplinks):
            await self.unregister_uplink(name, process)

    async def purge_expired(self) -> None:
        now = self._clock()
        for token in [t for t, (_, expires) in self._sessions.items() if expires <= now]:
            del self._sessions[token]
        for task_id in [i for i, (_, expires) in self._tasks.items() if not self._kept(expires)]:
            del self._tasks[task_id]
        live = await self.live_processes()
        for process in [p for p in self._heartbeats if p not in live]:
            await self.drop_process(process)

    def _task_expiry(self, task: StoredTask) -> float | None:
        return None if task.ended is None else task.ended + self.settings.task_retention

    def _kept(self, expires: float | None) -> bool:
        return expires is None or expires > self._clock()
