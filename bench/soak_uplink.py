"""The soak's real anvil-uplink script (run with .venv-uplink/bin/python): serves ``uplink_double``.

    .venv-uplink/bin/python bench/soak_uplink.py ws://127.0.0.1:8000/_/uplink KEY
"""

import sys

import anvil.server


@anvil.server.callable
def uplink_double(x):
    return 2 * x


anvil.server.connect(sys.argv[2], url=sys.argv[1])
print("soak uplink ready", flush=True)
anvil.server.wait_forever()
