"""A Python client that speaks the browser protocol over ``/_/ws``, for server tests.

Example (in an async test):
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("echo", 1) == [[1], {}]
        call_id = await client.send_call("slow")      # concurrency: send now, collect later
        client.messages[call_id]                      # every message so far (progress, output)
        client.expect("raw-1")                        # bad-input tests: hand-made frames
        await client.send_raw('{"type": "CALL", "id": "raw-1", "command": "echo", "args": 5}')
        await client.outcome("raw-1")                 # raises the error's exception class
        code, reason = await client.wait_closed()     # once the server closes the socket
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import websockets
from anvil._errors import error_from_wire
from anvil._wire import MediaAssembler, decode_message, encode_message, media_ids


class BrowserClient:
    """Sends CALLs, collects every message per call id (progress, output, final), decodes the final one."""

    def __init__(self, ws_url: str, session_token: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.url = f"{ws_url}/_/ws"
        #: Sent first, as the page's runtime does (the token never goes into the URL).
        self.session_token = session_token
        #: The server's answers to the SESSION message.
        self.session_replies: list[dict[str, Any]] = []
        self.headers = headers or {}
        self.ids = itertools.count(1)
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.finals: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.closed: asyncio.Future[tuple[int | None, str | None]] | None = None

    async def __aenter__(self) -> "BrowserClient":
        self.ws = await websockets.connect(self.url, additional_headers=self.headers, max_size=None,
                                           proxy=None)
        self.closed = asyncio.get_running_loop().create_future()
        if self.session_token is not None:
            await self.ws.send(json.dumps({"type": "SESSION", "token": self.session_token, "fresh": False}))
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)

    async def send_raw(self, *frames: str | bytes) -> None:
        """Send frames exactly as given (text for str, binary for bytes), for bad-input tests."""
        for frame in frames:
            await self.ws.send(frame)

    async def wait_closed(self, timeout: float = 10) -> tuple[int | None, str | None]:
        """``(code, reason)`` of the server's close frame, once the server closes the socket."""
        return await asyncio.wait_for(asyncio.shield(self.closed), timeout)

    async def send_call(self, command: str, *args: Any, call_id: str | None = None, **kwargs: Any) -> str:
        call_id = call_id or f"call-{next(self.ids)}"
        encoded = encode_message({"type": "CALL", "id": call_id, "command": command, "args": list(args),
                                  "kwargs": kwargs, "vt_global": []})
        self.finals[call_id] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps(encoded.message))
        for header, data in encoded.chunks():
            await self.ws.send(json.dumps(header))
            await self.ws.send(data)
        return call_id

    async def result(self, call_id: str, timeout: float = 30) -> dict[str, Any]:
        """The decoded final message (``response`` or ``error``) of a call."""
        return await asyncio.wait_for(self.finals[call_id], timeout)

    async def call(self, command: str, *args: Any, **kwargs: Any) -> Any:
        """Call and return the response, raising the error as the right exception class."""
        return await self.outcome(await self.send_call(command, *args, **kwargs))

    def expect(self, call_id: str) -> None:
        """Collect the reply to a call that ``send_raw`` sends (``send_call`` does this itself)."""
        self.finals[call_id] = asyncio.get_running_loop().create_future()

    async def outcome(self, call_id: str) -> Any:
        """A call's response, or its error raised as the right exception class."""
        final = await self.result(call_id)
        if "error" in final:
            raise error_from_wire(final["error"])
        return final["response"]

    async def _read(self) -> None:
        try:
            while True:
                message = json.loads(await self.ws.recv())
                if message.get("type") == "SESSION":
                    self.session_replies.append(message)
                    continue
                contents: dict[str, bytes] = {}
                expected = media_ids(message)
                if expected:
                    assembler = MediaAssembler(message["id"], expected)
                    while not assembler.complete:
                        header = json.loads(await self.ws.recv())
                        assembler.add_chunk(header, await self.ws.recv())
                    contents = assembler.contents()
                call_id = message.get("id")
                future = self.finals.get(call_id)
                try:
                    decoded = decode_message(message, contents).message
                except Exception as e:  # a reply we cannot decode fails its call, not the reader
                    self.messages.setdefault(call_id, []).append(message)
                    if future is not None and not future.done():
                        future.set_exception(e)
                    continue
                self.messages.setdefault(call_id, []).append(decoded)
                if future is not None and not future.done() and ("response" in decoded or "error" in decoded):
                    future.set_result(decoded)
        except websockets.ConnectionClosed as e:
            if self.closed is not None and not self.closed.done():
                self.closed.set_result((e.rcvd.code if e.rcvd else None, e.rcvd.reason if e.rcvd else None))
            for future in self.finals.values():
                if not future.done():
                    future.set_exception(ConnectionError(f"socket closed ({e.rcvd.code if e.rcvd else None})"))
