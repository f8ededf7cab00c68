"""A server process's upkeep of the store: heartbeats (so others know it is alive) and purging expired records.

Runs for the life of the server. While the store is unreachable it logs one warning (and one line
when it is back) instead of failing: calls that need the store fail on their own meanwhile.

Example:
    >>> import asyncio
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> async def demo():
    ...     store = MemoryStore()
    ...     upkeep = asyncio.create_task(keep_up(store, "p1"))
    ...     await asyncio.sleep(0)                    # its first heartbeat
    ...     upkeep.cancel()
    ...     return await store.live_processes()
    >>> asyncio.run(demo())
    {'p1'}
"""

from __future__ import annotations

import asyncio
import logging

from .base import ProcessId, Store, StoreUnavailableError

log = logging.getLogger("anvil_pyodide.store")


async def keep_up(store: Store, process: ProcessId) -> None:
    """Heartbeat every third of ``process_ttl`` and purge expired records; until cancelled."""
    interval = store.settings.process_ttl / 3
    outage: str | None = None
    while True:
        try:
            await store.heartbeat(process)
            await store.purge_expired()
            if outage is not None:
                log.warning("the state store %s is reachable again", store.description)
                outage = None
        except StoreUnavailableError as e:
            if outage is None:
                log.warning("%s (calls that need it fail until it is back)", e)
            outage = str(e)
        except Exception:  # noqa: BLE001 - upkeep must never stop
            log.exception("state store upkeep failed")
        await asyncio.sleep(interval)
