"""anvil.js: the page's JavaScript from browser Python.

- ``window``, ``document``: the page's globals.
- ``await_promise(p)``: wait for a JS promise (suspends when the stack allows it, see README).
- ``event_handler(fn)``: a JS function for ``addEventListener`` and friends that runs ``fn`` so that
  ``anvil.server.call`` can block inside it.

Example (in the browser):
    >>> import anvil.js, anvil.server
    >>> def on_click(event):
    ...     anvil.js.document.title = anvil.server.call("title")   # doctest: +SKIP
    >>> button.addEventListener("click", anvil.js.event_handler(on_click))   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Callable

from ._backend import IN_BROWSER

if not IN_BROWSER:
    raise ImportError("anvil.js is only available in browser code")

import js  # noqa: E402
from pyodide.ffi import can_run_sync, create_proxy, run_sync  # noqa: E402

window = js
document = js.document

_handlers: list[Any] = []


def await_promise(promise: Any) -> Any:
    """The value a JS promise resolves to (raises what it rejects with)."""
    if not can_run_sync():
        raise RuntimeError("await_promise needs a stack that can suspend: call it from the main module, "
                           "an anvil.js.event_handler, or a defer/repeat/AsyncCall callback")
    return run_sync(promise)


def event_handler(fn: Callable[..., Any]) -> Any:
    """Wrap ``fn`` for JS callers; inside it ``anvil.server.call`` and ``await_promise`` can block."""
    import _anvil_bridge

    proxy = create_proxy(fn)
    _handlers.append(proxy)  # kept alive for the life of the page
    return _anvil_bridge.promising(proxy)
