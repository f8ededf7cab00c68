"""Sessions: :class:`~.store.SessionStore` (create, get, open for a call, save key by key, expire) over the
state store (:mod:`anvil_pyodide.store`: SQLite, Redis or memory), a connection's memory of when it last
found its session (:mod:`.recent`: calls soon after get it pending, read on first use), a session value's
stored form (:mod:`.values`), and how HTTP requests and WebSockets name their session (the SESSION
message, else the cookie).

May import: :mod:`anvil_pyodide.store`; nothing else of the server.

Example:
    >>> import asyncio
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> from anvil_pyodide.sessions.store import SessionStore
    >>> asyncio.run(SessionStore(MemoryStore()).create()).data
    {}
"""
