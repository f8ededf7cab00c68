"""LiveObject: a reference to an object that lives on the server (a table row, a background Task).

The codec carries its description (``backend``, ``id``, ``permissions``, ``mac``, ``methods`` and
any cache) unchanged in both directions.

Example:
    >>> row = LiveObjectProxy({"backend": "anvil.tables.Row", "id": "[1,2]", "methods": ["get"]})
    >>> row.backend, row.id
    ('anvil.tables.Row', '[1,2]')
    >>> callable(row.get), hasattr(row, "delete")       # methods in the spec, called through the server
    (True, False)
"""

from __future__ import annotations

import copy
import functools
from typing import Any


class LiveObjectProxy:
    """A live object received from the other side; send it back and it refers to the same object."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = {k: v for k, v in spec.items() if k not in ("type", "path")}

    @property
    def backend(self) -> str:
        return self._spec["backend"]

    @property
    def id(self) -> str:
        return self._spec["id"]

    def __getattr__(self, name: str) -> Any:
        """A method the object offers (its spec's ``methods``), called on the side that owns it."""
        if name.startswith("_") or name not in (self._spec.get("methods") or ()):
            raise AttributeError(f"{self!r} has no attribute {name!r}")
        return functools.partial(_call_method, self, name)

    def _wire_spec(self) -> dict[str, Any]:
        return copy.deepcopy(self._spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LiveObjectProxy):
            return NotImplemented
        return (self.backend, self.id) == (other.backend, other.id)

    def __hash__(self) -> int:
        return hash((self.backend, self.id))

    def __repr__(self) -> str:
        return f"<LiveObject: {self.backend} {self.id}>"


def _call_method(obj: LiveObjectProxy, method: str, *args: Any, **kwargs: Any) -> Any:
    """In the browser, a blocking server call of the object's method (as ``anvil.server.call``)."""
    from ._backend import IN_BROWSER

    if not IN_BROWSER:
        raise RuntimeError(f"Calling {method}() of {obj!r} is only supported in browser code; server code holds "
                           f"the object itself (for a background Task: anvil.server.get_background_task(obj.id))")
    from ._browser.calls import blocking_call

    return blocking_call(method, args, kwargs, silent=False, live_object=obj._wire_spec())
