"""Calls served by a real anvil-uplink 0.7.0 are held like every other call (issue 15): a call that has
arrived but not started is not sent to the uplink while its caller's connection is over
``--max-pending-reply-bytes`` (it is once the caller reads), nor at all once its caller has gone (also when
the uplink is connected to another server process, sharing a Redis store).

A call is held "arrived, not started" by a portable argument whose decoding waits until ``release(key)``
(tests/support/hostile_peer.py); the uplink function tells the server when it runs (``has_started(key)``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.host.server.test_server_reply_budget import BUDGET  # noqa: E402
from tests.support.browser_protocol import BrowserClient  # noqa: E402
from tests.support.far_uplink import start_uplink, stop  # noqa: E402
from tests.support.hostile_peer import gated_call, held_until_read, refused_once_caller_left  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402,F401 - the fixture
from tests.support.waiting import until  # noqa: E402

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(240)]

BASIC_APP = ROOT / "tests" / "apps" / "basic"
KEY = "back-pressure-uplink-key"
REPLY = 100_000

UPLINK_SCRIPT = """
import sys

import anvil.server


@anvil.server.portable_class("basic.Gate")
class Gate:
    pass


@anvil.server.callable
def gated_uplink_large(gate, length, *padding):
    anvil.server.call("release", "started:" + gate.key)   # has_started(gate.key) on the server
    return "x" * length


anvil.server.connect(sys.argv[2], url=sys.argv[1])
anvil.server.call("is_released", "nothing")  # its REGISTERs are handled before this is answered
print("ready", flush=True)
anvil.server.wait_forever()
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[LiveServer]:
    """A budget server that never closes a non-reader, with the uplink connected (one per test: the counts
    of held calls are the server's since it started)."""
    with LiveServer(BASIC_APP, "--max-pending-reply-bytes", str(BUDGET), "--reply-stall-timeout", "0",
                    "--uplink-key", KEY) as server:
        uplink = start_uplink(server, tmp_path, UPLINK_SCRIPT, KEY)
        try:
            yield server
        finally:
            stop(uplink)


async def test_an_uplink_call_is_not_sent_while_its_caller_is_over_its_reply_budget(served: LiveServer) -> None:
    async with BrowserClient(served.ws_url) as bystander:
        started, reply = await held_until_read(served, bystander, "gated_uplink_large", "uplink-over-budget",
                                               BUDGET, REPLY)
        assert started is False  # the uplink had not been asked while the call was held
        assert reply["response"] == "x" * REPLY  # ... and was once the caller read
        assert await bystander.call("has_started", "uplink-over-budget") is True


async def test_an_uplink_call_whose_caller_left_before_it_was_sent_is_never_sent(served: LiveServer) -> None:
    async with BrowserClient(served.ws_url) as bystander:
        await refused_once_caller_left(served, bystander, "gated_uplink_large", "uplink-caller-left")
        assert await bystander.call("has_started", "uplink-caller-left") is False


@pytest.fixture
def across(redis_server: Any, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Servers A and B on one Redis, the uplink connected to B only."""
    def server() -> LiveServer:
        return LiveServer(BASIC_APP, "--store", redis_server.url, "--uplink-key", KEY)
    with server() as a, server() as b:
        uplink = start_uplink(b, tmp_path, UPLINK_SCRIPT, KEY)
        try:
            yield a, b
        finally:
            stop(uplink)


async def test_a_call_to_another_processs_uplink_whose_caller_left_is_never_sent(
        across: tuple[LiveServer, LiveServer]) -> None:
    a, b = across
    key = "far-uplink-caller-left"
    async with BrowserClient(a.ws_url) as on_a, BrowserClient(b.ws_url) as on_b:
        assert await on_a.call("release", "open") is True  # a gate already open: this call goes through
        on_a.expect("through")
        await on_a.send_raw(gated_call("through", "gated_uplink_large", "open", 3))
        assert await on_a.outcome("through") == "xxx"  # A reaches B's uplink
        await refused_once_caller_left(a, on_a, "gated_uplink_large", key)
        assert await on_b.call("has_started", key) is False  # the uplink (on B) was never asked
        assert await on_b.call("has_started", "open") is True
