"""Every code block in README.md is exercised here. Each block is preceded by a marker
``<!-- readme-test: KIND [NAME] -->`` that says how it is tested; a block without one fails the suite."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import ROOT
from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer
from tests.support.static_site import StaticSite

README = ROOT / "README.md"
MARKER = re.compile(r"<!-- readme-test: (\w+)(?: (\w+))? -->\n```(\w*)\n(.*?)\n```", re.S)
FENCE = re.compile(r"^```\w*$", re.M)
UPLINK_KEY = "readme-uplink-key"
UPLINK_PYTHON = os.environ.get("ANVIL_UPLINK_PYTHON", str(ROOT / ".venv-uplink" / "bin" / "python"))


def blocks() -> list[tuple[str, str | None, str]]:
    """(kind, name, code) for every marked block, in README order."""
    return [(kind, name, code) for kind, name, _, code in MARKER.findall(README.read_text())]


def block(kind: str, name: str | None = None) -> str:
    found = [code for k, n, code in blocks() if k == kind and (name is None or n == name)]
    assert len(found) == 1, f"README should have exactly one '{kind} {name or ''}' block"
    return found[0]


def test_every_code_block_is_marked_for_a_test() -> None:
    fences = len(FENCE.findall(README.read_text()))
    assert fences % 2 == 0
    assert len(blocks()) == fences // 2, "a README code block has no <!-- readme-test: ... --> marker"
    assert {kind for kind, _, _ in blocks()} == {"commands", "shared", "server", "client", "html", "js", "cli",
                                                  "uplink", "layout", "embed", "refusal", "install"}


@pytest.fixture(scope="module")
def readme_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app folder made of README's shared, server and client-main blocks."""
    app = tmp_path_factory.mktemp("readme-app")
    (app / "server_code").mkdir()
    (app / "client_code").mkdir()
    for kind, name, code in blocks():
        if kind in ("shared", "server"):
            folder = "client_code" if kind == "shared" else "server_code"
            (app / folder / f"{name}.py").write_text(code + "\n")
    (app / "client_code" / "main.py").write_text(block("client", "main") + "\n")
    return app


@pytest.fixture(scope="module")
def readme_server(readme_app: Path) -> Iterator[LiveServer]:
    with LiveServer(readme_app, "--uplink-key", UPLINK_KEY) as server:
        yield server


def open_page(browser: Any, url: str) -> Any:
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function("() => document.body.textContent.startsWith('Refused:') || (window.anvilPyodide && anvilPyodide.error)",
                           timeout=90_000)
    assert page.evaluate("() => !anvilPyodide.error"), page.inner_text("body")
    return page


def run_async(coroutine: Any) -> Any:
    """asyncio.run in a thread of its own (Playwright's sync API keeps a loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_block(page: Any, code: str) -> None:
    page.evaluate("code => anvilPyodide.app.runPython(code)", code)


def test_the_three_file_app_runs_in_the_default_page(browser: Any, readme_server: LiveServer) -> None:
    page = open_page(browser, readme_server.url + "/")
    try:
        assert page.inner_text("body") == "Refused: 300x400 is too big"
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        run_block(page, "print(__import__('anvil.server').server.call('area', __import__('shapes').Rectangle(3, 4)))")
        assert "12" in console
    finally:
        page.close()


def test_the_three_file_app_runs_on_skulpt(browser: Any, readme_app: Path, tmp_path: Path) -> None:
    """The same three files, with the page's tag asking for the Skulpt runtime (README, "The Skulpt runtime")."""
    from tests.e2e.conftest import on_skulpt

    with LiveServer(on_skulpt(readme_app, tmp_path / "on-skulpt")) as server:
        page = browser.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        try:
            page.goto(server.url + "/")
            page.wait_for_function("() => document.body.textContent.startsWith('Refused:') || "
                                   "(window.anvilPyodide && anvilPyodide.error)", timeout=60_000)
            assert page.evaluate("() => !anvilPyodide.error"), page.inner_text("body")
            assert page.evaluate("() => anvilPyodide.app.startPath") == "skulpt"
            assert page.inner_text("body") == "Refused: 300x400 is too big"
            assert "12" in console
        finally:
            page.close()


def test_the_event_handler_block(browser: Any, readme_server: LiveServer) -> None:
    page = open_page(browser, readme_server.url + "/")
    try:
        run_block(page, block("client", "events"))
        page.click("button")
        page.wait_for_function("() => document.title === '2'")
    finally:
        page.close()


def test_the_indicator_and_non_blocking_blocks(browser: Any, readme_server: LiveServer) -> None:
    page = open_page(browser, readme_server.url + "/")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        run_block(page, block("client", "indicators"))
        assert page.evaluate("() => document.querySelectorAll('.anvil-spinner-layer').length") == 0
        with page.expect_console_message(lambda m: m.text == "saving", timeout=60_000):  # 1 s after the edit
            run_block(page, block("client", "non_blocking"))
        assert "area 6" in console and "6" in console
        assert console.count("saving") == 1
        # (the heartbeat is cancelled before its first run, 5 s later: repeat/cancel are tested in test_indicators)
    finally:
        page.close()


def test_the_html_snippet_is_a_working_page(browser: Any, readme_app: Path, tmp_path: Path) -> None:
    assert 'data-main="main"' in block("html")
    app = tmp_path / "html-app"
    subprocess.run(["cp", "-r", str(readme_app), str(app)], check=True)
    (app / "index.html").write_text(f"<!doctype html><html><body>{block('html')}</body></html>")
    with LiveServer(app) as server:
        open_page(browser, server.url + "/").close()


def test_the_js_api_block(browser: Any, readme_app: Path, tmp_path: Path) -> None:
    app = tmp_path / "js-app"
    subprocess.run(["cp", "-r", str(readme_app), str(app)], check=True)
    (app / "index.html").write_text('<!doctype html><html><body><script src="/_/runtime/anvil-pyodide.js"></script>'
                                    '</body></html>')
    with LiveServer(app) as server:
        page = browser.new_page()
        described: list[str] = []
        page.on("request", lambda r: described.append(r.url) if r.url.endswith("/_/runtime/build.json") else None)
        try:
            page.goto(server.url + "/")  # returns after the load event: a data-main start would have begun by then
            assert page.evaluate("() => typeof anvilPyodide.start") == "function"
            assert described == [] and page.evaluate("() => anvilPyodide.app") is None  # no data-main: nothing started
            page.evaluate(f"async () => {{ {block('js')} }}")
            assert page.inner_text("body") == "Refused: 300x400 is too big"
        finally:
            page.close()


def test_the_server_features_block(readme_server: LiveServer) -> None:
    import anvil.server
    import anvil.users

    async def scenario() -> list[Any]:
        async with BrowserClient(readme_server.ws_url) as client:
            first = await client.call("reports.monthly", "May")
            second = await client.call("two_steps", "June")
            cap = await client.call("share", 7)
            doc = await client.call("read", cap)
            try:
                await client.call("private")
                refused = None
            except anvil.users.AuthenticationFailed as e:
                refused = str(e)
            return [first, second, doc, refused, client.messages]

    first, second, doc, refused, messages = run_async(scenario())
    assert first["month"] == "May" and first["caller"] == "browser" and len(first["session"]) == 4
    assert second["month"] == "June" and second["caller"] == "server_module"
    assert doc == 7 and refused == "You must be logged in to call this server function"
    assert any(m.get("capUpdates") for ms in messages.values() for m in ms if "response" not in m)


def test_the_uplink_block(readme_server: LiveServer, tmp_path: Path) -> None:
    script = tmp_path / "uplink_script.py"
    code = block("uplink").replace('"KEY"', repr(UPLINK_KEY)).replace("ws://127.0.0.1:8000",
                                                                       readme_server.ws_url)
    script.write_text(code)
    process = subprocess.Popen([UPLINK_PYTHON, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        async def call_greet() -> str:
            async with BrowserClient(readme_server.ws_url) as client:
                for _ in range(100):
                    try:
                        return await client.call("greet", "readme")
                    except Exception:  # noqa: BLE001 - the uplink is still connecting
                        await asyncio.sleep(0.1)
            raise AssertionError("the README uplink never served greet")

        assert run_async(call_greet()) == "Hello readme, from an uplink"
    finally:
        process.terminate()
        process.wait(10)


def test_the_http_endpoints_and_routes_block(browser: Any, readme_server: LiveServer) -> None:
    import httpx

    with httpx.Client(base_url=readme_server.url + "/_/api", trust_env=False, timeout=20) as client:
        assert client.get("/rectangles/3/4?unit=mm").json() == {"area": 12, "unit": "mm"}
        assert client.post("/reverse", content=b"abc").status_code == 401
        assert client.post("/reverse", content=b"abc", auth=("admin", "nope")).status_code == 403
        reply = client.post("/reverse", content=b"\x00abc", auth=("admin", "secret"),
                            headers={"Content-Type": "application/x-demo"})
        assert (reply.content, reply.headers["content-type"]) == (b"cba\x00", "application/x-demo")
        preflight = client.options("/reverse", headers={"Origin": "http://elsewhere.example",
                                                        "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    page = open_page(browser, readme_server.url + "/rectangles/3/4/page")   # the route runs main: "Refused: ..."
    try:
        assert page.evaluate("() => !!document.getElementById('anvil-pyodide-entry')")
    finally:
        page.close()


def test_the_users_blocks(browser: Any, readme_server: LiveServer) -> None:
    import httpx

    page = open_page(browser, readme_server.url + "/")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        run_block(page, block("client", "users"))
        assert console[-3:] == ["ada@example.com has visited 1 times", "Wrong e-mail address or password",
                                "ada@example.com"]
        refused = page.evaluate("code => anvilPyodide.app.runPython(code)", (
            "import anvil.server\ntry:\n    anvil.server.call('all_users_report')\nexcept anvil.server.PermissionDenied"
            " as e:\n    refused = str(e)\nrefused"))
        assert "all_users_report" in refused
    finally:
        page.close()
    with httpx.Client(base_url=readme_server.url + "/_/api", trust_env=False, timeout=20) as client:
        assert client.get("/whoami").status_code == 401
        assert client.get("/whoami", auth=("ada@example.com", "correct horse battery")).json() == \
            {"email": "ada@example.com"}


def test_the_background_tasks_block(readme_server: LiveServer) -> None:
    assert "def crunch(n)" in block("server", "tasks")

    async def scenario() -> list[Any]:
        async with BrowserClient(readme_server.ws_url) as client:
            task = await client.call("start_crunch", 40)
            for _ in range(600):
                status, done = await client.call("crunch_progress", task.id)
                if status is not None:
                    return [status, done]
                await asyncio.sleep(0.05)
        raise AssertionError("the README's background task never finished")

    assert run_async(scenario()) == ["completed", 40]


def test_the_commands_block_names_real_build_commands() -> None:
    usage = subprocess.run(["./build.sh", "--help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for line in block("commands").splitlines():
        command = shlex.split(line, comments=True)
        assert command[0] == "./build.sh" and f"./build.sh {command[1]}" in usage


def test_the_cli_block_matches_the_real_options() -> None:
    from anvil_pyodide.cli import build_parser

    text = block("cli")
    options = re.findall(r"\[(--[\w-]+)(?: ([^\]]+))?\]", text)
    argv = ["serve", "APP_DIR"]
    for option, value in options:
        argv += [option] + ([value] if value else [])
    args = build_parser().parse_args(argv)
    assert args.port == 8000 and args.forward_output and args.max_media_bytes == 268435456
    help_text = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "anvil_pyodide", "serve", "--help"],
                               capture_output=True, text=True, check=True).stdout
    assert {option for option, _ in options} <= set(re.findall(r"--[\w-]+", help_text))


def test_the_layout_block_names_real_folders() -> None:
    for line in block("layout").splitlines():
        folder = line.split()[0] if line and not line.startswith(" ") else None
        if folder:
            assert (ROOT / folder).is_dir(), folder
    for sub in re.findall(r"(\w+)/ \(", block("layout")):
        assert (ROOT / "tests" / sub).is_dir() or (ROOT / "client" / sub).is_dir(), sub


def test_the_embedding_blocks(browser: Any, readme_app: Path, tmp_path: Path) -> None:
    """A page of another site (a static server on localhost) with README's tag, and the server started with
    README's options, the example origin replaced by that site's."""
    page_html, serve = block("embed", "page"), shlex.split(block("embed", "serve"))
    assert serve[:3] == ["anvil-pyodide", "serve", "APP_DIR"]
    with StaticSite(tmp_path) as site:
        origin = f"http://localhost:{site.port}"
        options = [origin if arg == "https://www.example.com" else arg for arg in serve[3:]]
        with LiveServer(readme_app, *options) as server:
            (tmp_path / "index.html").write_text(
                f"<!doctype html><html><body>{page_html.replace('https://app.example.com', server.url)}</body></html>")
            page = open_page(browser, origin + "/index.html")
            try:
                assert page.inner_text("body") == "Refused: 300x400 is too big"
            finally:
                page.close()


def test_the_refusal_block_is_the_real_message() -> None:
    from anvil_pyodide.origins import OriginPolicy

    shown = block("refusal")
    assert shown == "The app could not start:\n" + OriginPolicy().refusal("https://other.example")


def test_the_install_block_names_real_commands() -> None:
    """The install itself runs in tests/e2e/test_wheel_install.py; here: the block's names are real."""
    import tomllib

    from anvil_pyodide.cli import build_parser

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    lines = [shlex.split(line) for line in block("install").splitlines()]
    assert lines[0][:3] == ["python3", "-m", "venv"]
    assert lines[1][1:] == ["install", f"dist/anvil_pyodide-{version}-py3-none-any.whl"]
    for line in lines[2:]:
        assert line[0].endswith("/bin/anvil-pyodide")
        assert build_parser().parse_args(line[1:]).command in ("new", "serve")


def test_anvil_pyodide_new_writes_the_three_file_app(tmp_path: Path) -> None:
    from anvil_pyodide.new_app import write_new_app

    write_new_app(tmp_path / "app")
    expected = {"client_code/shapes.py": block("shared", "shapes"), "server_code/geometry.py": block("server", "geometry"),
                "client_code/main.py": block("client", "main")}
    assert {name: (tmp_path / "app" / name).read_text() for name in expected} == {
        name: code + "\n" for name, code in expected.items()}
