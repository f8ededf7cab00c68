"""Anvil's exception types on Skulpt and the registry that carries them across the wire (the same names, type
strings and rules as client/anvil/_errors.py on Pyodide).

An error travels as ``{"type": name, "message": text, "trace": [[file, line], ...]}``: Anvil's own under
``"anvil.server.<Name>"``, registered ones under their registered name, built-in ones under their class name;
anything else arrives as ``AnvilWrappedError``.

Example (in the Skulpt runtime):
    >>> e = error_from_wire({"type": "anvil.server.TimeoutError", "message": "slow", "trace": []})
    >>> type(e).__name__, str(e)
    ('TimeoutError', 'slow')
"""

import _anvil_skulpt
from anvil._error_list import ANVIL_SERVER_ERRORS


class AnvilWrappedError(Exception):
    """An exception that crossed the wire; base class for Anvil's errors and your own shared ones."""

    registered_type_name = None

    def __init__(self, message=""):
        if isinstance(message, dict):
            self.error_obj = dict(message)
        else:
            self.error_obj = {"message": str(message), "trace": []}
            if type(self).registered_type_name is not None:
                self.error_obj["type"] = type(self).registered_type_name
        self.message = str(self.error_obj.get("message", ""))
        Exception.__init__(self, self.message)

    @property
    def trace(self):
        """The remote stack, innermost first: ``[[file, line], ...]``."""
        return list(self.error_obj.get("trace") or [])

    def __str__(self):
        return self.message

    def __repr__(self):
        """``Name('message')``; one that arrived under a type nobody registered names that type too."""
        own = type(self).__name__ + "(" + repr(self.message) + ")"
        remote_type = self.error_obj.get("type")
        if type(self) is not AnvilWrappedError or not remote_type:
            return own
        return "AnvilWrappedError(" + str(remote_type) + own[len("AnvilWrappedError"):] + ")"


def _anvil_error(name, doc):
    return type(name, (AnvilWrappedError,), {"__doc__": doc})


DEFAULT_ERRORS = tuple(_anvil_error(name, doc) for name, doc in ANVIL_SERVER_ERRORS)
(SessionExpiredError, AppOfflineError, UplinkDisconnectedError, ExecutionTerminatedError, TimeoutError,
 SerializationError, InternalError, RuntimeUnavailableError, QuotaExceededError, NoServerFunctionError,
 PermissionDenied, InvalidResponseError, BackgroundTaskError, BackgroundTaskNotFound, BackgroundTaskKilled,
 ServiceNotAdded, InvalidObjectError) = DEFAULT_ERRORS

#: Built-in exceptions that arrive as themselves, by name (Skulpt has no ``builtins`` module to look them up in).
BUILTIN_ERRORS = _anvil_skulpt.builtin_errors

_registry = {}


def _register_exception_type(name, cls):
    """Make ``cls`` travel under ``name``: raised on one side, it is re-raised as ``cls`` on the other."""
    if not isinstance(name, str) or not name:
        raise TypeError("The exception type name must be a non-empty str")
    if not (isinstance(cls, type) and issubclass(cls, AnvilWrappedError)):
        raise TypeError(repr(cls) + " must be a subclass of anvil.server.AnvilWrappedError to be registered")
    _registry[name] = cls
    cls.registered_type_name = name


for _cls in DEFAULT_ERRORS:
    _register_exception_type("anvil.server." + _cls.__name__, _cls)


def error_from_wire(error_obj):
    """The exception to raise at the call site for a received error object."""
    if not isinstance(error_obj, dict):
        return InvalidResponseError("Malformed error from server: expected an object, got " + type(error_obj).__name__)
    error_obj = dict(error_obj)
    if not isinstance(error_obj.get("message", ""), str):
        error_obj["message"] = str(error_obj["message"])
    error_obj.setdefault("message", "")
    if not isinstance(error_obj.get("trace", []), list):
        error_obj["trace"] = []
    type_name = error_obj.get("type")
    if isinstance(type_name, str) and type_name in _registry:
        return _registry[type_name](error_obj)
    if isinstance(type_name, str) and type_name in BUILTIN_ERRORS:
        exc = BUILTIN_ERRORS[type_name](error_obj["message"])
        exc._anvil_error_obj = error_obj
        return exc
    return AnvilWrappedError(error_obj)


def server_trace(exc):
    """The server's stack of a received exception as text ("" when it has none), innermost first."""
    error_obj = getattr(exc, "error_obj", None) or getattr(exc, "_anvil_error_obj", None) or {}
    lines = []
    for frame in error_obj.get("trace") or []:
        if isinstance(frame, list) and len(frame) == 2:
            lines.append('  File "' + str(frame[0]) + '", line ' + str(frame[1]))
    return "Server traceback (innermost first):\n" + "\n".join(lines) if lines else ""
