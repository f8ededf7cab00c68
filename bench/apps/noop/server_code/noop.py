"""The server function the call benchmark calls."""

import anvil.server


@anvil.server.callable
def noop():
    return None
