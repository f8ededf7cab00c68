"""``/_/server-call-http`` read by the browser's own code: js_bridge/transport.mjs's HttpTransport (and its
reader, frames.mjs) run in Node against the real server. The server's ``parse_parts`` is not involved, so a
framing bug shared by the server's writer and reader cannot pass. (tests/support/http_protocol.py reads the same
replies with a standard multipart parser; the Chromium side is tests/e2e/test_http_transport.py.)"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import subprocess
from typing import Any, Callable

import pytest

import anvil
from anvil._wire import decode_message, encode_message, media_ids
from anvil._errors import error_from_wire

from tests.host.server.conftest import ROOT
from tests.support.http_protocol import HttpCaller
from tests.support.live_server import LiveServer

CLI = ROOT / "tests" / "js" / "http_call_cli.mjs"


def node_call(server: LiveServer, command: str, *args: Any, token: str | None = None) -> list[dict[str, Any]]:
    """Every message of one call as HttpTransport delivered it (updates and output first, the final one last),
    decoded with the media HttpTransport assembled from its chunks."""
    encoded = encode_message({"type": "CALL", "id": "node-1", "command": command, "args": list(args), "kwargs": {},
                              "vt_global": []})
    request = {"origin": server.url, "token": token, "id": "node-1", "text": json.dumps(encoded.message),
               "frames": [[json.dumps(header), base64.b64encode(data).decode()] for header, data in encoded.chunks()]}
    done = subprocess.run(["node", str(CLI)], input=json.dumps(request), capture_output=True, text=True, timeout=120,
                          cwd=ROOT, check=True)
    reply = json.loads(done.stdout)
    assert "error" not in reply, reply
    decoded = []
    for item in reply["messages"]:
        message = json.loads(item["text"])
        assert item["error"] is None, item["error"]
        contents = {media_id: base64.b64decode(data) for media_id, data in (item["media"] or {}).items()}
        assert sorted(contents) == sorted(media_ids(message)), "every media item of the message, assembled"
        decoded.append(decode_message(message, contents).message)
    return decoded


def value_of(final: dict[str, Any]) -> Any:
    if "error" in final:
        raise error_from_wire(final["error"])
    return final["response"]


def test_multi_chunk_media_both_ways_is_byte_exact(server: LiveServer) -> None:
    data = random.Random(3).randbytes(200_000)  # four 64 KiB chunks each way
    sent = anvil.BlobMedia("application/octet-stream", data, name="up.bin")
    messages = node_call(server, "echo", sent, "after")
    assert len(messages) == 1
    (media, after), kwargs = value_of(messages[0])
    assert (after, kwargs) == ("after", {})
    assert hashlib.sha256(media.get_bytes()).digest() == hashlib.sha256(data).digest()
    assert (media.name, media.content_type, media.length) == ("up.bin", "application/octet-stream", 200_000)


def test_bytes_that_look_like_framing_arrive_intact(server: LiveServer) -> None:
    media, as_list = value_of(node_call(server, "tricky_media")[-1])
    assert media.get_bytes() == bytes(as_list)
    assert b"\r\n--boundary\r\n" in media.get_bytes() and b"\r\n\r\nContent-Length: 3\r\n" in media.get_bytes()


def test_capability_updates_arrive_once_each_before_the_response(server: LiveServer,
                                                                  new_session: Callable[[str], str]) -> None:
    token = new_session(server.url)
    with HttpCaller(server.url, session_token=token) as http:
        cap = http.call("issue_capability", "job", 7)
    messages = node_call(server, "progress", cap, 4, token=token)
    scope = json.dumps(["job", 7])
    assert [m["capUpdates"][scope] for m in messages[:-1]] == [{"step": 0}, {"step": 1}, {"step": 2}, {"step": 3}]
    assert value_of(messages[-1]) == "done"


def test_forwarded_output_arrives_before_the_response(tuned_server: LiveServer) -> None:
    messages = node_call(tuned_server, "print_pieces")
    assert "".join(m["output"] for m in messages[:-1]) == "one two\nthree\nfour"
    assert value_of(messages[-1]) == "printed"


def test_an_error_reply_is_read_as_the_error(server: LiveServer) -> None:
    final = node_call(server, "fail_value_error", -1)[-1]
    with pytest.raises(ValueError, match="^bad value -1$"):
        value_of(final)
