"""A message pickled so that js_bridge/pickle_json.mjs can write its JSON text: only the types the codec sends
as plain JSON or as the ``objects`` entries that JS writer knows (dates, datetimes with a ``datetime.timezone``);
anything else stops it, and the codec encodes the message instead (client/anvil/_browser/wire_text.py).

Imported only when a long message with such values is sent, so that a page that never sends one does not
import ``pickle`` at start.

Example:
    >>> typed_pickle({"when": dt.date(2024, 5, 1)})[:2], typed_pickle({"when": dt.datetime(2024, 5, 1)})
    (b'\\x80\\x05', None)
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
from typing import Any


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
        >>> typed_pickle({"when": dt.timezone.utc}) is not None, typed_pickle({"when": {1, 2}}) is None
        (True, False)
    """
    out = io.BytesIO()
    try:
        _TypedPickler(out, protocol=5).dump(message)
    except Exception:  # _NotTyped, or a value nested too deeply: the codec decides (and names the problem)
        return None
    return out.getvalue()
