"""Two servers sharing one Redis, a real anvil-uplink 0.7.0 connected to one of them (B): calls made on
the other (A) reach it through Redis, with media, capability updates and the session; background
tasks launched on A are polled and killed through B; when B is killed (SIGKILL) mid-call the caller on
A gets UplinkDisconnectedError, B's registrations are dropped, and an uplink reconnecting to A serves
again. (docs/architecture.md, README "Deployment".)"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import anvil.server  # noqa: E402
from anvil import BlobMedia  # noqa: E402
from anvil_pyodide.store import open_store  # noqa: E402
from tests.support.browser_protocol import BrowserClient  # noqa: E402
from tests.support.far_uplink import KEY, start_uplink, stop  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402,F401 - the fixture
from tests.support.waiting import until  # noqa: E402

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(240)]

APP = ROOT / "tests" / "apps" / "across_app"
#: Short, so that a dead process is noticed soon: calls waiting on it fail within this and a third.
PROCESS_TIMEOUT = "5"
def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"anvil-session={token}"}


def page_session(server: LiveServer) -> str:
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
        return client.get("/").cookies["anvil-session"]


def server(url: str) -> LiveServer:
    return LiveServer(APP, "--store", url, "--uplink-key", KEY, "--process-timeout", PROCESS_TIMEOUT)


@pytest.fixture(scope="module")
def a_and_b(redis_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Servers A and B on one Redis; a real uplink connected to B only (for the tests that do not kill B)."""
    with server(redis_server.url) as a, server(redis_server.url) as b:
        uplink = start_uplink(b, tmp_path_factory.mktemp("uplink"))
        try:
            yield a, b
        finally:
            stop(uplink)


async def test_a_call_on_a_reaches_the_uplink_on_b_with_media_and_a_capability_update(
        a_and_b: tuple[LiveServer, LiveServer]) -> None:
    a, _ = a_and_b
    data = os.urandom(300_000)  # several chunks each way
    async with BrowserClient(a.ws_url, headers=cookie(page_session(a))) as client:
        cap = await client.call("issue_capability", "doc", 7)
        call_id = await client.send_call("far_media", BlobMedia("application/octet-stream", data, name="in.bin"),
                                          cap, tag="t1")
        result = await client.outcome(call_id)
        assert result["sha256"] == hashlib.sha256(data).hexdigest() and result["tag"] == "t1"
        assert result["back"].get_bytes() == data[::-1] and result["back"].content_type == "application/x-reversed"
        updates = [m["capUpdates"] for m in client.messages.get(call_id, []) if "capUpdates" in m]
        assert updates == [{json.dumps(["doc", 7]): {"seen_bytes": len(data)}}]


async def test_the_uplinks_in_process_calls_run_in_the_callers_session(a_and_b: tuple[LiveServer, LiveServer]) -> None:
    a, b = a_and_b
    token = page_session(a)
    async with BrowserClient(a.ws_url, headers=cookie(token)) as on_a:
        await on_a.call("session_set", "before", 1)
        assert await on_a.call("far_session", "through_b", ["x", 2]) == ["x", 2]
        # a server function on A calling the uplink sees what B's in-process call wrote, in the same call
        assert await on_a.call("call_then_read", "far_session", "again", "again", "yes") == ["yes", "yes"]
        assert await on_a.call("session_get", "through_b") == ["x", 2]
        assert await on_a.call("session_get", "before") == 1
    async with BrowserClient(b.ws_url, headers=cookie(token)) as on_b:
        assert await on_b.call("session_get", "again") == "yes"


@pytest.mark.parametrize("poll, kill", [("task_info", "kill_task"), ("task_info_async", "kill_task_async")])
async def test_a_task_launched_on_a_is_polled_and_killed_through_b(
        a_and_b: tuple[LiveServer, LiveServer], tmp_path: Path, poll: str, kill: str) -> None:
    a, b = a_and_b
    token = page_session(a)
    gate = tmp_path / "gate"
    async with BrowserClient(a.ws_url, headers=cookie(token)) as on_a, \
            BrowserClient(b.ws_url, headers=cookie(token)) as on_b:
        assert await on_a.call("process_id") != await on_b.call("process_id")
        finishing = await on_a.call("start", "wait_for_file", str(gate))
        doomed = await on_a.call("start", "wait_for_file", str(tmp_path / "never"))

        def reported(task_id: str, status: Any, state: dict[str, Any]) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                info = await on_b.call(poll, task_id)
                return info["status"] == status and info["state"] == state
            return check
        await until(reported(finishing, None, {"waiting_for": "gate"}), "B seeing the task's state")
        gate.write_text("open")
        await until(reported(finishing, "completed", {"waiting_for": "gate"}), "B seeing the task complete")
        assert (await on_b.call(poll, finishing))["value"] == "saw gate"

        await until(reported(doomed, None, {"waiting_for": "never"}), "B seeing the other task run")
        await on_b.call(kill, doomed)
        await until(reported(doomed, "killed", {"waiting_for": "never"}), "the task killed through B")
        assert (await on_a.call(poll, doomed))["status"] == "killed"


@pytest.mark.parametrize("start", ["start", "start_async"])
async def test_a_task_of_the_uplink_on_b_is_launched_on_a_and_polled_through_both(
        a_and_b: tuple[LiveServer, LiveServer], tmp_path: Path, start: str) -> None:
    a, b = a_and_b
    token = page_session(a)
    gate = tmp_path / "gate"
    async with BrowserClient(a.ws_url, headers=cookie(token)) as on_a, \
            BrowserClient(b.ws_url, headers=cookie(token)) as on_b:
        task_id = await on_a.call(start, "far_task", str(gate))

        async def state_on_a(step: str) -> bool:  # A asks the uplink (through B) for the task's state
            return (await on_a.call("task_info", task_id))["state"] == {"step": step}
        await until(lambda: state_on_a("waiting"), "A reading the uplink task's state through B")
        assert (await on_b.call("task_info", task_id))["status"] is None
        gate.write_text("open")

        async def completed() -> bool:
            return (await on_b.call("task_info", task_id))["status"] == "completed"
        await until(completed, "B seeing the uplink task complete")
        assert (await on_b.call("task_info", task_id))["value"]["uplink_pid"] > 0


async def test_when_b_dies_mid_call_the_caller_on_a_gets_uplink_disconnected_and_a_reconnected_uplink_serves(
        redis_server: Any, tmp_path: Path) -> None:
    url = redis_server.url.rsplit("/", 1)[0] + "/1"  # a database of its own: no other test's uplink serves here
    with server(url) as a:
        b = server(url).start()
        uplink = start_uplink(b, tmp_path)
        try:
            async with open_store(url) as store:
                async def recorded() -> bool:  # B records its uplink's names in the store in the background
                    return bool(await store.uplink_owners("far_block"))
                await until(recorded, "B recording its uplink's registration in the store")
                [owner] = await store.uplink_owners("far_block")
                assert b.process is not None and owner.split(":")[1] == str(b.process.pid)
                async with BrowserClient(a.ws_url, headers=cookie(page_session(a))) as client:
                    marker = tmp_path / "started"
                    call_id = await client.send_call("far_block", str(marker))
                    await until(marker.exists, "the uplink starting the call")
                    b.process.kill()  # SIGKILL to B's pid: it says goodbye to nobody
                    b.process.wait(30)
                    with pytest.raises(anvil.server.UplinkDisconnectedError, match="far_block"):
                        await client.outcome(call_id)  # within --process-timeout and a third; never a hang

                    async def dropped() -> bool:
                        return await store.uplink_owners("far_block") == []
                    await until(dropped, "B's registrations being dropped")
                    with pytest.raises(anvil.server.UplinkDisconnectedError):  # a name A reached on B: not "unknown"
                        await client.call("far_block", str(tmp_path / "not-started"))
                    stop(uplink)
                    uplink = start_uplink(a, tmp_path)  # the uplink comes back, to the surviving process
                    assert await client.call("far_session", "k", "back") == "back"
        finally:
            stop(uplink)
            b.stop()
