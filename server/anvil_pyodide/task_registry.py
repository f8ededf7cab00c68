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

import builtins
from typing import Any, Callable

from .registry import FunctionRegistry

#: The registry ``@anvil.server.background_task`` writes to (imported again in each task's process).
default_task_registry = FunctionRegistry()


def background_task(fn_or_name: Any = None, *, registry: FunctionRegistry | None = None) -> Any:
    """Register a function to run with ``anvil.server.launch_background_task(name, ...)``.

    Use as ``@anvil.server.background_task`` or ``@anvil.server.background_task("name")``.
    """
    target = registry if registry is not None else default_task_registry

    def register(fn: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
        target.register(name or fn.__name__, fn)
        return fn

    if isinstance(fn_or_name, str):
        return lambda fn: register(fn, fn_or_name)
    if fn_or_name is None:
        return register
    if builtins.callable(fn_or_name):
        return register(fn_or_name)
    raise TypeError(f"@anvil.server.background_task takes a function or a name, not {type(fn_or_name).__name__}")
