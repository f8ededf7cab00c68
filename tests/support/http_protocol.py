"""A Python client for ``POST /_/server-call-http``, for server tests.

The request is a multipart form: ``json-data`` (the CALL) and, per media chunk,
``chunk-json-<m>-<n>`` / ``chunk-data-<m>-<n>``. The response is ``multipart/x-mixed-replace`` (every part has
a Content-Length), read here by a standard multipart parser (:mod:`tests.support.multipart_reader`), never by
the server's own code.

Example (in a test):
    with HttpCaller(server.url) as http:
        assert http.call("echo", 1) == [[1], {}]
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import httpx
from anvil._errors import error_from_wire
from anvil._wire import MediaAssembler, decode_message, encode_message, media_ids

from tests.support.multipart_reader import read_parts

Form = list[tuple[str, tuple[str | None, bytes | str, str | None]]]


def call_form(command: str, *args: Any, call_id: str = "http-1", **kwargs: Any) -> Form:
    """The multipart fields of a CALL (media as chunk fields), ready for ``httpx``'s ``files=``."""
    encoded = encode_message({"type": "CALL", "id": call_id, "command": command, "args": list(args),
                              "kwargs": kwargs, "vt_global": []})
    fields: Form = [("json-data", (None, json.dumps(encoded.message), "application/json"))]
    media_index: dict[str, int] = {}
    for header, data in encoded.chunks():
        m = media_index.setdefault(header["mediaId"], len(media_index))
        n = header["chunkIndex"]
        fields.append((f"chunk-json-{m}-{n}", (None, json.dumps(header), "application/json")))
        fields.append((f"chunk-data-{m}-{n}", ("blob", data, "application/octet-stream")))
    return fields


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a ``multipart/...`` Content-Type."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name == "boundary":
            return value.strip('"')
    raise ValueError(f"no boundary in {content_type!r}")


@dataclass
class HttpReply:
    """One response: the raw parts, and the decoded messages in arrival order (the last is final)."""

    status: int
    headers: httpx.Headers
    parts: list[tuple[str, bytes]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final(self) -> dict[str, Any]:
        return self.messages[-1]

    def value(self) -> Any:
        """The response value, or the error raised as its exception class."""
        if "error" in self.final:
            raise error_from_wire(self.final["error"])
        return self.final["response"]


def decode_parts(parts: list[tuple[str, bytes]]) -> Iterator[dict[str, Any]]:
    """JSON message parts (with the CHUNK_HEADER + binary parts after each) → decoded messages."""
    position = 0
    while position < len(parts):
        content_type, body = parts[position]
        if content_type != "application/json":
            raise ValueError(f"expected a JSON part at {position}, got {content_type}")
        message = json.loads(body)
        position += 1
        expected = media_ids(message)
        contents: dict[str, bytes] = {}
        if expected:
            assembler = MediaAssembler(message.get("id"), expected)
            while not assembler.complete:
                (header_type, header), (data_type, data) = parts[position], parts[position + 1]
                if (header_type, data_type) != ("application/json", "application/octet-stream"):
                    raise ValueError(f"expected a chunk header and its bytes at part {position}")
                assembler.add_chunk(json.loads(header), data)
                position += 2
            contents = assembler.contents()
        yield decode_message(message, contents).message


def read_reply(response: httpx.Response) -> HttpReply:
    """Parse a finished ``/_/server-call-http`` response."""
    reply = HttpReply(response.status_code, response.headers)
    if response.status_code == 200:
        reply.parts = read_parts(response.content, boundary_of(response.headers["content-type"]))
        reply.messages = list(decode_parts(reply.parts))
    return reply


class HttpCaller:
    """Makes calls over HTTP; keeps cookies between calls like a browser (``httpx.Client``)."""

    def __init__(self, base_url: str, session_token: str | None = None, cookies: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        #: The runtime's SESSION message, sent as the form's ``session`` field (never in the URL).
        self.session = json.dumps({"type": "SESSION", "token": session_token, "fresh": False}) if session_token else None
        self.client = httpx.Client(base_url=base_url, cookies=cookies, timeout=30, trust_env=False)
        self.ids = itertools.count(1)

    def post(self, command: str, *args: Any, **kwargs: Any) -> HttpReply:
        form = call_form(command, *args, call_id=f"http-{next(self.ids)}", **kwargs)
        if self.session is not None:
            form.append(("session", (None, self.session, "application/json")))
        return read_reply(self.client.post("/_/server-call-http", files=form))

    def call(self, command: str, *args: Any, **kwargs: Any) -> Any:
        reply = self.post(command, *args, **kwargs)
        assert reply.status == 200, reply
        return reply.value()

    def __enter__(self) -> "HttpCaller":
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
