"""Portable classes on Skulpt: ``@anvil.server.portable_class`` registers a class by name so its instances travel
(as ``__serialize__(info)``'s result, else their ``__dict__``), as on Pyodide (shared ``vt_global`` data is not
supported here yet).

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
    _classes_by_name[name] = cls
    _names_by_class[cls] = name
    return cls


def registered_name(cls):
    """The name ``cls`` is registered under, or None (a subclass is not covered by its parent)."""
    return _names_by_class.get(cls)


def lookup_portable_class(name):
    """The class registered under ``name``, or None."""
    return _classes_by_name.get(name)


class SerializationInfo:
    """What ``__serialize__``/``__deserialize__`` receive (shared data is not supported on Skulpt yet)."""

    remote_is_trusted = False
    local_is_trusted = False

    def shared_data(self, key=None, transmitted_data_factory=dict, local_data_factory=dict):
        raise NotImplementedError("SerializationInfo.shared_data is not supported on the Skulpt runtime yet")
