"""A flood of page views: creating a session costs O(1) (expiry is a periodic purge in the store), and a view whose page never
starts does not keep its session for ``--session-timeout``."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import anvil.server
import httpx
import pytest

from anvil_pyodide.store import StoreSettings
from anvil_pyodide.store.memory import MemoryStore
from tests.host.server.conftest import BASIC_APP
from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer


class CountingClock:
    """A clock that counts how often a store reads it (each expiry check reads it once)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def test_creating_a_session_does_not_scan_the_others() -> None:
    clock = CountingClock()
    store = MemoryStore(StoreSettings(session_idle_timeout=600), clock=clock)

    async def create(count: int) -> None:
        for _ in range(count):
            await store.create_session()
    asyncio.run(create(5_000))
    clock.reads = 0
    asyncio.run(create(100))
    assert clock.reads <= 2 * 100, f"{clock.reads} clock reads for 100 creations among 5,000 sessions"


def test_unused_sessions_go_after_the_first_use_timeout_and_used_ones_after_the_idle_timeout() -> None:
    clock = CountingClock()
    store = MemoryStore(StoreSettings(session_idle_timeout=100, session_first_use_timeout=10), clock=clock)

    async def scenario() -> tuple[bool, bool, bool]:
        unused, used = await store.create_session(), await store.create_session()
        await store.get_session(used.token)  # its first use: from now on it lasts the idle timeout
        clock.now = 11.0
        await store.purge_expired()
        return (await store.get_session(unused.token) is None, await store.get_session(used.token) is not None,
                len(store._sessions) == 1)
    assert asyncio.run(scenario()) == (True, True, True)


@pytest.fixture(scope="module")
def short_first_use() -> Iterator[LiveServer]:
    with LiveServer(BASIC_APP, "--session-first-use-timeout", "1") as server:
        yield server


def page_view(url: str, *then: str) -> str:
    """GET / like a browser (and the paths in ``then`` with its cookie); returns the session token."""
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
        token = client.get("/").cookies["anvil-session"]
        for path in then:
            assert client.get(path).status_code == 200
        return token


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_a_page_view_that_never_starts_does_not_keep_its_session(short_first_use: LiveServer) -> None:
    never_started = page_view(short_first_use.url)
    started = page_view(short_first_use.url, "/_/runtime/build.json")  # what a booting page asks for first
    await asyncio.sleep(1.5)  # past --session-first-use-timeout
    async with BrowserClient(short_first_use.ws_url, session_token=never_started) as client:
        with pytest.raises(anvil.server.SessionExpiredError):
            await client.call("session_get", "k")
    async with BrowserClient(short_first_use.ws_url, session_token=started) as client:
        assert await client.call("session_id") == started


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_a_socket_without_a_cookie_keeps_the_session_it_gets(short_first_use: LiveServer) -> None:
    async with BrowserClient(short_first_use.ws_url) as client:
        await client.call("session_set", "k", "v")
        await asyncio.sleep(1.5)
        assert await client.call("session_get", "k") == "v"


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_a_session_from_reset_session_is_in_use_at_once(short_first_use: LiveServer) -> None:
    async with BrowserClient(short_first_use.ws_url) as client:
        fresh = await client.call("anvil.private.reset_session")
        await asyncio.sleep(1.5)  # past --session-first-use-timeout
        assert await client.call("session_id") == fresh
