"""Bad input on ``/_/ws``: each is answered with an error or a close code, and nobody else notices.

Every test keeps a *bystander* socket (its own session, with a value stored) open while the bad
input arrives on another socket, and checks afterwards that the bystander still calls normally.
"""

from __future__ import annotations

import json
import math
import re
from typing import AsyncIterator

import anvil.server
import pytest
import pytest_asyncio
import websockets

from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

MIB = 1024 * 1024


@pytest_asyncio.fixture
async def bystander(server: LiveServer) -> AsyncIterator[BrowserClient]:
    async with BrowserClient(server.ws_url) as client:
        await client.call("session_set", "marker", "bystander")
        yield client
        assert await client.call("session_get", "marker") == "bystander"
        assert await client.call("echo", 1) == [[1], {}]


def call(call_id: object = "c1", command: object = "echo", **fields: object) -> str:
    return json.dumps({"type": "CALL", "id": call_id, "command": command, "args": [], "kwargs": {}, **fields})


def media_call(call_id: str = "m1") -> str:
    return call(call_id, args=[None], objects=[{"path": ["args", 0], "type": ["DataMedia"], "id": "media-0",
                                                "mime-type": "text/plain", "name": None}])


def chunk(index: int, last: bool, request_id: str = "m1", media_id: str = "media-0") -> str:
    return json.dumps({"type": "CHUNK_HEADER", "requestId": request_id, "mediaId": media_id,
                       "chunkIndex": index, "lastChunk": last})


CLOSING = {
    "malformed JSON": (["{'type': 'CALL'"], 1007),
    "JSON nested 100,000 deep": (["[" * 100_000 + "]" * 100_000], 1007),
    "JSON array": (["[1, 2]"], 1007),
    "JSON string": (['"CALL"'], 1007),
    "unknown type": (['{"type": "HELLO"}'], 1003),
    "no type": (['{"id": "x"}'], 1003),
    "long unicode type": ([json.dumps({"type": "é" * 500})], 1003),
    "CALL without id": ([json.dumps({"type": "CALL", "command": "echo", "args": []})], 1008),
    "CALL with a number id": ([call(5)], 1008),
    "CALL with an empty id": ([call("")], 1008),
    "binary without CHUNK_HEADER": ([b"\x00\x01binary"], 1008),
    "CHUNK_HEADER for no call": ([chunk(0, True, request_id="nobody")], 1008),
    "malformed CHUNK_HEADER": ([media_call(), json.dumps({"type": "CHUNK_HEADER", "requestId": "m1"})], 1007),
    "text frame of 16 MiB": (["x" * (16 * MIB)], 1009),
    "binary frame of 16 MiB": ([media_call(), chunk(0, True), b"\x00" * (16 * MIB)], 1009),
}


@pytest.mark.parametrize("frames, code", CLOSING.values(), ids=CLOSING.keys())
async def test_bad_frames_close_only_their_socket(server: LiveServer, bystander: BrowserClient,
                                                  frames: list[str | bytes], code: int) -> None:
    async with BrowserClient(server.ws_url) as client:
        await client.send_raw(*frames)
        closed_code, reason = await client.wait_closed()
    assert closed_code == code, reason
    assert reason and len(reason.encode()) <= 123
    async with BrowserClient(server.ws_url) as fresh:
        assert await fresh.call("echo", "new socket") == [["new socket"], {}]


async def test_a_frame_just_under_16_mib_is_accepted(server: LiveServer, bystander: BrowserClient) -> None:
    async with BrowserClient(server.ws_url) as client:
        padding = "y" * (16 * MIB - 200)
        frame = call("big", "describe", args=[padding])
        assert len(frame.encode()) < 16 * MIB
        client.expect("big")
        await client.send_raw(frame)
        assert await client.outcome("big") == {"type": "str"}


async def test_invalid_utf8_in_a_text_frame_closes_1007_with_one_log_line(server: LiveServer,
                                                                          bystander: BrowserClient) -> None:
    logged_before = len(server.output())
    async with BrowserClient(server.ws_url) as client:
        await client.ws.send(b'{"type": "CALL", "id": "\xff\xfe"}', text=True)
        closed_code, _ = await client.wait_closed()
    assert closed_code == 1007
    logged = server.output()[logged_before:]
    assert "closed a WebSocket with 1007: a text frame is not valid UTF-8" in logged
    assert "Traceback" not in logged, logged


async def test_nan_and_infinity_literals_are_read_as_floats(server: LiveServer, bystander: BrowserClient) -> None:
    """Not JSON, but Python's json (and anvil-uplink's) reads them: decided to accept them as the float values
    (the protocol's own form is a ``Float`` object entry; the reply uses it)."""
    async with BrowserClient(server.ws_url) as client:
        client.expect("c1")
        await client.send_raw('{"type": "CALL", "id": "c1", "command": "echo", "args": [NaN, Infinity, -Infinity]}')
        (nan, inf, minus_inf), kwargs = await client.outcome("c1")
    assert math.isnan(nan) and (inf, minus_inf, kwargs) == (math.inf, -math.inf, {})


async def test_invalid_utf8_right_before_the_client_closes_is_no_traceback(server: LiveServer,
                                                                           bystander: BrowserClient) -> None:
    """An invalid UTF-8 frame and the client's close frame read together: the socket is already closing when the
    bad frame is looked at, and uvicorn's own second close fails (a traceback) unless the server catches it."""
    logged_before = len(server.output())
    for _ in range(20):
        ws = await websockets.connect(server.ws_url + "/_/ws", proxy=None)
        await ws.send(b'{"type": "\xff"}', text=True)
        await ws.close()
    async with BrowserClient(server.ws_url) as client:  # and the server still answers
        assert await client.call("echo", "after") == [["after"], {}]
    assert "Traceback" not in server.output()[logged_before:], server.output()[logged_before:]


ANSWERED = {
    "args not a list": (call(args={"a": 1}), "Malformed CALL: 'args' must be a list"),
    "kwargs not an object": (call(kwargs=[1]), "Malformed CALL: 'kwargs' must be an object"),
    "command not a string": (call(command=["echo"]), "Malformed CALL: 'command' must be a non-empty string"),
    "objects not a list": (call(objects={"path": []}), "Malformed message: 'objects' must be a list"),
    "objects entry not an object": (call(objects=[1]), "each 'objects' entry must be an object"),
    "objects path to nowhere": (call(args=[1], objects=[{"path": ["args", 5], "type": ["Long"], "value": "1"}]),
                                "no such place as msg['args'][5]"),
    "objects with a bad type": (call(args=[None], objects=[{"path": ["args", 0], "type": "Long"}]),
                                "bad type 'Long'"),
    "unknown object type": (call(args=[None], objects=[{"path": ["args", 0], "type": ["Mystery"]}]),
                            "Cannot deserialize an object of type 'Mystery' at msg['args'][0]"),
    "bad Long": (call(args=[None], objects=[{"path": ["args", 0], "type": ["Long"], "value": "12x"}]),
                 "msg['args'][0]"),
    "unregistered portable type": (call(args=[{}], objects=[{"path": ["args", 0], "type": ["ValueType"],
                                                              "typeName": "os.system"}]),
                                   "No such serializable type: os.system"),
    "media id not a string": (call(args=[None], objects=[{"path": ["args", 0], "type": ["DataMedia"], "id": 1}]),
                              "id must be a str"),
}


@pytest.mark.parametrize("frame, message", ANSWERED.values(), ids=ANSWERED.keys())
async def test_malformed_calls_get_a_serialization_error(server: LiveServer, bystander: BrowserClient,
                                                         frame: str, message: str) -> None:
    async with BrowserClient(server.ws_url) as client:
        client.expect("c1")
        await client.send_raw(frame)
        with pytest.raises(anvil.server.SerializationError, match=re.escape(message)):
            await client.outcome("c1")
        assert await client.call("echo", "same socket") == [["same socket"], {}]


MEDIA_FAULTS = {
    "chunk out of order": ([chunk(1, False), b"early", chunk(2, True), b"rest"],
                           "Media 'media-0': expected chunk 0, got chunk 1"),
    "chunk over 64 KiB": ([chunk(0, False), b"x" * 65537, chunk(1, True), b"rest"],
                          "a chunk of 65537 bytes is over 65536"),
    "chunk for unknown media": ([chunk(0, True, media_id="media-9"), b"x", chunk(0, True), b"the real one"],
                                "Chunk for unknown media 'media-9'"),
}


@pytest.mark.parametrize("frames, message", MEDIA_FAULTS.values(), ids=MEDIA_FAULTS.keys())
async def test_media_faults_fail_their_call_only(server: LiveServer, bystander: BrowserClient,
                                                 frames: list[str | bytes], message: str) -> None:
    """The call gets a SerializationError; the chunks its sender still sends are dropped, the socket stays."""
    async with BrowserClient(server.ws_url) as client:
        client.expect("m1")
        running = await client.send_call("wait_for", "never-released-" + message)
        await client.send_raw(media_call("m1"), *frames)
        with pytest.raises(anvil.server.SerializationError, match=re.escape(message)):
            await client.outcome("m1")
        assert await client.call("echo", "same socket") == [["same socket"], {}]
        assert not client.finals[running].done()  # the other call on this socket is still running
        await client.call("release", "never-released-" + message)
        assert (await client.result(running))["response"] == "released"
        await client.send_raw(chunk(3, True), b"now nobody is sending media for m1")
        assert (await client.wait_closed())[0] == 1008


async def test_a_call_waits_for_all_its_media_and_others_pass_it(server: LiveServer, bystander: BrowserClient) -> None:
    async with BrowserClient(server.ws_url) as client:
        client.expect("m1")
        await client.send_raw(media_call("m1"), chunk(0, False), b"first half, ")
        assert await client.call("echo", "overtakes") == [["overtakes"], {}]
        assert not client.finals["m1"].done()
        await client.send_raw(chunk(1, True), b"second half")
        [[media], _] = await client.outcome("m1")
        assert media.get_bytes() == b"first half, second half"


async def test_reusing_an_id_while_its_media_arrives_closes_the_socket(server: LiveServer,
                                                                       bystander: BrowserClient) -> None:
    async with BrowserClient(server.ws_url) as client:
        await client.send_raw(media_call("m1"), media_call("m1"))
        assert (await client.wait_closed())[0] == 1008


async def test_cross_origin_websocket_is_refused_with_403(server: LiveServer, bystander: BrowserClient) -> None:
    for origin in ("http://evil.example", f"http://localhost:{server.port}.evil.example", "null"):
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with BrowserClient(server.ws_url, headers={"Origin": origin}):
                pass
        assert caught.value.response.status_code == 403, origin


async def test_same_origin_and_no_origin_are_accepted(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url, headers={"Origin": server.url}) as same:
        assert await same.call("echo", "same origin") == [["same origin"], {}]
    async with BrowserClient(server.ws_url) as no_origin:
        assert "origin" not in {k.lower() for k in no_origin.ws.request.headers.keys()}
        assert await no_origin.call("echo", "no origin") == [["no origin"], {}]
