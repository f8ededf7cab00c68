"""Store reads for a synchronous API called on the server's event loop itself (an ``async def`` server function
calling ``anvil.server.get_background_task``): they run on an event loop of their own in a thread of their
own, with the store's :meth:`~anvil_pyodide.store.Store.twin`, while the server's loop waits for them — one
store round trip, bounded by ``timeout``. (The server's loop cannot serve them: it is the one waiting.)

Example:
    >>> import asyncio
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> from anvil_pyodide.store import StoredTask
    >>> store = MemoryStore()
    >>> side = SideLoop(store)
    >>> async def on_the_loop():
    ...     await store.put_task(StoredTask("t1", "crunch", start=1.0))
    ...     return side.run(lambda store: store.get_task("t1"), timeout=10).name
    >>> asyncio.run(on_the_loop())
    'crunch'
    >>> side.close()
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, TypeVar

from ..store import Store

T = TypeVar("T")


class SideLoop:
    """A daemon thread running an event loop, with the store opened there on first use."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._twin: Store | None = None

    def run(self, read: Callable[[Store], Awaitable[T]], timeout: float) -> T:
        """``await read(store)`` on the side loop; blocks the calling thread until it is done (or ``timeout``)."""
        return asyncio.run_coroutine_threadsafe(self._read(read), self._started()).result(timeout)

    async def _read(self, read: Callable[[Store], Awaitable[T]]) -> T:
        if self._twin is None:
            twin = self.store.twin()
            if twin is not self.store:
                await twin.open()
            self._twin = twin
        return await read(self._twin)

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="anvil-store-side-loop", daemon=True).start()
                self._loop = loop
            return self._loop

    def close(self) -> None:
        """Close the twin (if it is one) and stop the thread."""
        loop, twin = self._loop, self._twin
        if loop is None:
            return
        if twin is not None and twin is not self.store:
            asyncio.run_coroutine_threadsafe(twin.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._loop = self._twin = None


def on_loop(loop: Any) -> bool:
    """Whether the calling thread is the one running ``loop``."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
