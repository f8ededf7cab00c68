"""Where state that must outlive one process lives: sessions, background-task records, uplink registrations.

One interface (:class:`~.base.Store`), three implementations chosen by a URL (``--store``):
``sqlite:///PATH`` (the default, one file next to the app), ``redis://HOST:PORT/DB`` (several
processes and machines) and ``memory`` (this process only). Server code never knows which it has.

May import: nothing else of the server.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     store = open_store("memory")
    ...     await store.open()
    ...     session = await store.create_session()
    ...     await store.save_session(session.token, {"user": '"ada"'}, [])
    ...     return (await store.get_session(session.token)).data
    >>> asyncio.run(demo())
    {'user': '"ada"'}
"""

from __future__ import annotations

from .base import (ProcessId, SessionRecord, Store, StoreSettings, StoreUnavailableError, StoredTask,
                   new_process_id)
from .url import StoreUrlError, default_store_url, describe_store_url, open_store

__all__ = ["ProcessId", "SessionRecord", "Store", "StoreSettings", "StoreUnavailableError", "StoredTask",
           "StoreUrlError", "default_store_url", "describe_store_url", "new_process_id", "open_store"]
