"""Anvil's exception types and the registry that carries them across the wire.

An error travels as ``{"type": name, "message": text, "trace": [[file, line], ...]}``.
Built-in Python exceptions travel under their bare class name (``"ValueError"``) and come back
as that class; Anvil's own under ``"anvil.server.<Name>"``; a type nobody registered arrives as
:class:`AnvilWrappedError`, whose ``repr`` still names the original type.

Example:
    >>> err = error_from_wire({"type": "anvil.server.TimeoutError", "message": "slow", "trace": []})
    >>> type(err).__name__, str(err)
    ('TimeoutError', 'slow')
    >>> error_to_wire(ValueError("bad value"), trace=[["server_code/mod.py", 12]])["type"]
    'ValueError'
"""

from __future__ import annotations

import builtins
from typing import Any, Callable

from ._error_list import ANVIL_SERVER_ERRORS

ErrorObject = dict[str, Any]


class AnvilWrappedError(Exception):
    """An exception that crossed the wire; base class for Anvil's errors and your own shared ones.

    Construct it with a message (``raise MyError("no such item")``) or, when decoding, with the
    error object received. ``error_obj`` keeps ``type``, ``message`` and the remote ``trace``.

    Example:
        >>> class OutOfStock(AnvilWrappedError): pass
        >>> _register_exception_type("shop.OutOfStock", OutOfStock)
        >>> OutOfStock("sold out").error_obj["type"]
        'shop.OutOfStock'
    """

    registered_type_name: str | None = None

    def __init__(self, message: Any = "") -> None:
        if isinstance(message, dict):
            self.error_obj: ErrorObject = dict(message)
        else:
            self.error_obj = {"message": str(message), "trace": []}
            if type(self).registered_type_name is not None:
                self.error_obj["type"] = type(self).registered_type_name
        self.message: str = str(self.error_obj.get("message", ""))
        super().__init__(self.message)

    @property
    def trace(self) -> list[list[Any]]:
        """The remote stack, innermost first: ``[[file, line], ...]``."""
        return list(self.error_obj.get("trace") or [])

    def __repr__(self) -> str:
        base = super().__repr__()
        remote_type = self.error_obj.get("type")
        if type(self) is not AnvilWrappedError or not remote_type:
            return base
        return f"AnvilWrappedError({remote_type}{base[len('AnvilWrappedError'):]})"


def _anvil_error(name: str, doc: str) -> type[AnvilWrappedError]:
    return type(name, (AnvilWrappedError,), {"__doc__": doc, "__module__": "anvil.server"})


DEFAULT_ERRORS: tuple[type[AnvilWrappedError], ...] = tuple(_anvil_error(name, doc) for name, doc in ANVIL_SERVER_ERRORS)
(SessionExpiredError, AppOfflineError, UplinkDisconnectedError, ExecutionTerminatedError, TimeoutError,
 SerializationError, InternalError, RuntimeUnavailableError, QuotaExceededError, NoServerFunctionError,
 PermissionDenied, InvalidResponseError, BackgroundTaskError, BackgroundTaskNotFound, BackgroundTaskKilled,
 ServiceNotAdded, InvalidObjectError) = DEFAULT_ERRORS

_registry: dict[str, Callable[[ErrorObject], BaseException]] = {}


def _register_exception_type(name: str, cls: type[AnvilWrappedError]) -> None:
    """Make ``cls`` travel under ``name``: raised on one side, it is re-raised as ``cls`` on the other.

    Example:
        >>> class NotFound(AnvilWrappedError): pass
        >>> _register_exception_type("app.NotFound", NotFound)
        >>> type(error_from_wire({"type": "app.NotFound", "message": "x"})).__name__
        'NotFound'
    """
    if not isinstance(name, str) or not name:
        raise TypeError("The exception type name must be a non-empty str")
    if not (isinstance(cls, type) and issubclass(cls, AnvilWrappedError)):
        raise TypeError(f"{cls!r} must be a subclass of anvil.server.AnvilWrappedError to be registered")
    _registry[name] = cls
    cls.registered_type_name = name


for _cls in DEFAULT_ERRORS:
    _register_exception_type(f"anvil.server.{_cls.__name__}", _cls)


def _builtin_error_class(name: str) -> type[Exception] | None:
    candidate = getattr(builtins, name, None)
    if isinstance(candidate, type) and issubclass(candidate, Exception):
        return candidate
    return None


def error_from_wire(error_obj: Any) -> BaseException:
    """Turn a received error object into the exception to raise at the call site.

    A malformed error object becomes an :class:`InvalidResponseError` saying what was wrong.
    """
    if not isinstance(error_obj, dict):
        return InvalidResponseError(f"Malformed error from server: expected an object, got {type(error_obj).__name__}")
    error_obj = dict(error_obj)
    error_obj.setdefault("message", "")
    if not isinstance(error_obj["message"], str):
        error_obj["message"] = str(error_obj["message"])
    if not isinstance(error_obj.get("trace", []), list):
        error_obj["trace"] = []
    type_name = error_obj.get("type")
    registered = _registry.get(type_name) if isinstance(type_name, str) else None
    if registered is not None:
        return registered(error_obj)
    builtin = _builtin_error_class(type_name) if isinstance(type_name, str) else None
    if builtin is not None:
        try:
            exc = builtin(error_obj["message"])
        except Exception:  # an exotic constructor signature (e.g. UnicodeDecodeError)
            return AnvilWrappedError(error_obj)
        exc._anvil_error_obj = error_obj  # type: ignore[attr-defined]
        return exc
    return AnvilWrappedError(error_obj)


def wire_type_name(exc: BaseException) -> str:
    """The name an exception travels under: its registration, or its bare class name."""
    registered = getattr(type(exc), "registered_type_name", None)
    if registered and _registry.get(registered) is type(exc):
        return registered
    if isinstance(exc, AnvilWrappedError) and exc.error_obj.get("type"):
        return str(exc.error_obj["type"])
    return type(exc).__name__


def error_to_wire(exc: BaseException, trace: list[list[Any]] | None = None) -> ErrorObject:
    """Describe ``exc`` for the wire; a re-raised remote error keeps its remote trace first.

    Example:
        >>> error_to_wire(KeyError("k"), [["a.py", 1]])
        {'type': 'KeyError', 'message': "'k'", 'trace': [['a.py', 1]]}
    """
    earlier = getattr(exc, "error_obj", None) or getattr(exc, "_anvil_error_obj", None) or {}
    earlier_trace = [list(frame) for frame in earlier.get("trace") or []]
    message = earlier.get("message") if earlier else str(exc)
    return {
        "type": wire_type_name(exc),
        "message": message if isinstance(message, str) else str(exc),
        "trace": earlier_trace + [list(frame) for frame in trace or []],
    }
