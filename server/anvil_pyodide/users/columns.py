"""A user's column values as the JSON text a store keeps: their wire form (dates, portable classes…).

Example:
    >>> import datetime as dt
    >>> column_from_text(column_text(dt.date(2024, 5, 1)))
    datetime.date(2024, 5, 1)
"""

from __future__ import annotations

import json
from typing import Any

from anvil._errors import SerializationError
from anvil._wire import decode_message, encode_message


def column_text(value: Any) -> str:
    """The stored text of a column value; SerializationError for what cannot be sent (Media included)."""
    encoded = encode_message({"v": value}, remote_is_trusted=True)
    if encoded.media:
        raise SerializationError("A user column cannot hold Media objects")
    return json.dumps(encoded.message, sort_keys=True, separators=(",", ":"), allow_nan=False)


def column_from_text(text: str) -> Any:
    """The value :func:`column_text` made ``text`` from."""
    return decode_message(json.loads(text), {}, remote_is_trusted=True).message["v"]
