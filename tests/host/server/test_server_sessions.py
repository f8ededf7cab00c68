"""Sessions (cookie and SESSION-message token, isolation, expiry, reset) and ``anvil.server.context``."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Callable

import anvil.server
import anvil.users
import pytest
from basic_shared import Point

from tests.support.browser_protocol import BrowserClient
from tests.support.http_protocol import HttpCaller
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"anvil-session={token}"}


async def test_session_persists_across_calls(server: LiveServer) -> None:
    value = {"n": 1, "when": dt.date(2024, 1, 2), "point": Point(1, 2), "big": 2 ** 40}
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("session_get", "k") is None
        await client.call("session_set", "k", value)
        assert await client.call("session_get", "k") == value


async def test_session_is_shared_by_sockets_with_its_cookie_or_token(server: LiveServer,
                                                                     new_session: Callable[[str], str]) -> None:
    token = new_session(server.url)
    async with BrowserClient(server.ws_url, headers=cookie(token)) as by_cookie:
        await by_cookie.call("session_set", "shared", "from the cookie socket")
        assert await by_cookie.call("session_id") == token
    async with BrowserClient(server.ws_url, session_token=token) as by_token:
        assert await by_token.call("session_get", "shared") == "from the cookie socket"
        assert await by_token.call("session_id") == token
        await by_token.call("session_set", "shared", "from the token socket")
    async with BrowserClient(server.ws_url, headers=cookie(token)) as again:
        assert await again.call("session_get", "shared") == "from the token socket"


async def test_sessions_are_isolated(server: LiveServer, new_session: Callable[[str], str]) -> None:
    async with BrowserClient(server.ws_url) as one, BrowserClient(server.ws_url) as two, \
            BrowserClient(server.ws_url, headers=cookie(new_session(server.url))) as three:
        await one.call("session_set", "mine", 1)
        await two.call("session_set", "mine", 2)
        assert [await c.call("session_get", "mine") for c in (one, two, three)] == [1, 2, None]
        ids = {await c.call("session_id") for c in (one, two, three)}
        assert len(ids) == 3


async def test_session_message_token_wins_over_the_cookie(server: LiveServer, new_session: Callable[[str], str]) -> None:
    url_token, cookie_token = new_session(server.url), new_session(server.url)
    async with BrowserClient(server.ws_url, session_token=url_token, headers=cookie(cookie_token)) as client:
        assert await client.call("session_id") == url_token


@pytest.mark.parametrize("how", ["token", "cookie"])
async def test_invalid_session_is_expired_until_reset(server: LiveServer, how: str) -> None:
    stale = "no-such-session-token"
    options = {"session_token": stale} if how == "token" else {"headers": cookie(stale)}
    async with BrowserClient(server.ws_url, **options) as client:
        for _ in range(2):  # stays expired: nothing silently creates a new session
            with pytest.raises(anvil.server.SessionExpiredError) as caught:
                await client.call("session_get", "k")
            assert str(caught.value) == "Session expired"
        token = await client.call("anvil.private.reset_session")
        assert isinstance(token, str) and len(token) >= 20 and token != stale
        assert await client.call("session_id") == token
        await client.call("session_set", "k", "after reset")
    async with BrowserClient(server.ws_url, session_token=token) as later:
        assert await later.call("session_get", "k") == "after reset"


async def test_reset_session_starts_an_empty_session(server: LiveServer, new_session: Callable[[str], str]) -> None:
    token = new_session(server.url)
    async with BrowserClient(server.ws_url, session_token=token) as client:
        await client.call("session_set", "k", "old")
        cap = await client.call("issue_capability", "doc", 1)
        new_token = await client.call("anvil.private.reset_session")
        assert new_token != token
        assert await client.call("session_get", "k") is None
        with pytest.raises(anvil.server.InvalidObjectError):  # capabilities belong to the old session
            await client.call("capability_scope", cap)
    async with BrowserClient(server.ws_url, session_token=token) as old:
        assert await old.call("session_get", "k") == "old"  # the old session itself is untouched


@pytest.mark.parametrize("nested", [False, True])
async def test_media_in_the_session_is_a_clear_serialization_error(server: LiveServer, nested: bool) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.server.SerializationError) as caught:
            await client.call("session_store_media", nested)
        assert await client.call("session_get", "media") is None
    message = str(caught.value)
    assert "Media" in message and "anvil.server.session['media']" in message
    if nested:
        assert "['list'][0]" in message


#: The expiring_server's --session-timeout (seconds).
IDLE_TIMEOUT = 4.0


async def idle(seconds: float) -> None:
    """Stay idle: being idle for a while is the behaviour under test here, so this sleep is not a wait."""
    await asyncio.sleep(seconds)


async def test_idle_session_expires_but_one_in_use_does_not(expiring_server: LiveServer,
                                                            new_session: Callable[[str], str]) -> None:
    """With ``--session-timeout 4``: uses 2.4 s apart keep a session alive past 4 s; 4.5 s idle ends it
    (for WebSocket and HTTP callers alike). Each idle span is far from the timeout, so load cannot flip them."""
    token = new_session(expiring_server.url)
    async with BrowserClient(expiring_server.ws_url, session_token=token) as client:
        await client.call("session_set", "k", "kept")
        for _ in range(2):  # 4.8 s since the first use, never 4 s since the last
            await idle(IDLE_TIMEOUT * 0.6)
            await client.call("anvil.private.echo", "keep-alive")
        async with BrowserClient(expiring_server.ws_url, session_token=token) as second:
            assert await second.call("session_get", "k") == "kept"
        http = HttpCaller(expiring_server.url, cookies={"anvil-session": new_session(expiring_server.url)})
        http.call("session_set", "k", "over http")

        await idle(IDLE_TIMEOUT + 0.5)
        with http, pytest.raises(anvil.server.SessionExpiredError):
            http.call("session_get", "k")
        with pytest.raises(anvil.server.SessionExpiredError, match="^Session expired$"):
            await client.call("session_get", "k")
        async with BrowserClient(expiring_server.ws_url, session_token=token) as late:
            with pytest.raises(anvil.server.SessionExpiredError):
                await late.call("session_get", "k")
        fresh = await client.call("anvil.private.reset_session")
        assert await client.call("session_get", "k") is None
        assert await client.call("session_id") == fresh


async def test_server_context(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("context_info") == {
            "type": "server_module", "client_type": "browser", "client_ip": "127.0.0.1",
            "remote_caller_type": "browser", "remote_caller_trusted": False, "background_task_id": None,
            "app_origin": server.url}


async def test_server_function_calls_another(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("call_other", "echo", 1, Point(2, 3)) == [[1, Point(2, 3)], {}]
        inner = await client.call("call_other", "context_info")
        assert (inner["remote_caller_type"], inner["remote_caller_trusted"]) == ("server_module", True)
        assert inner["client_type"] == "browser"
        await client.call("session_set", "k", "seen inside")
        assert await client.call("call_other", "session_get", "k") == "seen inside"
        with pytest.raises(ValueError, match="bad value -3"):
            await client.call("call_other", "fail_value_error", -3)
        with pytest.raises(anvil.server.NoServerFunctionError):
            await client.call("call_other", "no_such_function")


async def test_require_user_is_refused_without_a_user(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.users.AuthenticationFailed, match="You must be logged in"):
            await client.call("needs_user")
