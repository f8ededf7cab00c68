"""Portable classes: user classes whose instances (and the classes themselves) cross the wire.

Example:
    >>> @portable_class
    ... class Point:
    ...     def __init__(self, x, y): self.x, self.y = x, y
    >>> registered_name(Point).endswith(".Point"), lookup_portable_class(registered_name(Point)) is Point
    (True, True)
    >>> @portable_class("geo.Place")
    ... class Place: pass
    >>> registered_name(Place)
    'geo.Place'
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T", bound=type)

_classes_by_name: dict[str, type] = {}
_names_by_class: dict[type, str] = {}


def portable_class(cls: Any = None, name: str | None = None) -> Any:
    """Register a class so its instances can be sent between browser and server.

    Use bare (``@portable_class``; the name is ``module.Class``), with a name
    (``@portable_class("my.Name")``) or ``portable_class(cls, name)``. Instances are sent as
    ``__serialize__(info)`` if the class defines it, else their ``__dict__``; they are rebuilt with
    ``__new_deserialized__(data, info)``, or ``__deserialize__(data, info)`` on a bare instance, or
    by updating ``__dict__``.
    """
    if isinstance(cls, str) and name is None:
        return lambda actual: _register(actual, cls)
    if cls is None:
        return lambda actual: _register(actual, name)
    return _register(cls, name)


def _register(cls: T, name: str | None) -> T:
    if not isinstance(cls, type):
        raise TypeError(f"@portable_class must decorate a class, not {type(cls).__name__}")
    if name is None:
        name = f"{cls.__module__}.{cls.__name__}"
    elif not isinstance(name, str) or not name:
        raise TypeError("The name given to portable_class must be a non-empty str")
    previous = _classes_by_name.get(name)
    if previous is not None:
        _names_by_class.pop(previous, None)
    _classes_by_name[name] = cls
    _names_by_class[cls] = name
    cls.SERIALIZATION_INFO = (name, cls)  # type: ignore[attr-defined]
    return cls


def registered_name(cls: type) -> str | None:
    """The name ``cls`` is registered under, or None (a subclass is not covered by its parent)."""
    return _names_by_class.get(cls)


def lookup_portable_class(name: str) -> type | None:
    """The class registered under ``name``, or None."""
    return _classes_by_name.get(name)


class SerializationInfo:
    """Passed to ``__serialize__`` / ``__deserialize__`` / ``__new_deserialized__``.

    ``shared_data(key=None)`` returns ``(transmitted, local)``: two dicts shared by every object of
    one message (``key`` defaults to the class being processed). ``transmitted`` travels once per
    message (in ``vt_global``); it is None while a shared-data value itself is being processed.

    Example:
        >>> info = SerializationInfo()
        >>> info._set_default_key("app.Tree")
        >>> sent, local = info.shared_data()
        >>> sent["nodes"] = 3
        >>> info._to_wire()
        ['app.Tree', {'nodes': 3}]
    """

    def __init__(self, received: Any = None, remote_is_trusted: bool = False) -> None:
        self._transmitted: dict[str, Any] = {}
        self._local: dict[str, Any] = {}
        self._default_key: str | None = None
        self._transmitted_available = True
        self._remote_is_trusted = remote_is_trusted
        if isinstance(received, dict):
            self._transmitted[":GLOBAL"] = received
        elif isinstance(received, list):
            for i in range(0, len(received) - 1, 2):
                if isinstance(received[i], str):
                    self._transmitted[received[i]] = received[i + 1]

    @property
    def remote_is_trusted(self) -> bool:
        """True when the other side is trusted server code."""
        return self._remote_is_trusted

    @property
    def local_is_trusted(self) -> bool:
        """True when this code runs on the server."""
        from . import _backend
        return _backend.IS_SERVER_SIDE

    def shared_data(self, key: Any = None, transmitted_data_factory: Callable[[], Any] = dict,
                    local_data_factory: Callable[[], Any] = dict) -> tuple[Any, Any]:
        resolved = self._resolve_key(key)
        local = self._local.get(resolved)
        if local is None:
            local = self._local[resolved] = local_data_factory()
        if not self._transmitted_available:
            return None, local
        transmitted = self._transmitted.get(resolved)
        if transmitted is None:
            transmitted = self._transmitted[resolved] = transmitted_data_factory()
        return transmitted, local

    def _resolve_key(self, key: Any) -> str | None:
        if key is None:
            return self._default_key
        if isinstance(key, type):
            return registered_name(key) or f"{key.__module__}.{key.__name__}"
        return f":{key}"

    def _set_default_key(self, key: str | None) -> None:
        self._default_key = key

    def _set_transmitted_available(self, available: bool) -> None:
        self._transmitted_available = available

    def _to_wire(self) -> Any:
        if list(self._transmitted) == [":GLOBAL"]:
            return self._transmitted[":GLOBAL"]
        flat: list[Any] = []
        for key, value in self._transmitted.items():
            flat += [key, value]
        return flat

    def __repr__(self) -> str:
        return f"SerializationInfo<{self._transmitted!r}, {self._local!r}>"
