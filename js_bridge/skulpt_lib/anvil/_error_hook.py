"""The app-level error hook on Skulpt: where exceptions nobody else can catch are reported (as on Pyodide,
client/anvil/_error_hook.py).

Handlers of ``call_async``, ``defer`` and ``repeat`` callbacks run as tasks of their own; an exception they raise
goes to the function set with ``anvil.set_default_error_handling`` or, without one, to the console.

Example (in the Skulpt runtime):
    >>> seen = []
    >>> set_default_error_handling(seen.append)
    >>> report_error(ValueError("boom"))
    >>> seen
    [ValueError('boom')]
"""

import _anvil_skulpt


class _Hook:
    handler = None


def set_default_error_handling(handler):
    """Send otherwise-uncaught exceptions to ``handler(exception)``; None restores console reporting."""
    if handler is not None and not callable(handler):
        raise TypeError("set_default_error_handling expects a callable or None, not " + type(handler).__name__)
    _Hook.handler = handler


def _console(exc, context):
    text = _anvil_skulpt.format_exception(exc)
    trace = getattr(exc, "server_trace", "")
    _anvil_skulpt.report((context + "\n" if context else "") + text + ("\n" + trace if trace else ""))


def report_error(exc, context=""):
    """Report an exception to the app's hook, or to the console."""
    if _Hook.handler is not None:
        try:
            _Hook.handler(exc)
            return
        except Exception as hook_error:
            _console(hook_error, "Error in the default error handler:")
    _console(exc, context)
