"""The Skulpt runtime on the same transports as Pyodide: data-transport="http" (POST /_/server-call-http, no
WebSocket) with media of several chunks, capability updates and forwarded output; and a server restart in the
middle of a call (AppOfflineError, then calls work again without a reload)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import APPS, AppPage, on_skulpt
from tests.support.live_server import LiveServer

SKULPT_HTTP_PAGE = ('<!doctype html><html><body>'
                    '<script src="/_/runtime/anvil-pyodide.js" data-main="main" data-runtime="skulpt" '
                    'data-transport="http"></script></body></html>')


@pytest.fixture(scope="module")
def skulpt_http_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    app = tmp_path_factory.mktemp("skulpt-http") / "app"
    shutil.copytree(APPS / "browser", app)
    (app / "index.html").write_text(SKULPT_HTTP_PAGE)
    with LiveServer(app, "--forward-output") as server:
        yield server


def test_skulpt_calls_over_http(browser: Any, skulpt_http_app: LiveServer) -> None:
    page = browser.new_page()
    posts: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if "/_/server-call-http" in r.url and r.method == "POST" else None)
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        app = AppPage(page, skulpt_http_app).open()
        size = 300_000  # five 64 KiB chunks each way
        before = len(posts)
        checks = app.run(f"""
import anvil, anvil.server
data = bytes((i * 13 + 1) % 256 for i in range({size}))
up = anvil.server.call("media_digest", anvil.BlobMedia("application/octet-stream", data, name="up.bin"))
down = anvil.server.call("echo", anvil.BlobMedia("text/plain", data, name="down.bin"))[0][0]
cap = anvil.server.call("issue_capability", "report")
updates = []
cap.set_update_handler(updates.append)
outcome = anvil.server.call("progress", cap, 5)
result = [up[1:], down.get_bytes() == data, updates, outcome]
""", timeout_ms=120_000)
        assert checks == [[size, "application/octet-stream", "up.bin"], True,
                          [{"step": 0}, {"step": 1}, {"step": 2}, {"step": 3}, {"step": 4}], "done"]
        assert len(posts) - before == 4
        with page.expect_console_message(lambda m: m.text == "shouted on skulpt", timeout=60_000):
            assert app.run("import anvil.server\nresult = anvil.server.call('shout', 'shouted on skulpt')") == "printed"
        assert page.evaluate("() => anvilPyodide.app.bridge.transportKind") == "http"
        assert sockets == []
    finally:
        page.close()


def test_skulpt_server_restart_mid_call(browser: Any, tmp_path: Path) -> None:
    """A call in flight when the server stops fails with AppOfflineError (and is not run again); once the server
    is back, calls work without a reload (the session, in the memory store, expired: reset_session)."""
    runs = tmp_path / "runs.txt"
    server = LiveServer(on_skulpt(APPS / "browser", tmp_path / "app"), "--store", "memory").start()
    page = browser.new_page()
    try:
        app = AppPage(page, server).open()
        page.evaluate("""path => { window.inFlight = anvilPyodide.app.runPython(`
import anvil.server
try:
    anvil.server.call("note_then_sleep", ${JSON.stringify(path)}, 30)
    outcome = "finished"
except anvil.server.AppOfflineError as e:
    outcome = "AppOfflineError: " + str(e)
outcome
`); }""", str(runs))
        deadline = time.monotonic() + 60
        while not runs.exists() and time.monotonic() < deadline:  # the call is running on the server
            time.sleep(0.05)
        server.stop()
        outcome = page.evaluate("() => window.inFlight")
        assert outcome.startswith("AppOfflineError: Connection to server failed ("), outcome
        server.start()
        after = app.run("""
import anvil.server
try:
    first = anvil.server.call("hello", "again")
except anvil.server.SessionExpiredError:
    anvil.server.reset_session()
    first = "reset: " + anvil.server.call("hello", "again")
result = first
""")
        assert after == "reset: hello again"  # sessions lived in the server's memory: the restart ended them
        assert runs.read_text() == "ran\n"
    finally:
        page.close()
        server.stop()
