"""The background-task names of server-side ``anvil.server`` (re-exported by :mod:`.server_api`).

Example:
    >>> try:
    ...     launch_background_task("crunch")
    ... except RuntimeError as e:
    ...     print(e)
    anvil.server.launch_background_task is only available while a server function is running
"""

from __future__ import annotations

from typing import Any

from ..calls.context import current_call, require_call
from .manager import Task, TaskManager
from .registry import background_task
from .state import task_state

__all__ = ["Task", "background_task", "get_background_task", "launch_background_task", "list_background_tasks",
           "task_state"]


def _manager(what: str) -> TaskManager:
    state = require_call(f"anvil.server.{what}")
    manager = getattr(state.dispatcher, "tasks", None)
    if manager is None:
        raise RuntimeError(f"anvil.server.{what} is not available here (no background task service; "
                           f"launch tasks from server functions, not from inside a task)")
    return manager


def launch_background_task(name: str, *args: Any, **kwargs: Any) -> Task:
    """Start background task ``name`` with these arguments; returns its Task at once."""
    return _manager("launch_background_task").launch(name, args, kwargs, current_call.get())


def get_background_task(task_id: str) -> Task:
    """The Task with this id (``anvil.server.BackgroundTaskNotFound`` if there is none)."""
    return _manager("get_background_task").get(task_id)


def list_background_tasks(all_environments: bool = False) -> list[Task]:
    """Every task this server launched since it started."""
    return _manager("list_background_tasks").list()
