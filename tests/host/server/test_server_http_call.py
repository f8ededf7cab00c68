"""``POST /_/server-call-http``: the WebSocket's call semantics over one request, binary-safe."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import math
import random
import threading
import uuid
from http.client import HTTPConnection
from typing import Callable

import anvil.server
import httpx
import pytest
from anvil import BlobMedia
from basic_shared import OutOfStock, Point

from tests.support.browser_protocol import BrowserClient
from tests.support.http_protocol import HttpCaller, boundary_of, call_form, decode_parts, read_reply
from tests.support.live_server import LiveServer
from tests.support.multipart_reader import read_parts

pytestmark = pytest.mark.timeout(120)

ENDPOINT = "/_/server-call-http"


def test_values_round_trip(server: LiveServer) -> None:
    value = {"n": 2 ** 40, "when": dt.datetime(2024, 5, 1, 12, 0, 0, 5, tzinfo=dt.timezone.utc),
             "day": dt.date(2024, 2, 29), "p": Point(1, [2, 3]), "t": (1, 2), "s": "é\r\n\x00", "inf": math.inf}
    with HttpCaller(server.url) as http:
        args, kwargs = http.call("echo", value, k=math.nan)
    assert args == [{**value, "t": [1, 2]}]
    assert math.isnan(kwargs["k"])


def test_media_up_in_chunk_fields_and_down_in_binary_parts(server: LiveServer) -> None:
    data = random.Random(7).randbytes(300_000) + b"\r\n--\r\n\x00"  # five chunks
    media = BlobMedia("application/pdf", data, name="doc.pdf")
    with HttpCaller(server.url) as http:
        assert http.call("describe", media) == {"type": "Media", "sha256": hashlib.sha256(data).hexdigest(),
                                                "length": len(data), "content_type": "application/pdf",
                                                "name": "doc.pdf"}
        [[back], _] = http.call("echo", media)
        assert back.get_bytes() == data and back.name == "doc.pdf"
        down = http.call("random_media", 200_000, seed=3)
        assert down.get_bytes() == random.Random(3).randbytes(200_000)


def test_binary_parts_are_exact(server: LiveServer) -> None:
    """CRLF, NUL, a fake boundary and invalid UTF-8 survive: every part is read by its Content-Length."""
    with HttpCaller(server.url) as http:
        reply = http.post("tricky_media")
    media, expected = reply.value()
    assert media.get_bytes() == bytes(expected)
    assert [content_type for content_type, _ in reply.parts] == [
        "application/json", "application/json", "application/octet-stream"]
    assert reply.parts[2][1] == bytes(expected)
    assert b"\r\n" in bytes(expected) and b"\x00" in bytes(expected)


def test_empty_media_both_ways(server: LiveServer) -> None:
    with HttpCaller(server.url) as http:
        [[back], _] = http.call("echo", BlobMedia("text/plain", b""))
    assert back.get_bytes() == b""


def test_errors_arrive_as_their_classes(server: LiveServer) -> None:
    with HttpCaller(server.url) as http:
        reply = http.post("fail_value_error", -1)
        assert reply.status == 200
        assert reply.final["error"]["type"] == "ValueError"
        assert [frame[0] for frame in reply.final["error"]["trace"]] == ["server_code/failures.py"] * 2
        with pytest.raises(ValueError, match="bad value -1"):
            reply.value()
        with pytest.raises(OutOfStock, match="kettle is sold out"):
            http.call("fail_custom", "kettle")
        with pytest.raises(anvil.server.NoServerFunctionError, match='^No server function matching "x" has been'):
            http.call("x")
        with pytest.raises(anvil.server.PermissionDenied):
            http.call("anvil.private:thing")
        with pytest.raises(anvil.server.SerializationError, match=r"msg\['response'\]\['bad'\]\[1\]"):
            http.call("unserializable")
        with pytest.raises(anvil.server.SerializationError, match="OSError: the file vanished"):
            http.call("unreadable_media")
        with pytest.raises(anvil.server.ExecutionTerminatedError, match="SystemExit: 3"):
            http.call("exit_now")
        assert http.call("echo", "still up") == [["still up"], {}]


def test_a_call_without_a_session_gets_one(server: LiveServer) -> None:
    with HttpCaller(server.url) as http:
        first = http.post("session_id")
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"anvil-session={first.value()};") and "HttpOnly" in cookie
        http.call("session_set", "k", "kept by the cookie jar")
        second = http.post("session_get", "k")
        assert second.value() == "kept by the cookie jar"
        assert "set-cookie" not in second.headers  # the session it sent is still good


def test_session_is_shared_with_websockets_by_cookie_and_token(server: LiveServer,
                                                               new_session: Callable[[str], str]) -> None:
    token = new_session(server.url)
    with HttpCaller(server.url, cookies={"anvil-session": token}) as by_cookie:
        by_cookie.call("session_set", "k", "over http")
        assert by_cookie.call("session_id") == token
        assert by_cookie.call("context_info")["client_type"] == "browser"

    async def over_ws() -> str:
        async with BrowserClient(server.ws_url, session_token=token) as client:
            value = await client.call("session_get", "k")
            await client.call("session_set", "k", "over ws")
            return value

    assert asyncio.run(over_ws()) == "over http"
    with HttpCaller(server.url, session_token=token) as by_token:
        assert by_token.call("session_get", "k") == "over ws"


def test_invalid_session_until_reset(server: LiveServer) -> None:
    with HttpCaller(server.url, session_token="not-a-session") as http:
        with pytest.raises(anvil.server.SessionExpiredError, match="^Session expired$"):
            http.call("session_get", "k")
        token = http.call("anvil.private.reset_session")
    with HttpCaller(server.url, session_token=token) as http:
        http.call("session_set", "k", "fresh")
        assert http.call("session_get", "k") == "fresh"


def test_calls_overlap(server: LiveServer) -> None:
    meeting = uuid.uuid4().hex
    results: list[object] = []

    def meet() -> None:
        with HttpCaller(server.url) as http:
            results.append(http.call("meet", meeting))

    threads = [threading.Thread(target=meet) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == ["met", "met"]


def test_progress_parts_stream_before_the_final_part(server: LiveServer) -> None:
    gate = uuid.uuid4().hex
    with HttpCaller(server.url) as http:
        cap = http.call("issue_capability", "upload", gate)  # MACed for this session (the cookie jar's)
        form = call_form("progress", cap, 4, wait_key=gate, call_id="p1")
        received = b""
        with http.client.stream("POST", ENDPOINT, files=form) as response:
            assert response.status_code == 200
            chunks = response.iter_bytes()
            while b'"capUpdates"' not in received:  # the function is blocked: this part came while it ran
                received += next(chunks)
            with HttpCaller(server.url) as other:
                other.call("release", gate)
            for more in chunks:
                received += more
        messages = list(decode_parts(read_parts(received, boundary_of(response.headers["content-type"]))))
    assert messages[-1] == {"id": "p1", "response": "done"}
    assert all(set(m) == {"id", "capUpdates"} for m in messages[:-1])
    assert [m["capUpdates"][json.dumps(["upload", gate])] for m in messages[:-1]] == [{"step": i} for i in range(4)]


def test_output_is_forwarded_over_http_too(tuned_server: LiveServer) -> None:
    with HttpCaller(tuned_server.url) as http:
        reply = http.post("shout", "printed over http")
    assert reply.value() == "printed"
    assert "".join(m["output"] for m in reply.messages[:-1]) == "printed over http\n"


def test_timeout_over_http(tuned_server: LiveServer) -> None:
    gate = uuid.uuid4().hex
    with HttpCaller(tuned_server.url) as http:
        try:
            with pytest.raises(anvil.server.TimeoutError):
                http.call("wait_for", gate)
            assert http.call("echo", 1) == [[1], {}]
        finally:
            http.call("release", gate)


CALL = json.dumps({"type": "CALL", "id": "x", "command": "echo", "args": [], "kwargs": {}})
MALFORMED = {
    "no json-data field": {"files": {"other": (None, CALL)}},
    "json-data not JSON": {"files": {"json-data": (None, "{not json")}},
    "json-data a list": {"files": {"json-data": (None, "[1]")}},
    "json-data not a CALL": {"files": {"json-data": (None, json.dumps({"type": "LOG", "id": "x"}))}},
    "JSON body, not a form": {"content": CALL, "headers": {"content-type": "application/json"}},
    "broken multipart": {"content": b"--zz\r\nContent-Disposition: form-data\r\n\r\nhalf",
                         "headers": {"content-type": "multipart/form-data; boundary=zz"}},
    "multipart without boundary": {"content": b"x", "headers": {"content-type": "multipart/form-data"}},
    "empty body": {"content": b""},
}


@pytest.mark.parametrize("request_options", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_requests_are_400(http: httpx.Client, request_options: dict) -> None:
    reply = http.post(ENDPOINT, **request_options)
    assert reply.status_code == 400, reply.text
    good = read_reply(http.post(ENDPOINT, files=call_form("echo", "still fine")))
    assert good.value() == [["still fine"], {}]


def test_a_body_without_content_length_is_refused(http: httpx.Client) -> None:
    """A chunked body could be of any size, so the size limit needs a Content-Length (browsers send one)."""
    request = http.build_request("POST", ENDPOINT, files=call_form("echo", 1))
    body = request.read()
    reply = http.post(ENDPOINT, content=iter([body]), headers={"content-type": request.headers["content-type"]})
    assert reply.request.headers["transfer-encoding"] == "chunked"
    assert reply.status_code == 411


def test_a_body_over_the_limits_is_refused_before_it_is_read(server: LiveServer) -> None:
    connection = HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("POST", ENDPOINT)
        connection.putheader("Content-Type", "multipart/form-data; boundary=zz")
        connection.putheader("Content-Length", str(300 * 1024 * 1024))
        connection.endheaders()  # and never send the 300 MiB
        assert connection.getresponse().status == 413
    finally:
        connection.close()


def test_other_methods_are_refused(http: httpx.Client) -> None:
    assert http.get(ENDPOINT).status_code == 405


MEDIA_DECLARED = json.dumps({"type": "CALL", "id": "m", "command": "echo", "args": [None], "kwargs": {},
                             "objects": [{"path": ["args", 0], "type": ["DataMedia"], "id": "media-0"}]})
HEADER = json.dumps({"type": "CHUNK_HEADER", "requestId": "m", "mediaId": "media-0", "chunkIndex": 0,
                     "lastChunk": True})
BAD_MEDIA = {
    "media never sent": ({}, "did not all arrive"),
    "chunk data missing": ({"chunk-json-0-0": (None, HEADER)}, "'chunk-data-0-0' is missing"),
    "chunk header not JSON": ({"chunk-json-0-0": (None, "{"), "chunk-data-0-0": ("b", b"x")}, "Malformed chunk header"),
    "chunk header of another request": (
        {"chunk-json-0-0": (None, HEADER.replace('"m"', '"other"')), "chunk-data-0-0": ("b", b"x")},
        "Chunk for request 'other' sent to request 'm'"),
    "chunk over 64 KiB": ({"chunk-json-0-0": (None, HEADER), "chunk-data-0-0": ("b", b"x" * 65537)}, "over 65536"),
}


@pytest.mark.parametrize("fields, message", BAD_MEDIA.values(), ids=BAD_MEDIA.keys())
def test_bad_media_fields_are_a_serialization_error(http: httpx.Client, fields: dict, message: str) -> None:
    reply = read_reply(http.post(ENDPOINT, files={"json-data": (None, MEDIA_DECLARED), **fields}))
    assert reply.status == 200
    with pytest.raises(anvil.server.SerializationError, match=message):
        reply.value()
