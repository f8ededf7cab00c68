"""A return visit starts from the stored Pyodide memory snapshot; a change of the client code invalidates it
(js_bridge/snapshot.mjs, js_bridge/runtime.mjs). The runtime reports which path it took as
``anvilPyodide.app.startPath``; nothing here is timed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.support.live_server import LiveServer

APP = Path(__file__).resolve().parents[1] / "apps" / "browser"


def visit(browser: Any, server: LiveServer) -> dict[str, Any]:
    """Open the app (its main makes a server call before it marks the page ready); report how it started."""
    page = browser.new_page()
    try:
        page.goto(server.url + "/")
        page.wait_for_function("() => document.body.dataset.ready || (window.anvilPyodide && anvilPyodide.error)",
                               timeout=120_000)
        error = page.evaluate("() => anvilPyodide.error && String(anvilPyodide.error.message)")
        assert not error, f"the app failed to start: {error}"
        return page.evaluate("""async () => ({
            startPath: anvilPyodide.app.startPath,
            saved: await anvilPyodide.app.snapshotSaved,
            ready: document.body.dataset.ready,
            echoed: await anvilPyodide.app.runPython(
                "import anvil.server, random\\nstr([anvil.server.call('echo', random.random() < 2), len(__import__('sys').modules) > 0])"),
        })""")
    finally:
        page.close()


def test_return_visit_restores_the_snapshot_and_client_code_changes_invalidate_it(browser: Any, tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    with LiveServer(app) as server:
        first = visit(browser, server)
        assert first["startPath"] == "fresh" and first["saved"] is True, first
        second = visit(browser, server)
        assert second["startPath"] == "snapshot" and second["saved"] is False, second
        assert second["ready"] == "hello browser" and second["echoed"] == "[[[True], {}], True]", second

        main = app / "client_code" / "main.py"
        main.write_text(main.read_text() + "\n# changed\n")
        changed = visit(browser, server)
        assert changed["startPath"] == "fresh" and changed["saved"] is True, changed
        assert visit(browser, server)["startPath"] == "snapshot"
