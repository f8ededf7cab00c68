"""The demo's account card: anvil.users sign-up and log-in, and a function only logged-in users may call."""

import anvil.server
import anvil.users


@anvil.server.callable(require_user=True)
def my_board():
    user = anvil.users.get_user()
    user["visits"] = user.get("visits", 0) + 1
    return f"Welcome, {user['email']}: this is visit {user['visits']} to your board"
