"""End-to-end fixtures: the real server (tests/support/live_server.py) and Debian's Chromium driven by
Playwright (never a downloaded browser), loading real app pages with the one script tag."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402,F401 - the fixture

CHROMIUM = os.environ.get("ANVIL_PYODIDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
APPS = ROOT / "tests" / "apps"
ARTIFACTS = ROOT / "build" / "test-artifacts"


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """The one Playwright driver of the run (a second ``sync_playwright()`` in the same thread refuses to start)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_driver: Any) -> Iterator[Any]:
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser(chromium: Any) -> Iterator[Any]:
    """The browser context most tests share (``browser.new_page()``)."""
    context = chromium.new_context()
    yield context
    context.close()


@pytest.fixture
def own_context(chromium: Any) -> Iterator[Any]:
    """A browser context of the test's own, for what lasts as long as a context (``context.clock.install()``)."""
    context = chromium.new_context()
    yield context
    context.close()


@pytest.fixture(scope="module")
def browser_app() -> Iterator[LiveServer]:
    with LiveServer(APPS / "browser") as server:
        yield server


READY = "() => document.body.dataset.ready || (window.anvilPyodide && anvilPyodide.error)"


def mem_available_mb() -> float:
    """The machine's available memory (``MemAvailable`` in /proc/meminfo), in MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def boot_app_page(page: Any, url: str, timeout_ms: int = 90_000) -> Any:
    """Load ``url`` in ``page`` and wait until the app is ready (or has failed); returns ``page``.

    A renderer crash ("Target crashed") fails the test like any other failure: it is not retried. Measured with
    scripts/chromium_crash_rate.py (docs/performance.md, "Chromium renderer crashes"), 400 loads of the demo page
    in fresh and reused contexts, through JSPI, on a loaded machine, crashed 0 times, so no environment-only
    cause is known that a retry could stand for, and a retry could hide a crash of the product. For diagnosis
    the crash is appended to build/test-artifacts/renderer-crashes.log with the machine's available memory and
    load average at the time.
    """
    from playwright.sync_api import Error as PlaywrightError

    crashed: list[bool] = []
    page.on("crash", lambda _page: crashed.append(True))
    try:
        page.goto(url)
        page.wait_for_function(READY, timeout=timeout_ms)
    except PlaywrightError as e:
        if crashed or "crashed" in str(e).lower():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            with (ARTIFACTS / "renderer-crashes.log").open("a") as log:
                log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} renderer crashed booting {url}: "
                          f"{str(e).splitlines()[0]} (MemAvailable {mem_available_mb():.0f} MB, "
                          f"load average {os.getloadavg()[0]:.1f})\n")
        raise
    return page


class AppPage:
    """A loaded app page: run Python in it through either blocking path."""

    def __init__(self, page: Any, server: LiveServer) -> None:
        self.page = page
        self.server = server
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))

    def open(self, path: str = "/", timeout_ms: int = 90_000) -> "AppPage":
        boot_app_page(self.page, self.server.url + path, timeout_ms)
        error = self.page.evaluate("() => anvilPyodide.error && String(anvilPyodide.error.message)")
        assert not error, f"the app failed to start: {error}\nconsole: {self.console}"
        return self

    def run(self, code: str, timeout_ms: int = 60_000) -> Any:
        """Run ``code`` entered promising (JSPI path); returns json.loads of the variable ``result``."""
        wrapped = f"import json\n{code}\njson.dumps(result)"
        self.page.set_default_timeout(timeout_ms)
        return json.loads(self.page.evaluate("code => anvilPyodide.app.runPython(code)", wrapped))

    def run_sync(self, code: str) -> Any:
        """Run ``code`` from a plain synchronous JS call (the synchronous HTTP path)."""
        wrapped = f"import json\n{code}\njson.dumps(result)"
        return json.loads(self.page.evaluate("code => anvilPyodide.app.pyodide.runPython(code)", wrapped))


@pytest.fixture
def app_page(browser: Any, browser_app: LiveServer) -> Iterator[AppPage]:
    app = AppPage(browser.new_page(), browser_app)
    try:
        yield app.open()
    finally:
        app.page.close()


SKULPT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>anvil-pyodide app on Skulpt</title></head>
<body><script src="/_/runtime/anvil-pyodide.js" data-main="main" data-runtime="skulpt"></script></body>
</html>
"""


def on_skulpt(app_dir: Path, into: Path) -> Path:
    """A copy of the app in ``app_dir`` whose page starts it on the Skulpt runtime (data-runtime="skulpt")."""
    import shutil

    shutil.copytree(app_dir, into, ignore=shutil.ignore_patterns("__pycache__"))
    (into / "index.html").write_text(SKULPT_PAGE)
    return into


@pytest.fixture(scope="module")
def skulpt_browser_app(tmp_path_factory: Any) -> Iterator[LiveServer]:
    """tests/apps/browser served with a page that runs it on Skulpt."""
    with LiveServer(on_skulpt(APPS / "browser", tmp_path_factory.mktemp("skulpt") / "browser")) as server:
        yield server


@pytest.fixture(params=["pyodide", "skulpt"])
def runtime_page(request: Any, browser: Any) -> Iterator[AppPage]:
    """The browser app's page on each runtime (``runtime_page.runtime`` says which)."""
    server = request.getfixturevalue("browser_app" if request.param == "pyodide" else "skulpt_browser_app")
    app = AppPage(browser.new_page(), server)
    app.runtime = request.param
    try:
        yield app.open()
    finally:
        app.page.close()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Mark the tests that drive Chromium (junit property ``browser``), so the summary counts them apart."""
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if uses & {"browser", "own_context", "chromium", "playwright_driver"} and "tests/e2e" in str(item.path):
            item.user_properties.append(("browser", "chromium"))
