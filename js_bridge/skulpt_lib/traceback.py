"""``traceback`` for Skulpt's Python (Skulpt's own raises NotImplementedError): the parts apps use to show an
error, with the server's stack of an error that came from a server call, as on Pyodide.

Example (in the Skulpt runtime):
    >>> try:
    ...     1 / 0
    ... except ZeroDivisionError as e:
    ...     "".join(format_exception(e)).splitlines()[-1]
    'ZeroDivisionError: integer division or modulo by zero'
"""


import _anvil_skulpt
from anvil._errors import server_trace


def format_exception(exc, value=None, tb=None, limit=None, chain=True):
    """The lines of ``exc``'s traceback (``format_exception(e)``, or the old three-argument form)."""
    if value is not None:
        exc = value
    text = _anvil_skulpt.format_exception(exc) + "\n"
    trace = server_trace(exc)
    return [text + (trace + "\n" if trace else "")]


def format_exc(limit=None, chain=True):
    """The exception being handled, formatted (Skulpt has no ``sys.exc_info``: pass it to format_exception)."""
    raise NotImplementedError("traceback.format_exc() is not available on the Skulpt runtime: "
                              "use traceback.format_exception(e) in the except block")


def print_exception(exc, value=None, tb=None, limit=None, file=None, chain=True):
    """Print ``format_exception(exc)``."""
    print("".join(format_exception(exc, value, tb)), end="")
