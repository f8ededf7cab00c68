"""The uplink test app's browser entry module (the tests drive the server with a protocol client)."""

import anvil.server
import uplink_shared

print(anvil.server.call("up_echo", uplink_shared.Box("demo", [1, 2])))
