"""End-to-end fixtures: the real server (tests/support/live_server.py) and Debian's Chromium driven by
Playwright (never a downloaded browser), loading real app pages with the one script tag."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.live_server import LiveServer  # noqa: E402

CHROMIUM = os.environ.get("ANVIL_PYODIDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
APPS = ROOT / "tests" / "apps"
ARTIFACTS = ROOT / "build" / "test-artifacts"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
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


class AppPage:
    """A loaded app page: run Python in it through either blocking path."""

    def __init__(self, page: Any, server: LiveServer) -> None:
        self.page = page
        self.server = server
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))

    def open(self, path: str = "/", timeout_ms: int = 90_000) -> "AppPage":
        self.page.goto(self.server.url + path)
        self.page.wait_for_function("() => document.body.dataset.ready || (window.anvilPyodide && anvilPyodide.error)",
                                    timeout=timeout_ms)
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
    page = browser.new_page()
    try:
        yield AppPage(page, browser_app).open()
    finally:
        page.close()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Mark the tests that drive Chromium (junit property ``browser``), so the summary counts them apart."""
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if uses & {"browser", "own_context", "chromium"} and "tests/e2e" in str(item.path):
            item.user_properties.append(("browser", "chromium"))
