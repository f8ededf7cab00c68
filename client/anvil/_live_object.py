"""LiveObject: a reference to an object that lives on the server (a table row, a background Task).

The codec carries its description (``backend``, ``id``, ``permissions``, ``mac``, ``methods`` and
any cache) unchanged in both directions.

Example:
    >>> row = LiveObjectProxy({"backend": "anvil.tables.Row", "id": "[1,2]", "methods": ["get"]})
    >>> row.backend, row.id
    ('anvil.tables.Row', '[1,2]')
"""

from __future__ import annotations

import copy
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
