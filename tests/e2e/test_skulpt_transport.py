"""The Skulpt runtime on the HTTP transport, as Pyodide's pages with data-transport="http" (test_http_transport.py):
POST /_/server-call-http, no WebSocket, media of several chunks, capability updates and forwarded output. (A server
restart mid-call is tested on both runtimes in test_browser_calls.py.)"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.e2e.conftest import APPS, AppPage, on_skulpt
from tests.e2e.test_http_transport import HTTP_PAGE
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module")
def skulpt_http_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    app = on_skulpt(APPS / "browser", tmp_path_factory.mktemp("skulpt-http") / "app")
    (app / "index.html").write_text(HTTP_PAGE.replace('data-transport=', 'data-runtime="skulpt" data-transport='))
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
