"""Puts a received message's Date, DateTime, Long and Float values in place from the bridge's pre-parsed
``objects`` (js_bridge/json_marshal.mjs, ``scalarEntries``: a tuple of ``(kind, path, value)`` where the JSON had
the entry list), without the codec's general decoding: the bridge checked each entry by the codec's rules, so
what is left is walking the path and building the value.

When a path does not lead to a place in the message or a value is out of range, nothing is reported here: the
caller decodes the message's text again with the codec, which names the problem.

Example:
    >>> message = {"id": "c1", "response": [None], "objects": (("D", ("response", 0), (2024, 5, 1)),)}
    >>> apply_scalar_entries(message), message
    (True, {'id': 'c1', 'response': [datetime.date(2024, 5, 1)]})
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

_timezones: dict[int, dt.timezone] = {}


def _timezone(minutes: int | None) -> dt.timezone | None:
    if minutes is None:
        return None
    tz = _timezones.get(minutes)
    if tz is None:
        tz = dt.timezone(dt.timedelta(minutes=minutes))
        if len(_timezones) < 256:
            _timezones[minutes] = tz
    return tz


def _date(parts: Any) -> dt.date | None:
    return None if parts is None else dt.date(*parts)


def _datetime(parts: Any) -> dt.datetime | None:
    if parts is None:
        return None
    year, month, day, hour, minute, second, microsecond, offset = parts
    return dt.datetime(year, month, day, hour, minute, second, microsecond, _timezone(offset))


def _same(value: Any) -> Any:
    return value


_BUILD: dict[str, Callable[[Any], Any]] = {"D": _date, "T": _datetime, "L": _same, "F": _same}


def apply_scalar_entries(message: dict[str, Any]) -> bool:
    """Put each of ``message["objects"]``'s values at its path and drop ``objects``; False when one cannot be
    (then ``message`` may be part-filled and is to be decoded again from its text)."""
    try:
        for kind, path, value in message.pop("objects"):
            container: Any = message
            last = len(path) - 1
            for i in range(last):
                if type(container) is not dict and type(container) is not list:
                    return False
                container = container[path[i]]
            key = path[last]
            if type(container) is dict:
                if key not in container:
                    return False
            elif type(container) is not list or type(key) is not int or key >= len(container):
                return False
            container[key] = _BUILD[kind](value)
    except (KeyError, IndexError, TypeError, ValueError, OverflowError):
        return False
    return True
