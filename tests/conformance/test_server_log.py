"""The server's own log lines reach its output at the level chosen with ``--log-level`` (uvicorn's handler)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import websockets

from tests.support.live_server import LiveServer
from tests.support.waiting import until

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio]

APP = Path(__file__).resolve().parents[2] / "tests" / "apps" / "uplink_app"
KEY = "server-uplink-key-for-log-tests"


async def connect_uplink_then_send_garbage(server: LiveServer) -> None:
    """An uplink connects (an info line), sends a message that is not JSON (a warning), and leaves."""
    async with websockets.connect(f"{server.ws_url}/_/uplink") as uplink:
        await uplink.send(json.dumps({"key": KEY, "v": 8}))
        assert json.loads(await uplink.recv())["auth"] == "OK"
        await uplink.send("{not json")
        await until(lambda: "dropped a message" in server.output() or "refused a message" in server.output(),
                    "the server's warning about the message")


async def test_info_lines_are_printed_by_default() -> None:
    with LiveServer(APP, "--uplink-key", KEY) as server:
        await connect_uplink_then_send_garbage(server)
        await until(lambda: "disconnected (it served: nothing)" in server.output(), "the uplink's disconnection line")
        assert "connected from 127.0.0.1 with server privilege" in server.output()


async def test_log_level_warning_keeps_warnings_only() -> None:
    with LiveServer(APP, "--uplink-key", KEY, "--log-level", "warning") as server:
        await connect_uplink_then_send_garbage(server)  # the info line would have come before this warning
        output = server.output()
        assert "connected from" not in output and "Uvicorn running" not in output
