"""The server function the call benchmark calls."""

import anvil.server


@anvil.server.callable
def noop():
    return None


@anvil.server.callable
def write_session():
    """One session write per call (the store saves the changed key)."""
    anvil.server.session["calls"] = anvil.server.session.get("calls", 0) + 1
