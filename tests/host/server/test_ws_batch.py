"""The batch writer of ``/_/ws`` and ``/_/uplink`` (ws_protocol.py): ``scope["extensions"][BATCH_WRITER_EXTENSION]``
writes several messages in one transport write, in order; on a connection that has gone it raises what
Starlette's ``send`` raises. Run on a real uvicorn server with our protocol and a small ASGI app."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.websockets import WebSocketDisconnect

from anvil_pyodide.calls.outbox import BATCH_WRITER_EXTENSION
from anvil_pyodide.ws_protocol import QuietWebSocketsProtocol
from tests.support.asgi_lifespan import answer_lifespan
from tests.support.live_server import free_port

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


class BatchApp:
    """On connect: writes BATCH with the extension's ``send``, then NOW with ``send_now``; after the client's close
    tries both once more."""

    BATCH = ["first", b"\x00\x01\x02", memoryview(b"-view-")[1:5], "last"]
    NOW = ["now", b"now"]

    def __init__(self) -> None:
        self.transport_writes: list[int] = []
        self.after_close: asyncio.Future[BaseException | None] | None = None
        self.written_now: list[bool] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await answer_lifespan(receive, send)
        writer = scope["extensions"][BATCH_WRITER_EXTENSION]
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await writer.send(self.BATCH)
        self.written_now.append(writer.send_now(self.NOW))
        while (await receive())["type"] != "websocket.disconnect":
            pass
        self.written_now.append(writer.send_now(["too late"]))
        self.after_close = asyncio.get_running_loop().create_future()
        try:
            await writer.send(["too late"])
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
            received = [await ws.recv() for _ in app.BATCH + app.NOW]
        assert received == ["first", b"\x00\x01\x02", b"view", "last", "now", b"now"]
        assert app.transport_writes == [len(app.BATCH), len(app.NOW)]  # one transport write per batch
        while app.after_close is None:
            await asyncio.sleep(0.05)
        error = await asyncio.wait_for(app.after_close, 10)
        assert isinstance(error, (WebSocketDisconnect, RuntimeError)), error
        assert app.written_now == [True, False]
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


class GatedWriter:
    """A BatchWriter whose ``send`` waits for ``gate`` and whose ``send_now`` succeeds while ``can_now``."""

    def __init__(self) -> None:
        self.frames: list[object] = []
        self.can_now = True
        self.gate = asyncio.Event()
        self.gate.set()

    async def send(self, messages: list[object]) -> None:
        await self.gate.wait()
        self.frames += messages

    def send_now(self, messages: list[object]) -> bool:
        if self.can_now:
            self.frames += messages
        return self.can_now


async def test_a_reply_put_while_the_writer_waits_is_written_at_once_and_order_is_kept() -> None:
    from anvil_pyodide.calls.outbox import Outbox, pump_to_websocket

    writer = GatedWriter()

    class Socket:
        scope = {"extensions": {BATCH_WRITER_EXTENSION: writer}}

    outbox = Outbox(asyncio.get_running_loop())
    pump = asyncio.create_task(pump_to_websocket(outbox, Socket()))

    async def until(condition: Any) -> None:
        for _ in range(1000):
            if condition():
                return
            await asyncio.sleep(0)
        raise AssertionError("never happened")

    texts = lambda: [json.loads(frame)["id"] for frame in writer.frames]  # noqa: E731
    await until(lambda: outbox.write_now is not None)
    outbox.put({"id": "a"})
    assert texts() == ["a"] and outbox.budget.pending == 0  # written by put itself, never queued
    writer.can_now, writer.gate = False, asyncio.Event()
    outbox.put({"id": "b"})  # the socket cannot take it now: queued
    writer.can_now = True
    outbox.put({"id": "c"})  # could be written now, but "b" is queued ahead of it
    assert texts() == ["a"]
    writer.gate.set()
    await until(lambda: texts() == ["a", "b", "c"])
    await until(lambda: outbox.write_now is not None)  # caught up: direct writes again
    outbox.put({"id": "d"})
    assert texts() == ["a", "b", "c", "d"]
    outbox.close()
    await asyncio.wait_for(pump, 10)
