"""A Python client that speaks the browser protocol over ``/_/ws``, for server tests.

Example (in an async test):
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("echo", 1) == [[1], {}]
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
        query = f"?_anvil_session={session_token}" if session_token else ""
        self.url = f"{ws_url}/_/ws{query}"
        self.headers = headers or {}
        self.ids = itertools.count(1)
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.finals: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.closed: asyncio.Future[tuple[int | None, str | None]] | None = None

    async def __aenter__(self) -> "BrowserClient":
        self.ws = await websockets.connect(self.url, additional_headers=self.headers, max_size=None)
        self.closed = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()

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
        final = await self.result(await self.send_call(command, *args, **kwargs))
        if "error" in final:
            raise error_from_wire(final["error"])
        return final["response"]

    async def _read(self) -> None:
        try:
            while True:
                message = json.loads(await self.ws.recv())
                contents: dict[str, bytes] = {}
                expected = media_ids(message)
                if expected:
                    assembler = MediaAssembler(message["id"], expected)
                    while not assembler.complete:
                        header = json.loads(await self.ws.recv())
                        assembler.add_chunk(header, await self.ws.recv())
                    contents = assembler.contents()
                decoded = decode_message(message, contents).message
                self.messages.setdefault(decoded.get("id"), []).append(decoded)
                future = self.finals.get(decoded.get("id"))
                if future is not None and not future.done() and ("response" in decoded or "error" in decoded):
                    future.set_result(decoded)
        except websockets.ConnectionClosed as e:
            if self.closed is not None and not self.closed.done():
                self.closed.set_result((e.rcvd.code if e.rcvd else None, e.rcvd.reason if e.rcvd else None))
            for future in self.finals.values():
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))
