"""A long message's JSON text written by the bridge in JavaScript from Python's binary formats, instead of by the
codec's walk and ``json.dumps`` (both several times slower in Pyodide than the C that ``marshal`` and ``pickle``
run, and a long Python str would cost again to convert into JS).

- plain JSON (no ``objects`` entries needed): ``marshal.dumps`` -> js_bridge/marshal_json.mjs;
- with dates, aware datetimes (a ``datetime.timezone`` offset), Longs or NaN: ``pickle.dumps`` ->
  js_bridge/pickle_json.mjs, which writes the ``objects`` entries as the codec does (client/anvil/_wire/encode.py).

Anything else (Media, portable classes, naive datetimes, values the codec refuses), a short message, or no
browser: ``None``, and the caller encodes with the codec, which sends the values or raises the error.

Example (outside the browser):
    >>> js_message_text({"id": "c1", "args": ["x" * 5000]}) is None
    True
"""

from __future__ import annotations

import datetime as dt  # noqa: F401 - the examples use it
import marshal
from typing import Any

#: A message whose binary form is shorter than this is encoded by Python's json (crossing into JS costs more).
PLAIN_TEXT_MIN_BYTES = 4096


def _bridge_or_none() -> Any:
    try:
        import _anvil_bridge  # registered by the page loader
    except ImportError:  # not in the browser
        return None
    return _anvil_bridge


def js_message_text(message: dict[str, Any]) -> Any:
    """``message`` (without ``objects``) as the bridge's text (``{text}``, kept in JS), or None (see the top).

    Example (outside the browser):
        >>> js_message_text({"id": "c1", "args": [dt.date(2024, 5, 1)] * 1000}) is None
        True
    """
    bridge = _bridge_or_none()
    if bridge is None:
        return None
    try:
        packed = marshal.dumps({**message, "objects": []})
    except ValueError:  # a value marshal cannot hold (a date, Media, a portable class...): perhaps typed
        packed = None
    if packed is not None:
        if len(packed) < PLAIN_TEXT_MIN_BYTES:
            return None
        text = bridge.plainJson(_to_js(packed))
        if text is not None:
            return text  # else a Long, NaN, a non-str key...: perhaps typed
    from .typed_pickle import typed_pickle  # (pickle is imported only when a long message needs it)

    packed = typed_pickle(message)
    if packed is None or len(packed) < PLAIN_TEXT_MIN_BYTES:
        return None
    return bridge.typedJson(_to_js(packed))


def _to_js(packed: bytes) -> Any:
    from pyodide.ffi import to_js

    return to_js(packed)
