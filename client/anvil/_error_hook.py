"""The app-level error hook: where exceptions nobody else can catch are reported.

Handlers of ``call_async``, ``defer`` and ``repeat`` callbacks run on their own; an exception they
raise goes to the function set with ``anvil.set_default_error_handling`` or, without one, to the
console (stderr) with its traceback. Nothing vanishes silently.

Example:
    >>> seen = []
    >>> set_default_error_handling(seen.append)
    >>> report_error(ValueError("boom"))
    >>> seen
    [ValueError('boom')]
    >>> set_default_error_handling(None)
"""

from __future__ import annotations

import sys
import traceback
from typing import Callable

_handler: Callable[[BaseException], None] | None = None


def set_default_error_handling(handler: Callable[[BaseException], None] | None) -> None:
    """Send otherwise-uncaught exceptions to ``handler(exception)``; None restores console reporting."""
    global _handler
    if handler is not None and not callable(handler):
        raise TypeError(f"set_default_error_handling expects a callable or None, not {type(handler).__name__}")
    _handler = handler


def report_error(exc: BaseException, context: str = "") -> None:
    """Report an exception to the app's hook, or print it to the console."""
    if _handler is not None:
        try:
            _handler(exc)
            return
        except Exception as hook_error:  # noqa: BLE001 - the hook failed too: show both
            print("Error in the default error handler:", file=sys.stderr)
            traceback.print_exception(hook_error, file=sys.stderr)
    if context:
        print(context, file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
