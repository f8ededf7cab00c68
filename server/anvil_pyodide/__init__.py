"""anvil_pyodide: the server that hosts an app's ``@anvil.server.callable`` functions.

Example:
    >>> from anvil_pyodide.calls.registry import FunctionRegistry
    >>> registry = FunctionRegistry()
    >>> registry.register("ping", lambda: "pong").name
    'ping'
"""

__version__ = "0.1.0"
