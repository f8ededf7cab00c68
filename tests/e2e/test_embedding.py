"""A page of another site embeds the app with the one script tag: a plain static server on
http://localhost:PORT1 serves the page, the app's server runs on http://127.0.0.1:PORT2 with
``--allow-origin http://localhost:PORT1``. A page of an unlisted origin (http://127.0.0.1:PORT1: same
host, another port, so another origin) is refused clearly, and its calls never reach the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import APPS, AppPage
from tests.support.live_server import LiveServer
from tests.support.static_site import StaticSite

pytestmark = pytest.mark.timeout(600)


def embedding_page(server_url: str, transport: str = "websocket") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title></head>
<body><h1>Another site's page</h1>
<script src="{server_url}/_/runtime/anvil-pyodide.js" data-main="main" data-transport="{transport}"
        data-spinner-delay="0"></script>
</body></html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StaticSite, Path]]:
    folder = tmp_path_factory.mktemp("another-site")
    with StaticSite(folder) as static:
        yield static, folder


@pytest.fixture(scope="module")
def embedded(site: tuple[StaticSite, Path]) -> Iterator[tuple[LiveServer, str, str]]:
    """The app server allowing http://localhost:PORT1, its pages written; (server, allowed url, refused url)."""
    static, folder = site
    allowed = f"http://localhost:{static.port}"
    with LiveServer(APPS / "browser", "--allow-origin", allowed) as server:
        (folder / "embed.html").write_text(embedding_page(server.url))
        (folder / "embed-http.html").write_text(embedding_page(server.url, "http"))
        yield server, f"{allowed}/embed.html", f"http://127.0.0.1:{static.port}/embed.html"


class EmbeddedPage(AppPage):
    """An app page opened at any URL (AppPage opens paths of the app's server)."""

    def open_url(self, url: str) -> "EmbeddedPage":
        self.page.goto(url)
        self.page.wait_for_function("() => document.body.dataset.ready || (window.anvilPyodide && anvilPyodide.error)",
                                    timeout=90_000)
        error = self.page.evaluate("() => anvilPyodide.error && String(anvilPyodide.error.message)")
        assert not error, f"the app failed to start: {error}\nconsole: {self.console}"
        return self


def stored_tokens(page: Any) -> list[str]:
    return page.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('anvil-pyodide-session '))"
                         ".map(k => sessionStorage.getItem(k))")


def test_a_page_of_another_site_embeds_the_app(browser: Any, embedded: tuple[LiveServer, str, str]) -> None:
    server, allowed_url, _ = embedded
    app = EmbeddedPage(browser.new_page(), server)
    try:
        app.open_url(allowed_url)
        assert app.page.evaluate("() => [location.origin, anvilPyodide.serverUrl]") == [
            allowed_url.rsplit("/", 1)[0], server.url]
        assert app.page.inner_text("h1") == "Another site's page"
        # calls, and call_async
        assert app.run("import anvil.server\nresult = anvil.server.call('echo', 2**40, k='v')") == [[2 ** 40], {"k": "v"}]
        assert app.run("""
from anvil_labs.non_blocking import call_async, wait_for
result = wait_for(call_async("hello", "async"))
""") == "hello async"
        # the session, across calls and across a reconnect
        first = app.run("""
import anvil.server
anvil.server.call("remember", "colour", "teal")
result = [anvil.server.call("recall", "colour"), anvil.server.call("session_id")]
""")
        assert first[0] == "teal"
        app.page.evaluate("""() => new Promise(resolve => {
            const socket = anvilPyodide.app.transport.socket;
            socket.addEventListener("close", resolve);
            socket.close();
        })""")
        after = app.run("import anvil.server\nresult = [anvil.server.call('recall', 'colour'), anvil.server.call('session_id')]")
        assert after == first
        assert app.page.evaluate("() => anvilPyodide.app.transport.socket.readyState") == 1  # a new socket
        assert stored_tokens(app.page) == [first[1]]
        cookies = {c["value"] for c in app.page.context.cookies(server.url)}
        assert first[1] not in cookies  # the session never came from a cookie
        # a reload of the embedding page keeps its session (sessionStorage, per server origin)
        app.open_url(allowed_url)
        assert app.run("import anvil.server\nresult = anvil.server.call('recall', 'colour')") == "teal"
    finally:
        app.page.close()


def test_the_spinner_shows_on_the_embedding_page(browser: Any, embedded: tuple[LiveServer, str, str]) -> None:
    server, allowed_url, _ = embedded
    app = EmbeddedPage(browser.new_page(), server).open_url(allowed_url)
    try:
        app.page.evaluate("""() => { window.gated = anvilPyodide.app.runPython(
            "import anvil.server\\nanvil.server.call('wait_for_gate', 60)"); }""")
        spinner = app.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=30_000)
        assert spinner.get_attribute("role") == "progressbar"
        app.page.wait_for_timeout(500)  # the fade-in, for the screenshot only
        from tests.e2e.conftest import ARTIFACTS
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        app.page.screenshot(path=str(ARTIFACTS / "embedded-spinner.png"))
        app.page.evaluate("() => anvilPyodide.app.runPython(\"import anvil.server\\nanvil.server.call_s('open_gate')\")")
        app.page.evaluate("() => window.gated")
        app.page.wait_for_selector("#anvil-spinner", state="detached", timeout=30_000)
    finally:
        app.page.close()


def test_the_http_transport_works_embedded_too(browser: Any, embedded: tuple[LiveServer, str, str]) -> None:
    server, allowed_url, _ = embedded
    app = EmbeddedPage(browser.new_page(), server).open_url(allowed_url.replace("embed.html", "embed-http.html"))
    try:
        kind, first, second = app.run("""
import _anvil_bridge, anvil.server
anvil.server.call("remember", "shape", "circle")
result = [_anvil_bridge.transportKind, anvil.server.call("recall", "shape"), anvil.server.call("session_id")]
""")
        assert (kind, first) == ("http", "circle")
        # the synchronous path (no JSPI: a blocking XMLHttpRequest) keeps the session too
        assert app.run_sync("import anvil.server\nresult = anvil.server.call('recall', 'shape')") == "circle"
        reset = app.run("""
import anvil.server
anvil.server.reset_session()
result = [anvil.server.call("recall", "shape"), anvil.server.call("session_id")]
""")
        assert reset[0] is None and reset[1] != second and stored_tokens(app.page) == [reset[1]]
    finally:
        app.page.close()


def test_a_page_of_an_unlisted_origin_is_refused_clearly(browser: Any, embedded: tuple[LiveServer, str, str]) -> None:
    server, _, refused_url = embedded
    refused_origin = refused_url.rsplit("/", 1)[0]
    page = browser.new_page()
    try:
        page.goto(refused_url)
        page.wait_for_function("() => window.anvilPyodide && anvilPyodide.error", timeout=90_000)
        error = page.evaluate("() => anvilPyodide.error.message")
        assert refused_origin in error and f"--allow-origin {refused_origin}" in error, error
        shown = page.inner_text("#anvil-pyodide-status")
        assert "The app could not start" in shown and f"--allow-origin {refused_origin}" in shown
        assert page.get_attribute("#anvil-pyodide-status", "role") == "alert"
        assert page.query_selector(".anvil-spinner-layer") is None
        assert stored_tokens(page) == []  # no session
        from tests.e2e.conftest import ARTIFACTS
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "embedding-refused.png"))
        # calls made by hand from that page: a form POST (a "simple" request: no preflight, so only the
        # server's own check stops it) and a WebSocket; neither reaches a server function
        outcome = page.evaluate("""async (server) => {
            const call = JSON.stringify({type: "CALL", id: "sneak-1", command: "count_call", args: ["http"],
                                         kwargs: {}, objects: []});
            const form = new FormData();
            form.append("json-data", call);
            let http;
            try {
                const reply = await fetch(server + "/_/server-call-http", {method: "POST", body: form, mode: "no-cors"});
                http = "sent";
            } catch (e) { http = "failed: " + e.message; }
            const ws = await new Promise(resolve => {
                const socket = new WebSocket(server.replace("http", "ws") + "/_/ws");
                socket.onopen = () => { socket.send(call.replace("http", "ws")); resolve("opened"); };
                socket.onerror = () => resolve("refused");
            });
            return [http, ws];
        }""", server.url)
        assert outcome == ["sent", "refused"]
    finally:
        page.close()
    allowed = EmbeddedPage(browser.new_page(), server).open_url(embedded[1])
    try:
        assert allowed.run("import anvil.server\nresult = anvil.server.call('counted_calls')") == []
    finally:
        allowed.page.close()
    log = server.output()
    assert '"POST /_/server-call-http HTTP/1.1" 403' in log
    assert '"WebSocket /_/ws" 403' in log
    assert f"refused http /_/runtime/build.json from a page of {refused_origin}" in log
    assert log.count(f"from a page of {refused_origin}") == 1  # logged once, whatever it tries next


def test_no_access_log_line_holds_a_session_token(browser: Any, embedded: tuple[LiveServer, str, str]) -> None:
    """Runs after the tests above (same server): every session they used, over every transport."""
    server, allowed_url, _ = embedded
    tokens = set()
    session_id = "import anvil.server\nresult = anvil.server.call('session_id')"
    for url in (allowed_url, allowed_url.replace("embed.html", "embed-http.html"), server.url + "/"):
        app = EmbeddedPage(browser.new_page(), server).open_url(url)
        try:
            tokens.add(app.run(session_id))
            tokens.add(app.run("import anvil.server\nanvil.server.reset_session()\nresult = anvil.server.call('session_id')"))
            app.open_url(url)  # a reload: the runtime starts with the kept token
            tokens.add(app.run(session_id))
            app.page.evaluate("() => anvilPyodide.app.transport.socket && anvilPyodide.app.transport.socket.close()")
            tokens.add(app.run(session_id))  # after a reconnect
            tokens.update(stored_tokens(app.page))
        finally:
            app.page.close()
    log = server.output()
    assert "/_/ws" in log and "/_/server-call-http" in log and "GET / " in log  # the log does record requests
    assert len(tokens) >= 6 and all(len(t) >= 20 for t in tokens)
    leaked = [line for line in log.splitlines() if any(token in line for token in tokens)]
    assert leaked == []
