"""Memory bounded per connection (issue 15, item 3): media a call declared but does not send fails the
call after ``--media-timeout`` (and is freed), and the calls waiting for media on one connection hold at
most ``--max-connection-bytes`` (parsed messages counted by their estimated decoded size, plus chunks).
"""

from __future__ import annotations

import json
import re
from typing import Iterator

import anvil.server
import pytest

from tests.host.server.conftest import BASIC_APP
from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def frugal_server() -> Iterator[LiveServer]:
    with LiveServer(BASIC_APP, "--media-timeout", "1", "--max-connection-bytes", "300000") as server:
        yield server


def media_call(call_id: str, *args: object) -> str:
    return json.dumps({"type": "CALL", "id": call_id, "command": "describe", "args": [None, *args], "kwargs": {},
                       "objects": [{"path": ["args", 0], "type": ["DataMedia"], "id": "media-0",
                                    "mime-type": "text/plain", "name": None}]})


def chunk(call_id: str, index: int, last: bool) -> str:
    return json.dumps({"type": "CHUNK_HEADER", "requestId": call_id, "mediaId": "media-0", "chunkIndex": index,
                       "lastChunk": last})


async def test_media_that_never_arrives_fails_its_call_and_is_freed(frugal_server: LiveServer) -> None:
    async with BrowserClient(frugal_server.ws_url) as client:
        client.expect("m1")
        await client.send_raw(media_call("m1"), chunk("m1", 0, False), b"x" * 60_000)  # and then nothing
        with pytest.raises(anvil.server.SerializationError,
                           match=re.escape("media stopped arriving: nothing came for 1 s (--media-timeout)")):
            await client.outcome("m1")
        await client.send_raw(chunk("m1", 1, True), b"too late")  # dropped quietly
        client.expect("m2")  # the budget it held is free again: 280,000 bytes fit
        await client.send_raw(media_call("m2"), *[frame for i in range(4) for frame in
                                                  (chunk("m2", i, i == 3), b"y" * 60_000)])
        assert (await client.outcome("m2"))["length"] == 240_000


async def test_media_past_the_connection_budget_fails_its_call(frugal_server: LiveServer) -> None:
    async with BrowserClient(frugal_server.ws_url) as client:
        client.expect("big")
        frames = [frame for i in range(6) for frame in (chunk("big", i, i == 5), b"z" * 60_000)]
        await client.send_raw(media_call("big"), *frames)
        with pytest.raises(anvil.server.SerializationError,
                           match=re.escape("would hold more than 300,000 bytes (--max-connection-bytes)")):
            await client.outcome("big")
        assert await client.call("echo", "same socket") == [["same socket"], {}]


async def test_a_waiting_message_counts_by_its_decoded_size(frugal_server: LiveServer) -> None:
    """A 30 kB frame of 10,000 small values costs far more once parsed: it alone is over the budget."""
    async with BrowserClient(frugal_server.ws_url) as client:
        client.expect("wide")
        await client.send_raw(media_call("wide", [0] * 10_000))
        with pytest.raises(anvil.server.SerializationError, match=re.escape("--max-connection-bytes")):
            await client.outcome("wide")
        assert await client.call("echo", "same socket") == [["same socket"], {}]
