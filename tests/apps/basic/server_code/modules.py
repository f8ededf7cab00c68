"""What the server process has imported, for the tests of which modules a request may import."""

import sys

import anvil.server


@anvil.server.callable
def is_imported(name):
    return name in sys.modules


@anvil.server.callable
def side_of(square):
    return [type(square).__module__, type(square).__name__, square.side]
