"""Wiring background tasks into a server: the manager, its process runner and journal, the private functions.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from anvil_pyodide.registry import FunctionRegistry
    >>> registry = FunctionRegistry()
    >>> config = ServerConfig(app_dir=Path("demo"), task_journal=Path(tempfile.mkdtemp()) / "tasks.jsonl")
    >>> manager = create_task_manager(config, registry)
    >>> type(manager.runner).__name__, registry.names()[-1]
    ('ProcessTaskRunner', 'anvil.private.live_object_call')
"""

from __future__ import annotations

from typing import Any

from .config import ServerConfig
from .registry import FunctionRegistry
from .task_journal import TaskJournal, default_journal_path
from .task_live import LIVE_OBJECT_CALL, live_object_call
from .task_private import PRIVATE_FUNCTIONS
from .task_runner import ProcessTaskRunner
from .tasks import TaskManager


def create_task_manager(config: ServerConfig, registry: FunctionRegistry, uplinks: Any = None) -> TaskManager:
    """The task service of one app: tasks run in processes, uplink tasks on uplinks; Tasks are LiveObjects."""
    assert config.app_dir is not None
    registry.register(LIVE_OBJECT_CALL, live_object_call)
    for name, fn in PRIVATE_FUNCTIONS.items():
        registry.register(name, fn)
    journal = TaskJournal(config.task_journal or default_journal_path(config.app_dir))
    return TaskManager(ProcessTaskRunner(config.app_dir), uplinks=uplinks, journal=journal)
