"""Portable classes on Skulpt: ``@anvil.server.portable_class`` registers a class by name so its instances travel
(as ``__serialize__(info)``'s result, else their ``__dict__``), as on Pyodide; ``SerializationInfo.shared_data``
tables travel once per message in ``vt_global``.

Example (in the Skulpt runtime):
    >>> @portable_class("shop.Money")
    ... class Money:
    ...     pass
    >>> registered_name(Money), lookup_portable_class("shop.Money") is Money
    ('shop.Money', True)
"""

_classes_by_name = {}
_names_by_class = {}


def portable_class(cls=None, name=None):
    """Register a class: bare (the name is ``module.Class``), with a name, or ``portable_class(cls, name)``."""
    if isinstance(cls, str) and name is None:
        return lambda actual: _register(actual, cls)
    if cls is None:
        return lambda actual: _register(actual, name)
    return _register(cls, name)


def _register(cls, name):
    if not isinstance(cls, type):
        raise TypeError("@portable_class must decorate a class, not " + type(cls).__name__)
    if name is None:
        name = cls.__module__ + "." + cls.__name__
    elif not isinstance(name, str) or not name:
        raise TypeError("The name given to portable_class must be a non-empty str")
    previous = _classes_by_name.get(name)
    if previous is not None:
        _names_by_class.pop(previous, None)
    _classes_by_name[name] = cls
    _names_by_class[cls] = name
    cls.SERIALIZATION_INFO = (name, cls)  # subclasses inherit it: they are portable but unregistered
    return cls


def registered_name(cls):
    """The name ``cls`` is registered under, or None (a subclass is not covered by its parent)."""
    return _names_by_class.get(cls)


def lookup_portable_class(name):
    """The class registered under ``name``, or None."""
    return _classes_by_name.get(name)


class SerializationInfo:
    """What ``__serialize__`` / ``__deserialize__`` / ``__new_deserialized__`` receive, as on Pyodide.

    ``shared_data(key=None)`` returns ``(transmitted, local)``: two dicts shared by every object of one message
    (``key`` defaults to the class being processed; a class, or any other key). ``transmitted`` travels once per
    message (in ``vt_global``); it is None while a shared-data value itself is being processed.
    """

    def __init__(self, received=None, remote_is_trusted=False):
        self._transmitted = {}
        self._order = []  # the keys of _transmitted in the order they were made (sent in that order)
        self._local = {}
        self._default_key = None
        self._transmitted_available = True
        self._remote_is_trusted = remote_is_trusted
        if isinstance(received, dict):
            self._put(":GLOBAL", received)
        elif isinstance(received, list):
            for i in range(0, len(received) - 1, 2):
                if isinstance(received[i], str):
                    self._put(received[i], received[i + 1])

    def _put(self, key, value):
        if key not in self._transmitted:
            self._order.append(key)
        self._transmitted[key] = value

    @property
    def remote_is_trusted(self):
        """True when the other side is trusted server code."""
        return self._remote_is_trusted

    @property
    def local_is_trusted(self):
        """False: this is browser code."""
        return False

    def shared_data(self, key=None, transmitted_data_factory=dict, local_data_factory=dict):
        resolved = self._resolve_key(key)
        local = self._local.get(resolved)
        if local is None:
            local = self._local[resolved] = local_data_factory()
        if not self._transmitted_available:
            return None, local
        transmitted = self._transmitted.get(resolved)
        if transmitted is None:
            transmitted = transmitted_data_factory()
            self._put(resolved, transmitted)
        return transmitted, local

    def _resolve_key(self, key):
        if key is None:
            return self._default_key
        if isinstance(key, type):
            return registered_name(key) or key.__module__ + "." + key.__name__
        return ":" + str(key)

    def _set_default_key(self, key):
        self._default_key = key

    def _set_transmitted_available(self, available):
        self._transmitted_available = available

    def _to_wire(self):
        """The ``vt_global`` value: the global table alone, else ``[key, table, key, table, ...]``."""
        if self._order == [":GLOBAL"]:
            return self._transmitted[":GLOBAL"]
        flat = []
        for key in self._order:
            flat += [key, self._transmitted[key]]
        return flat

    def __repr__(self):
        return "SerializationInfo<" + repr(self._transmitted) + ", " + repr(self._local) + ">"
