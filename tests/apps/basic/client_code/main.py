"""The test app's browser entry module (the server tests only check that it is shipped)."""

import anvil.server
import basic_shared

print(anvil.server.call("echo", basic_shared.Point(1, 2)))
