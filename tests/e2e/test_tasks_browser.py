"""A background task returned to the browser is a live object: its getters work there, kill is refused."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import APPS, SKULPT_PAGE, AppPage
from tests.support.live_server import LiveServer


def for_runtime(runtime: str, code: str) -> str:
    """``code`` for the runtime: Skulpt has no asyncio, and its blocking time.sleep lets the page run."""
    if runtime == "pyodide":
        return code
    return code.replace("import asyncio, anvil.server", "import time, anvil.server").replace("await asyncio.sleep(", "time.sleep(")


@pytest.mark.parametrize("runtime", ["pyodide", "skulpt"])
def test_browser_polls_a_background_task(browser: Any, tmp_path: Path, runtime: str) -> None:
    app = tmp_path / "tasks"
    shutil.copytree(APPS / "tasks_app", app)
    (app / "client_code" / "main.py").write_text("import anvil.js\nanvil.js.document.body.dataset.ready = 'yes'\n")
    if runtime == "skulpt":
        (app / "index.html").write_text(SKULPT_PAGE)
    with LiveServer(app) as server:
        page = browser.new_page()
        try:
            app_page = AppPage(page, server).open()
            gate = tmp_path / "gate"
            running = app_page.run(f"""
import anvil.server
task = anvil.server.call("start", "count_to", 5, gate={str(gate)!r})
result = [task.get_termination_status(), task.is_running()]   # it waits for the gate file
""")
            gate.write_text("open")
            outcome = app_page.run(for_runtime(runtime, """
import asyncio, anvil.server
for _ in range(1200):
    if task.get_termination_status() is not None:
        break
    await asyncio.sleep(0.05)
refused = None
try:
    task.kill()
except anvil.server.BackgroundTaskError as e:
    refused = str(e)
failing = anvil.server.call("start", "tasks.fail", "value")
for _ in range(1200):
    if failing.get_termination_status() is not None:
        break
    await asyncio.sleep(0.05)
try:
    failing.is_completed()
    failure = None
except ValueError as e:
    failure = str(e)
result = [task.get_task_name(), task.get_state()["progress"], task.get_return_value()["counted"],
          task.is_completed(), task.get_termination_status(), bool(refused), failing.get_termination_status(), failure,
          len(task.get_id()) > 0]
"""))
        finally:
            page.close()
    assert running == [None, True]
    assert outcome == ["count_to", 5, 5, True, "completed", True, "failed", "bad value in task", True]
