"""Fixtures for the wire-conformance tests against the real anvil-uplink 0.7.0.

anvil-uplink ships its own top-level ``anvil`` package, so it runs in a separate interpreter
(``uplink_peer.py``), started once per session. Its interpreter is ``$ANVIL_UPLINK_PYTHON``, by
default ``<repo>/.venv-uplink/bin/python`` (``build.sh`` creates it). A missing interpreter is a
test *failure*, not a skip: these tests are the evidence that we speak the protocol.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # shared_types / conformance_cases are imported by module name
    sys.path.insert(0, str(HERE))

from conformance_host import UplinkPeer, uplink_python  # noqa: E402

UPLINK_VERSION = "0.7.0"


@pytest.fixture(scope="session")
def uplink() -> Iterator[UplinkPeer]:
    """The anvil-uplink peer process, shared by every test of the session."""
    python = uplink_python()
    if not python.exists():
        pytest.fail(f"No anvil-uplink interpreter at {python}: run ./build.sh (it creates .venv-uplink) "
                    f"or set ANVIL_UPLINK_PYTHON to a Python with anvil-uplink=={UPLINK_VERSION}", pytrace=False)
    peer = UplinkPeer(python, HERE / "uplink_peer.py")
    try:
        hello = peer.request("hello")
        if hello["uplink_version"] != UPLINK_VERSION:
            pytest.fail(f"{python} has anvil-uplink {hello['uplink_version']}, expected {UPLINK_VERSION}",
                        pytrace=False)
        yield peer
    finally:
        peer.close()
