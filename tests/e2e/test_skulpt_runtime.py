"""The Skulpt runtime (data-runtime="skulpt") in a real page: it loads from our server, runs the app, and a
failure to start is shown on the page. The calls themselves are tested on both runtimes in test_browser_calls.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import SKULPT_PAGE, AppPage
from tests.support.live_server import LiveServer


def test_app_starts_on_skulpt_from_our_server(browser, skulpt_browser_app) -> None:
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        app = AppPage(page, skulpt_browser_app).open()
        assert page.evaluate("() => document.body.dataset.ready") == "hello browser"
        assert page.evaluate("() => anvilPyodide.app.startPath") == "skulpt"
        # the runtime's Python and datetime came compiled from the build (skulpt-precompiled.json)
        assert page.evaluate("() => anvilPyodide.app.precompiledModules") >= 8
        assert app.run("import anvil.server\nresult = anvil.server.last_call_path()") == "skulpt"
        assert any(url.endswith("/skulpt.min.js") for url in requested)
        assert not any("pyodide.asm" in url for url in requested), "the Skulpt page loaded Pyodide"
        assert all(url.startswith(skulpt_browser_app.url) for url in requested), requested
    finally:
        page.close()


def broken_app(tmp_path: Path, main_source: str) -> Path:
    app_dir = tmp_path / "broken"
    (app_dir / "client_code").mkdir(parents=True)
    (app_dir / "client_code" / "main.py").write_text(main_source)
    (app_dir / "index.html").write_text(SKULPT_PAGE)
    return app_dir


def shown_error(browser, app_dir: Path) -> str:
    with LiveServer(app_dir) as server:
        page = browser.new_page()
        try:
            page.goto(server.url + "/")
            page.wait_for_function("() => window.anvilPyodide && anvilPyodide.error", timeout=60_000)
            assert page.get_attribute("#anvil-pyodide-status", "role") == "alert"
            return page.inner_text("#anvil-pyodide-status")
        finally:
            page.close()


def test_unsupported_syntax_is_shown_on_the_page(browser, tmp_path) -> None:
    shown = shown_error(browser, broken_app(tmp_path, "def f():\n    x = 1\n    def g():\n        nonlocal x\n"))
    assert "The app could not start" in shown and "SyntaxError" in shown, shown
    assert "Skulpt runtime" in shown and "README" in shown, shown


def test_missing_module_is_shown_on_the_page(browser, tmp_path) -> None:
    shown = shown_error(browser, broken_app(tmp_path, "import dataclasses\n"))
    assert "ImportError" in shown and "dataclasses" in shown and "Skulpt runtime" in shown, shown


def test_runtime_error_in_main_is_shown_with_its_traceback(browser, tmp_path) -> None:
    shown = shown_error(browser, broken_app(tmp_path, "x = 1\nraise ValueError('main exploded')\n"))
    assert "ValueError: main exploded" in shown and 'File "main.py", line 2' in shown, shown
    assert "Skulpt runtime" not in shown  # not a subset problem: no hint


def test_an_unknown_runtime_is_named_on_the_page(browser, tmp_path) -> None:
    app_dir = broken_app(tmp_path, "x = 1\n")
    (app_dir / "index.html").write_text(SKULPT_PAGE.replace('data-runtime="skulpt"', 'data-runtime="skulp"'))
    shown = shown_error(browser, app_dir)
    assert 'data-runtime must be one of pyodide, skulpt, not "skulp"' in shown, shown


BLOCKING_IN_REPR = """
import anvil.server
class Shape:
    def __repr__(self):
        return anvil.server.call("hello", "repr")
try:
    repr(Shape())
    result = "no error"
except Exception as e:
    result = [type(e).__name__, str(e)]
"""


def test_a_blocking_call_where_skulpt_cannot_wait_says_why(browser, skulpt_browser_app) -> None:
    """Skulpt cannot suspend inside __repr__ (or __eq__, __hash__, sort keys, class bodies): the error says so."""
    page = browser.new_page()
    try:
        app = AppPage(page, skulpt_browser_app).open()
        name, message = app.run(BLOCKING_IN_REPR)
        assert name == "SuspensionError" and "cannot run inside __eq__, __str__/__repr__" in message, message
        with pytest.raises(Exception) as failed:
            page.evaluate("code => anvilPyodide.app.runPython(code)",
                          "import anvil.server\nclass Late:\n    value = anvil.server.call('hello', 'class')\n")
        assert "a class body" in str(failed.value) and "README" in str(failed.value), str(failed.value)
        assert app.run("import anvil.server\nresult = anvil.server.call('hello', 'after')") == "hello after"
    finally:
        page.close()
