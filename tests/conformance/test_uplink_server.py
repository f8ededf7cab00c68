"""Our server's ``/_/uplink`` endpoint against real anvil-uplink 0.7.0 scripts (docs/protocol.md).

One server (``tests/apps/uplink_app``, started with a server and a client uplink key) serves the
module; two long-lived uplink scripts (``uplink_server_worker.py`` run by the anvil-uplink
interpreter: roles ``main`` and ``other``) serve most tests, and short-lived ones cover refusal and
disconnection. Browser calls go through ``BrowserClient`` (the browser protocol over ``/_/ws``).
A raw WebSocket "fake uplink" covers what a well-behaved anvil-uplink never sends: bad input, and
exact message shapes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import doctest
import hashlib
import importlib
import json
import math
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "tests" / "apps" / "uplink_app"
WORKER = Path(__file__).resolve().parent / "uplink_server_worker.py"
for _path in (ROOT, APP / "client_code"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import anvil.server  # noqa: E402
from anvil import BlobMedia  # noqa: E402
from anvil._wire import encode_message  # noqa: E402
from conformance_host import uplink_python  # noqa: E402
from uplink_shared import Box, OutOfStock  # noqa: E402 - registers them in this process, as in a browser

from tests.support.browser_protocol import BrowserClient  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.waiting import until  # noqa: E402

pytestmark = [pytest.mark.timeout(120)]

KEY = "server-uplink-key-for-tests"
CLIENT_KEY = "client-uplink-key-for-tests"
UTC = dt.timezone.utc
PLUS_0530 = dt.timezone(dt.timedelta(hours=5, minutes=30))
MINUS_0800 = dt.timezone(dt.timedelta(hours=-8))


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


class UplinkScript:
    """A running ``uplink_server_worker.py``: JSON lines on its stdout, commands on its stdin."""

    def __init__(self, server: LiveServer, key: str, role: str) -> None:
        python = uplink_python()
        if not python.exists():
            pytest.fail(f"No anvil-uplink interpreter at {python}: run ./build.sh (it creates .venv-uplink) "
                        f"or set ANVIL_UPLINK_PYTHON", pytrace=False)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
        self.role = role
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [str(python), "-u", str(WORKER), f"{server.ws_url}/_/uplink", key, role],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8",
            cwd=str(WORKER.parent), env=env)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def next_line(self, timeout: float = 30) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"uplink script ({self.role}) said nothing for {timeout} s:\n{self.stderr()}") from None
        if line is None:
            raise AssertionError(f"uplink script ({self.role}) exited:\n{self.stderr()}")
        return json.loads(line)

    def wait_ready(self) -> "UplinkScript":
        line = self.next_line()
        assert line.get("event") == "ready", line
        self.pid = line["pid"]
        return self

    def request(self, cmd: str, **params: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, **params}) + "\n")
        self.process.stdin.flush()
        return self.next_line()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(10)
        self._stderr.close()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(APP, "--uplink-key", KEY, "--client-uplink-key", CLIENT_KEY) as live:
        yield live


@pytest.fixture(scope="module")
def main_uplink(server: LiveServer) -> Iterator[UplinkScript]:
    script = UplinkScript(server, KEY, "main")
    try:
        yield script.wait_ready()
    finally:
        script.stop()


@pytest.fixture(scope="module")
def other_uplink(server: LiveServer) -> Iterator[UplinkScript]:
    script = UplinkScript(server, KEY, "other")
    try:
        yield script.wait_ready()
    finally:
        script.stop()


def random_bytes(length: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(length)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

VALUES = [
    None, True, False, 0, -7, 2147483647, -2147483647, 1.5, -0.25, 1e300, "", "héllo ☃ \U0001f600 \x00 \"q\" \\",
    [1, [2, [3, []]]], {"a": {"b": [None, {}]}, "": 1},
    2147483648, -2147483648, 2 ** 63, -(10 ** 30),
    dt.date(2024, 2, 29), dt.date(1, 1, 1),
    dt.datetime(2024, 5, 1, 12, 0, 0, 1, tzinfo=UTC),
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=PLUS_0530),
    dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=MINUS_0800),
    {"when": dt.date(2024, 1, 2), "big": [2 ** 40, {"deep": 2 ** 41}], "plain": "x"},
    Box("parcel", [dt.date(2024, 1, 2), 2 ** 40, {"nested": Box("inner", [])}]),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:40] for v in VALUES])
async def test_values_round_trip_through_an_uplink_function(server: LiveServer, main_uplink: UplinkScript,
                                                            value: Any) -> None:
    async with BrowserClient(server.ws_url) as client:
        args, kwargs = await client.call("up_echo", value, named=value)
    assert args == [value] and kwargs == {"named": value}
    assert type(args[0]) is type(value) and type(kwargs["named"]) is type(value)
    if isinstance(value, dt.datetime):
        assert args[0].utcoffset() == value.utcoffset() and args[0].microsecond == value.microsecond


@pytest.mark.asyncio
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
async def test_non_finite_floats_round_trip(server: LiveServer, main_uplink: UplinkScript, value: float) -> None:
    async with BrowserClient(server.ws_url) as client:
        [[back], _] = await client.call("up_echo", value)
        seen, _ = await client.call("up_describe", value)
    assert type(back) is float and (math.isnan(back) if math.isnan(value) else back == value)
    assert seen == {"list": [{"float": "nan" if math.isnan(value) else str(value)}]}


@pytest.mark.asyncio
async def test_the_uplink_decodes_each_type_as_itself(server: LiveServer, main_uplink: UplinkScript) -> None:
    """Not only round trips: the uplink function sees the right Python types and values."""
    when = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=PLUS_0530)
    async with BrowserClient(server.ws_url) as client:
        seen_args, seen_kwargs = await client.call(
            "up_describe", 2 ** 40, dt.date(2024, 2, 29), when, (1, "two"), Box("b", [1]), flag=True)
    assert seen_args == {"list": [
        {"int": 2 ** 40}, {"date": "2024-02-29"}, {"datetime": "2024-05-01T12:00:00.123456", "offset_s": 19800.0},
        {"list": [{"int": 1}, {"str": "two"}]}, {"box": ["b", {"list": [{"int": 1}]}]}]}
    assert seen_kwargs == {"dict": {"flag": {"bool": True}}}


@pytest.mark.asyncio
async def test_tuples_arrive_as_lists(server: LiveServer, main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        reply = await client.call("up_echo", (1, (2, 3)))  # the uplink returns (args, kwargs), a tuple
    assert reply == [[[1, [2, 3]]], {}] and type(reply) is list and type(reply[0]) is list


@pytest.mark.asyncio
@pytest.mark.parametrize("length", [0, 1, 65536, 65537, 200_003])
async def test_media_reaches_the_uplink_intact(server: LiveServer, main_uplink: UplinkScript, length: int) -> None:
    data = random_bytes(length, seed=length)
    media = BlobMedia("application/x-test", data, name="blob.bin")
    async with BrowserClient(server.ws_url) as client:
        seen, _ = await client.call("up_describe", media)
        [[back], _] = await client.call("up_echo", media)
    assert seen == {"list": [{"media": True, "sha256": sha256(data), "length": length,
                              "content_type": "application/x-test", "name": "blob.bin"}]}
    assert back.get_bytes() == data and back.content_type == "application/x-test" and back.name == "blob.bin"


@pytest.mark.asyncio
@pytest.mark.parametrize("length", [0, 65536, 150_001])
async def test_media_from_the_uplink_reaches_the_browser_intact(server: LiveServer, main_uplink: UplinkScript,
                                                                 length: int) -> None:
    async with BrowserClient(server.ws_url) as client:
        media = await client.call("up_make_media", length, 7, name="made.bin")
        # several media in one answer, through an in-process function's call too
        several = await client.call("call_other", "up_echo", media, BlobMedia("text/plain", b"second"))
    assert sha256(media.get_bytes()) == sha256(random_bytes(length, 7))
    assert (media.content_type, media.name) == ("application/x-test", "made.bin")
    [[first, second], _] = several
    assert first.get_bytes() == random_bytes(length, 7) and second.get_bytes() == b"second"


@pytest.mark.asyncio
async def test_portable_class_both_ways(server: LiveServer, main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        made = await client.call("up_make_box", "made", 2 ** 40, dt.date(2024, 3, 4))
        [[echoed], _] = await client.call("up_echo", made)
    assert made == Box("made", [2 ** 40, dt.date(2024, 3, 4)]) and type(made) is Box
    assert echoed == made


# --------------------------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------------------------


def _trace_files(exc: BaseException) -> list[str]:
    error_obj = getattr(exc, "error_obj", None) or getattr(exc, "_anvil_error_obj", None) or {}
    return [frame[0] for frame in error_obj.get("trace", [])]


@pytest.mark.asyncio
async def test_uplink_exceptions_reach_the_browser_as_their_own_class(server: LiveServer,
                                                                        main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(ValueError, match="bad value from the uplink") as builtin:
            await client.call("up_raise", "value")
        with pytest.raises(OutOfStock, match="no widgets left") as custom:
            await client.call("up_raise", "custom")
        with pytest.raises(anvil.server.PermissionDenied, match="the uplink says no") as anvils:
            await client.call("up_raise", "permission")
        with pytest.raises(OutOfStock, match="no gadgets left") as nested:
            await client.call("up_raise", "nested")  # raised in-process, re-raised by the uplink
    for caught in (builtin, custom, anvils):
        assert any(f.endswith("uplink_server_worker.py") for f in _trace_files(caught.value)), _trace_files(caught.value)
    files = _trace_files(nested.value)
    assert files[0] == "server_code/inproc.py" and any(f.endswith("uplink_server_worker.py") for f in files), files


@pytest.mark.asyncio
async def test_unregistered_names_are_still_no_server_function(server: LiveServer, main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.server.NoServerFunctionError, match='No server function matching "nowhere"'):
            await client.call("nowhere")


# --------------------------------------------------------------------------------------------
# Calls in every direction
# --------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_uplink_calls_in_process_and_other_uplink_functions(server: LiveServer, main_uplink: UplinkScript,
                                                                 other_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("up_call", "echo", 1, Box("b", [2])) == [[1, Box("b", [2])], {}]
        assert await client.call("up_call", "other_echo", dt.date(2024, 1, 1)) == ["other", dt.date(2024, 1, 1)]
        assert await client.call("call_other", "up_echo", 5) == [[5], {}]  # in-process → uplink
    # from the uplink's main program, outside any call
    assert main_uplink.request("call", name="echo", args=[1, "x"]) == {"ok": True, "value": [[1, "x"], {}]}
    assert main_uplink.request("call", name="other_echo", args=["y"]) == {"ok": True, "value": ["other", "y"]}
    reply = main_uplink.request("call", name="nowhere")
    assert reply["ok"] is False and reply["error_type"] == "anvil.server.NoServerFunctionError"
    reply = main_uplink.request("call", name="unsendable")
    assert (reply["ok"], reply["type"]) == (False, "SerializationError") and "could not be sent" in reply["message"]


@pytest.mark.asyncio
async def test_context_seen_by_the_uplink_and_by_functions_it_calls(server: LiveServer,
                                                                    main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        mine = await client.call("context_info")
        seen = await client.call("up_context")
        via_server = await client.call("call_other", "up_context")
        inner = await client.call("up_call", "context_info")
    assert seen == {"type": "uplink", "client_type": "browser", "client_ip": "127.0.0.1",
                    "remote_caller_type": "browser", "remote_caller_trusted": False,
                    "app_id": "uplink_app", "environment": "uplink_app", "session_id": mine["session_id"]}
    assert (via_server["remote_caller_type"], via_server["remote_caller_trusted"]) == ("server_module", True)
    assert inner == {"client_type": "browser", "client_ip": "127.0.0.1", "remote_caller_type": "uplink",
                     "remote_caller_trusted": True, "session_id": mine["session_id"]}


@pytest.mark.asyncio
async def test_regex_registration_matches_whole_names_only(server: LiveServer, main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("re_abc_op", 1) == ["regex", [1]]
        assert await client.call("re_z_op") == ["regex", []]
        for name in ("re_ABC_op", "re_abc_opx", "xre_abc_op", "re__op"):
            with pytest.raises(anvil.server.NoServerFunctionError):
                await client.call(name)


# --------------------------------------------------------------------------------------------
# One session
# --------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_uplink_and_in_process_functions_see_one_session(server: LiveServer, main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client, BrowserClient(server.ws_url) as stranger:
        await client.call("up_session_set", "from_uplink", Box("u", [dt.date(2024, 1, 1)]))
        assert await client.call("session_get", "from_uplink") == Box("u", [dt.date(2024, 1, 1)])
        await client.call("session_set", "from_server", 2 ** 40)
        assert await client.call("up_session_get", "from_server") == 2 ** 40
        # inside an uplink call: an in-process function it calls writes the same session
        assert await client.call("up_session_via_server", "srv", "S", "own", "O") == "S"
        await client.call("up_session_delete", "from_uplink")
        assert await client.call("session_snapshot") == {"from_server": 2 ** 40, "srv": "S", "own": "O"}
        assert await stranger.call("session_snapshot") == {}
        assert await stranger.call("up_session_get", "own") is None


@pytest.mark.asyncio
async def test_concurrent_session_writes_to_different_keys_both_survive(server: LiveServer,
                                                                         main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        await client.call("session_set", "server_key", "before")
        slow = await client.send_call("up_session_set_after", "uplink_key", "U", "session-race")
        await client.call("session_set", "server_key", "during")  # while the uplink function waits
        await client.call("release", "session-race")
        final = await client.result(slow)
        assert final["response"] == "released"
        assert await client.call("session_snapshot") == {"server_key": "during", "uplink_key": "U"}


# --------------------------------------------------------------------------------------------
# Capabilities
# --------------------------------------------------------------------------------------------


def _cap_updates(client: BrowserClient, call_id: str) -> list[Any]:
    return [m["capUpdates"] for m in client.messages.get(call_id, []) if "capUpdates" in m]


@pytest.mark.asyncio
async def test_capability_updates_from_an_uplink_reach_the_browser(server: LiveServer,
                                                                   main_uplink: UplinkScript) -> None:
    async with BrowserClient(server.ws_url) as client:
        cap = await client.call("issue_capability", "doc", 7)
        direct = await client.send_call("up_progress", cap, 3)
        assert (await client.result(direct))["response"] == "uplink done"
        chained = await client.send_call("up_progress_via_server", cap, 2)  # in-process → uplink → browser
        assert (await client.result(chained))["response"] == "server done"
        narrowed = await client.send_call("up_progress", cap.narrow(["page", 2]), 1)
        assert (await client.result(narrowed))["response"] == "uplink done"
    key = json.dumps(["doc", 7])
    # anvil-uplink keeps a call's updates and sends the latest per scope with its answer: the browser gets that
    # one, exactly once (counted: a duplicate or a lost one fails)
    assert _cap_updates(client, direct) == [{key: {"uplink_step": 2}}]
    assert _cap_updates(client, chained) == [{key: {"server_step": 1}}]
    # anvil-uplink 0.7.0 forgets the narrowing, so its update names the base scope; it still arrives
    assert _cap_updates(client, narrowed) == [{json.dumps(["doc", 7, "page", 2]): {"uplink_step": 0}}]


# --------------------------------------------------------------------------------------------
# Keys, privilege, disconnection
# --------------------------------------------------------------------------------------------


def test_a_wrong_key_is_refused(server: LiveServer) -> None:
    script = UplinkScript(server, "not-the-key", "badkey")
    try:
        line = script.next_line()
        assert line["event"] == "refused" and "Incorrect uplink key" in line["message"], line
        assert "Fatal error from Anvil server: Incorrect uplink key" in script.stderr()
    finally:
        script.kill()
        script.stop()


@pytest.mark.asyncio
async def test_a_client_uplink_can_call_but_not_register(server: LiveServer, main_uplink: UplinkScript) -> None:
    script = UplinkScript(server, CLIENT_KEY, "client")
    try:
        script.wait_ready()
        assert script.request("call", name="echo", args=[1]) == {"ok": True, "value": [[1], {}]}
        assert script.request("call", name="up_echo", args=[2]) == {"ok": True, "value": [[2], {}]}
        refused = script.request("call", name="anvil.private.get_session_id")
        assert (refused["ok"], refused["type"]) == (False, "PermissionDenied"), refused
        context = script.request("call", name="context_info")["value"]
        assert context["client_type"] == "uplink" and context["client_ip"] == "127.0.0.1"
        assert (context["remote_caller_type"], context["remote_caller_trusted"]) == ("client_uplink", False)
        assert script.request("register", name="client_fn") == {"ok": True}
        await until(lambda: "A client uplink cannot register server functions" in script.stderr(),
                    "the uplink to report the refusal")
        after = script.request("call", name="echo", args=[3])
        assert after["ok"] is False, after
        async with BrowserClient(server.ws_url) as client:
            with pytest.raises(anvil.server.NoServerFunctionError):
                await client.call("client_fn")
            assert await client.call("up_echo", 4) == [[4], {}]  # the other uplinks are unaffected
    finally:
        script.kill()
        script.stop()


@pytest.mark.asyncio
async def test_calls_fail_with_uplink_disconnected_until_an_uplink_registers_again(server: LiveServer) -> None:
    first = UplinkScript(server, KEY, "temp").wait_ready()
    second = None
    try:
        async with BrowserClient(server.ws_url) as client:
            assert await client.call("temp_fn") == f"temp {first.pid}"
            blocked = await client.send_call("temp_block")
            await until(lambda: "temp_block started" in first.stderr(), "the CALL to reach the uplink")
            await asyncio.to_thread(first.kill)
            outstanding = await client.result(blocked)
            assert outstanding["error"]["type"] == "anvil.server.UplinkDisconnectedError", outstanding
            for _ in range(2):
                with pytest.raises(anvil.server.UplinkDisconnectedError, match='"temp_fn" has been disconnected'):
                    await client.call("temp_fn")
            second = await asyncio.to_thread(lambda: UplinkScript(server, KEY, "temp").wait_ready())
            assert await client.call("temp_fn") == f"temp {second.pid}"
    finally:
        first.stop()
        if second is not None:
            second.stop()


@pytest.mark.asyncio
async def test_a_name_served_by_two_uplinks_survives_one_leaving(server: LiveServer) -> None:
    older = UplinkScript(server, KEY, "temp").wait_ready()
    newer = UplinkScript(server, KEY, "temp").wait_ready()
    try:
        async with BrowserClient(server.ws_url) as client:
            assert await client.call("temp_fn") == f"temp {newer.pid}"  # the latest registration serves
            await asyncio.to_thread(newer.kill)
            async def served_by_older() -> bool:
                try:
                    reply = await client.call("temp_fn")
                except anvil.server.UplinkDisconnectedError:
                    return False  # sent to the newer one before the server saw it go: that call fails
                assert reply in (f"temp {older.pid}", f"temp {newer.pid}"), reply
                return reply == f"temp {older.pid}"
            await until(served_by_older, "the older uplink to serve the name")
            assert await client.call("temp_fn") == f"temp {older.pid}"
    finally:
        older.stop()
        newer.stop()


# --------------------------------------------------------------------------------------------
# A raw WebSocket acting as an uplink
# --------------------------------------------------------------------------------------------


class FakeUplink:
    """A hand-driven uplink connection: send anything, read what the server sends."""

    def __init__(self, server: LiveServer) -> None:
        self.url = f"{server.ws_url}/_/uplink"
        self.ws: Any = None

    async def __aenter__(self) -> "FakeUplink":
        self.ws = await websockets.connect(self.url, max_size=None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def send(self, message: Any) -> None:
        await self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    async def receive(self, timeout: float = 10) -> Any:
        frame = await asyncio.wait_for(self.ws.recv(), timeout)
        return frame if isinstance(frame, bytes) else json.loads(frame)

    async def handshake(self, key: str = KEY) -> dict[str, Any]:
        await self.send({"key": key, "v": 8})
        return await self.receive()

    async def call(self, call_id: str, command: str, *args: Any) -> dict[str, Any]:
        """A CALL as anvil-uplink sends it; returns the answer (the server answers calls in any order)."""
        await self.send({"type": "CALL", "id": call_id, "command": command, "args": list(args), "kwargs": {},
                         "call-stack-id": "outbound-abcdefghij", "originating-call": None, "objects": []})
        while True:
            message = await self.receive()
            if isinstance(message, dict) and message.get("id") == call_id:
                return message


@pytest.mark.asyncio
async def test_handshake_replies(server: LiveServer) -> None:
    async with FakeUplink(server) as uplink:
        assert await uplink.handshake() == {"auth": "OK", "priv": "uplink", "app-info": {
            "id": "uplink_app", "branch": "master", "environment": {"description": "uplink_app", "tags": []}}}
    async with FakeUplink(server) as uplink:
        assert (await uplink.handshake(CLIENT_KEY))["priv"] == "client"
    async with FakeUplink(server) as uplink:
        assert await uplink.handshake("wrong") == {"error": "Incorrect uplink key"}
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await uplink.receive()
        assert closed.value.rcvd.code == 1008


@pytest.mark.asyncio
async def test_the_heartbeat_echo_is_answered(server: LiveServer) -> None:
    """anvil-uplink's heartbeat, every 10 s, is exactly this CALL (the scripts' readiness call is the same)."""
    async with FakeUplink(server) as uplink:
        await uplink.handshake()
        assert await uplink.call("hb00000001", "anvil.private.echo", "keep-alive") == {
            "id": "hb00000001", "response": "keep-alive", "objects": []}


@pytest.mark.asyncio
async def test_the_call_we_send_has_the_documented_shape(server: LiveServer) -> None:
    async with FakeUplink(server) as uplink, BrowserClient(server.ws_url) as client:
        await uplink.handshake()
        await uplink.send({"type": "REGISTER", "name": "fake_shape"})
        await uplink.call("ready00001", "anvil.private.echo", "ready")  # REGISTER handled by now
        await client.call("session_set", "seen", dt.date(2024, 1, 2))
        session_id = (await client.call("context_info"))["session_id"]
        pending = await client.send_call("fake_shape", 2 ** 40, when=dt.date(2024, 5, 6))
        call = await uplink.receive()
        assert re.fullmatch(r"server-[A-Za-z0-9]{10}", call["id"]), call["id"]
        assert call["type"] == "CALL" and call["command"] == "fake_shape"
        assert call["call-stack"] == [{"type": "browser", "protocol-version": 8}]
        assert call["client"] == {"type": "browser", "ip": "127.0.0.1", "location": None}
        assert call["sessionData"] == {"session": {"seen": None}, "objects": [
            {"path": ["session", "seen"], "type": ["Date"], "value": "2024-01-02"}]}
        assert call["session-id"] == session_id and call["app-id"] == "uplink_app"
        assert isinstance(call["call-stack-id"], str) and call["vt_global"] == []
        assert call["args"] == [None] and call["kwargs"] == {"when": None}
        assert sorted(e["type"][0] for e in call["objects"]) == ["Date", "Long"]
        answer = encode_message({"id": call["id"], "response": ["fake", BlobMedia("text/plain", b"m" * 70000)],
                                 "sessionData": {"session": {"seen": None, "fake": True}, "objects": [
                                     {"path": ["session", "seen"], "type": ["Date"], "value": "2024-01-02"}]}})
        await uplink.send(answer.message)
        for header, data in answer.chunks():
            await uplink.send(header)
            await uplink.send(data)
        final = await client.result(pending)
        assert final["response"][0] == "fake" and final["response"][1].get_bytes() == b"m" * 70000
        assert await client.call("session_snapshot") == {"seen": dt.date(2024, 1, 2), "fake": True}


@pytest.mark.asyncio
async def test_in_process_functions_win_over_uplink_registrations(server: LiveServer) -> None:
    async with FakeUplink(server) as uplink, BrowserClient(server.ws_url) as client:
        await uplink.handshake()
        await uplink.send({"type": "REGISTER", "name": "echo"})
        await uplink.send({"type": "REGISTER", "name": "(echo|catch_.*)"})
        await uplink.call("ready00003", "anvil.private.echo", "ready")
        assert await client.call("echo", 1) == [[1], {}]
        pending = await client.send_call("catch_this")
        call = await uplink.receive()
        assert call["command"] == "catch_this"
        await uplink.send({"id": call["id"], "response": "caught", "objects": []})
        assert (await client.result(pending))["response"] == "caught"
    async with BrowserClient(server.ws_url) as client:  # the regex is stale now: its names say so
        assert await client.call("echo", 2) == [[2], {}]
        with pytest.raises(anvil.server.UplinkDisconnectedError):
            await client.call("catch_that")


@pytest.mark.asyncio
async def test_bad_uplink_input_harms_nobody(server: LiveServer, main_uplink: UplinkScript) -> None:
    async with FakeUplink(server) as uplink, BrowserClient(server.ws_url) as client:
        await uplink.handshake()
        for junk in ["not json", "[1, 2]", "null", {"type": "NOPE"}, {"no": "type"}, b"\x00binary without header",
                     {"type": "CHUNK_HEADER", "requestId": "nobody", "mediaId": "m", "chunkIndex": 0, "lastChunk": True},
                     b"chunk for nobody", {"type": "CHUNK_HEADER", "requestId": 5},
                     {"type": "MEDIA_ERROR", "requestId": "nobody", "mediaIds": ["m"], "cause": None},
                     {"type": "REGISTER", "name": "bad("}, {"type": "REGISTER", "name": 5}, {"type": "REGISTER"},
                     {"type": "REGISTER_LIVE_OBJECT_BACKEND", "backend": "uplink.Thing"},
                     {"type": "CALL", "command": "echo"}, {"type": "CALL", "id": 7, "command": "echo"},
                     {"id": "server-unknown00", "response": 1}]:
            await uplink.send(junk)
        # malformed calls with an id get an error answer
        bad_call = await uplink.call("badcall001", "")
        assert bad_call["error"]["type"] == "anvil.server.SerializationError"
        bad_objects = {"type": "CALL", "id": "badcall002", "command": "echo", "args": [None], "kwargs": {},
                       "objects": [{"path": ["args", 9], "type": ["Date"], "value": "2024-01-01"}]}
        await uplink.send(bad_objects)
        assert (await uplink.receive())["error"]["type"] == "anvil.server.SerializationError"
        # the fake uplink still works, and so does everyone else
        assert await uplink.call("good000001", "echo", 1) == {"id": "good000001", "response": [[1], {}], "objects": []}
        assert await client.call("echo", 2) == [[2], {}]
        assert await client.call("up_echo", 3) == [[3], {}]
        # an invalid regex is registered as the literal name
        pending = await client.send_call("bad(", 4)
        call = await uplink.receive()
        assert call["command"] == "bad(" and call["args"] == [4]
        await uplink.send({"id": call["id"], "response": "literal", "objects": []})
        assert (await client.result(pending))["response"] == "literal"
        with pytest.raises(anvil.server.NoServerFunctionError):
            await client.call("bad")
    with urllib.request.urlopen(server.url + "/_/check-app-online", timeout=5) as reply:
        assert reply.status == 200


@pytest.mark.asyncio
async def test_bad_answers_fail_only_their_call(server: LiveServer) -> None:
    async with FakeUplink(server) as uplink, BrowserClient(server.ws_url) as client:
        await uplink.handshake()
        await uplink.send({"type": "REGISTER", "name": "fake_.*"})
        await uplink.call("ready00002", "anvil.private.echo", "ready")

        async def answer_with(*frames: Any) -> dict[str, Any]:
            pending = await client.send_call("fake_answer")
            call = await uplink.receive()
            for frame in frames:
                await uplink.send(frame(call["id"]) if callable(frame) else frame)
            return await client.result(pending)

        undecodable = await answer_with(lambda i: {"id": i, "response": None, "objects": [
            {"path": ["response"], "type": ["NoSuchType"]}]})
        assert undecodable["error"]["type"] == "anvil.server.SerializationError"
        media_error = await answer_with(
            lambda i: {"id": i, "response": None, "objects": [
                {"path": ["response"], "type": ["DataMedia"], "id": "m1", "mime-type": "text/plain", "name": None}]},
            lambda i: {"type": "MEDIA_ERROR", "requestId": i, "mediaIds": ["m1"],
                       "cause": {"type": "IOError", "message": "disk gone"}})
        assert media_error["error"]["type"] == "anvil.server.SerializationError"
        assert "disk gone" in media_error["error"]["message"]
        bad_chunk = await answer_with(
            lambda i: {"id": i, "response": None, "objects": [
                {"path": ["response"], "type": ["DataMedia"], "id": "m1", "mime-type": "text/plain", "name": None}]},
            lambda i: {"type": "CHUNK_HEADER", "requestId": i, "mediaId": "m1", "chunkIndex": 3, "lastChunk": True},
            b"out of order")
        assert bad_chunk["error"]["type"] == "anvil.server.SerializationError"
        error = await answer_with(lambda i: {"id": i, "error": {"type": "KeyError", "message": "'k'",
                                                                "trace": [["fake.py", 3]]}, "objects": []})
        assert error["error"] == {"type": "KeyError", "message": "'k'", "trace": [["fake.py", 3]]}
        # disconnecting with a call outstanding fails that call
        pending = await client.send_call("fake_answer")
        await uplink.receive()
        await uplink.ws.close()
        outstanding = await client.result(pending)
        assert outstanding["error"]["type"] == "anvil.server.UplinkDisconnectedError"
        with pytest.raises(anvil.server.UplinkDisconnectedError):
            await client.call("fake_anything")


# --------------------------------------------------------------------------------------------
# The modules' own examples
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module_name", ["uplink.session_merge", "transports.uplink_ws", "uplink.connection",
                                         "uplink.hub", "uplink.incoming", "uplink.outgoing"])
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(f"anvil_pyodide.{module_name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
