"""The demo's entry module (runs in the browser once the browser runtime lands)."""

import anvil.server

print("server time:", anvil.server.call("server_time"))
