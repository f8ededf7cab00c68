"""The registry of server functions a caller may invoke by name.

Example:
    >>> registry = FunctionRegistry()
    >>> def add(a, b): return a + b
    >>> registry.register("add", add).is_async
    False
    >>> registry.lookup("add").fn(1, 2)
    3
    >>> registry.lookup("nope") is None
    True
"""

from __future__ import annotations

import functools
import inspect
import threading
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class ServerFunction:
    """One registered function: ``require_user`` is False, True, or a predicate on the user."""

    name: str
    fn: Callable[..., Any]
    require_user: Any = False

    @functools.cached_property
    def is_async(self) -> bool:
        """Whether ``fn`` is an ``async def`` function (looked at once: asked on every call)."""
        return inspect.iscoroutinefunction(self.fn)


class FunctionRegistry:
    """Name → function; registering a name again replaces it (as when a module is reloaded)."""

    def __init__(self) -> None:
        self._functions: dict[str, ServerFunction] = {}
        self._lock = threading.Lock()

    def register(self, name: str, fn: Callable[..., Any], require_user: Any = False) -> ServerFunction:
        if not isinstance(name, str) or not name:
            raise TypeError("A server function's name must be a non-empty str")
        if not callable(fn):
            raise TypeError(f"{fn!r} is not callable")
        entry = ServerFunction(name, fn, require_user)
        with self._lock:
            self._functions[name] = entry
        return entry

    def lookup(self, name: str) -> ServerFunction | None:
        return self._functions.get(name)

    def names(self) -> list[str]:
        return sorted(self._functions)

    def clear(self) -> None:
        with self._lock:
            self._functions.clear()


def registration_decorator(what: str, register: Callable[[Callable[..., Any], str], Any], fn_or_name: Any) -> Any:
    """The three forms of a registering decorator: ``@what``, ``@what("name")`` and ``@what()``.

    ``register(fn, name)`` is called with the function and its name (the function's own by default).

    Example:
        >>> seen = []
        >>> def register(fn, name): seen.append(name)
        >>> _ = registration_decorator("thing", register, "custom")(len)
        >>> _ = registration_decorator("thing", register, len)
        >>> seen
        ['custom', 'len']
    """
    def apply(fn: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
        register(fn, name or fn.__name__)
        return fn

    if isinstance(fn_or_name, str):
        return lambda fn: apply(fn, fn_or_name)
    if fn_or_name is None:
        return apply
    if callable(fn_or_name):
        return apply(fn_or_name)
    raise TypeError(f"@anvil.server.{what} takes a function or a name, not {type(fn_or_name).__name__}")


#: The registry ``@anvil.server.callable`` writes to.
default_registry = FunctionRegistry()
