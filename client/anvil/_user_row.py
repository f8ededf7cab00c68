"""A user: a dict-like row (``user["email"]``, ``user.get_id()``, the app's own columns) that crosses the wire.

The same class on both sides (a portable class). In server code a row writes through to the store
(``user["team"] = "blue"``); in browser code, and for a row that came from a browser, it is a
read-only snapshot (write in a server function, after ``anvil.users.get_user()``).

Example:
    >>> user = UserRow("u1", {"email": "ada@example.com", "team": "blue"})
    >>> user["email"], user.get_id(), user.get("missing", 0), dict(user)["team"]
    ('ada@example.com', 'u1', 0, 'blue')
    >>> try:
    ...     user["team"] = "red"
    ... except Exception as e:
    ...     print(type(e).__name__)
    PermissionDenied
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ._errors import PermissionDenied
from ._portable import portable_class

#: Writes changed columns of a user (installed by the server on rows it hands to server code).
ColumnWriter = Callable[[str, dict[str, Any]], None]


@portable_class("anvil.users.User")
class UserRow:
    """One user's columns, by name. Iterating gives ``(column, value)`` pairs, as Anvil's rows do."""

    def __init__(self, user_id: str, columns: dict[str, Any], writer: ColumnWriter | None = None) -> None:
        self._id = user_id
        self._columns = dict(columns)
        self._writer = writer

    def get_id(self) -> str:
        """The user's id (stable, unique)."""
        return self._id

    def __getitem__(self, column: str) -> Any:
        try:
            return self._columns[column]
        except KeyError:
            raise KeyError(f"The users have no column {column!r} (columns: {', '.join(sorted(self._columns))})") \
                from None

    def get(self, column: str, default: Any = None) -> Any:
        return self._columns.get(column, default)

    def keys(self) -> list[str]:
        return list(self._columns)

    def items(self) -> list[tuple[str, Any]]:
        return list(self._columns.items())

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.items())

    def __contains__(self, column: object) -> bool:
        return column in self._columns

    def __setitem__(self, column: str, value: Any) -> None:
        self.update(**{column: value})

    def update(self, **columns: Any) -> None:
        """Change columns (server code only): ``user.update(team="blue", score=3)``."""
        if self._writer is None:
            raise PermissionDenied("This user row is read-only here: change users in server code, on the row "
                                   "anvil.users.get_user() returns")
        self._writer(self._id, columns)
        self._columns.update(columns)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UserRow) and other._id == self._id

    def __hash__(self) -> int:
        return hash(("anvil.users.User", self._id))

    def __repr__(self) -> str:
        return f"<anvil.users.User {self._id} {self._columns.get('email')!r}>"

    def __serialize__(self, info: Any) -> dict[str, Any]:
        return {"id": self._id, "columns": self._columns}

    def __deserialize__(self, data: dict[str, Any], info: Any) -> None:
        self._id, self._columns, self._writer = str(data["id"]), dict(data["columns"]), None
