"""A session value as the JSON text a store keeps: its wire form, canonical (so equal values give equal text).

The same text is the value's fingerprint: a save compares it with what was loaded to find the keys
a call changed, and the uplink merge (:mod:`anvil_pyodide.uplink.session_merge`) compares it with
what it sent.

Example:
    >>> import datetime as dt
    >>> text = wire_fingerprint({"day": dt.date(2024, 5, 1)})
    >>> text
    '{"objects":[{"path":["v","day"],"type":["Date"],"value":"2024-05-01"}],"v":{"day":null}}'
    >>> value_from_fingerprint(text)
    {'day': datetime.date(2024, 5, 1)}
"""

from __future__ import annotations

import json
from typing import Any

from anvil._errors import SerializationError
from anvil._wire import decode_message, encode_message
from anvil._wire.decode import ModuleImporter


def wire_fingerprint(value: Any) -> str:
    """The canonical JSON of ``value``'s wire form; raises SerializationError if it cannot be sent.

    Example:
        >>> import datetime as dt
        >>> wire_fingerprint(dt.date(2024, 5, 1)) == wire_fingerprint(dt.date(2024, 5, 1))
        True
    """
    encoded = encode_message({"v": value}, remote_is_trusted=True)
    if encoded.media:
        raise SerializationError("anvil.server.session cannot hold Media objects")
    return json.dumps(encoded.message, sort_keys=True, separators=(",", ":"), allow_nan=False)


def value_from_fingerprint(text: str, import_module: ModuleImporter | None = None) -> Any:
    """The value :func:`wire_fingerprint` made ``text`` from (portable classes imported with ``import_module``).

    Example:
        >>> value_from_fingerprint(wire_fingerprint([1, "two", None]))
        [1, 'two', None]
    """
    return decode_message(json.loads(text), {}, remote_is_trusted=True, import_module=import_module).message["v"]
