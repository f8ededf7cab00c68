"""``anvil.server.task_state``: a dict a background task writes and the server reads while it runs.

Inside a task's process every assignment or deletion sends the whole dict (packed with the wire
codec) to the server, so assign to publish: ``task_state["progress"] = 50``. Mutating a value in
place (``task_state["log"].append(x)``) is not seen until the key is assigned again. A value the
codec cannot send raises ``anvil.server.SerializationError`` at the assignment.

Example:
    >>> sent = []
    >>> state = TaskStateDict(sent.append)
    >>> state["progress"] = 50
    >>> del state["progress"]; state["done"] = True
    >>> [dict(s) for s in sent]
    [{'progress': 50}, {}, {'done': True}]
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Callable, Iterator


class TaskStateDict(MutableMapping):
    """The task's own state; ``publish`` gets a copy of the whole dict after each change."""

    def __init__(self, publish: Callable[[dict[str, Any]], None]) -> None:
        self._data: dict[str, Any] = {}
        self._publish = publish

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        candidate = {**self._data, key: value}
        self._publish(candidate)  # first: an unsendable value raises here and is not stored
        self._data = candidate

    def __delitem__(self, key: Any) -> None:
        candidate = dict(self._data)
        del candidate[key]
        self._publish(candidate)
        self._data = candidate

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<anvil.server.task_state {self._data!r}>"


class _TaskStateProxy(MutableMapping):
    """``anvil.server.task_state``: the running task's TaskStateDict (only inside a background task)."""

    current: TaskStateDict | None = None

    def _state(self) -> TaskStateDict:
        if self.current is None:
            raise RuntimeError("anvil.server.task_state is only available inside a background task")
        return self.current

    def __getitem__(self, key: Any) -> Any:
        return self._state()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._state()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._state()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._state())

    def __len__(self) -> int:
        return len(self._state())

    def __repr__(self) -> str:
        return repr(self.current) if self.current is not None else "<anvil.server.task_state (not in a task)>"


task_state = _TaskStateProxy()
