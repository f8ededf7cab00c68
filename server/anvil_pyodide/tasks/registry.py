"""``@anvil.server.background_task``: the registry of functions that can run as background tasks.

Example:
    >>> registry = FunctionRegistry()
    >>> @background_task(registry=registry)
    ... def crunch(n): return n * 2
    >>> @background_task("reports.build", registry=registry)
    ... def build(): return "done"
    >>> registry.names()
    ['crunch', 'reports.build']
"""

from __future__ import annotations

from typing import Any, Callable

from ..calls.registry import FunctionRegistry, registration_decorator

#: The registry ``@anvil.server.background_task`` writes to (imported again in each task's process).
default_task_registry = FunctionRegistry()


def background_task(fn_or_name: Any = None, *, registry: FunctionRegistry | None = None) -> Any:
    """Register a function to run with ``anvil.server.launch_background_task(name, ...)``.

    Use as ``@anvil.server.background_task`` or ``@anvil.server.background_task("name")``.
    """
    target = registry if registry is not None else default_task_registry

    return registration_decorator("background_task", lambda fn, name: target.register(name, fn), fn_or_name)
