"""Paths into a message: how ``objects`` entries say where a value goes.

Example:
    >>> repr_path(["args", 0, "k"])
    "msg['args'][0]['k']"
"""

from __future__ import annotations

from typing import Any, Sequence

Path = list[Any]


def repr_path(path: Sequence[Any]) -> str:
    """Render a path the way error messages name it."""
    return "msg" + "".join(f"[{key!r}]" for key in path)


def is_valid_path(path: Any) -> bool:
    """True for a non-empty list of str and non-negative int keys (bools are not ints here)."""
    if type(path) is not list or not path:
        return False
    for key in path:
        if type(key) is not str and (type(key) is not int or key < 0):
            return False
    return True
