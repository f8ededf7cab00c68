"""Sessions: the :class:`~.store.SessionStore` interface (create, get, save, expire) with its in-memory
implementation, and how HTTP requests and WebSockets name their session (cookie or URL token).

Every Session is made by a store (:meth:`~.store.SessionStore.create`); a shared store (SQLite,
Redis) replaces :class:`~.store.InMemorySessionStore` behind the same interface.

May import: nothing else of the server.

Example:
    >>> from anvil_pyodide.sessions.store import InMemorySessionStore
    >>> InMemorySessionStore().create().data
    {}
"""
