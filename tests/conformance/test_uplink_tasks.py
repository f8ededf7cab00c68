"""Background tasks on a real anvil-uplink 0.7.0 script: LAUNCH_BACKGROUND, GET_TASK_STATE, KILL_TASK.

The server (``tests/apps/tasks_app`` with an uplink key) launches ``@anvil.server.background_task``
functions that only the uplink script (``tests/apps/tasks_app/uplink_tasks.py``) defines; a
BrowserClient drives the app's server functions. Tests poll, with generous timeouts.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "tests" / "apps" / "tasks_app"
SCRIPT = APP / "uplink_tasks.py"
for _path in (ROOT, APP / "client_code"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import anvil.server  # noqa: E402
from conformance_host import uplink_python  # noqa: E402

from tests.support.browser_protocol import BrowserClient  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

KEY = "uplink-tasks-key-for-tests"


class TaskScript:
    """``uplink_tasks.py`` run by the anvil-uplink interpreter, connected to ``server``."""

    def __init__(self, server: LiveServer) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1")
        self.process = subprocess.Popen([str(uplink_python()), "-u", str(SCRIPT), f"{server.ws_url}/_/uplink", KEY],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        assert self.process.stdout is not None
        for line in self.process.stdout:  # anvil-uplink may log first
            if line.strip() == "ready":
                return
        raise AssertionError(f"uplink script exited ({self.process.wait()}) before it was ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(APP, "--uplink-key", KEY) as live:
        yield live


@pytest.fixture(scope="module")
def script(server: LiveServer) -> Iterator[TaskScript]:
    running = TaskScript(server)
    try:
        yield running
    finally:
        running.stop()


async def poll(client: BrowserClient, task_id: str, done: Any, timeout: float = 60) -> dict[str, Any]:
    """``task_info`` once ``done(info)`` holds."""
    async def loop() -> dict[str, Any]:
        while True:
            info = await client.call("task_info", task_id)
            if done(info):
                return info
            await asyncio.sleep(0.05)
    return await asyncio.wait_for(loop(), timeout)


async def test_uplink_task_state_context_and_return_value(server: LiveServer, script: TaskScript,
                                                         tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "up_count", 4, gate=str(gate))
        info = await poll(client, task.id, lambda i: "context" in i["state"] or i["status"] is not None)
        assert info["status"] is None and info["running"], info       # GET_TASK_STATE while it runs
        assert info["state"]["progress"] == 4
        assert info["state"]["context"] == {"task_id": task.id, "client": "background_task", "double": 8}
        with pytest.raises(anvil.server.BackgroundTaskError, match="cannot kill"):
            await client.call("kill_task", task.id)                     # anvil-uplink only logs KILL_TASK
        gate.write_text("go")
        info = await poll(client, task.id, lambda i: i["status"] is not None)
        assert info["status"] == "completed" and info["value"] == {"counted": 4}
        assert info["state"]["finished"] is True                        # the answer's taskState
        assert await client.call("completed", task.id) is True


async def test_uplink_task_failure_keeps_its_type(server: LiveServer, script: TaskScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "up.fail")
        info = await poll(client, task.id, lambda i: i["status"] is not None)
        assert info["status"] == "failed" and info["error"] == "ValueError" and info["state"] == {"failing": True}
        with pytest.raises(ValueError, match="uplink task failed"):
            await client.call("completed", task.id)


async def test_uplink_task_is_missing_when_its_uplink_goes(server: LiveServer, script: TaskScript,
                                                          tmp_path: Path) -> None:
    second = TaskScript(server)  # registered last: it serves the next launch
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "up_count", 1, gate=str(tmp_path / "never"))
        await poll(client, task.id, lambda i: "context" in i["state"])
        second.stop()
        info = await poll(client, task.id, lambda i: i["status"] is not None)
        assert info["status"] == "missing" and info["error"] == "BackgroundTaskError"


async def test_the_uplink_launches_and_reads_a_server_task(server: LiveServer, script: TaskScript) -> None:
    """anvil-uplink's launch_background_task / get_background_task / list_background_tasks, and the Task's
    methods called as LiveObject calls (``liveObjectCall``) from the uplink."""
    async with BrowserClient(server.ws_url) as client:
        result = await client.call("up_launch_local", 3)
        assert result["name"] == "count_to" and result["status"] == "completed"
        assert result["value"] == 3 and result["listed"] is True
        assert (await client.call("task_info", result["id"]))["status"] == "completed"


async def test_browsers_cannot_use_the_private_task_functions(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.server.PermissionDenied):
            await client.call("anvil.private.background_tasks.launch", "count_to", 1)
        with pytest.raises(anvil.server.PermissionDenied):
            await client.call("anvil.private.background_tasks.list")
