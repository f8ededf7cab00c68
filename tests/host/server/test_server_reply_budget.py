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
from tests.support.hostile_peer import NonReader, gated_call
from tests.support.live_server import LiveServer
from tests.support.waiting import until

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


def large_call(call_id: str, length: int = REPLY) -> str:
    return json.dumps({"type": "CALL", "id": call_id, "command": "large_text", "args": [length], "kwargs": {}})


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


# ---------------------------------------------------------------------- the hold is the same for every kind of call

@pytest.fixture
def holding_server() -> Iterator[LiveServer]:
    """A budget server that never closes a non-reader (--reply-stall-timeout 0): its calls wait as long as it does."""
    with LiveServer(BASIC_APP, "--max-pending-reply-bytes", str(BUDGET), "--reply-stall-timeout", "0",
                    "--worker-threads", "4") as server:
        yield server


def incompressible_call(call_id: str, length: int) -> str:
    """A call whose reply is ``length`` random bytes (per-message deflate cannot shrink it in the socket's buffers)."""
    return json.dumps({"type": "CALL", "id": call_id, "command": "random_media", "args": [length, 7], "kwargs": {}})


async def over_budget(bystander: BrowserClient) -> bool:
    now, _ = await bystander.call("reply_backlog")
    return now > BUDGET


async def never_started(bystander: BrowserClient, count: int) -> bool:
    return (await bystander.call("calls_held"))[1] == count


async def held(bystander: BrowserClient, waiting: int) -> bool:
    return (await bystander.call("calls_held"))[0] == waiting


async def test_an_async_call_does_not_start_while_its_connection_is_over_its_reply_budget(
        holding_server: LiveServer) -> None:
    """An ``async def`` call that has arrived (held in decoding) when its connection goes over the budget does not
    start until the connection reads its replies; then it does, and its reply comes."""
    key = "async-over-budget"
    async with BrowserClient(holding_server.ws_url) as bystander:
        hostile = NonReader(holding_server.ws_url + "/_/ws", holding_server.port)
        try:
            hostile.send(gated_call("gated", "gated_large", key, REPLY))
            await until(lambda: bystander.call("is_released", key + ":decoding"), "the gated call to be decoding")
            hostile.send(incompressible_call("big", 4 * BUDGET))  # and it does not read it: over the budget
            await until(lambda: over_budget(bystander), "the connection to be over its budget")
            assert await bystander.call("release", key) is True  # the gated call is decoded and would start
            await until(lambda: held(bystander, 1), "the gated call to wait for room")
            assert await bystander.call("has_started", key) is False
            reply = await asyncio.to_thread(hostile.read_until, "gated")  # reading makes room: it starts
        finally:
            hostile.close()
        assert reply["response"] == "x" * REPLY
        assert await bystander.call("has_started", key) is True
        assert await bystander.call("calls_held") == [0, 0]


async def test_an_async_call_whose_caller_left_before_it_started_never_starts(holding_server: LiveServer) -> None:
    key = "async-caller-left"
    async with BrowserClient(holding_server.ws_url) as bystander:
        async with BrowserClient(holding_server.ws_url) as leaving:
            leaving.expect("gated")
            await leaving.send_raw(gated_call("gated", "gated_large", key, 10))
            await until(lambda: bystander.call("is_released", key + ":decoding"), "the gated call to be decoding")
        assert await bystander.call("release", key) is True  # decoded after its caller left
        await until(lambda: never_started(bystander, 1), "the call to be refused")
        assert await bystander.call("has_started", key) is False


async def test_an_async_call_that_timed_out_while_held_never_starts() -> None:
    key = "async-timed-out-held"
    with LiveServer(BASIC_APP, "--max-pending-reply-bytes", str(BUDGET), "--reply-stall-timeout", "0",
                    "--call-timeout", "3") as server:
        async with BrowserClient(server.ws_url) as bystander:
            hostile = NonReader(server.ws_url + "/_/ws", server.port)
            try:
                hostile.send(gated_call("gated", "gated_large", key, 10))
                await until(lambda: bystander.call("is_released", key + ":decoding"), "the gated call to be decoding")
                hostile.send(incompressible_call("big", 4 * BUDGET))
                await until(lambda: over_budget(bystander), "the connection to be over its budget")
                assert await bystander.call("release", key) is True
                await until(lambda: held(bystander, 1), "the gated call to wait for room")
                await until(lambda: held(bystander, 0), "the held call to time out")
                reply = await asyncio.to_thread(hostile.read_until, "gated")  # room now: too late to start
            finally:
                hostile.close()
            assert reply["error"]["type"] == "anvil.server.TimeoutError"
            assert await bystander.call("has_started", key) is False
