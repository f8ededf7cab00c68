"""Capabilities on Skulpt: unforgeable, narrowable tokens for a scope such as ``["folder", 42]``, as on Pyodide
(client/anvil/_capability.py). The server issues them and checks their MAC; the browser passes them back, narrows
them and receives their updates.

Example (in the Skulpt runtime):
    >>> cap = Capability(["folder", 42], mac={"sig": "..."})
    >>> cap.narrow(["files"]).scope
    ['folder', 42, 'files']
"""

import _anvil_skulpt


class _Generation:
    """Bumped when the session's capabilities stop being valid (reset_session)."""

    value = 0


def invalidate_capabilities():
    """Mark every capability received so far as no longer valid (``is_valid`` becomes False)."""
    _Generation.value += 1


def _json_list(value, what):
    if type(value) is not list:
        raise TypeError("The " + what + " of a Capability must be a list, not " + type(value).__name__)
    try:
        return _anvil_skulpt.json_loads(_anvil_skulpt.json_dumps(value))
    except (TypeError, ValueError) as e:
        raise TypeError("The " + what + " of a Capability must be JSON data: " + str(e))


class Capability:
    """A capability for ``scope`` (received from the server; narrow it with ``narrow``)."""

    def __init__(self, scope, mac=None, narrow=None):
        scope = _json_list(scope, "scope")
        if mac is None and not scope:
            raise ValueError("Cannot construct a Capability with an empty scope")
        self._base_scope = scope
        self._mac = mac
        self._narrowing = _json_list(narrow, "narrowing") if narrow else []
        self._apply_update_handler = None
        self._generation = _Generation.value

    @property
    def scope(self):
        """The full scope: the base scope plus any narrowing."""
        return self._base_scope + self._narrowing

    @property
    def is_valid(self):
        """False once the session that issued it has been reset."""
        return self._generation == _Generation.value

    def narrow(self, additional_scope):
        """A new capability whose scope is this one's plus ``additional_scope``."""
        return Capability(self._base_scope, self._mac, self._narrowing + _json_list(additional_scope, "narrow argument"))

    def set_update_handler(self, apply_update, get_update=None):
        """Run ``apply_update(update)`` for each update a server function sends to this capability."""
        if apply_update is not None and not callable(apply_update):
            raise TypeError("apply_update must be callable or None")
        self._apply_update_handler = apply_update

    def _deliver(self, update):
        if self._apply_update_handler is not None:
            self._apply_update_handler(update)

    def __eq__(self, other):
        return isinstance(other, Capability) and self.scope == other.scope

    def __hash__(self):
        return hash(_anvil_skulpt.json_dumps(self.scope))

    def __repr__(self):
        return "<anvil.server.Capability:" + repr(self.scope) + ">"


def _scope_key(scope_json):
    try:
        return _anvil_skulpt.json_dumps(_anvil_skulpt.json_loads(scope_json))
    except (TypeError, ValueError):
        return None


def apply_capability_updates(message, capabilities):
    """Run the update handler of each capability a call sent whose scope has an update in ``capUpdates`` (an
    update for a base scope reaches its narrowed capabilities, as on Pyodide)."""
    updates = message.get("capUpdates")
    if not isinstance(updates, dict):
        return
    for key in updates:
        wanted = _scope_key(key) if isinstance(key, str) else None
        if wanted is None:
            continue
        matching = [cap for cap in capabilities if _anvil_skulpt.json_dumps(cap.scope) == wanted]
        if not matching:
            matching = [cap for cap in capabilities
                        if cap._narrowing and _anvil_skulpt.json_dumps(cap._base_scope) == wanted]
        for cap in matching:
            cap._deliver(updates[key])
