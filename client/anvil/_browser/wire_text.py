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

import datetime as dt
import io
import marshal
import pickle
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
    packed = typed_pickle(message)
    if packed is None or len(packed) < PLAIN_TEXT_MIN_BYTES:
        return None
    return bridge.typedJson(_to_js(packed))


def _to_js(packed: bytes) -> Any:
    from pyodide.ffi import to_js

    return to_js(packed)


class _NotTyped(Exception):
    pass


_DATETIME_CLASSES = (dt.date, dt.datetime, dt.timezone, dt.timedelta)


class _TypedPickler(pickle.Pickler):
    """Pickles what pickle_json.mjs reads and stops at anything else: besides the types pickle writes itself
    (None, bool, int, float, str, list, tuple, dict; bytes and sets, which the JS side refuses), only dates,
    datetimes whose tzinfo is a ``datetime.timezone``, and those timezones' offsets. Nothing else's
    ``__reduce__`` runs."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is dt.date or kind is dt.timezone or kind is dt.timedelta:
            return NotImplemented
        if kind is dt.datetime and type(obj.tzinfo) is dt.timezone:
            return NotImplemented
        if kind is type and obj in _DATETIME_CLASSES:
            return NotImplemented
        raise _NotTyped


def typed_pickle(message: dict[str, Any]) -> bytes | None:
    """``message`` pickled by :class:`_TypedPickler`, or None when it holds something else.

    Example:
        >>> typed_pickle({"when": dt.date(2024, 5, 1)})[:2], typed_pickle({"when": dt.datetime(2024, 5, 1)})
        (b'\\x80\\x05', None)
    """
    out = io.BytesIO()
    try:
        _TypedPickler(out, protocol=5).dump(message)
    except Exception:  # _NotTyped, or a value nested too deeply: the codec decides (and names the problem)
        return None
    return out.getvalue()
