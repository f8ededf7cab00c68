"""Replies to a peer that never reads are bounded per connection (issue 15, item 3): past
``--max-pending-reply-bytes`` the connection gets back-pressure (not read, its calls not started), and after
``--reply-stall-timeout`` with nothing sent it is closed with a reason and a log line. Others keep being served.

The hostile peer is a raw WebSocket with a small receive buffer that asks for large replies and never reads.
What the server holds is read from the server itself (``reply_backlog`` in the test app), not from RSS.
"""

from __future__ import annotations

import asyncio
import json
from typing import Iterator

import pytest

from tests.host.server.conftest import BASIC_APP
from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer
from tests.support.non_reader import NonReader

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

UPLINK_KEY = "reply-budget-uplink-key"
BUDGET = 3_000_000
REPLY = 1_000_000
CALLS = 40
STALL_SECONDS = 2


@pytest.fixture  # one per test: the peak it reads is the server's since it started
def budget_server() -> Iterator[LiveServer]:
    # --worker-threads 4: one session's calls use one thread at a time, so at most one reply is in the making
    # once the budget is reached.
    with LiveServer(BASIC_APP, "--max-pending-reply-bytes", str(BUDGET), "--reply-stall-timeout", str(STALL_SECONDS),
                    "--worker-threads", "4", "--uplink-key", UPLINK_KEY) as server:
        yield server


def large_call(call_id: str) -> str:
    return json.dumps({"type": "CALL", "id": call_id, "command": "large_text", "args": [REPLY], "kwargs": {}})


async def wait_for_log(server: LiveServer, text: str, bystander: BrowserClient, timeout: float = 90) -> None:
    """Wait until the server log holds ``text``, the bystander's calls being answered meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in server.output():
        assert loop.time() < deadline, f"no {text!r} in the server log:\n{server.output()[-3000:]}"
        assert await bystander.call("echo", "still served") == [["still served"], {}]
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("transport", ["browser", "uplink"])
async def test_a_peer_that_never_reads_is_held_to_its_budget_then_closed(budget_server: LiveServer,
                                                                         transport: str) -> None:
    path = "/_/ws" if transport == "browser" else "/_/uplink"
    closing_line = ("closing browser socket from 127.0.0.1:" if transport == "browser" else ": closing: ")
    async with BrowserClient(budget_server.ws_url) as bystander:
        hostile = NonReader(budget_server.ws_url + path, budget_server.port)
        try:
            if transport == "uplink":
                hostile.send(json.dumps({"key": UPLINK_KEY, "v": 8}))
            for i in range(CALLS):
                hostile.send(large_call(f"h{i}"))
            # ... and never reads. The server closes it once nothing has gone out for STALL_SECONDS.
            await wait_for_log(budget_server, closing_line, bystander)
            assert "bytes of replies unread for 2 s (--max-pending-reply-bytes)" in budget_server.output()
            now, peak = await bystander.call("reply_backlog")
        finally:
            hostile.close()
    assert peak >= BUDGET  # it did reach the budget ...
    assert peak <= BUDGET + 2 * (REPLY + 1000), f"{peak:,} bytes of replies were held for one connection"
    assert now < 100_000  # ... and what it held is gone with it
    assert await bystander_still_served(budget_server)


async def bystander_still_served(server: LiveServer) -> bool:
    async with BrowserClient(server.ws_url) as client:
        return await client.call("large_text", 10) == "x" * 10
