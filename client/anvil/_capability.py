"""Capabilities: unforgeable, narrowable tokens for a scope such as ``["folder", 42]``.

On the wire a capability is its base scope, the server's MAC over that base, and the narrowing
suffix added since (narrowing needs no new MAC). The server module issues and checks MACs; this
module is the value type both sides share.

Example:
    >>> cap = Capability(["folder", 42], mac={"sig": "..."})
    >>> cap.narrow(["files"]).scope
    ['folder', 42, 'files']
    >>> unwrap_capability(cap, ["folder", Capability.ANY, "files"])
    ['folder', 42, None]
"""

from __future__ import annotations

import json
from typing import Any, Callable

# Bumped when the session's capabilities stop being valid (e.g. on session reset).
_generation = 0


def invalidate_capabilities() -> None:
    """Mark every capability created so far as no longer valid (``is_valid`` becomes False)."""
    global _generation
    _generation += 1


def _json_list(value: Any, what: str) -> list[Any]:
    if type(value) is not list:
        raise TypeError(f"The {what} of a Capability must be a list, not {type(value).__name__}")
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as e:
        raise TypeError(f"The {what} of a Capability must be JSON data: {e}") from None


class _Any:
    def __repr__(self) -> str:
        return "Capability.ANY"


class Capability:
    """A capability for ``scope``; on the server, ``Capability(["doc", 7])`` creates a new one.

    ``set_update_handler(apply_update, get_update=None)`` lets the caller that passed the capability
    into a server call receive updates the server function sends with ``send_update(update)``.
    """

    ANY = _Any()

    def __init__(self, scope: list[Any], mac: Any = None, narrow: list[Any] | None = None) -> None:
        scope = _json_list(scope, "scope")
        if mac is None and not scope:
            raise ValueError("Cannot construct a Capability with an empty scope")
        self._base_scope = scope
        self._mac = mac
        self._narrowing = _json_list(narrow, "narrowing") if narrow else []
        self._apply_update_handler: Callable[[Any], None] | None = None
        self._get_update_handler: Callable[[], Any] | None = None
        self._queued_update: Any = None
        self._generation = _generation
        # Set by the server on capabilities a caller passed in: called after each send_update.
        self._listener: Callable[["Capability"], None] | None = None

    @property
    def scope(self) -> list[Any]:
        """The full scope: the base scope plus any narrowing."""
        return self._base_scope + self._narrowing

    @property
    def is_valid(self) -> bool:
        """False once the session that issued it has been reset or expired."""
        return self._generation == _generation

    def narrow(self, additional_scope: list[Any]) -> "Capability":
        """A new capability whose scope is this one's plus ``additional_scope``."""
        suffix = _json_list(additional_scope, "narrow argument")
        return Capability(self._base_scope, self._mac, self._narrowing + suffix)

    def set_update_handler(self, apply_update: Callable[[Any], None] | None,
                           get_update: Callable[[], Any] | None = None) -> None:
        """Run ``apply_update(update)`` for each update sent to this capability."""
        if apply_update is not None and not callable(apply_update):
            raise TypeError("apply_update must be callable or None")
        if get_update is not None and not callable(get_update):
            raise TypeError("get_update must be callable or None")
        self._apply_update_handler = apply_update
        self._get_update_handler = get_update

    def send_update(self, update: Any) -> None:
        """Deliver ``update`` here and queue it for the caller (dicts merge; otherwise last wins)."""
        if self._apply_update_handler is not None:
            self._apply_update_handler(update)
        if isinstance(update, dict) and isinstance(self._queued_update, dict):
            self._queued_update = {**self._queued_update, **update}
        else:
            self._queued_update = dict(update) if isinstance(update, dict) else update
        if self._listener is not None:
            self._listener(self)

    _apply_update = send_update

    def _deliver(self, update: Any) -> None:
        """An update for this capability arrived from a call it was passed into: run the handler."""
        if self._apply_update_handler is not None:
            self._apply_update_handler(update)

    def _take_update(self) -> Any:
        """The update to send back to the caller, or None; clears the queue."""
        if self._get_update_handler is not None:
            return self._get_update_handler()
        update, self._queued_update = self._queued_update, None
        return update

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Capability):
            return NotImplemented
        return self.scope == other.scope

    def __hash__(self) -> int:
        return hash(json.dumps(self.scope, sort_keys=True))

    def __repr__(self) -> str:
        return f"<anvil.server.Capability:{self.scope!r}>"


def unwrap_capability(cap: Any, scope_pattern: list[Any]) -> list[Any]:
    """Check ``cap`` matches ``scope_pattern`` and return the scope padded to the pattern's length.

    The scope may be broader (shorter) than the pattern; each element must equal the pattern's or
    the pattern may hold ``Capability.ANY``.
    """
    if not isinstance(cap, Capability):
        raise TypeError(f"Not a valid Capability: found {type(cap).__name__}")
    if type(scope_pattern) is not list:
        raise TypeError(f"scope_pattern should be a list, not {type(scope_pattern).__name__}")
    scope = cap.scope
    if len(scope) > len(scope_pattern):
        raise ValueError(f"Capability is too narrow: required {scope_pattern}; got {scope}")
    matched: list[Any] = [None] * len(scope_pattern)
    for i, element in enumerate(scope):
        wanted = scope_pattern[i]
        if wanted is Capability.ANY or element == wanted or (type(wanted) is tuple and element == list(wanted)):
            matched[i] = element
        else:
            raise ValueError(f"Incorrect Capability: required {scope_pattern}; got {scope}")
    return matched


def scope_key(scope_json: str) -> str | None:
    """A ``capUpdates`` key in one JSON formatting (senders' ``json.dumps`` spacing differs); None if not JSON.

    Example:
        >>> scope_key('["doc",7]') == scope_key('["doc", 7]') == json.dumps(["doc", 7])
        True
    """
    try:
        return json.dumps(json.loads(scope_json))
    except (TypeError, ValueError):
        return None


def updates_for(updates: Any, capabilities: list[Capability]) -> list[tuple[Capability, Any]]:
    """Which of ``capabilities`` each update of a ``capUpdates`` object is for (keys: the JSON of a scope).

    Both sides apply updates with this: the browser runs each capability's handler, the server passes
    an uplink's updates on with ``send_update``. anvil-uplink 0.7.0 drops a capability's narrowing when
    it receives one, so its updates are keyed by the base scope: an update that matches no full scope
    goes to the capabilities with that base.

    Example:
        >>> doc, page = Capability(["doc", 7]), Capability(["doc", 7]).narrow(["page", 2])
        >>> updates_for({'["doc",7]': {"saved": True}}, [doc, page])
        [(<anvil.server.Capability:['doc', 7]>, {'saved': True})]
        >>> updates_for({'["doc", 7]': 1}, [page])
        [(<anvil.server.Capability:['doc', 7, 'page', 2]>, 1)]
        >>> updates_for("not an object", [doc])
        []
    """
    if not isinstance(updates, dict):
        return []
    found = []
    for key, update in updates.items():
        wanted = scope_key(key) if isinstance(key, str) else None
        if wanted is None:
            continue
        matching = [cap for cap in capabilities if json.dumps(cap.scope) == wanted]
        if not matching:
            matching = [cap for cap in capabilities if cap._narrowing and json.dumps(cap._base_scope) == wanted]
        found += [(cap, update) for cap in matching]
    return found
