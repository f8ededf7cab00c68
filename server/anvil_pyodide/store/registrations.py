"""Which function names this process's uplinks serve, recorded in the store (with this process's id).

The uplink hub says when a name gains its first uplink here (:meth:`StoredRegistrations.serving`) and
loses its last (:meth:`~StoredRegistrations.not_serving`); one coroutine writes these to the store in
order, and every ``process_ttl / 3`` seconds writes the whole current set again, so registrations
come back by themselves after a store outage (or a Redis restart). Other processes read them with
:meth:`~.base.Store.uplink_owners`, which counts only processes that still send heartbeats.

Example:
    >>> import asyncio
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> async def demo():
    ...     store = MemoryStore()
    ...     await store.heartbeat("p1")
    ...     registrations = StoredRegistrations(store, "p1")
    ...     writer = asyncio.create_task(registrations.run())
    ...     registrations.serving("train_model")
    ...     await registrations.settled()
    ...     writer.cancel()
    ...     return await store.uplink_owners("train_model")
    >>> asyncio.run(demo())
    ['p1']
"""

from __future__ import annotations

import asyncio
import logging

from .base import ProcessId, Store, StoreUnavailableError

log = logging.getLogger("anvil_pyodide.store")


class StoredRegistrations:
    """The hub's registrations mirrored into the store (call its methods on the event loop)."""

    def __init__(self, store: Store, process: ProcessId) -> None:
        self.store = store
        self.process = process
        self.names: set[str] = set()
        self._changes: asyncio.Queue[tuple[bool, str]] | None = None

    def serving(self, name: str) -> None:
        """An uplink of this process now serves ``name``."""
        self.names.add(name)
        self._queue().put_nowait((True, name))

    def not_serving(self, name: str) -> None:
        """No uplink of this process serves ``name`` any more."""
        self.names.discard(name)
        self._queue().put_nowait((False, name))

    async def settled(self) -> None:
        """Wait until every change so far is written (or failed and logged)."""
        await self._queue().join()

    async def run(self) -> None:
        """Write changes as they come, and the whole set again every ``process_ttl / 3`` s; until cancelled."""
        changes = self._queue()
        interval = self.store.settings.process_ttl / 3
        while True:
            try:
                serving, name = await asyncio.wait_for(changes.get(), interval)
            except asyncio.TimeoutError:
                await self._write_all()
                continue
            try:
                if serving:
                    await self.store.register_uplink(name, self.process)
                else:
                    await self.store.unregister_uplink(name, self.process)
            except StoreUnavailableError as e:
                log.warning("uplink registration of %r not recorded: %s (retried)", name, e)
            finally:
                changes.task_done()

    async def _write_all(self) -> None:
        try:
            for name in sorted(self.names):
                await self.store.register_uplink(name, self.process)
        except StoreUnavailableError:
            pass  # the upkeep task already reports the outage

    def _queue(self) -> asyncio.Queue[tuple[bool, str]]:
        if self._changes is None:
            self._changes = asyncio.Queue()
        return self._changes
