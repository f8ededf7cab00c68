"""The batch writer of ``/_/ws`` and ``/_/uplink`` (ws_protocol.py): ``scope["extensions"][SEND_BATCH_EXTENSION]``
writes several messages in one transport write, in order; on a connection that has gone it raises what
Starlette's ``send`` raises. Run on a real uvicorn server with our protocol and a small ASGI app."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.websockets import WebSocketDisconnect

from anvil_pyodide.calls.outbox import SEND_BATCH_EXTENSION
from anvil_pyodide.ws_protocol import QuietWebSocketsProtocol
from tests.support.live_server import free_port

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


class BatchApp:
    """On connect: writes BATCH with the extension, then waits for the client's close and tries once more."""

    BATCH = ["first", b"\x00\x01\x02", memoryview(b"-view-")[1:5], "last"]

    def __init__(self) -> None:
        self.transport_writes: list[int] = []
        self.after_close: asyncio.Future[BaseException | None] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        send_batch = scope["extensions"][SEND_BATCH_EXTENSION]
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send_batch(self.BATCH)
        while (await receive())["type"] != "websocket.disconnect":
            pass
        self.after_close = asyncio.get_running_loop().create_future()
        try:
            await send_batch(["too late"])
        except (WebSocketDisconnect, RuntimeError) as e:
            self.after_close.set_result(e)
        else:
            self.after_close.set_result(None)


class CountingProtocol(QuietWebSocketsProtocol):
    """Our protocol, noting the size of every ``writelines`` batch (the app's batches are one call each)."""

    app_under_test: BatchApp

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        writelines = transport.writelines

        def counted(buffers: Any) -> None:
            buffers = list(buffers)
            self.app_under_test.transport_writes.append(len(buffers))
            writelines(buffers)
        transport.writelines = counted  # type: ignore[method-assign]


async def test_a_batch_is_written_in_order_in_one_write_and_a_gone_connection_raises() -> None:
    app = BatchApp()
    CountingProtocol.app_under_test = app
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=CountingProtocol, log_level="warning",
                                           lifespan="on"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        async with websockets.connect(f"ws://127.0.0.1:{port}/", proxy=None) as ws:
            received = [await ws.recv() for _ in app.BATCH]
        assert received == ["first", b"\x00\x01\x02", b"view", "last"]
        assert app.transport_writes == [len(app.BATCH)]  # one transport write: a frame per message
        while app.after_close is None:
            await asyncio.sleep(0.05)
        error = await asyncio.wait_for(app.after_close, 10)
        assert isinstance(error, (WebSocketDisconnect, RuntimeError)), error
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
