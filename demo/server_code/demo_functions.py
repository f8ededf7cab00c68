"""The demo app's server functions."""

import datetime

import anvil.server


@anvil.server.callable
def server_time():
    """The server's clock, as an aware datetime."""
    return datetime.datetime.now(datetime.timezone.utc)


@anvil.server.callable
def visit():
    """Counts calls in this browser session."""
    anvil.server.session["visits"] = anvil.server.session.get("visits", 0) + 1
    return anvil.server.session["visits"]
