"""Background tasks through a real server (``tests/apps/tasks_app``): processes, state, errors, kill, LiveObjects.

Every task runs in its own process; tests poll (generously) instead of timing anything. The Task a
server function returns reaches this "browser" as a LiveObject, whose getters are called with the
``liveObjectCall`` message the browser runtime sends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "tests" / "apps" / "tasks_app"
if str(APP / "client_code") not in sys.path:
    sys.path.insert(0, str(APP / "client_code"))

import anvil.server  # noqa: E402
from anvil._live_object import LiveObjectProxy  # noqa: E402
from anvil._wire import encode_message  # noqa: E402
from tasks_shared import TaskFailed  # noqa: E402 - registered here too, as in a browser

from tests.support.browser_protocol import BrowserClient  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(APP) as live:
        yield live


async def live_call(client: BrowserClient, task: LiveObjectProxy, method: str, *args: Any) -> Any:
    """Call a LiveObject method the way the browser runtime does."""
    call_id = f"live-{uuid.uuid4().hex}"
    spec = task._wire_spec()
    encoded = encode_message({"type": "CALL", "id": call_id, "args": list(args), "kwargs": {},
                              "liveObjectCall": {**{k: spec.get(k) for k in ("backend", "id", "mac", "permissions")},
                                                 "method": method}})
    client.expect(call_id)
    await client.send_raw(__import__("json").dumps(encoded.message))
    return await client.outcome(call_id)


async def until_ended(client: BrowserClient, task_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll ``task_info`` until the task has a termination status."""
    async def poll() -> dict[str, Any]:
        while True:
            info = await client.call("task_info", task_id)
            if info["status"] is not None:
                return info
            await asyncio.sleep(0.05)
    return await asyncio.wait_for(poll(), timeout)


def process_runs(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie waiting to be reaped has exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def until_state(client: BrowserClient, task_id: str, key: str, timeout: float = 60) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while True:
            info = await client.call("task_info", task_id)
            if key in info["state"]:
                return info
            assert info["status"] is None, info
            await asyncio.sleep(0.05)
    return await asyncio.wait_for(poll(), timeout)


async def test_task_runs_in_a_process_with_state_context_and_return_value(server: LiveServer, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "count_to", 5, gate=str(gate))
        assert isinstance(task, LiveObjectProxy) and task.backend == "anvil.private.BackgroundTask"
        info = await until_state(client, task.id, "context")          # seen while it still runs
        assert info["running"] and info["status"] is None and info["state"]["progress"] == 5
        assert info["state"]["context"] == {"task_id": task.id, "client": "background_task",
                                            "caller": "background_task", "trusted": True,
                                            "session": {"who": "launcher"}, "double": 42}
        gate.write_text("go")
        info = await until_ended(client, task.id)
        assert info["status"] == "completed" and info["value"]["counted"] == 5 and info["error"] is None
        assert info["value"]["pid"] != server.process.pid
        assert await client.call("completed", task.id) is True
        assert task.id in await client.call("listed")


async def test_live_object_getters_from_the_browser(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "count_to", 3)
        await until_ended(client, task.id)
        assert await live_call(client, task, "get_id") == task.id
        assert await live_call(client, task, "get_task_name") == "count_to"
        assert await live_call(client, task, "get_termination_status") == "completed"
        assert await live_call(client, task, "is_running") is False
        assert await live_call(client, task, "is_completed") is True
        assert (await live_call(client, task, "get_return_value"))["counted"] == 3
        assert (await live_call(client, task, "get_state"))["progress"] == 3
        assert (await live_call(client, task, "get_start_time")).tzinfo is not None
        with pytest.raises(anvil.server.BackgroundTaskError, match="cannot be killed"):
            await live_call(client, task, "kill")


async def test_a_task_cannot_be_used_from_another_session(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as owner, BrowserClient(server.ws_url) as other:
        task = await owner.call("start", "count_to", 1)
        with pytest.raises(anvil.server.InvalidObjectError):
            await live_call(other, task, "get_state")
        forged = LiveObjectProxy({**task._wire_spec(), "mac": "v1:" + "0" * 64})
        with pytest.raises(anvil.server.InvalidObjectError):
            await live_call(owner, forged, "get_state")


async def test_failures_keep_their_type(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        builtin = await client.call("start", "tasks.fail", "builtin")
        custom = await client.call("start", "tasks.fail", "custom")
        assert (await until_ended(client, builtin.id))["error"] == "ValueError"
        assert (await until_ended(client, custom.id))["error"] == "TaskFailed"
        with pytest.raises(ValueError, match="bad value in task"):
            await client.call("completed", builtin.id)
        with pytest.raises(TaskFailed, match="custom failure") as raised:
            await live_call(client, custom, "is_completed")
        assert raised.value.trace[0][0] == "server_code/task_functions.py"
        info = await client.call("task_info", custom.id)
        assert info["status"] == "failed" and info["state"] == {"about_to": "custom"}


async def test_kill_stops_a_busy_task(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "spin")
        await until_state(client, task.id, "spinning")
        await client.call("kill_task", task.id)
        info = await until_ended(client, task.id)
        assert info["status"] == "killed" and info["error"] == "BackgroundTaskKilled"
        with pytest.raises(anvil.server.BackgroundTaskKilled):
            await client.call("completed", task.id)
        assert await client.call("double", 2) == 4


async def test_a_crashing_task_is_missing_and_the_server_lives_on(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "tasks.fail", "exit")
        info = await until_ended(client, task.id)
        assert info["status"] == "missing" and info["error"] == "BackgroundTaskError"
        with pytest.raises(anvil.server.BackgroundTaskError, match="exit code 3"):
            await client.call("completed", task.id)
        assert await client.call("double", 5) == 10


async def test_async_task_and_unknown_names(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "async_task", 1)
        assert (await until_ended(client, task.id))["value"] == 2
        with pytest.raises(anvil.server.BackgroundTaskNotFound):
            await client.call("task_info", "no-such-task")
        with pytest.raises(anvil.server.NoServerFunctionError, match="nope"):
            await client.call("start", "nope")


async def test_another_process_sharing_the_store_sees_tasks_and_their_results_after_a_restart(
        tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    with LiveServer(APP, "--store", store) as first, LiveServer(APP, "--store", store) as second:
        async with BrowserClient(first.ws_url) as on_first, BrowserClient(second.ws_url) as on_second:
            done = await on_first.call("start", "count_to", 2)
            await until_ended(on_first, done.id)
            spinning = await on_first.call("start", "spin")
            seen_on_first = await until_state(on_first, spinning.id, "spinning")
            info = await on_second.call("task_info", spinning.id)
            assert (info["status"], info["running"], info["name"], info["state"]) == (
                None, True, "spin", {"spinning": True, "pid": seen_on_first["state"]["pid"]})
            assert {done.id, spinning.id} <= set(await on_second.call("listed"))
            with pytest.raises(anvil.server.BackgroundTaskError, match="runs on another server process"):
                await on_second.call("kill_task", spinning.id)
        first.stop()  # its running task ends with it
        async with BrowserClient(second.ws_url) as on_second:
            info = await on_second.call("task_info", spinning.id)
            assert (info["status"], info["error"]) == ("missing", "BackgroundTaskError")
            finished = await on_second.call("task_info", done.id)
            assert (finished["status"], finished["value"]["counted"]) == ("completed", 2)
    with LiveServer(APP, "--store", store) as restarted:
        async with BrowserClient(restarted.ws_url) as client:
            assert (await client.call("task_info", done.id))["value"]["counted"] == 2
            assert (await client.call("task_info", spinning.id))["status"] == "missing"
            assert await client.call("completed", done.id) is True


async def test_task_records_are_dropped_after_the_retention(tmp_path: Path) -> None:
    with LiveServer(APP, "--task-retention", "0.5") as live:
        async with BrowserClient(live.ws_url) as client:
            task = await client.call("start", "count_to", 1)
            await until_ended(client, task.id)

            async def forgotten() -> None:
                while task.id in await client.call("listed"):
                    await asyncio.sleep(0.2)
            await asyncio.wait_for(forgotten(), 60)
            with pytest.raises(anvil.server.BackgroundTaskNotFound):
                await client.call("task_info", task.id)


async def test_a_task_whose_server_process_was_killed_is_missing_for_the_others(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    with LiveServer(APP, "--store", store) as doomed, LiveServer(APP, "--store", store) as survivor:
        async with BrowserClient(doomed.ws_url) as client:
            task = await client.call("start", "spin")
            task_pid = (await until_state(client, task.id, "spinning"))["state"]["pid"]
        doomed.process.kill()  # kill -9: no goodbye; its heartbeat stops
        doomed.process.wait(10)
        try:
            wait_until(lambda: not process_runs(task_pid), "the orphaned task's process to exit with its server")
        finally:
            if process_runs(task_pid):  # the test failed: do not leave it spinning
                os.kill(task_pid, signal.SIGKILL)
        async with BrowserClient(survivor.ws_url) as client:
            info = await until_ended(client, task.id, timeout=120)  # once the heartbeat has expired (15 s)
            assert info["status"] == "missing" and info["error"] == "BackgroundTaskError"


async def test_browser_proxy_methods_send_live_object_calls(server: LiveServer, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    """``task.get_state()`` on the browser's LiveObjectProxy: the CALL the browser runtime encodes
    (``anvil._browser.calls.encode_call``) is what the server answers. The task waits for a gate file, so
    its answers are known: still running."""
    import json

    import anvil._backend
    from anvil._browser import calls

    sent: list[tuple[str, str]] = []

    def capture_blocking_call(fn_name: str, args: tuple, kwargs: dict, silent: bool, live_object: Any = None) -> None:
        call_id, text, frames, _ = calls.encode_call(fn_name, args, kwargs, live_object)
        assert not frames and not silent
        sent.append((call_id, text))

    monkeypatch.setattr(anvil._backend, "IN_BROWSER", True)
    monkeypatch.setattr(calls, "blocking_call", capture_blocking_call)
    gate = tmp_path / "gate"
    async with BrowserClient(server.ws_url) as client:
        task = await client.call("start", "count_to", 2, gate=str(gate))
        task.get_termination_status()
        task.is_running()
        with pytest.raises(AttributeError):
            task.get_error  # noqa: B018 - server-only: not among the methods a browser may call
        answers = []
        for call_id, text in sent:
            client.expect(call_id)
            await client.send_raw(text)
            answers.append(await client.outcome(call_id))
        assert [json.loads(text)["liveObjectCall"]["method"] for _, text in sent] == ["get_termination_status",
                                                                                      "is_running"]
        assert answers == [None, True]  # the task waits for its gate: not terminated, running
        gate.write_text("open")
        assert (await until_ended(client, task.id))["status"] == "completed"
