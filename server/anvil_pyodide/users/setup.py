"""Wiring ``anvil.users`` into a server: the service on the state store, the browser's private functions.

Example:
    >>> from pathlib import Path
    >>> from anvil_pyodide.calls.registry import FunctionRegistry
    >>> from anvil_pyodide.sessions.store import SessionStore
    >>> from anvil_pyodide.store.memory import MemoryStore
    >>> registry = FunctionRegistry()
    >>> store = MemoryStore()
    >>> service = create_users_service(store, SessionStore(store), ServerConfig(), registry)
    >>> type(service).__name__, "anvil.private.users.login_with_email" in registry.names()
    ('UsersService', True)
"""

from __future__ import annotations

from typing import Any

from ..calls.registry import FunctionRegistry
from ..config import ServerConfig
from ..store import Store
from .api import column_writer
from .private import PRIVATE_FUNCTIONS
from .service import UsersService


def create_users_service(store: Store, sessions: Any, config: ServerConfig, registry: FunctionRegistry) -> UsersService:
    """The users service of one app (rows handed to server code write through to ``store``)."""
    for name, fn in PRIVATE_FUNCTIONS.items():
        registry.register(name, fn)
    return UsersService(store, sessions, config, writer_for=column_writer)
