"""``anvil.js`` on the Skulpt runtime: the page's JavaScript objects as Python objects (``JsProxy``).

Attributes and items read and write through to JavaScript; JS functions are callable; a Python function given to
JavaScript (an event handler, a timer) runs as its own task and may block on server calls.

Example (in the Skulpt runtime):
    >>> button = anvil.js.document.createElement("button")
    >>> button.textContent = "Go"
    >>> button.addEventListener("click", lambda event: print("clicked"))
"""

import _anvil_skulpt
from anvil._media import BlobMedia

JsProxy = _anvil_skulpt.JsProxy
window = _anvil_skulpt.global_this
document = window.document


def await_promise(promise):
    """Wait (without blocking the page) for a JavaScript promise; returns its value or raises its error."""
    return _anvil_skulpt.await_promise(promise)


def to_py(value):
    """A JavaScript primitive held in a JsProxy as the Python value (other values stay proxies)."""
    return _anvil_skulpt.to_py(value)


def event_handler(fn):
    """``fn`` itself: on Skulpt every Python function given to JavaScript may block (kept for Pyodide parity)."""
    return fn


def get_dom_node(element):
    """The DOM node itself (anvil.js on Skulpt holds DOM nodes directly)."""
    return element


def to_media(blob, content_type=None, name=None):
    """A ``Blob``/``File`` as Media: its bytes, its ``type`` and (for a File) its ``name``."""
    if not isinstance(blob, JsProxy) or getattr(blob, "arrayBuffer", None) is None:
        raise TypeError("to_media expects a JS Blob or File, not " + type(blob).__name__)
    data = _anvil_skulpt.bytes_of(await_promise(blob.arrayBuffer()))
    return BlobMedia(content_type or str(blob.type) or "application/octet-stream", data,
                     name=name if name is not None else getattr(blob, "name", None))
