"""A flood of page views: creating and expiring sessions costs O(1) each, and a view whose page never
starts does not keep its session for ``--session-timeout``."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import anvil.server
import httpx
import pytest

from anvil_pyodide.sessions import store as sessions_module
from anvil_pyodide.sessions.store import InMemorySessionStore
from tests.host.server.conftest import BASIC_APP
from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer


class CountingSession(sessions_module.Session):
    """A Session that counts how often the store looks at its ``last_used`` (the work of expiry)."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "last_used":
            CountingSession.reads += 1
        return super().__getattribute__(name)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingSession]:
    monkeypatch.setattr(sessions_module, "Session", CountingSession)
    CountingSession.reads = 0
    return CountingSession


def test_creating_a_session_does_not_scan_the_others(counting: type[CountingSession]) -> None:
    store = InMemorySessionStore(idle_timeout=600)
    for _ in range(5_000):
        store.create()
    counting.reads = 0
    for _ in range(100):
        store.create()
    assert counting.reads <= 2 * 100, f"{counting.reads} reads of last_used for 100 creations among 5,000 sessions"


def test_expiry_looks_at_each_session_a_bounded_number_of_times(counting: type[CountingSession]) -> None:
    now = [0.0]
    store = InMemorySessionStore(idle_timeout=100, first_use_timeout=10, clock=lambda: now[0])
    used = [store.create() for _ in range(2_000)]
    for session in used[:1_000]:
        store.get(session.token)
    counting.reads = 0
    for step in range(1, 301):  # every session expires along the way; each creation sweeps what is due
        now[0] = step
        store.create()
    assert len(store) <= 11  # only the newest unused sessions remain
    assert counting.reads <= 2 * (2_000 + 300) + 2 * 300, counting.reads


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
