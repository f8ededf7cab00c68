"""What one message may cost (issue 15, item 2): nesting depth, ``objects`` entries and their paths,
``vt_global`` values. A CALL over a limit gets a SerializationError naming the limit and its option, on
``/_/ws`` and ``/_/server-call-http`` alike; the socket stays open and other clients never notice. A
long message is parsed and decoded off the event loop, so other sockets' calls keep completing.
"""

from __future__ import annotations

import asyncio
import json
import re

import anvil.server
import httpx
import pytest
import websockets
from anvil._errors import error_from_wire

from tests.support.browser_protocol import BrowserClient
from tests.support.http_protocol import read_reply
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

UPLINK_KEY = "limits-uplink-key"


def call(call_id: str = "c1", command: str = "echo", **fields: object) -> str:
    return json.dumps({"type": "CALL", "id": call_id, "command": command, "args": [], "kwargs": {}, **fields})


def nested(depth: int) -> str:
    """A CALL whose first argument is ``depth`` lists deep, with its id before it (as clients send it)."""
    return '{"type": "CALL", "id": "c1", "command": "echo", "args": [' + "[" * depth + "]" * depth + "]}"


def long_entries(count: int, path_length: int = 2) -> list[dict[str, object]]:
    return [{"path": ["args", 0][:path_length], "type": ["Long"], "value": "12345678901"}] * count


REFUSED = {
    "JSON nested 2,000 deep": (nested(2000), "nested too deeply to read (the limit is 100 levels, --max-message-depth)"),
    "JSON nested 150 deep": (nested(150), "nested more than 100 levels deep (--max-message-depth)"),
    "an objects path of 900 steps": (call(args=[None], objects=[{"path": ["args"] + [0] * 899, "type": ["Long"],
                                                                   "value": "1"}]),
                                     "a path of 900 steps, over the limit of 100 (--max-message-depth)"),
    "100,001 objects entries": (call(args=[None], objects=long_entries(100_001)),
                                "100,001 entries in 'objects', over the limit of 100,000 (--max-message-objects)"),
    "a vt_global of 4,000,000 values": (call(vt_global=["app.T", [0] * 4_000_000]),
                                        "'vt_global' holds over 100,000 values (--max-message-objects)"),
}


@pytest.mark.parametrize("frame, reason", REFUSED.values(), ids=REFUSED.keys())
async def test_a_call_over_a_message_limit_gets_an_error_naming_it(server: LiveServer, frame: str, reason: str) -> None:
    logged_before = len(server.output())
    async with BrowserClient(server.ws_url) as bystander, BrowserClient(server.ws_url) as client:
        client.expect("c1")
        await client.send_raw(frame)
        with pytest.raises(anvil.server.SerializationError, match=re.escape(reason)):
            await client.outcome("c1")
        assert await client.call("echo", "same socket") == [["same socket"], {}]
        assert await bystander.call("echo", "bystander") == [["bystander"], {}]
    assert "Traceback" not in server.output()[logged_before:]


async def test_a_deep_message_that_is_not_a_call_closes_only_its_socket(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as bystander:
        async with BrowserClient(server.ws_url) as client:
            await client.send_raw("[" * 2000 + "]" * 2000)
            code, reason = await client.wait_closed()
        assert code == 1007 and "nested too deeply" in reason
        assert await bystander.call("echo", 1) == [[1], {}]


async def test_limits_are_options(limited_server: LiveServer) -> None:
    async with BrowserClient(limited_server.ws_url) as client:
        client.expect("c1")
        await client.send_raw(nested(6))
        with pytest.raises(anvil.server.SerializationError, match=re.escape("more than 5 levels deep")):
            await client.outcome("c1")
        client.expect("c2")
        await client.send_raw(call("c2", args=[None], objects=long_entries(11)))
        with pytest.raises(anvil.server.SerializationError, match=re.escape("over the limit of 10")):
            await client.outcome("c2")
        assert await client.call("echo", [[[1]]]) == [[[[[1]]]], {}]


async def test_an_uplink_is_refused_the_same_way(limited_server: LiveServer) -> None:
    async with websockets.connect(limited_server.ws_url + "/_/uplink", proxy=None, max_size=None) as uplink:
        await uplink.send(json.dumps({"key": UPLINK_KEY, "v": 8}))
        assert json.loads(await uplink.recv())["auth"] == "OK"
        await uplink.send(nested(2000).replace('"c1"', '"u1"'))
        await uplink.send(call("u2", args=[None], objects=long_entries(11)))
        await uplink.send(call("u3", "anvil.private.echo", args=["still here"]))
        replies = {}
        while len(replies) < 3:
            reply = json.loads(await uplink.recv())
            replies[reply["id"]] = reply
    assert "nested too deeply to read" in str(error_from_wire(replies["u1"]["error"]))
    assert isinstance(error_from_wire(replies["u2"]["error"]), anvil.server.SerializationError)
    assert "over the limit of 10 (--max-message-objects)" in str(error_from_wire(replies["u2"]["error"]))
    assert replies["u3"]["response"] == "still here"


async def test_the_http_transport_refuses_the_same_way(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as http:
        reply = read_reply(http.post("/_/server-call-http", files=[
            ("json-data", (None, nested(2000), "application/json"))]))
        assert reply.status == 200
        with pytest.raises(anvil.server.SerializationError, match="nested too deeply to read"):
            reply.value()
        bare = http.post("/_/server-call-http", files=[("json-data", (None, "[" * 2000 + "]" * 2000, "application/json"))])
        assert bare.status_code == 400 and "nested too deeply" in bare.text


async def test_a_long_message_is_decoded_while_other_sockets_keep_calling(server: LiveServer) -> None:
    """A 12 MB CALL carries a portable object whose decoding waits until another socket's call releases it:
    that can only happen if decoding does not hold the event loop (and if parsing it did not first)."""
    key = "gate-long-message"
    frame = call("big", "gate_opened", args=[{"key": key}, "p" * (12 * 1024 * 1024)] + [None] * 300,
                 objects=[{"path": ["args", 0], "type": ["ValueType"], "typeName": "basic.Gate"}]
                 + [{"path": ["args", 2 + i], "type": ["Long"], "value": "12345678901"} for i in range(300)])
    async with BrowserClient(server.ws_url) as bystander, BrowserClient(server.ws_url) as client:
        client.expect("big")
        await client.send_raw(frame)
        while not await bystander.call("is_released", key + ":decoding"):  # set once decoding has begun
            pass
        await bystander.call("release", key)  # answered while the big call is still being decoded
        assert await client.outcome("big") is True, "the gate was not released while the message was decoded"


@pytest.fixture(scope="module")
def limited_server() -> LiveServer:
    from tests.host.server.conftest import BASIC_APP

    with LiveServer(BASIC_APP, "--max-message-depth", "5", "--max-message-objects", "10",
                    "--uplink-key", UPLINK_KEY) as server:
        yield server
