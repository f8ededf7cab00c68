"""What the server holds in replies not yet sent (issue 15: a client that never reads)."""

import anvil.server
from anvil_pyodide.calls.reply_budget import largest_pending
from anvil_pyodide.calls.start_gate import start_counts


@anvil.server.callable
def reply_backlog():
    """``[now, ever]``: the most reply bytes one open connection has waiting now, and one ever had at once."""
    return list(largest_pending())


@anvil.server.callable
def large_text(length):
    """A reply of ``length`` characters."""
    return "x" * length


@anvil.server.callable
def calls_held():
    """``[waiting, never_started]``: calls waiting now for their connection to read its replies, and calls
    never started (since the server started) because their caller had given up."""
    return list(start_counts())
