"""Reconnect and offline behaviour in a real page (README "Calls and how they block"): the connection is cut at
a known moment by a page-level WebSocket wrapper, never by sleeping and hoping.

- a call already sent fails with AppOfflineError when the connection drops, and is never re-sent;
- a call made while disconnected waits, and goes out once a connection comes back;
- a call that cannot get through fails with AppOfflineError after 30 s (the page's clock is fast-forwarded);
- is_app_online() is cached for 5 s (the page's clock again).
The transport's backoff, jitter and timers are unit-tested in tests/js/transport.test.mjs.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import AppPage
from tests.support.http_protocol import HttpCaller
from tests.support.live_server import LiveServer
from tests.support.waiting import wait_until

#: Installed before the page's own scripts: every WebSocket the page opens is recorded in wsControl.sockets;
#: while wsControl.blocked is true, new ones are sent to a path the server refuses, so they fail to connect.
CONTROLLED_WEBSOCKET = """(() => {
  const Real = window.WebSocket;
  const control = window.wsControl = { sockets: [], blocked: false };
  window.WebSocket = class ControlledWebSocket extends Real {
    constructor(url, protocols) {
      super(control.blocked ? String(url).replace("/_/ws", "/_/refused-ws") : url, protocols);
      control.sockets.push(this);
    }
  };
})();"""

OFFLINE_OUTCOME = """
import anvil.server
try:
    outcome = ["returned", anvil.server.call({call})]
except anvil.server.AppOfflineError as e:
    outcome = ["AppOfflineError", str(e)]
outcome
"""


@pytest.fixture
def controlled_page(browser: Any, browser_app: LiveServer) -> Iterator[AppPage]:
    page = browser.new_page()
    try:
        page.add_init_script(CONTROLLED_WEBSOCKET)
        yield AppPage(page, browser_app).open()
    finally:
        page.close()


def start(app: AppPage, name: str, call: str) -> None:
    """Run OFFLINE_OUTCOME for ``call`` (Python source of the arguments) without waiting; see ``outcome``."""
    app.page.evaluate("([name, code]) => { window[name] = anvilPyodide.app.runPython(code).then((r) => r.toJs()); }",
                      [name, OFFLINE_OUTCOME.format(call=call)])


def outcome(app: AppPage, name: str) -> list[Any]:
    return app.page.evaluate("name => window[name]", name)


def server_count(server: LiveServer, key: str) -> int:
    with HttpCaller(server.url) as http:
        return http.call("arrivals", key)


def test_a_dropped_connection_fails_sent_calls_and_delivers_queued_ones_after_reconnect(
        controlled_page: AppPage) -> None:
    app, server = controlled_page, controlled_page.server
    held, queued = f"held-{uuid.uuid4().hex}", f"queued-{uuid.uuid4().hex}"
    start(app, "held", f"'hold', {held!r}")
    wait_until(lambda: server_count(server, held) == 1, "the held call to reach the server")

    app.page.evaluate("() => { wsControl.blocked = true; wsControl.sockets.at(-1).close(); }")
    # 1005: the page closed the socket without a code; a call queued too long would say "(no connection)"
    assert outcome(app, "held") == ["AppOfflineError", "Connection to server failed (1005)"]

    attempts = app.page.evaluate("() => wsControl.sockets.length")
    start(app, "queued", f"'arrive', {queued!r}")
    app.page.wait_for_function(f"() => wsControl.sockets.length >= {attempts + 2}", timeout=60_000)
    assert server_count(server, queued) == 0, "nothing reaches the server while it cannot be reached"

    app.page.evaluate("() => { wsControl.blocked = false; }")
    assert outcome(app, "queued") == ["returned", 1]
    assert server_count(server, queued) == 1
    with HttpCaller(server.url) as http:
        http.call("release", held)  # the first call ends on the server; its reply has nowhere to go
    assert app.run("import anvil.server\nresult = anvil.server.call('hello', 'again')") == "hello again"
    assert server_count(server, held) == 1, "the call in flight when the connection dropped was sent again"


def pause_clock(page: Any) -> None:
    """Stop the page's (installed) clock a little ahead of now: from then on only run_for moves it, and timers
    (the transport's, Pyodide's event loop) fire only inside run_for."""
    page.clock.pause_at((page.evaluate("() => Date.now()") + 5_000) / 1000)  # Playwright takes seconds here


def test_a_call_that_cannot_get_through_fails_after_30_seconds(own_context: Any, browser_app: LiveServer) -> None:
    page = own_context.new_page()
    try:
        page.clock.install()
        page.add_init_script(CONTROLLED_WEBSOCKET)
        app = AppPage(page, browser_app).open()
        key = f"never-{uuid.uuid4().hex}"
        page.evaluate("() => { wsControl.blocked = true; wsControl.sockets.at(-1).close(); }")
        pause_clock(page)
        start(app, "waiting", f"'arrive', {key!r}")  # runs (and queues its call) inside the first run_for
        page.evaluate("() => { window.waiting.then(() => { window.waitingSettled = true; }); }")
        page.clock.run_for(29_000)
        assert page.evaluate("() => wsControl.sockets.length") >= 2, "it tried to reconnect meanwhile"
        assert page.evaluate("() => window.waitingSettled") is None, "still waiting 29 s after the call"
        page.clock.run_for(3_000)
        assert page.evaluate("() => window.waitingSettled") is True, "failed by 32 s after the call"
        assert outcome(app, "waiting") == ["AppOfflineError", "Connection to server failed (no connection)"]
        assert server_count(browser_app, key) == 0
    finally:
        page.close()


def test_is_app_online_is_cached_for_5_seconds(own_context: Any, browser_app: LiveServer) -> None:
    """Checked from a plain JS call (synchronous XHR path), which needs no timer while the clock is paused."""
    page = own_context.new_page()
    try:
        page.clock.install()
        checks: list[str] = []
        page.on("request", lambda request: checks.append(request.url) if "/_/check-app-online" in request.url else None)
        app = AppPage(page, browser_app).open()
        online = "import anvil.server\nresult = anvil.server.is_app_online()"
        pause_clock(page)
        assert app.run_sync(online) is True
        assert len(checks) == 1
        page.route("**/_/check-app-online", lambda route: route.fulfill(status=503, body="down"))
        page.clock.run_for(4_900)
        assert app.run_sync(online) is True, "within 5 s the cached answer is used"
        assert len(checks) == 1
        page.clock.run_for(200)
        assert app.run_sync(online) is False, "after 5 s the server is asked again"
        assert len(checks) == 2
    finally:
        page.close()
