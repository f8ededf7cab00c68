"""Capabilities: issued here, passed back, narrowed, and used for progress updates."""

import anvil.server
from anvil.server import Capability, unwrap_capability

from rendezvous import event, WAIT_LIMIT


@anvil.server.callable
def issue_capability(*scope):
    return Capability(list(scope))


@anvil.server.callable
def capability_scope(cap, pattern=None):
    """The scope that arrived (and the unwrapped pattern match when given)."""
    if pattern is None:
        return cap.scope
    return [cap.scope, unwrap_capability(cap, [Capability.ANY if p == "*" else p for p in pattern])]


@anvil.server.callable
def progress(cap, count, wait_key=None):
    """Sends ``{"step": i}`` for each i; with ``wait_key``, waits after the first for ``release(wait_key)``."""
    for i in range(count):
        cap.send_update({"step": i})
        if i == 0 and wait_key is not None:
            event(wait_key).wait(WAIT_LIMIT)
    return "done"
