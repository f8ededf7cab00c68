"""A message pickled so that js_bridge/pickle_json.mjs can write its JSON text: only the types the codec sends
as plain JSON or as the ``objects`` entries that JS writer knows (dates, datetimes with a ``datetime.timezone``);
anything else stops it, and the codec encodes the message instead (client/anvil/_browser/wire_text.py).

Imported only when a long message with such values is sent, so that a page that never sends one does not
import ``pickle`` at start.

Example:
    >>> typed_pickle({"when": dt.date(2024, 5, 1)})[:2], typed_pickle({"when": object()})
    (b'\\x80\\x05', None)
"""

from __future__ import annotations

import datetime as dt
import io
import operator
import pickle
from typing import Any


class _NotTyped(Exception):
    """Not a KeyError: the pickler treats a KeyError from its dispatch table as "no entry" and falls back to
    the object's own ``__reduce_ex__``."""


class _DatetimeReductions(dict):  # type: ignore[type-arg]
    """The pickler's dispatch table: the datetime module's own reductions for dates, datetimes, timezones and
    their offsets (looked up by exact type, run in C: no Python call per value); any other type stops it."""

    def __missing__(self, kind: type) -> Any:
        raise _NotTyped(kind)


PROTOCOL = 5
_OWN_REDUCTION = operator.methodcaller("__reduce_ex__", PROTOCOL)  # what the pickler itself would call


class _TypedPickler(pickle.Pickler):
    """Pickles what pickle_json.mjs reads and stops at anything else: besides the types pickle writes itself
    (None, bool, int, float, str, list, tuple, dict; bytes, sets and classes, which the JS side refuses), only
    dates, datetimes, ``datetime.timezone`` offsets (a naive datetime or another tzinfo: JS refuses, or the
    table stops it). Nothing else's ``__reduce__`` runs."""

    dispatch_table = _DatetimeReductions(
        {kind: _OWN_REDUCTION for kind in (dt.date, dt.datetime, dt.timezone, dt.timedelta)})


def typed_pickle(message: dict[str, Any]) -> bytes | None:
    """``message`` pickled by :class:`_TypedPickler`, or None when it holds something else.

    Example:
        >>> typed_pickle({"when": dt.timezone.utc}) is not None, typed_pickle({"when": [Exception()]}) is None
        (True, True)
    """
    out = io.BytesIO()
    try:
        _TypedPickler(out, protocol=PROTOCOL).dump(message)
    except Exception:  # _NotTyped, or a value nested too deeply: the codec decides (and names the problem)
        return None
    return out.getvalue()
