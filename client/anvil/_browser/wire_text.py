"""A long message's JSON text written by the bridge in JavaScript from Python's binary formats, instead of by the
codec's walk and ``json.dumps`` (both several times slower in Pyodide than the C that ``marshal`` and ``pickle``
run, and a long Python str would cost again to convert into JS).

- plain JSON (no ``objects`` entries needed): ``marshal.dumps`` -> js_bridge/marshal_json.mjs;
- with dates, aware datetimes (a ``datetime.timezone`` offset), Longs or NaN: ``pickle.dumps`` ->
  js_bridge/pickle_json.mjs, which writes the ``objects`` entries as the codec does (client/anvil/_wire/encode.py);
  tried first when the message's first values hold a date or datetime (``starts_typed``: marshal would refuse
  it only after walking the whole message), else after marshal refused or its JSON writer did.

Anything else (Media, portable classes, naive datetimes, values the codec refuses), a short message, or no
browser: ``None``, and the caller encodes with the codec, which sends the values or raises the error.

Example (outside the browser):
    >>> js_message_text({"id": "c1", "args": ["x" * 5000]}) is None
    True
"""

from __future__ import annotations

import datetime as dt
import marshal
from itertools import islice
from typing import Any

#: A message whose binary form is shorter than this is encoded by Python's json (crossing into JS costs more).
PLAIN_TEXT_MIN_BYTES = 4096
#: How many of a message's first values are looked at for one the plain (marshal) path cannot send.
FIRST_VALUES_LOOKED_AT = 64


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
    packed = None
    if not starts_typed(message):  # (marshal would walk the whole message before refusing a date)
        try:
            packed = marshal.dumps({**message, "objects": []})
        except ValueError:  # a value marshal cannot hold (a date, Media, a portable class...): perhaps typed
            pass
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


def starts_typed(message: dict[str, Any]) -> bool:
    """True when one of the message's first FIRST_VALUES_LOOKED_AT values (depth first) is a date or a datetime,
    which marshal refuses -- but only after walking the whole message -- so that the message goes straight to
    the typed path. A list of records shows its kind in its first record; a message whose first date comes
    later takes the marshal attempt first, as before (the same text either way: only the cost differs). Longs
    and NaN are left to the marshal attempt, which tells a short message (sent by the codec) from a long one.

    Example:
        >>> starts_typed({"id": "c1", "response": [{"n": 1, "day": dt.date(2024, 5, 1)}]}), starts_typed({"a": [2**40]})
        (True, False)
    """
    pending: list[Any] = [message]
    for _ in range(FIRST_VALUES_LOOKED_AT):
        if not pending:
            return False
        value = pending.pop()
        kind = type(value)
        if kind is dict:
            pending.extend(reversed(list(islice(value.values(), FIRST_VALUES_LOOKED_AT))))
        elif kind is list or kind is tuple:
            pending.extend(reversed(value[:FIRST_VALUES_LOOKED_AT]))
        elif kind is dt.date or kind is dt.datetime:
            return True
    return False


def _to_js(packed: bytes) -> Any:
    from pyodide.ffi import to_js

    return to_js(packed)
