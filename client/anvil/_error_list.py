"""The ``anvil.server`` error types, by name and docstring, in the order they are registered: the one list both
runtimes make their classes from (client/anvil/_errors.py on Pyodide and the server; on Skulpt,
js_bridge/skulpt_lib/anvil/_errors.py, which loads this same file: the build copies it into the runtime's
``skulpt_lib/``, so it is written in the Python both run).

Example:
    >>> ANVIL_SERVER_ERRORS[0]
    ('SessionExpiredError', 'The session has expired; call reset_session().')
"""

ANVIL_SERVER_ERRORS = (
    ("SessionExpiredError", "The session has expired; call reset_session()."),
    ("AppOfflineError", "The server could not be reached (client side only)."),
    ("UplinkDisconnectedError", "The uplink serving this function disconnected."),
    ("ExecutionTerminatedError", "The server function was terminated."),
    ("TimeoutError", "The server function took longer than its timeout."),
    ("SerializationError", "A value could not be sent or received."),
    ("InternalError", "Something went wrong inside the server."),
    ("RuntimeUnavailableError", "The server runtime is not available."),
    ("QuotaExceededError", "A quota was exceeded."),
    ("NoServerFunctionError", "No server function has that name."),
    ("PermissionDenied", "The caller may not do this."),
    ("InvalidResponseError", "The server's response could not be understood."),
    ("BackgroundTaskError", "A background task failed or was misused."),
    ("BackgroundTaskNotFound", "No background task has that id."),
    ("BackgroundTaskKilled", "The background task was killed."),
    ("ServiceNotAdded", "The app does not have that service."),
    ("InvalidObjectError", "A received object (e.g. a Capability) is not valid."),
)
