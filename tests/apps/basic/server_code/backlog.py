"""What the server holds in replies not yet sent (issue 15: a client that never reads)."""

import anvil.server
from anvil_pyodide.calls.reply_budget import largest_pending


@anvil.server.callable
def reply_backlog():
    """``[now, ever]``: the most reply bytes one open connection has waiting now, and one ever had at once."""
    return list(largest_pending())


@anvil.server.callable
def large_text(length):
    """A reply of ``length`` characters."""
    return "x" * length
