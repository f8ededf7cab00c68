"""An anvil-uplink script that serves a function to the demo page.

Run the demo (./build.sh demo), then, with the anvil-uplink package installed (build.sh puts it in
.venv-uplink):

    .venv-uplink/bin/python demo/uplink_example.py

and press "Ask the uplink" on the page. Options: --url (default ws://127.0.0.1:8000/_/uplink) and
--key (default demo-uplink-key, the key ./build.sh demo starts the server with).
"""

import argparse
import platform

import anvil.server


@anvil.server.callable
def uplink_greeting(name):
    """Runs in this script's process, wherever it is."""
    return f"Hello {name}, from an uplink script on {platform.node() or 'this machine'} (Python {platform.python_version()})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/_/uplink")
    parser.add_argument("--key", default="demo-uplink-key")
    args = parser.parse_args()
    anvil.server.connect(args.key, url=args.url)
    print("uplink connected; serving uplink_greeting", flush=True)
    anvil.server.wait_forever()


if __name__ == "__main__":
    main()
