"""Path templates such as ``/items/:id`` and a table of handlers found by path and method (used by HTTP
endpoints and by routes).

Example:
    >>> table = PathTable()
    >>> table.add(PathEntry("/items/:id", ("GET",), "get_item"))
    >>> table.add(PathEntry("/items/new", ("GET",), "new_form"))
    >>> table.match("/items/7", "GET")
    (PathEntry(path='/items/:id', methods=('GET',), handler='get_item'), {'id': '7'}, ())
    >>> table.match("/items/new", "GET")[0].handler
    'new_form'
    >>> table.match("/items/7", "POST")
    (None, {}, ('GET',))
    >>> table.match("/nothing", "GET")
    (None, {}, ())
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


def split_path(path: str) -> list[str]:
    """The segments of a path; a trailing slash does not count (``/a/b/`` is ``/a/b``).

    Example:
        >>> split_path("/a/b/"), split_path("/"), split_path("")
        (['a', 'b'], [], [])
    """
    return [segment for segment in path.strip("/").split("/") if segment] if path.strip("/") else []


def check_template(path: str) -> str:
    """A valid template starts with ``/``; ``:name`` segments must name an identifier, once each."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"A path must be a str starting with '/', not {path!r}")
    names = [s[1:] for s in split_path(path) if s.startswith(":")]
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"Path parameter {name!r} in {path!r} is not a Python identifier")
    if len(set(names)) != len(names):
        raise ValueError(f"A path parameter is named twice in {path!r}")
    return path


def match_template(template: str, path: str) -> dict[str, str] | None:
    """The path parameters (URL-decoded) if ``path`` matches ``template``, else None.

    Example:
        >>> match_template("/report/:month", "/report/2024%2D05"), match_template("/report/:month", "/report")
        ({'month': '2024-05'}, None)
    """
    wanted, given = split_path(template), split_path(path)
    if len(wanted) != len(given):
        return None
    params = {}
    for pattern, segment in zip(wanted, given):
        if pattern.startswith(":"):
            params[pattern[1:]] = unquote(segment)
        elif pattern != unquote(segment):
            return None
    return params


def literal_segments(template: str) -> int:
    return sum(1 for s in split_path(template) if not s.startswith(":"))


@dataclass(frozen=True)
class PathEntry:
    """A handler for a path template and some HTTP methods (upper case)."""

    path: str
    methods: tuple[str, ...]
    handler: Any


class PathTable:
    """Entries looked up by path, then method. A template with more literal segments wins; adding a
    template again replaces the entry for the same methods (as when a module is reloaded)."""

    def __init__(self) -> None:
        self._entries: list[PathEntry] = []
        self._lock = threading.Lock()

    def add(self, entry: PathEntry) -> None:
        check_template(entry.path)
        with self._lock:
            kept = [e for e in self._entries
                    if not (split_path(e.path) == split_path(entry.path) and set(e.methods) & set(entry.methods))]
            self._entries = sorted([*kept, entry], key=lambda e: -literal_segments(e.path))

    def match(self, path: str, method: str) -> tuple[PathEntry | None, dict[str, str], tuple[str, ...]]:
        """``(entry, params, ())`` when found; ``(None, {}, allowed methods)`` when only the method is wrong;
        ``(None, {}, ())`` when nothing matches the path."""
        allowed: list[str] = []
        for entry in self._entries:
            params = match_template(entry.path, path)
            if params is None:
                continue
            if method in entry.methods:
                return entry, params, ()
            allowed += [m for m in entry.methods if m not in allowed]
        return None, {}, tuple(allowed)

    def entries(self) -> list[PathEntry]:
        return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries = []
