"""The session an uplink function sees, and how what it hands back is applied: never lose a write.

A server→uplink CALL carries a snapshot of the caller's ``anvil.server.session`` (``sessionData``);
the uplink's response carries the whole session as its function left it. Meanwhile other calls of
the same session (in-process functions, other uplinks) may have written to it. Anvil stores the
returned session wholesale, so such a concurrent write is silently lost. Our rule, key by key:

* **A key the uplink changed, added or deleted** (relative to the snapshot it was sent) is applied
  to the live session: the uplink's write lands, whatever the key holds now.
* **A key the uplink did not touch** keeps whatever the live session holds now, so a write made
  meanwhile by another call survives.
* Values are compared by their wire form, so a portable class without ``__eq__`` that came back
  unchanged counts as untouched.
* A key whose value cannot be sent (not serialisable, or holding Media) is left out of the
  snapshot, with a warning in the server log: the uplink never sees it, so it can never change it.

When two calls both write one key, the write that is applied last wins: every write is an explicit
one, and none is dropped because some other key changed. Writes an uplink function makes are
applied when its call returns (they are not visible to the functions it calls meanwhile, which see
the live session); a call that fails applies no session change, as in Anvil.

Example:
    >>> live = {"cart": ["tea"], "user": "ada"}
    >>> snapshot = take_snapshot(live)
    >>> snapshot.wire
    {'session': {'cart': ['tea'], 'user': 'ada'}, 'objects': []}
    >>> live["user"] = "grace"                  # an in-process call writes while the uplink runs
    >>> merge_returned(live, snapshot, {"cart": ["tea", "milk"], "user": "ada", "new": 1})
    ['cart', 'new']
    >>> live                                    # the uplink's changes, and the concurrent write
    {'cart': ['tea', 'milk'], 'user': 'grace', 'new': 1}
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, MutableMapping

from anvil._errors import SerializationError
from anvil._wire import encode_message

log = logging.getLogger("anvil_pyodide.uplink")


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


@dataclass
class SessionSnapshot:
    """What was sent: ``wire`` is the ``sessionData`` message, ``fingerprints`` each sent key's wire form."""

    wire: dict[str, Any]
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: Keys left out because their values cannot be sent.
    skipped: list[Any] = field(default_factory=list)


def take_snapshot(data: Mapping[Any, Any]) -> SessionSnapshot:
    """Snapshot a session dict for sending (keys that cannot be sent are left out and logged).

    Example:
        >>> take_snapshot({"ok": 1, "bad": {1, 2}}).skipped
        ['bad']
    """
    sendable: dict[str, Any] = {}
    fingerprints: dict[str, str] = {}
    skipped: list[Any] = []
    for key, value in dict(data).items():  # dict(): one atomic copy, however other threads write
        if type(key) is not str:
            skipped.append(key)
            continue
        try:
            fingerprints[key] = wire_fingerprint(value)
        except (SerializationError, RecursionError, TypeError, ValueError) as e:
            skipped.append(key)
            log.warning("anvil.server.session[%r] is not sent to the uplink (it cannot be serialised: %s)", key, e)
            continue
        sendable[key] = value
    wire = encode_message({"session": sendable}, remote_is_trusted=True).message
    return SessionSnapshot(wire, fingerprints, skipped)


def merge_returned(data: MutableMapping[Any, Any], snapshot: SessionSnapshot, returned: Mapping[Any, Any]) -> list[str]:
    """Apply the session an uplink returned to the live ``data`` (see the module docstring).

    Returns the keys written or deleted, in that order.

    Example:
        >>> live = {"a": 1, "b": 2}
        >>> snapshot = take_snapshot(live)
        >>> merge_returned(live, snapshot, {"b": 2})   # the uplink deleted "a"
        ['a']
        >>> live
        {'b': 2}
    """
    changed: list[str] = []
    for key, value in returned.items():
        if type(key) is not str:
            continue
        before = snapshot.fingerprints.get(key)
        if before is not None:
            try:
                if wire_fingerprint(value) == before:
                    continue
            except (SerializationError, RecursionError, TypeError, ValueError):
                pass  # cannot be compared: it was changed
        data[key] = value
        changed.append(key)
    for key in snapshot.fingerprints:
        if key not in returned:
            data.pop(key, None)
            changed.append(key)
    return changed
