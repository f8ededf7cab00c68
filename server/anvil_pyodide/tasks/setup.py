"""Wiring background tasks into a server: the manager, its process runner and journal, the private functions.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from anvil_pyodide.calls.registry import FunctionRegistry
    >>> registry = FunctionRegistry()
    >>> config = ServerConfig(app_dir=Path("demo"), task_journal=Path(tempfile.mkdtemp()) / "tasks.jsonl")
    >>> manager = create_task_manager(config, registry)
    >>> type(manager.runner).__name__, registry.names()[-1]
    ('ProcessTaskRunner', 'anvil.private.live_object_call')
"""

from __future__ import annotations

from typing import Any

from ..calls.registry import FunctionRegistry
from ..config import ServerConfig
from .journal import TaskJournal, default_journal_path
from .live import LIVE_OBJECT_CALL, live_object_call
from .manager import TaskManager
from .private import PRIVATE_FUNCTIONS
from .runner import ProcessTaskRunner
from .worker import run_task


def create_task_manager(config: ServerConfig, registry: FunctionRegistry, uplinks: Any = None) -> TaskManager:
    """The task service of one app: tasks run in processes, uplink tasks on uplinks; Tasks are LiveObjects."""
    assert config.app_dir is not None
    registry.register(LIVE_OBJECT_CALL, live_object_call)
    for name, fn in PRIVATE_FUNCTIONS.items():
        registry.register(name, fn)
    journal = TaskJournal(config.task_journal or default_journal_path(config.app_dir))
    return TaskManager(ProcessTaskRunner(config.app_dir, entry=run_task), uplinks=uplinks, journal=journal)
