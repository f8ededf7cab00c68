"""anvil.server: the public API for calling between browser and server code.

This module is the same on both sides, as in Anvil. It holds the names the wire codec needs:
the exception types and their registry, portable classes and capabilities.

Example:
    >>> import anvil.server
    >>> @anvil.server.portable_class
    ... class Money:
    ...     def __init__(self, cents): self.cents = cents
    >>> isinstance(anvil.server.SerializationError("x"), anvil.server.AnvilWrappedError)
    True
"""

from ._capability import Capability, unwrap_capability
from ._errors import (
    AnvilWrappedError,
    AppOfflineError,
    BackgroundTaskError,
    BackgroundTaskKilled,
    BackgroundTaskNotFound,
    ExecutionTerminatedError,
    InternalError,
    InvalidObjectError,
    InvalidResponseError,
    NoServerFunctionError,
    PermissionDenied,
    QuotaExceededError,
    RuntimeUnavailableError,
    SerializationError,
    ServiceNotAdded,
    SessionExpiredError,
    TimeoutError,
    UplinkDisconnectedError,
    _register_exception_type,
)
from ._portable import SerializationInfo, portable_class

__all__ = [
    "Capability", "unwrap_capability", "portable_class", "SerializationInfo",
    "AnvilWrappedError", "AppOfflineError", "BackgroundTaskError", "BackgroundTaskKilled",
    "BackgroundTaskNotFound", "ExecutionTerminatedError", "InternalError", "InvalidObjectError",
    "InvalidResponseError", "NoServerFunctionError", "PermissionDenied", "QuotaExceededError",
    "RuntimeUnavailableError", "SerializationError", "ServiceNotAdded", "SessionExpiredError",
    "TimeoutError", "UplinkDisconnectedError",
]
