"""Fair workers and call quotas (issue 15, item 4): a session's synchronous calls use at most its share
of the worker threads; calls past the per-connection or server-wide limit get QuotaExceededError
saying which; a call whose caller has timed out or disconnected before its turn never starts.

The servers here have 4 worker threads, so each session may use one at a time (the default share
is a quarter). Calls block on ``wait_for(key)`` until a ``release(key)``: no timing is assumed.
"""

from __future__ import annotations

import asyncio
from typing import Iterator

import anvil.server
import httpx
import pytest

from tests.host.server.conftest import BASIC_APP, page_session_token
from tests.support.browser_protocol import BrowserClient
from tests.support.http_protocol import call_form
from tests.support.live_server import LiveServer
from tests.support.waiting import until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def quota_server() -> Iterator[LiveServer]:
    with LiveServer(BASIC_APP, "--worker-threads", "4", "--max-connection-calls", "6",
                    "--max-queued-calls", "10") as server:
        yield server


@pytest.fixture(scope="module")
def fair_server() -> Iterator[LiveServer]:
    with LiveServer(BASIC_APP, "--worker-threads", "4") as server:
        yield server


@pytest.fixture(scope="module")
def impatient_server() -> Iterator[LiveServer]:
    with LiveServer(BASIC_APP, "--worker-threads", "4", "--call-timeout", "5") as server:
        yield server


async def test_a_connection_past_its_call_limit_gets_quota_exceeded(quota_server: LiveServer) -> None:
    async with BrowserClient(quota_server.ws_url) as client:
        waiting = [await client.send_call("wait_for", "per-connection") for _ in range(6)]
        with pytest.raises(anvil.server.QuotaExceededError,
                           match="on this connection \\(the limit is 6, --max-connection-calls\\)"):
            await client.call("async_echo", "one too many")
        async with BrowserClient(quota_server.ws_url) as other:
            assert await other.call("release", "per-connection") is True
        assert [await client.outcome(call_id) for call_id in waiting] == ["released"] * 6
        assert await client.call("async_echo", "room again") == "room again"


async def test_the_server_past_its_call_limit_gets_quota_exceeded(quota_server: LiveServer) -> None:
    async with BrowserClient(quota_server.ws_url) as first, BrowserClient(quota_server.ws_url) as second:
        waiting = [await first.send_call("wait_for", "server-wide") for _ in range(6)]
        with pytest.raises(anvil.server.QuotaExceededError, match="--max-connection-calls"):
            await first.call("async_echo", "seventh")  # answered after the six: they are all in progress
        waiting_too = [await second.send_call("wait_for", "server-wide") for _ in range(4)]
        with pytest.raises(anvil.server.QuotaExceededError,
                           match="on this server \\(the limit is 10, --max-queued-calls\\)"):
            await second.call("async_echo", "eleventh")
        async with httpx.AsyncClient(base_url=quota_server.url, trust_env=False, timeout=60) as http:
            assert (await http.get("/_/api/release/server-wide")).text == "released"  # not a CALL: no quota
        assert [await first.outcome(c) for c in waiting] == ["released"] * 6
        assert [await second.outcome(c) for c in waiting_too] == ["released"] * 4
        assert await second.call("async_echo", "room again") == "room again"


async def test_one_session_cannot_take_every_worker_thread(fair_server: LiveServer) -> None:
    async with BrowserClient(fair_server.ws_url) as greedy:
        hogging = [await greedy.send_call("wait_for", "hog") for _ in range(4)]
        async with BrowserClient(fair_server.ws_url) as b, BrowserClient(fair_server.ws_url) as c:
            met = await asyncio.gather(b.call("meet", "fair", 2), c.call("meet", "fair", 2))
            assert met == ["met", "met"]  # two other sessions ran at once while four calls of one were blocked
            assert not any(greedy.finals[h].done() for h in hogging)
            assert await b.call("release", "hog") is True
        assert [await greedy.outcome(h) for h in hogging] == ["released"] * 4


async def test_a_call_that_timed_out_waiting_for_its_turn_never_starts(impatient_server: LiveServer) -> None:
    async with BrowserClient(impatient_server.ws_url) as client:
        holding = await client.send_call("wait_for", "held-for-timeout")  # holds the session's one thread
        async with BrowserClient(impatient_server.ws_url) as watcher:  # it has its thread before the next is sent
            await until(lambda: watcher.call("has_started", "held-for-timeout"), "the holding call to start")
        queued = await client.send_call("release", "queued-after-timeout")  # waits for its turn
        for call_id in (holding, queued):
            with pytest.raises(anvil.server.TimeoutError):
                await client.outcome(call_id)
        async with BrowserClient(impatient_server.ws_url) as other:
            assert await other.call("release", "held-for-timeout") is True
        # Runs in the same session after the holding call's thread has finished (and the queued call had its turn).
        assert await client.call("is_released", "queued-after-timeout") is False


async def test_a_call_whose_caller_disconnected_before_its_turn_never_starts(fair_server: LiveServer) -> None:
    token = page_session_token(fair_server.url)
    async with BrowserClient(fair_server.ws_url, token) as leaving:
        await leaving.send_call("wait_for", "held-for-disconnect")
        await leaving.send_call("release", "queued-after-disconnect")
        assert await leaving.call("async_echo", "both sent") == "both sent"  # async: needs no thread
    async with BrowserClient(fair_server.ws_url) as other:
        assert await other.call("release", "held-for-disconnect") is True
    async with BrowserClient(fair_server.ws_url, token) as back:
        assert await back.call("is_released", "queued-after-disconnect") is False


async def test_an_http_call_whose_client_left_before_its_turn_never_starts(fair_server: LiveServer) -> None:
    """``/_/server-call-http``: the client reads the answer's headers (its call is queued by then) and leaves."""
    token = page_session_token(fair_server.url)
    async with BrowserClient(fair_server.ws_url, token) as holder:
        await holder.send_call("wait_for", "held-for-http")  # holds the session's one thread
        async with httpx.AsyncClient(base_url=fair_server.url, trust_env=False, timeout=60,
                                     cookies={"anvil-session": token}) as http:
            async with http.stream("POST", "/_/server-call-http",
                                   files=call_form("release", "queued-after-http-disconnect")) as queued:
                assert queued.status_code == 200  # and then the client goes without reading the reply
        async with BrowserClient(fair_server.ws_url) as other:
            assert await other.call("release", "held-for-http") is True
        # Runs in the same session after the queued call had its turn.
        assert await holder.call("is_released", "queued-after-http-disconnect") is False
