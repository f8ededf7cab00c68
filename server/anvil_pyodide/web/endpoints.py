"""``@anvil.server.http_endpoint(path, ...)``: a server function answering HTTP requests under
``<app origin>/_/api``. Path parameters (``/items/:id``) and query parameters arrive as keyword arguments.

Example:
    >>> table = EndpointTable()
    >>> @http_endpoint("/items/:id", methods=["GET", "PUT"], registry=table)
    ... def item(id, **query): return {"id": id, **query}
    >>> entry, params, _ = table.match("/items/7", "PUT")
    >>> entry.handler.fn(**params), entry.handler.enable_cors
    ({'id': '7'}, False)
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .paths import PathEntry, PathTable, check_template

DEFAULT_METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Endpoint:
    """One endpoint function and its options."""

    fn: Callable[..., Any]
    enable_cors: bool = False
    require_credentials: bool = False
    authenticate_users: bool = False

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", repr(self.fn))


class EndpointTable(PathTable):
    """Endpoints by path and method."""


#: The table ``@anvil.server.http_endpoint`` writes to.
default_endpoints = EndpointTable()


def check_methods(methods: Iterable[str] | str, what: str) -> tuple[str, ...]:
    """Upper-cased method names; a bare str is refused (a common slip: ``methods="GET"``).

    Example:
        >>> check_methods(["get", "post"], "x")
        ('GET', 'POST')
    """
    if isinstance(methods, str) or not all(isinstance(m, str) and m.isalpha() for m in methods):
        raise TypeError(f"{what}: methods must be a list of method names such as ['GET', 'POST'], not {methods!r}")
    checked = tuple(dict.fromkeys(m.upper() for m in methods))
    if not checked:
        raise ValueError(f"{what}: methods must not be empty")
    return checked


def http_endpoint(path: str, methods: Iterable[str] = DEFAULT_METHODS, enable_cors: bool = False,
                  require_credentials: bool = False, authenticate_users: bool = False,
                  cross_site_session: bool = False,
                  registry: PathTable | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve the decorated function at ``<app origin>/_/api<path>`` for ``methods``.

    ``enable_cors`` answers CORS preflights and lets any origin read the answers; ``require_credentials``
    answers 401 to requests without HTTP Basic credentials (the function checks ``anvil.server.request``'s
    ``username`` and ``password`` itself); ``authenticate_users`` always answers 401: there is no user
    service. ``cross_site_session`` is accepted and ignored. ``registry`` is for tests.
    """
    checked = check_methods(methods, f"@anvil.server.http_endpoint({path!r})")
    table = default_endpoints if registry is None else registry

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not builtins.callable(fn):
            raise TypeError(f"@anvil.server.http_endpoint decorates a function, not {type(fn).__name__}")
        table.add(PathEntry(path, checked, Endpoint(fn, bool(enable_cors), bool(require_credentials),
                                                    bool(authenticate_users))))
        return fn

    if builtins.callable(path):
        raise TypeError("@anvil.server.http_endpoint needs a path: @anvil.server.http_endpoint('/items/:id')")
    check_template(path)
    return register
