"""Which side of the wire this interpreter is on, and the one seam through which a server installs
its implementation of ``anvil.server``.

The ``anvil`` package never imports a server. A server makes its module of server-side names
(``callable``, ``session``, ``call``, ...) known either by calling :func:`install` before app code
runs, or by declaring it as an entry point in the group :data:`ENTRY_POINT_GROUP`, which is loaded
the first time server code asks ``anvil.server`` for such a name.

Example:
    >>> IS_SERVER_SIDE in (True, False)
    True
    >>> import types
    >>> fake = types.SimpleNamespace(callable=lambda fn: fn)
    >>> previous = installed()
    >>> install(fake); implementation() is fake
    True
    >>> install(previous)
"""

from __future__ import annotations

import sys
from typing import Any

#: True in Pyodide (the browser or Node running Pyodide).
IN_BROWSER: bool = sys.platform == "emscripten"

#: True in CPython hosting server code (and in host-side tests).
IS_SERVER_SIDE: bool = not IN_BROWSER

#: Where a server declares its implementation module (e.g. ``server = "anvil_pyodide.server_api"``).
ENTRY_POINT_GROUP = "anvil.server_backend"

_implementation: Any = None


def install(implementation: Any) -> None:
    """Make ``implementation`` (a module or object with the server-side names) back ``anvil.server``."""
    global _implementation
    _implementation = implementation


def installed() -> Any:
    """The installed implementation, or None."""
    return _implementation


def implementation() -> Any:
    """The installed implementation; loads the declared entry point the first time if none is installed."""
    if _implementation is None:
        from importlib.metadata import entry_points  # only server code gets here (the browser never does)

        found = list(entry_points(group=ENTRY_POINT_GROUP))
        if not found:
            raise RuntimeError("No server is installed to provide anvil.server's server-side functions "
                               f"(install one, such as anvil-pyodide, that declares an {ENTRY_POINT_GROUP!r} entry point)")
        install(found[0].load())
    return _implementation
