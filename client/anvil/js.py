"""anvil.js: the page's JavaScript from browser Python.

- ``window``, ``document``: the page's globals.
- ``await_promise(p)``: wait for a JS promise (suspends when the stack allows it, see README).
- ``event_handler(fn)``: a JS function for ``addEventListener`` and friends that runs ``fn`` so that
  ``anvil.server.call`` can block inside it.
- ``to_media(blob)``: a JS ``Blob`` or ``File`` (e.g. from ``<input type=file>``) as an ``anvil.Media``.

Example (in the browser):
    >>> import anvil.js, anvil.server
    >>> def on_click(event):
    ...     anvil.js.document.title = anvil.server.call("title")   # doctest: +SKIP
    >>> button.addEventListener("click", anvil.js.event_handler(on_click))   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Callable

from ._backend import IN_BROWSER
from ._media import BlobMedia

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


def to_media(blob: Any, content_type: str | None = None, name: str | None = None) -> BlobMedia:
    """A ``Blob``/``File`` as Media: its bytes, its ``type`` and (for a File) its ``name``."""
    if not hasattr(blob, "arrayBuffer"):
        raise TypeError(f"to_media expects a JS Blob or File, not {type(blob).__name__}")
    data = await_promise(blob.arrayBuffer()).to_bytes()
    return BlobMedia(content_type or str(blob.type) or "application/octet-stream", data,
                     name=name if name is not None else getattr(blob, "name", None))
