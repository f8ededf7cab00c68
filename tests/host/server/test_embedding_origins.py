"""Embedding from other origins, over real HTTP and WebSocket clients against a real server: the origin
policy of /_/ws and /_/server-call-http (scheme, host and port compared exactly), CORS on what an
embedding page loads (preflights too), the readable refusal in build.json, the allow-list from the command
line and the environment, and the SESSION message that carries sessions instead of URLs and cookies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Iterator

import anvil.server
import httpx
import pytest
import websockets

from tests.support.browser_protocol import BrowserClient
from tests.support.http_protocol import call_form, read_reply
from tests.support.live_server import ROOT, LiveServer

BASIC_APP = ROOT / "tests" / "apps" / "basic"



pytestmark = pytest.mark.timeout(120)

ALLOWED = "http://localhost:5173"
FROM_ENV = "https://docs.example.com"


@pytest.fixture(scope="module")
def embedding_server() -> Iterator[LiveServer]:
    """The test app allowing ALLOWED (command line) and FROM_ENV (ANVIL_PYODIDE_ALLOW_ORIGINS)."""
    previous = os.environ.get("ANVIL_PYODIDE_ALLOW_ORIGINS")
    os.environ["ANVIL_PYODIDE_ALLOW_ORIGINS"] = f"  {FROM_ENV}, "
    try:
        server = LiveServer(BASIC_APP, "--allow-origin", ALLOWED).start()
    finally:
        if previous is None:
            del os.environ["ANVIL_PYODIDE_ALLOW_ORIGINS"]
        else:
            os.environ["ANVIL_PYODIDE_ALLOW_ORIGINS"] = previous
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(embedding_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=embedding_server.url, timeout=30, trust_env=False) as http:
        yield http


def refused_origins(server: LiveServer) -> list[str]:
    return ["http://evil.example", f"https://127.0.0.1:{server.port}",  # the server's host, but https
            f"http://127.0.0.1:{server.port + 1}", "https://localhost:5173", "http://localhost:5174", "null"]


def session_set_via_http(client: httpx.Client, origin: str | None, cookie: str, value: str) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    headers["Cookie"] = f"anvil-session={cookie}"
    return client.post("/_/server-call-http", files=call_form("session_set", "k", value), headers=headers)


def test_server_call_http_refuses_other_origins_with_the_victims_cookie(embedding_server: LiveServer,
                                                                        client: httpx.Client) -> None:
    """Issue 15, item 6: a cross-origin POST carrying the visitor's cookie must not run in their session."""
    victim = client.get("/").cookies["anvil-session"]
    assert read_reply(session_set_via_http(client, None, victim, "mine")).status == 200
    for origin in refused_origins(embedding_server):
        reply = session_set_via_http(client, origin, victim, f"forged by {origin}")
        assert reply.status_code == 403, origin
        assert f"--allow-origin {origin}" in reply.text
        assert "access-control-allow-origin" not in reply.headers
    for origin in (embedding_server.url, f"http://127.0.0.1:{embedding_server.port}", ALLOWED, FROM_ENV):
        assert read_reply(session_set_via_http(client, origin, victim, f"set by {origin}")).status == 200, origin
    with httpx.Client(base_url=embedding_server.url, timeout=30, trust_env=False,
                      cookies={"anvil-session": victim}) as victim_browser:
        reply = read_reply(victim_browser.post("/_/server-call-http", files=call_form("session_get", "k")))
    assert reply.value() == f"set by {FROM_ENV}"  # the refused ones never ran


@pytest.mark.asyncio
async def test_websocket_origin_check_uses_the_allow_list_and_compares_schemes(embedding_server: LiveServer) -> None:
    for origin in (ALLOWED, FROM_ENV, embedding_server.url):
        async with BrowserClient(embedding_server.ws_url, headers={"Origin": origin}) as allowed:
            assert await allowed.call("echo", origin) == [[origin], {}]
    for origin in refused_origins(embedding_server):
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with BrowserClient(embedding_server.ws_url, headers={"Origin": origin}):
                pass
        assert caught.value.response.status_code == 403, origin


def test_cors_on_what_an_embedding_page_loads(client: httpx.Client) -> None:
    build = client.get("/_/runtime/build.json", headers={"Origin": ALLOWED})
    assert build.status_code == 200 and build.headers["access-control-allow-origin"] == ALLOWED
    assert "origin" in build.headers["vary"].lower()
    build_id = build.json()["buildId"]
    paths = ["/_/runtime/anvil-pyodide.js", f"/_/runtime/{build_id}/runtime.mjs", f"/_/runtime/{build_id}/pyodide.mjs",
             f"/_/runtime/{build_id}/pyodide.asm.wasm", f"/_/runtime/{build_id}/pyodide-lock.json",
             f"/_/runtime/{build_id}/{build.json()['runtimeWheel']}", "/_/app/client_code.zip", "/_/check-app-online"]
    for path in paths:
        allowed = client.get(path, headers={"Origin": FROM_ENV})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == FROM_ENV, path
        refused = client.get(path, headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in refused.headers, path
    reply = client.post("/_/server-call-http", files=call_form("echo", 1), headers={"Origin": ALLOWED})
    assert reply.headers["access-control-allow-origin"] == ALLOWED and read_reply(reply).value() == [[1], {}]
    # HTTP endpoints keep their own CORS (enable_cors), untouched by the allow-list
    assert "access-control-allow-origin" not in client.get("/_/api/does-not-exist", headers={"Origin": ALLOWED}).headers


def test_preflights(client: httpx.Client) -> None:
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/_/server-call-http", headers={"Origin": ALLOWED, **ask})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in allowed.headers["access-control-allow-methods"]
    refused = client.options("/_/server-call-http", headers={"Origin": "http://evil.example", **ask})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    module = client.options("/_/runtime/anvil-pyodide.js", headers={"Origin": FROM_ENV, "Access-Control-Request-Method": "GET"})
    assert module.status_code == 200 and module.headers["access-control-allow-origin"] == FROM_ENV


def test_a_refused_page_can_read_why(client: httpx.Client, embedding_server: LiveServer) -> None:
    origin = f"https://127.0.0.1:{embedding_server.port}"
    reply = client.get("/_/runtime/build.json", headers={"Origin": origin})
    assert reply.status_code == 403 and reply.headers["access-control-allow-origin"] == origin
    assert reply.json() == {"error": f"This app's server does not let pages of {origin} use it: start the server with "
                                     f"--allow-origin {origin} (or list the origin in ANVIL_PYODIDE_ALLOW_ORIGINS)"}
    assert embedding_server.output().count(f"from a page of {origin} (logged once per origin)") == 1


def test_without_an_allow_list_only_the_own_origin_is_served(server: LiveServer, http: httpx.Client) -> None:
    assert "access-control-allow-origin" not in http.get("/_/runtime/anvil-pyodide.js", headers={"Origin": ALLOWED}).headers
    assert http.post("/_/server-call-http", files=call_form("echo", 1), headers={"Origin": ALLOWED}).status_code == 403
    assert read_reply(http.post("/_/server-call-http", files=call_form("echo", 1),
                                headers={"Origin": server.url})).value() == [[1], {}]


@pytest.mark.parametrize("value", ["www.example.com", "https://example.com/app", "ftp://example.com", "https://"])
def test_a_bad_allow_origin_stops_the_server_with_a_clear_error(value: str) -> None:
    done = subprocess.run([sys.executable, "-m", "anvil_pyodide", "serve", str(BASIC_APP), "--allow-origin", value],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert f"--allow-origin / ANVIL_PYODIDE_ALLOW_ORIGINS: {value!r} is not an origin" in done.stderr


# The SESSION message -------------------------------------------------------------------------------------

async def raw_socket(server: LiveServer, *messages: dict) -> list[dict]:
    """Send ``messages`` on a fresh /_/ws and collect what comes back until every CALL has its reply (the calls
    of one connection run concurrently: a later one may be answered first)."""
    unanswered = {message["id"] for message in messages if message.get("type") == "CALL"}
    async with websockets.connect(server.ws_url + "/_/ws", proxy=None) as ws:
        for message in messages:
            await ws.send(json.dumps(message))
        received = []
        while unanswered:
            received.append(json.loads(await ws.recv()))
            unanswered.discard(received[-1].get("id"))
        return received


def call(call_id: str, command: str, *args: object) -> dict:
    return {"type": "CALL", "id": call_id, "command": command, "args": list(args), "kwargs": {}, "objects": []}


@pytest.mark.asyncio
async def test_session_message_gives_a_new_session_and_keeps_it(embedding_server: LiveServer) -> None:
    first = await raw_socket(embedding_server, {"type": "SESSION", "token": None, "fresh": True},
                             call("a", "session_set", "k", "v"), call("b", "session_id"))
    token = first[0]["token"]
    by_id = {message.get("id"): message for message in first}
    assert first[0] == {"type": "SESSION", "token": token} and by_id["b"]["response"] == token
    again = await raw_socket(embedding_server, {"type": "SESSION", "token": token, "fresh": False},
                             call("c", "session_get", "k"))
    assert again == [{"type": "SESSION", "token": token}, {"id": "c", "response": "v", "objects": []}]


@pytest.mark.asyncio
async def test_a_stale_token_is_expired_unless_fresh(embedding_server: LiveServer) -> None:
    stale = await raw_socket(embedding_server, {"type": "SESSION", "token": "gone-token", "fresh": False},
                             call("a", "session_id"))
    assert stale[0] == {"type": "SESSION", "token": None}
    assert stale[1]["error"]["type"] == "anvil.server.SessionExpiredError"
    fresh = await raw_socket(embedding_server, {"type": "SESSION", "token": "gone-token", "fresh": True},
                             call("b", "session_id"))
    assert fresh[0]["token"] not in (None, "gone-token") and fresh[1]["response"] == fresh[0]["token"]


@pytest.mark.asyncio
@pytest.mark.parametrize("messages, code", [
    ([{"type": "SESSION", "token": 5, "fresh": True}], 1007),
    ([{"type": "SESSION", "token": None, "fresh": "yes"}], 1007),
    ([call("a", "session_id"), {"type": "SESSION", "token": None, "fresh": True}], 1008),
])
async def test_bad_session_messages_close_the_socket(embedding_server: LiveServer, messages: list, code: int) -> None:
    async with websockets.connect(embedding_server.ws_url + "/_/ws", proxy=None) as ws:
        for message in messages:
            await ws.send(json.dumps(message))
        with pytest.raises(websockets.ConnectionClosed) as caught:
            while True:
                await ws.recv()
    assert caught.value.rcvd.code == code


def test_session_field_over_http(client: httpx.Client) -> None:
    def post(session: object, command: str, *args: object) -> httpx.Response:
        form = call_form(command, *args)
        if session is not None:
            form.append(("session", (None, json.dumps(session), "application/json")))
        return client.post("/_/server-call-http", files=form)

    created = read_reply(post({"type": "SESSION", "token": None, "fresh": True}, "session_set", "h", 1))
    token = created.messages[0]["token"]
    assert created.messages[0] == {"type": "SESSION", "token": token} and "set-cookie" in created.headers
    kept = read_reply(post({"type": "SESSION", "token": token, "fresh": False}, "session_get", "h"))
    assert kept.messages[0] == {"type": "SESSION", "token": token} and kept.value() == 1
    expired = read_reply(post({"type": "SESSION", "token": "gone", "fresh": False}, "session_get", "h"))
    assert expired.messages[0] == {"type": "SESSION", "token": None}
    with pytest.raises(anvil.server.SessionExpiredError):
        expired.value()
    bad = post({"type": "SESSION", "token": ["x"]}, "session_get", "h")
    assert bad.status_code == 400 and "SESSION" in bad.text


@pytest.mark.asyncio
async def test_no_token_in_the_access_log(embedding_server: LiveServer, client: httpx.Client) -> None:
    token = client.get("/").cookies["anvil-session"]
    async with BrowserClient(embedding_server.ws_url, session_token=token) as by_message:
        assert await by_message.call("session_id") == token
    async with BrowserClient(embedding_server.ws_url, headers={"Cookie": f"anvil-session={token}"}) as by_cookie:
        assert await by_cookie.call("session_id") == token
    form = call_form("session_id") + [("session", (None, json.dumps({"type": "SESSION", "token": token}), "application/json"))]
    assert read_reply(client.post("/_/server-call-http", files=form)).value() == token
    log = embedding_server.output()
    assert '"WebSocket /_/ws" [accepted]' in log and '"POST /_/server-call-http HTTP/1.1" 200' in log
    assert token not in log
