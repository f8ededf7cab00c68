"""A page with data-transport="http": every call goes over POST /_/server-call-http (no WebSocket), read by the
page's own frames.mjs — media of several chunks both ways, capability updates (each exactly once) and output
forwarded by the server (--forward-output)."""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import APPS, AppPage
from tests.support.live_server import LiveServer

HTTP_PAGE = ('<!doctype html><html><body>'
             '<script src="/_/runtime/anvil-pyodide.js" data-main="main" data-transport="http"></script>'
             '</body></html>')


@pytest.fixture(scope="module")
def http_page_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    app = tmp_path_factory.mktemp("http-transport") / "app"
    shutil.copytree(APPS / "browser", app)
    (app / "index.html").write_text(HTTP_PAGE)
    with LiveServer(app, "--forward-output") as server:
        yield server


@pytest.fixture
def http_page(browser: Any, http_page_app: LiveServer) -> Iterator[tuple[AppPage, list[str], list[str]]]:
    """The loaded page, the URLs of its server-call-http requests and of any WebSocket it opened."""
    page = browser.new_page()
    posts: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if "/_/server-call-http" in r.url and r.method == "POST" else None)
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        yield AppPage(page, http_page_app).open(), posts, sockets
    finally:
        page.close()


def test_calls_go_over_http_with_multi_chunk_media_both_ways(http_page: tuple[AppPage, list[str], list[str]]) -> None:
    app, posts, sockets = http_page
    size, seed = 300_000, 11  # five 64 KiB chunks each way
    expected = hashlib.sha256(random.Random(seed).randbytes(size)).hexdigest()
    before = len(posts)
    kind, up, down, path = app.run(f"""
import anvil, anvil.server, hashlib, random, _anvil_bridge
data = random.Random({seed}).randbytes({size})
up = anvil.server.call("media_digest", anvil.BlobMedia("application/octet-stream", data, name="up.bin"))
down = anvil.server.call("make_media", {size}, {seed})
result = [_anvil_bridge.transportKind, up, [hashlib.sha256(down.get_bytes()).hexdigest(), down.length, down.name],
          anvil.server.last_call_path()]
""", timeout_ms=120_000)
    assert (kind, path) == ("http", "jspi")
    assert up == [expected, size, "application/octet-stream", "up.bin"]
    assert down == [expected, size, f"random-{seed}.bin"]
    assert len(posts) - before == 2
    assert sockets == []


def test_capability_updates_arrive_each_exactly_once_over_http(http_page: tuple[AppPage, list[str], list[str]]) -> None:
    app, _, sockets = http_page
    updates, outcome = app.run("""
import anvil.server
cap = anvil.server.call("issue_capability", "report")
updates = []
cap.set_update_handler(updates.append)
outcome = anvil.server.call("progress", cap, 5)
result = [updates, outcome]
""")
    assert updates == [{"step": 0}, {"step": 1}, {"step": 2}, {"step": 3}, {"step": 4}]
    assert outcome == "done"
    assert sockets == []


def test_forwarded_output_reaches_the_console_over_http(http_page: tuple[AppPage, list[str], list[str]]) -> None:
    app, _, sockets = http_page
    shout = "import anvil.server\nresult = anvil.server.call('shout', {!r})"
    with app.page.expect_console_message(lambda m: m.text == "shouted over http", timeout=60_000):
        assert app.run(shout.format("shouted over http")) == "printed"
    with app.page.expect_console_message(lambda m: m.text == "and again", timeout=60_000):  # all earlier output is in
        assert app.run(shout.format("and again")) == "printed"
    assert app.console.count("shouted over http") == 1, app.console
    assert sockets == []
