"""Guessing uplink keys: failed handshakes are limited per client address (``--uplink-failures-per-minute``),
logged once per interval rather than once per attempt, and other addresses are not affected."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
import websockets

from tests.host.server.conftest import BASIC_APP
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

KEY = "the-real-uplink-key"
ALLOWED = 5


@pytest.fixture(scope="module")
def guarded() -> Iterator[LiveServer]:
    with LiveServer(BASIC_APP, "--uplink-key", KEY, "--uplink-failures-per-minute", str(ALLOWED)) as server:
        yield server


async def handshake(server: LiveServer, key: str, source: str = "127.0.0.1") -> dict[str, Any]:
    """Connect from ``source`` (any 127.x address reaches the server), send the key, return the answer."""
    async with websockets.connect(server.ws_url + "/_/uplink", proxy=None, local_addr=(source, 0)) as ws:
        await ws.send(json.dumps({"key": key, "v": 8}))
        return json.loads(await ws.recv())


async def test_wrong_keys_are_limited_per_address(guarded: LiveServer) -> None:
    for _ in range(ALLOWED):
        assert await handshake(guarded, "guess") == {"error": "Incorrect uplink key"}
    refused = await handshake(guarded, "guess")
    assert re.fullmatch(r"Too many failed uplink connections from 127\.0\.0\.1: try again in \d+ s", refused["error"])
    assert "error" in await handshake(guarded, KEY), "a blocked address must not learn that a key is right"
    assert (await handshake(guarded, KEY, source="127.0.0.2"))["auth"] == "OK"  # other addresses are unaffected
    reports = [line for line in guarded.output().splitlines() if "failed uplink handshakes from 127.0.0.1" in line]
    assert len(reports) == 1, reports  # once per interval, not once per attempt
