"""Routes in a real page: a FormResponse opens a client entry (module or module:function) with arguments
decoded by our codec (a date, a portable class, kwargs), in headless Chromium against the real server, on both
runtimes (Pyodide and Skulpt)."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import APPS, AppPage, on_skulpt
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module", params=["pyodide", "skulpt"])
def http_app(request: Any, tmp_path_factory: Any) -> Iterator[LiveServer]:
    """The app, its page on each runtime."""
    app_dir = APPS / "http_app"
    if request.param == "skulpt":
        app_dir = on_skulpt(app_dir, tmp_path_factory.mktemp("skulpt") / "http_app")
    with LiveServer(app_dir) as server:
        yield server


def open_page(browser: Any, server: LiveServer, path: str) -> tuple[Any, dict[str, Any]]:
    page = browser.new_page()
    AppPage(page, server).open(path)
    return page, page.evaluate("() => ({...document.body.dataset})")


def test_a_route_opens_a_function_entry_with_arguments(browser: Any, http_app: LiveServer) -> None:
    page, data = open_page(browser, http_app, "/report/2024-05?tab=totals")
    try:
        assert data["entry"] == "report_view:show"
        assert json.loads(data["args"]) == {
            "first_day": "2024-05-01", "date_type": "date", "period": "2024-05", "portable": True,
            "title": "Report 2024-05 </script>", "query": {"tab": "totals"}, "remote": "/report/2024-05",
            "server_call": 8,
        }
        assert page.url.endswith("/report/2024-05?tab=totals")
    finally:
        page.close()


def test_a_route_opens_a_module_entry_with_arguments(browser: Any, http_app: LiveServer) -> None:
    page, data = open_page(browser, http_app, "/welcome/Ada%20L")
    try:
        assert data["entry"] == "__main__:welcome"
        assert json.loads(data["args"]) == {"args": ["Ada L"], "when": "2024-02-29", "when_type": "date"}
    finally:
        page.close()


def test_without_a_route_the_page_runs_main(browser: Any, http_app: LiveServer) -> None:
    page, data = open_page(browser, http_app, "/")
    try:
        assert data["entry"] == "main"
    finally:
        page.close()


@pytest.mark.parametrize("http_app", ["pyodide"], indirect=True)  # no runtime in this page
def test_a_route_returning_a_plain_value_in_the_browser(browser: Any, http_app: LiveServer) -> None:
    page = browser.new_page()
    try:
        page.goto(http_app.url + "/health")
        assert json.loads(page.inner_text("body")) == {"ok": True, "path": "/health"}
    finally:
        page.close()
